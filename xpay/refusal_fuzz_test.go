package xpay_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// FuzzXPayRefusalPeek feeds DefaultRefused arbitrary answers. It checks
// that DefaultRefused reads at most the peek, and nothing of a body that
// is declared too long or not JSON; that the caller then reads the body
// byte for byte and closing it closes the original; that a 401 and a 403
// are refusals and no other status but 200 is; and that on a 200 JSON
// body it agrees with [referenceRefusal], which decodes the body's first
// JSON value whole. The seeds are the fake's real answers.
func FuzzXPayRefusalPeek(f *testing.F) {
	for _, b := range fuzzFakeAnswers(f) {
		f.Add(b, http.StatusOK, "application/json", uint16(0), false)
	}
	f.Add([]byte(` {"error":{"message":" JWT expired "}} `), http.StatusOK, "", uint16(0), true)
	f.Add([]byte(`{"uuid":"u","error":{"tag":"t","message":"jwt expired","data":{}}}`), http.StatusOK, "", uint16(0), false)
	f.Add([]byte(`{"error":{"message":"jwt expired"}}`), http.StatusOK, "application/json; charset=utf-8", uint16(20000), true)
	f.Add([]byte(`{"error":{"message":"jwt expired"}}`), http.StatusOK, "text/html", uint16(0), false)
	f.Add([]byte(`{"error":{"message":"destination token account is closed"}}`), http.StatusForbidden, "", uint16(0), false)
	f.Add([]byte(`{"error":{"message":"jwt expired"},"error":null}`), http.StatusOK, "", uint16(0), false)
	f.Add([]byte(`{"error":{"message":"jwt expired"}`), http.StatusOK, "", uint16(0), false)
	f.Add([]byte(`{"error":{"message":"jwt must be provided"}}`), http.StatusUnauthorized, "application/json", uint16(0), true)
	f.Add([]byte(`{"error":{"messAge":"jwt"}}`), 86, "", uint16(0), true)
	f.Fuzz(func(t *testing.T, body []byte, status int, ct string, pad uint16, declared bool) {
		r := sourcetest.CheckRefused(t, xpay.DefaultRefused, status, ct, body, pad, declared)
		got, status, body := r.Refused, r.Status, r.Body
		mt, _, err := mime.ParseMediaType(ct)
		isJSON := ct == "" || err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
		tooLong := r.Length > xpay.PeekLimit
		if r.Read > 0 && (!isJSON || tooLong) {
			t.Fatalf("DefaultRefused read %d bytes of a body declared too long or not JSON", r.Read)
		}

		switch want := referenceRefusal(body); {
		case (status == http.StatusUnauthorized || status == http.StatusForbidden) && !got:
			t.Fatalf("a %d is not a refusal", status)
		case status != http.StatusOK && status != http.StatusUnauthorized && status != http.StatusForbidden && got:
			t.Fatalf("HTTP %d taken for a refusal", status)
		case status == http.StatusOK && isJSON && !tooLong && got != want:
			t.Fatalf("DefaultRefused = %v, the reference = %v for %q", got, want, body)
		case status == http.StatusOK && (!isJSON || tooLong) && got:
			t.Fatal("a body declared too long or not JSON taken for a refusal")
		}
	})
}

// referenceRefusal is the refusal rule on a body decoded at once: the
// body's first JSON value, read whole within the peek, is an object whose
// first "success" or "error" member is "error", an object whose first
// "message" member is a string that refuses the token.
func referenceRefusal(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if dec.Decode(&v) != nil || dec.InputOffset() > xpay.PeekLimit {
		return false
	}
	keys, vals := members(v)
	for i, k := range keys {
		switch k {
		case "success":
			return false
		case "error":
			keys, vals := members(vals[i])
			for i, k := range keys {
				if k == "message" {
					var msg string
					return json.Unmarshal(vals[i], &msg) == nil && refusesToken(msg)
				}
			}
			return false
		}
	}
	return false
}

// members returns the keys and values of the JSON object v, in order; or
// nothing when v is not an object.
func members(v json.RawMessage) (keys []string, vals []json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(v))
	if t, _ := dec.Token(); t != json.Delim('{') {
		return nil, nil
	}
	for dec.More() {
		k, _ := dec.Token()
		var val json.RawMessage
		if dec.Decode(&val) != nil {
			return nil, nil
		}
		keys, vals = append(keys, k.(string)), append(vals, val)
	}
	return keys, vals
}

// fuzzFakeAnswers returns the bodies of the fake's answers: a login (with
// the uuid at the top level and inside success), a refused login, a bill
// created, a business error, and a call with a missing, an invalid, a
// revoked and an expired token.
func fuzzFakeAnswers(f *testing.F) [][]byte {
	srv := xpaytest.NewServer()
	defer srv.Close()
	post := func(path, auth, body string) []byte {
		var h http.Header
		if auth != "" {
			h = http.Header{"Authorization": {"Bearer " + auth}}
		}
		return sourcetest.Capture(f, srv.Transport(), "POST", srv.URL+path, h, body).Body
	}
	const creds = `{"username":"` + xpaytest.Username + `","secretKey":"` + xpaytest.SecretKey + `","isAPI":true}`
	login := post(xpay.AuthenticatePath, "", creds)
	var v struct {
		Success *struct {
			Data struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
		} `json:"success"`
	}
	if err := json.Unmarshal(login, &v); err != nil || v.Success == nil {
		f.Fatalf("fake login: %v %s", err, login)
	}
	tok := v.Success.Data.AccessToken
	srv.UUIDInSuccess = true
	out := [][]byte{
		login,
		post(xpay.AuthenticatePath, "", creds),
		post(xpay.AuthenticatePath, "", `{"username":"`+xpaytest.Username+`","secretKey":"nope","isAPI":true}`),
		post(xpay.BillsSavePath, tok, `{"amount":"1"}`),
		post(xpay.BillsSavePath, "", `{}`),
		post(xpay.BillsSavePath, "not-a-token", `{}`),
	}
	srv.BusinessError = "destination token account is closed"
	out = append(out, post(xpay.BillsSavePath, tok, `{"amount":"1"}`))
	srv.Advance(2 * time.Hour)
	out = append(out, post(xpay.BillsSavePath, tok, `{"amount":"1"}`))
	srv.RevokeAll()
	return append(out, post(xpay.BillsSavePath, tok, `{"amount":"1"}`))
}

// tokenRefusals are the messages with which Node's JWT middleware refuses
// a token: jsonwebtoken's verify, express-jwt and passport-jwt, as the
// package documentation lists them.
var tokenRefusals = []string{
	"jwt must be provided", "jwt must be a string", "jwt malformed",
	"jwt signature is required", "invalid token", "invalid algorithm",
	"invalid signature", "invalid nbf value", "jwt not active",
	"invalid exp value", "jwt expired", "maxAge exceeded",
	"iat required when maxAge is specified",
	"No authorization token was found", "Format is Authorization: Bearer [token]",
	"The token has been revoked.",
	"No auth token",
}

// claimRefusals are jsonwebtoken's messages for a claim that does not
// match, which go on with ". expected: <the value>".
var claimRefusals = []string{
	"jwt audience invalid", "jwt issuer invalid", "jwt subject invalid",
	"jwt jwtid invalid", "jwt nonce invalid",
}

// refusesToken is the reference of the package documentation: msg,
// trimmed and ignoring case, is one of the messages of tokenRefusals or
// claimRefusals, whole.
func refusesToken(msg string) bool {
	m := strings.TrimSpace(msg)
	for _, r := range append(tokenRefusals, claimRefusals...) {
		if strings.EqualFold(m, r) {
			return true
		}
	}
	for _, c := range claimRefusals {
		if strings.HasPrefix(strings.ToLower(m), c+". expected: ") {
			return true
		}
	}
	return false
}

// FuzzRefusesToken checks that DefaultRefused takes a message for a
// refusal only whole (the same message after a word never is), whatever
// its case and surrounding space, as the reference does.
func FuzzRefusesToken(f *testing.F) {
	for _, m := range tokenRefusals {
		f.Add(m)
	}
	f.Add("jwt audience invalid. expected: urn:xpay")
	f.Add("destination token account is closed")
	f.Fuzz(func(t *testing.T, msg string) {
		refused := func(m string) bool {
			b, _ := json.Marshal(map[string]map[string]string{"error": {"message": m}})
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b))}
			return xpay.DefaultRefused(resp)
		}
		if refused("destination " + msg) {
			t.Fatalf("%q refuses the token", "destination "+msg)
		}
		if len(msg) < 1000 && refused(msg) != refusesToken(msg) {
			t.Fatalf("%q: DefaultRefused = %v, the reference = %v", msg, refused(msg), refusesToken(msg))
		}
	})
}
