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
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// config returns a Config for the default account of srv, on its clock.
func config(srv *xpaytest.Server) xpay.Config {
	return xpay.Config{
		BaseURL:   srv.URL,
		Username:  xpaytest.Username,
		SecretKey: xpaytest.SecretKey,
		Options:   loginauth.Options{Now: srv.Now},
	}
}

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

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
	src := xpay.NewSource(config(srv))

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
	cfg := config(srv)
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
			src := xpay.NewSource(config(srv))
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
	src := xpay.NewSource(config(srv))
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
	cfg := config(srv)
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

func TestExpiredTokenRenewed(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	src := xpay.NewSource(config(srv))
	_, err := src.Token()
	is.NoErr(err)
	srv.Advance(xpaytest.DefaultLifetime) // expired by expiresAt: renewed before the request
	status, _, err := bill(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(2))
	is.Equal(srv.Refused(), int64(0))
}

// envelope is a base transport that answers every request with status
// 200, Content-Type ct and body, without a server.
func envelope(ct, body string, declared int64) http.RoundTripper {
	return roundTripperFunc(func(r *http.Request) (*http.Response, error) {
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
			src := xpay.NewSource(config(srv))
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
	cfg := config(srv)
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
	cfg := config(srv)
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
			src := xpay.NewSource(config(srv))
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
