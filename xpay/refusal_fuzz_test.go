package xpay

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// FuzzXPayRefusalPeek feeds the envelope peek arbitrary bodies: refusal
// never panics and finds a refusal only in a JSON object; DefaultRefused
// agrees with it on a 200 JSON body within its peek, reads no more than
// the peek, and leaves the body byte for byte for the caller. The seeds
// are the fake's real answers.
func FuzzXPayRefusalPeek(f *testing.F) {
	for _, b := range fuzzFakeAnswers(f) {
		f.Add(b, http.StatusOK, "application/json", uint16(0))
	}
	f.Add([]byte(` {"error":{"message":"Token expired"}} `), http.StatusOK, "", uint16(0))
	f.Add([]byte(`{"error":{"message":"jwt expired"}}`), http.StatusOK, "application/json; charset=utf-8", uint16(20000))
	f.Add([]byte(`{"error":{"message":"jwt expired"}}`), http.StatusOK, "text/html", uint16(0))
	f.Add([]byte(`{"error":{"data":{"unauthorized":"yes"}}}`), http.StatusUnauthorized, "", uint16(0))
	f.Add([]byte(`{"error":{"message":"ok","data":{"unauthorized":true}},"error":null}`), http.StatusOK, "", uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, status int, ct string, pad uint16) {
		if status < 100 || status > 599 {
			status = http.StatusOK
		}
		body = append(body, bytes.Repeat([]byte{'\n'}, int(pad))...)
		want := refusal(body)
		if want && !json.Valid(body) {
			t.Fatalf("refusal found in a body that is not JSON: %q", body)
		}

		rc := &peekCountingBody{r: bytes.NewReader(body)}
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: rc, ContentLength: -1}
		if ct != "" {
			resp.Header.Set("Content-Type", ct)
		}
		got := DefaultRefused(resp)
		if rc.n > peekLimit+1 {
			t.Fatalf("DefaultRefused read %d bytes; the peek is %d", rc.n, peekLimit)
		}
		rest, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(rest, body) {
			t.Fatalf("the caller read %d bytes (%v); want the %d sent", len(rest), err, len(body))
		}
		resp.Body.Close()
		if !rc.closed {
			t.Fatal("closing the body did not close the original")
		}

		plainJSON := ct == "" || strings.EqualFold(ct, "application/json")
		switch {
		case (status == http.StatusUnauthorized || status == http.StatusForbidden) && !got:
			t.Fatalf("a %d is not a refusal", status)
		case status != http.StatusOK && status != http.StatusUnauthorized && status != http.StatusForbidden && got:
			t.Fatalf("HTTP %d taken for a refusal", status)
		case status == http.StatusOK && plainJSON && len(body) <= peekLimit && got != want:
			t.Fatalf("DefaultRefused = %v, refusal = %v for %q", got, want, body)
		case status == http.StatusOK && len(body) > peekLimit && got:
			t.Fatal("a body longer than the peek taken for a refusal")
		}
	})
}

// fuzzFakeAnswers returns the bodies of the fake's answers: a login, a
// call with a valid, a missing, an invalid and an expired token, and a
// refused login.
func fuzzFakeAnswers(f *testing.F) [][]byte {
	srv := xpaytest.NewServer()
	defer srv.Close()
	post := func(path, auth, body string) []byte {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			f.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	login := post(AuthenticatePath, "", `{"username":"`+xpaytest.Username+`","secretKey":"`+xpaytest.SecretKey+`","isAPI":true}`)
	var v envelope
	if err := json.Unmarshal(login, &v); err != nil || v.Success == nil {
		f.Fatalf("fake login: %v %s", err, login)
	}
	tok := v.Success.Data.AccessToken
	out := [][]byte{
		login,
		post(AuthenticatePath, "", `{"username":"`+xpaytest.Username+`","secretKey":"nope","isAPI":true}`),
		post(xpaytest.BillsSavePath, tok, `{"amount":"1"}`),
		post(xpaytest.BillsSavePath, "", `{}`),
		post(xpaytest.BillsSavePath, "not-a-token", `{}`),
	}
	srv.Advance(2 * time.Hour)
	return append(out, post(xpaytest.BillsSavePath, tok, `{"amount":"1"}`))
}

// peekCountingBody is a response body that counts what is read of it.
type peekCountingBody struct {
	r      io.Reader
	n      int
	closed bool
}

func (b *peekCountingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

func (b *peekCountingBody) Close() error { b.closed = true; return nil }
