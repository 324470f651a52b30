package xpay_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// payout POSTs a bill of 1 USD with reference ref to the fake's
// bills/save endpoint through client, and returns the status and the body
// as read by the caller.
func payout(t *testing.T, srv *xpaytest.Server, client *http.Client, ref string) (int, []byte, error) {
	t.Helper()
	body := `{"amount":"1000000","tag":"payout","reference":"` + ref + `"}`
	req, err := http.NewRequest("POST", srv.URL+xpay.BillsSavePath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return resp.StatusCode, b, nil
}

// bill makes one payout through a Transport of src over base.
func bill(t *testing.T, srv *xpaytest.Server, src *loginauth.Source, base http.RoundTripper) (int, []byte, error) {
	t.Helper()
	return payout(t, srv, &http.Client{Transport: loginauth.NewTransport(src, base)}, "")
}

// recorder is a base transport that keeps the bytes of every response
// body it passes on, as the server sent them.
type recorder struct {
	auth   []string
	bodies [][]byte
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rec.auth = append(rec.auth, r.Header.Get("Authorization"))
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	rec.bodies = append(rec.bodies, b)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	src := xpay.NewSource(sourcetest.Config[xpay.Config](xpaytest.Provider, srv))

	rec := new(recorder)
	status, body, err := bill(t, srv, src, rec)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.True(strings.Contains(string(body), xpaytest.MsgBillCreated)) // served, not refused
	is.Equal(string(body), string(rec.bodies[0]))                    // byte for byte

	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(rec.auth[0], "Bearer "+tok.AccessToken)
	is.Equal(srv.Logins(), int64(1))
	is.Equal(srv.Requests(), int64(1))
}

// TestExpiryMilliseconds logs in at a time with milliseconds: the token
// expires at the answer's expiresAt to the millisecond, not at a second.
func TestExpiryMilliseconds(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	now := time.UnixMilli(1783074277510)
	srv.SetNow(func() time.Time { return now })
	rec := new(recorder)
	cfg := sourcetest.Config[xpay.Config](xpaytest.Provider, srv)
	cfg.HTTPClient = &http.Client{Transport: rec}
	tok, err := xpay.NewSource(cfg).Token()
	is.NoErr(err)

	var v struct {
		Success struct{ Data struct{ ExpiresAt int64 } }
	}
	is.NoErr(json.Unmarshal(rec.bodies[0], &v))
	stated := v.Success.Data.ExpiresAt
	is.Equal(stated%1000, int64(510))                 // the fake states milliseconds
	is.Equal(tok.Expiry.UnixMilli(), stated)          // the expiry is expiresAt
	is.True(tok.Expiry.Equal(time.UnixMilli(stated))) // exactly
}

// A refused token arrives as HTTP 200 with an error envelope: the request
// is re-sent once, body included, with a fresh token.
func TestEnvelopeRefusalRetried(t *testing.T) {
	for _, with401 := range []bool{false, true} {
		t.Run(fmt.Sprint("RefuseWith401=", with401), func(t *testing.T) {
			is := is.New(t)
			srv := xpaytest.NewServer()
			defer srv.Close()
			srv.RefuseWith401 = with401
			src := xpay.NewSource(sourcetest.Config[xpay.Config](xpaytest.Provider, srv))
			_, err := src.Token()
			is.NoErr(err)

			srv.RevokeAll()
			rec := new(recorder)
			status, body, err := bill(t, srv, src, rec)
			is.NoErr(err)
			is.Equal(status, http.StatusOK)
			is.True(strings.Contains(string(body), `"success"`)) // the re-sent request's answer
			is.Equal(len(rec.bodies), 2)                         // sent twice
			is.True(strings.Contains(string(rec.bodies[0]), xpaytest.MsgTokenRevoked))
			is.Equal(srv.Refused(), int64(1))
			is.Equal(srv.Logins(), int64(2))
			is.Equal(src.Stats().Retries, int64(1))
		})
	}
}

// TestBusinessErrorNotRefused makes 10 payouts that xPay answers with a
// business error about a token account: each is sent once, and one login
// serves them all.
func TestBusinessErrorNotRefused(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	srv.BusinessError = "destination token account is closed"
	src := xpay.NewSource(sourcetest.Config[xpay.Config](xpaytest.Provider, srv))
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
	for i := range 10 {
		status, body, err := payout(t, srv, client, fmt.Sprint("payout-", i))
		is.NoErr(err)
		is.Equal(status, http.StatusOK)
		is.True(strings.Contains(string(body), srv.BusinessError)) // the caller gets the business error
	}
	is.Equal(srv.Requests()+srv.Refused(), int64(10)) // 10 POSTs: none re-sent
	is.Equal(srv.Logins(), int64(1))
	is.Equal(src.Stats().Retries, int64(0))
}

// TestExpiredTokenRefused has xPay refuse a token as expired while the
// client's clock still holds it valid: one login, and the payout is sent
// again, once.
func TestExpiredTokenRefused(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	start := srv.Now()
	cfg := sourcetest.Config[xpay.Config](xpaytest.Provider, srv)
	cfg.Now = func() time.Time { return start } // the client's clock stands still
	src := xpay.NewSource(cfg)
	_, err := src.Token()
	is.NoErr(err)

	srv.Advance(xpaytest.DefaultLifetime)
	rec := new(recorder)
	status, body, err := payout(t, srv, &http.Client{Transport: loginauth.NewTransport(src, rec)}, "after-expiry")
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.True(strings.Contains(string(body), xpaytest.MsgBillCreated)) // the re-sent payout's answer
	is.Equal(len(rec.bodies), 2)                                     // sent twice
	is.True(strings.Contains(string(rec.bodies[0]), xpaytest.MsgTokenExpired))
	is.Equal(srv.Refused(), int64(1))
	is.Equal(srv.Requests(), int64(1))
	is.Equal(srv.Logins(), int64(2))
	is.Equal(src.Stats().Retries, int64(1))
}

// TestDefaultRefused judges statuses and envelopes: a refusal is a 401, a
// 403, or an error envelope whose whole message is one of a JWT
// middleware; a business error that speaks of tokens is not.
func TestDefaultRefused(t *testing.T) {
	refusal := func(msg string) string {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "data": map[string]any{}, "tag": "t"}, "uuid": "u"})
		return string(b)
	}
	for _, tt := range []struct {
		status int
		body   string
		want   bool
	}{
		{http.StatusUnauthorized, `{"error":{"message":"insufficient balance"}}`, true},
		{http.StatusForbidden, ``, true},
		{http.StatusInternalServerError, refusal("jwt expired"), false},
		{http.StatusBadRequest, refusal("invalid token"), false},
		{http.StatusOK, refusal("jwt expired"), true},
		{http.StatusOK, refusal("jwt must be provided"), true},
		{http.StatusOK, refusal("  JWT Expired\n"), true},
		{http.StatusOK, refusal("invalid token"), true},
		{http.StatusOK, refusal("invalid signature"), true},
		{http.StatusOK, refusal("jwt malformed"), true},
		{http.StatusOK, refusal("jwt signature is required"), true},
		{http.StatusOK, refusal("jwt not active"), true},
		{http.StatusOK, refusal("jwt audience invalid"), true},
		{http.StatusOK, refusal("jwt audience invalid. expected: urn:xpay or urn:other"), true},
		{http.StatusOK, refusal("jwt issuer invalid. expected: https://apis.xpay.stream"), true},
		{http.StatusOK, refusal("maxAge exceeded"), true},
		{http.StatusOK, refusal("No authorization token was found"), true},
		{http.StatusOK, refusal("Format is Authorization: Bearer [token]"), true},
		{http.StatusOK, refusal("The token has been revoked."), true},
		{http.StatusOK, refusal("No auth token"), true},

		{http.StatusOK, refusal("destination token account is closed"), false},
		{http.StatusOK, refusal("token not supported on this network"), false},
		{http.StatusOK, refusal("invalid token amount"), false},
		{http.StatusOK, refusal("the jwt expired"), false},
		{http.StatusOK, refusal("jwt expired: renew it"), false},
		{http.StatusOK, refusal("jwt audience invalid for this wallet"), false},
		{http.StatusOK, refusal("Unauthorized"), false},
		{http.StatusOK, refusal("secret or public key must be provided"), false}, // the server's fault
		{http.StatusOK, refusal("invalid credentials"), false},
		{http.StatusOK, refusal(""), false},
		{http.StatusOK, `{"error":{"message":"bill not found","data":{"unauthorized":true}}}`, false}, // data.unauthorized means nothing
		{http.StatusOK, `{"success":{"message":"invalid token","data":{}}}`, false},
		{http.StatusOK, `{"error":"jwt expired"}`, false},
		{http.StatusOK, `{"error":{"message":["jwt expired"]}}`, false},
		{http.StatusOK, `{"error":null}`, false},
		{http.StatusOK, `["error"]`, false},
		{http.StatusOK, `jwt expired`, false},
		{http.StatusOK, ``, false},
	} {
		resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: -1}
		if got := xpay.DefaultRefused(resp); got != tt.want {
			t.Errorf("DefaultRefused(%d %s) = %v, want %v", tt.status, tt.body, got, tt.want)
		}
	}
}

// envelope is a base transport that answers every request with status
// 200, Content-Type ct and body, without a server.
func envelope(ct, body string, declared int64) http.RoundTripper {
	return loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		h := http.Header{}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		if declared >= 0 {
			h.Set("Content-Length", strconv.FormatInt(declared, 10))
		}
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Header: h,
			ContentLength: declared,
			Body:          io.NopCloser(strings.NewReader(body)),
			Request:       r,
		}, nil
	})
}

// A body that is not a refusal reaches the caller untouched: a business
// error, a body too long to peek at, a body that is not JSON.
func TestNonRefusalUntouched(t *testing.T) {
	business := `{"error":{"message":"insufficient balance","data":{"amount":"100.00"},"tag":"t-1"},"uuid":"u-1"}` + "\n"
	long := `{"error":{"message":"jwt expired","data":{"pad":"` + strings.Repeat("x", 32<<10) + `"}}}`
	for _, tt := range []struct {
		name, ct, body string
		declared       int64
	}{
		{"business error", "application/json; charset=utf-8", business, int64(len(business))},
		{"business error, no length", "application/json", business, -1},
		{"business error, no type", "", business, -1},
		{"declared longer than the limit", "application/json", long, int64(len(long))},
		{"longer than the limit", "application/json", long, -1},
		{"not JSON", "text/plain", `{"error":{"message":"jwt expired"}}`, -1},
		{"empty", "application/json", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := xpaytest.NewServer()
			defer srv.Close()
			src := xpay.NewSource(sourcetest.Config[xpay.Config](xpaytest.Provider, srv))
			status, body, err := bill(t, srv, src, envelope(tt.ct, tt.body, tt.declared))
			is.NoErr(err)
			is.Equal(status, http.StatusOK)
			is.Equal(string(body), tt.body) // byte for byte
			is.Equal(src.Stats().Retries, int64(0))
			is.Equal(srv.Logins(), int64(1))
		})
	}
}

func TestBadCredentials(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	const wrong = "wrong-secret-key-123"
	cfg := sourcetest.Config[xpay.Config](xpaytest.Provider, srv)
	cfg.SecretKey = wrong
	src := xpay.NewSource(cfg)

	_, _, err := bill(t, srv, src, nil)
	is.True(err != nil)
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Provider, "xpay")
	is.Equal(le.Status, http.StatusOK) // a 200 with an error envelope
	is.Equal(le.Message, xpaytest.MsgInvalidCredentials)
	is.True(le.Code != "") // the error's tag
	is.True(le.BadCredentials)
	is.True(!strings.Contains(err.Error(), wrong)) // no secret in the error
	is.Equal(srv.Requests()+srv.Refused(), int64(0))
}

func TestRefusedConfigurable(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	cfg := sourcetest.Config[xpay.Config](xpaytest.Provider, srv)
	var calls atomic.Int32
	cfg.Refused = func(resp *http.Response) bool {
		calls.Add(1)
		return resp.StatusCode == http.StatusUnauthorized // 401 only
	}
	src := xpay.NewSource(cfg)
	_, err := src.Token()
	is.NoErr(err)
	srv.RevokeAll()
	status, body, err := bill(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.True(strings.Contains(string(body), xpaytest.MsgTokenRevoked)) // the refusal reaches the caller
	is.Equal(calls.Load(), int32(1))
	is.Equal(src.Stats().Retries, int64(0))
}

// TestUUIDPlacement runs a login, a payout and a refused payout against a
// fake that puts the uuid at the top level and one that puts it inside
// "success", as xPay's samples do both ways.
func TestUUIDPlacement(t *testing.T) {
	for _, inSuccess := range []bool{false, true} {
		t.Run(fmt.Sprint("UUIDInSuccess=", inSuccess), func(t *testing.T) {
			is := is.New(t)
			srv := xpaytest.NewServer()
			defer srv.Close()
			srv.UUIDInSuccess = inSuccess
			src := xpay.NewSource(sourcetest.Config[xpay.Config](xpaytest.Provider, srv))
			client := &http.Client{Transport: loginauth.NewTransport(src, nil)}

			_, body, err := payout(t, srv, client, "first")
			is.NoErr(err)
			var v struct {
				Success struct{ UUID string }
				UUID    string
			}
			is.NoErr(json.Unmarshal(body, &v))
			is.Equal(v.Success.UUID != "", inSuccess) // where the fake put it
			is.Equal(v.UUID != "", !inSuccess)

			srv.RevokeAll()
			_, body, err = payout(t, srv, client, "second")
			is.NoErr(err)
			is.True(strings.Contains(string(body), xpaytest.MsgBillCreated)) // re-sent with a new token
			is.Equal(srv.Logins(), int64(2))
			is.Equal(srv.Requests(), int64(2))
		})
	}
}

// expiresAtAPI is a small xPay API, served in memory, whose logins state
// expiresAt (a JSON number) and whose other endpoints accept the last
// token issued only.
type expiresAtAPI struct {
	expiresAt string
	logins    atomic.Int64
	current   atomic.Value // string: the token accepted
}

func (x *expiresAtAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == xpay.AuthenticatePath {
		tok := "tok-" + strconv.FormatInt(x.logins.Add(1), 10)
		x.current.Store(tok)
		fmt.Fprintf(w, `{"success":{"message":"Authenticated","data":{"access_token":%q,"expiresAt":%s}},"uuid":"u"}`, tok, x.expiresAt)
		return
	}
	if cur, _ := x.current.Load().(string); r.Header.Get("Authorization") != "Bearer "+cur {
		io.WriteString(w, `{"error":{"message":"jwt expired","data":{"unauthorized":true},"tag":"t"},"uuid":"u"}`)
		return
	}
	io.WriteString(w, `{"success":{"message":"Bill created","data":{}},"uuid":"u"}`)
}

// TestExpiresAt serves logins whose expiresAt is far in the future, in
// seconds rather than milliseconds, in the past, negative or absent: the
// Source keeps working, logs in once for many calls, and when the API
// refuses a token it still thinks valid, logs in once more and re-sends
// the request.
func TestExpiresAt(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	fallback := now.Add(xpay.DefaultLifetime)
	year9000 := time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		expiresAt string
		want      time.Time // zero: any time after now
	}{
		{"year-9000", strconv.FormatInt(year9000.UnixMilli(), 10), year9000},
		{"seconds", strconv.FormatInt(now.Add(time.Hour).Unix(), 10), now.Add(time.Hour)},
		{"past", strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10), fallback},
		{"negative", "-5", fallback},
		{"zero", "0", fallback},
		{"null", "null", fallback},
		{"year-5-million", "1e17", time.Time{}},
		{"float-overflow", "1e300", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			x := &expiresAtAPI{expiresAt: tc.expiresAt}
			tr := loginauthtest.HandlerTransport{Handler: x}
			src := xpay.NewSource(xpay.Config{
				BaseURL: "https://xpay.example", Username: "alice@example.test", SecretKey: "secret",
				HTTPClient: &http.Client{Transport: tr}, Options: loginauth.Options{Now: func() time.Time { return now }},
			})
			client := &http.Client{Transport: loginauth.NewTransport(src, tr)}
			save := func() string {
				resp, err := client.Post("https://xpay.example"+xpay.BillsSavePath, "application/json", strings.NewReader(`{}`))
				is.NoErr(err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				is.NoErr(err)
				return string(b)
			}
			for range 5 {
				tok, err := src.Token()
				is.NoErr(err)
				if tc.want.IsZero() {
					is.True(tok.Expiry.After(now)) // a time in the future
				} else {
					is.True(tok.Expiry.Equal(tc.want)) // the stated expiry, or the lifetime
				}
			}
			is.Equal(x.logins.Load(), int64(1)) // one login
			is.True(strings.Contains(save(), "Bill created"))

			x.current.Store("revoked")                        // the API no longer takes the token
			is.True(strings.Contains(save(), "Bill created")) // refused, renewed, re-sent
			is.Equal(x.logins.Load(), int64(2))               // with one login
			is.Equal(src.Stats().Retries, int64(1))
		})
	}
}

// TestExpiresAtBeyondYear9999 serves an expiresAt past year 9999: like a
// JWT exp claim that far, it must not be taken as the token's expiry,
// which no Store could encode.
func TestExpiresAtBeyondYear9999(t *testing.T) {
	for _, expiresAt := range []string{"253402300800000", "1e17", "1e300"} {
		t.Run(expiresAt, func(t *testing.T) {
			is := is.New(t)
			x := &expiresAtAPI{expiresAt: expiresAt}
			cfg := xpay.Config{
				BaseURL: "https://xpay.example", Username: "alice@example.test", SecretKey: "secret",
				HTTPClient: &http.Client{Transport: loginauthtest.HandlerTransport{Handler: x}},
				Options:    loginauth.Options{Store: &loginauth.MemoryStore{}},
			}
			tok, err := xpay.NewSource(cfg).Token()
			is.NoErr(err)
			is.True(tok.Expiry.Year() <= 9999) // not the absurd expiresAt
			_, err = xpay.NewSource(cfg).Token()
			is.NoErr(err)
			is.Equal(x.logins.Load(), int64(1)) // the second Source found the token in the Store
		})
	}
}

// TestDefaultRefusedEndlessBody gives DefaultRefused a 200 whose body
// never ends: it reads at most its 16 KiB peek, does not take it for a
// refusal, and the caller still reads the body from its first byte.
func TestDefaultRefusedEndlessBody(t *testing.T) {
	sourcetest.RefusalPeekBounded(t, xpay.DefaultRefused, http.StatusOK, `{"error":{"message":"invalid token","pad":"`)
}

// FuzzLoginResponse gives the login call of a fresh Source per input the
// fuzzed status, Content-Type and body, envelopes and expiresAt included;
// sourcetest.CheckLogin says what must hold. The seeds are the fake's
// real answers.
func FuzzLoginResponse(f *testing.F) {
	srv := xpaytest.NewServer()
	defer srv.Close()
	rt := srv.Transport()
	url := srv.URL + xpay.AuthenticatePath
	login := `{"username":"` + xpaytest.Username + `","secretKey":"` + xpaytest.SecretKey + `","isAPI":true}`
	seeds := sourcetest.SeedFaults(f, srv, url, nil, login)
	seeds = append(seeds,
		sourcetest.Capture(f, rt, "POST", url, nil, `{"username":"`+xpaytest.Username+`","secretKey":"`+xpaytest.SecretKey+`"}`), // 200 invalid request
		sourcetest.Capture(f, rt, "POST", url, nil, `{"username":`),                                                              // 400 invalid JSON
	)
	f.Add(200, "application/json", []byte(`{"success":{"data":{"access_token":"t","expiresAt":253402300800000}}}`))
	f.Add(200, "application/json", []byte(`{"success":{"data":{"access_token":"t","expiresAt":-1}},"error":null}`))
	sourcetest.FuzzLogin(f, "xpay", seeds, func(hc *http.Client) *loginauth.Source {
		return xpay.NewSource(xpay.Config{BaseURL: "https://xpay.example", Username: "alice@example.test", SecretKey: sourcetest.FuzzPassword, HTTPClient: hc, Options: sourcetest.FuzzOptions})
	}, sourcetest.FuzzPassword)
}

// TestDefaultRefusedBodyIntact checks that the caller reads the body that
// the server sent, whatever DefaultRefused decided, and that closing it
// closes the original; and that DefaultRefused reads nothing of a body
// that is not JSON or is declared longer than the peek.
func TestDefaultRefusedBodyIntact(t *testing.T) {
	long := `{"success":{"message":"Done","data":"` + strings.Repeat("x", 2*xpay.PeekLimit) + `"}}`
	for _, tt := range []struct {
		name, ct, body string
		declared       bool
		refused        bool
		reads          bool
	}{
		{"refusal", "application/json", `{"error":{"message":"jwt expired","data":{},"tag":"t"},"uuid":"u"}` + "\n", true, true, true},
		{"refusal, uuid first", "", `{"uuid":"u","error":{"tag":"t","data":{"a":[1,2]},"message":"The token has been revoked."}}`, false, true, true},
		{"business error", "application/json; charset=utf-8", `{"error":{"message":"bill not found","data":{"reference":"r"}},"uuid":"u"}`, true, false, true},
		{"success", "application/json", `{"success":{"message":"bill created","data":{}},"uuid":"u"}`, false, false, true},
		{"uuid in success", "application/json", `{"success":{"message":"Authenticated","data":{},"uuid":"u"}}`, false, false, true},
		{"longer than the peek", "application/json", long, false, false, true},
		{"declared longer than the peek", "application/json", long, true, false, false},
		{"not JSON", "text/plain", `{"error":{"message":"jwt expired"}}`, false, false, false},
		{"HTML", "text/html", `<html>jwt expired</html>`, true, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			body := &sourcetest.CountingBody{R: strings.NewReader(tt.body)}
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: body, ContentLength: -1}
			if tt.ct != "" {
				resp.Header.Set("Content-Type", tt.ct)
			}
			if tt.declared {
				resp.ContentLength = int64(len(tt.body))
			}
			is.Equal(xpay.DefaultRefused(resp), tt.refused)
			is.Equal(body.N > 0, tt.reads)      // read only what it may
			is.True(body.N <= xpay.PeekLimit+1) // the peek, and one byte to know that the body goes on
			b, err := io.ReadAll(resp.Body)
			is.NoErr(err)
			is.Equal(string(b), tt.body) // byte for byte
			is.NoErr(resp.Body.Close())
			is.True(body.Closed) // the original is closed
		})
	}
}

// TestStoreKeyKept checks that a token stored by an earlier version, under
// the key it wrote, is found: the key below is what xpay wrote before it
// became a description.
func TestStoreKeyKept(t *testing.T) {
	sourcetest.FindsStored(t, "xpay https://apis.xpay.stream alice@example.com", func(hc *http.Client, o loginauth.Options) *loginauth.Source {
		return xpay.NewSource(xpay.Config{BaseURL: xpay.ProductionURL, Username: "alice@example.com", SecretKey: "sk", HTTPClient: hc, Options: o})
	})
}
