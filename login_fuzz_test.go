package loginauth_test

// Fuzz targets for the providers' response parsers, driven from outside:
// a Source per input whose HTTP client answers with the fuzzed status,
// Content-Type and body. The seeds are the fakes' real answers, captured
// at the start of each target. RELIABILITY.md says how to run them.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/mic/mictest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// The credentials of the fuzzed Sources: none appears in the seeds, so an
// error that shows one made it up from what the Source sent.
const (
	fuzzPassword = "fuzz-Passw0rd-91f3"
	fuzzAPIKey   = "fuzz-ApiKey-7c2e0d"
	fuzzRefresh  = "fuzz-Refresh-0d8b5a"
)

// fuzzAnswer is a captured or fuzzed HTTP answer.
type fuzzAnswer struct {
	status int
	ct     string
	body   []byte
}

// fuzzCapture sends a JSON request to a fake and returns its answer.
func fuzzCapture(f *testing.F, method, url string, header http.Header, body string) fuzzAnswer {
	f.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		f.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.Fatal(err)
	}
	return fuzzAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

// fuzzFaults are the faults whose answers seed the login targets.
var fuzzFaults = []loginauthtest.Fault{
	loginauthtest.NoFault, loginauthtest.Fault500, loginauthtest.FaultHTML502,
	loginauthtest.FaultMalformedJSON, loginauthtest.FaultEmptyBody,
	loginauthtest.FaultNoToken, loginauthtest.FaultBadCredentials,
}

// fuzzSeedFaults captures the answer of a fake's login to each fault.
func fuzzSeedFaults(f *testing.F, fake interface{ SetFault(loginauthtest.Fault) }, url string, header http.Header, body string) []fuzzAnswer {
	f.Helper()
	var out []fuzzAnswer
	for _, fault := range fuzzFaults {
		fake.SetFault(fault)
		out = append(out, fuzzCapture(f, http.MethodPost, url, header, body))
	}
	fake.SetFault(loginauthtest.NoFault)
	return out
}

// fuzzAdd adds the answers to f's seed corpus.
func fuzzAdd(f *testing.F, answers []fuzzAnswer) {
	for _, a := range answers {
		f.Add(a.status, a.ct, a.body)
	}
	// And a few by hand: a JWT whose exp is absurd, an odd status, no type.
	f.Add(200, "", []byte(`{"credentials":{"token":"a.eyJleHAiOi0xfQ.c"},"authToken":"a.eyJleHAiOjFlMzAwfQ.c","auth_token":"x","success":{"data":{"access_token":"x","expiresAt":1e300}}}`))
	f.Add(299, "application/problem+json", []byte(`{"message":{"message":{"message":"deep"}},"detail":["x"],"error":{"message":7}}`))
	f.Add(418, "text/plain", []byte("\x00\xff"))
}

// fuzzRoundTripper answers every request with status, ct and body, and
// answers requests to the paths in other with theirs.
func fuzzRoundTripper(status int, ct string, body []byte, other map[string]fuzzAnswer) http.RoundTripper {
	if status < 100 || status > 599 {
		status = http.StatusOK
	}
	return hRoundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		a := fuzzAnswer{status, ct, body}
		for suffix, o := range other {
			if strings.HasSuffix(r.URL.Path, suffix) {
				a = o
			}
		}
		h := http.Header{}
		if a.ct != "" {
			h.Set("Content-Type", a.ct)
		}
		return &http.Response{
			Status:     fmt.Sprintf("%d %s", a.status, http.StatusText(a.status)),
			StatusCode: a.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body)), Request: r,
		}, nil
	})
}

// fuzzEchoed reports whether the answer holds s itself: in its bytes, or
// in a JSON string or key once unescaped. An error may quote what the
// provider said, but must never add a credential of its own.
func fuzzEchoed(body []byte, s string) bool {
	if bytes.Contains(body, []byte(s)) {
		return true
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.Contains(v, s)
		case []any:
			for _, x := range v {
				if walk(x) {
					return true
				}
			}
		case map[string]any:
			for k, x := range v {
				if strings.Contains(k, s) || walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// fuzzCheck checks the outcome of a login that got body: a token or an
// error, never both or neither; an error that names the provider and the
// call and shows no secret the answer did not hold; a token that has not
// expired already.
func fuzzCheck(t *testing.T, prefix string, tok *oauth2.Token, err error, body []byte, secrets ...string) {
	t.Helper()
	switch {
	case err == nil && tok == nil:
		t.Fatal("neither a token nor an error")
	case err != nil && tok != nil:
		t.Fatalf("both a token and an error: %v", err)
	case err != nil:
		if !strings.HasPrefix(err.Error(), prefix) {
			t.Fatalf("error %q does not start with %q", err, prefix)
		}
		out := hPrint(err)
		for _, s := range secrets {
			if strings.Contains(out, s) && !fuzzEchoed(body, s) {
				t.Fatalf("the error shows a secret that the answer did not hold: %s", out)
			}
		}
	case tok.AccessToken == "":
		t.Fatal("a token without an access token")
	case !tok.Expiry.After(time.Now()):
		t.Fatalf("a token that expired already, at %v", tok.Expiry)
	}
}

// fuzzLogin is a login target: a fresh Source of the provider per input,
// whose login gets the fuzzed answer.
func fuzzLogin(f *testing.F, name string, seeds []fuzzAnswer, source func(hc *http.Client) *loginauth.Source, secrets ...string) {
	fuzzAdd(f, seeds)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		src := source(&http.Client{Transport: fuzzRoundTripper(status, ct, body, nil)})
		tok, err := src.Token()
		fuzzCheck(t, name+": login failed", tok, err, body, secrets...)
	})
}

// fuzzOptions are the Options of a fuzzed Source: no backoff, so that
// nothing outlives the input.
var fuzzOptions = loginauth.Options{MinBackoff: -1}

func FuzzMICLoginResponse(f *testing.F) {
	srv := mictest.NewServer()
	key := http.Header{"X-Api-Key": {mictest.APIKey}}
	url := srv.BaseURL() + mic.LoginPath
	login := `{"userName":"alice","password":"` + mictest.Password + `"}`
	seeds := fuzzSeedFaults(f, srv, url, key, login)
	seeds = append(seeds,
		fuzzCapture(f, "POST", url, http.Header{"X-Api-Key": {"wrong"}}, login),    // 403 from the gateway
		fuzzCapture(f, "POST", url, key, `{"userName":"alice"}`),                   // 400 PROPERTY_REQUIRED
		fuzzCapture(f, "POST", url, key, `{"userName":"alice","password":"nope"}`), // 401 INVALID_LOGIN
		fuzzCapture(f, "POST", url, key, `{"userName":"alice","password":`),        // 400 from the gateway
	)
	srv.ErrorWrapper = mictest.WrapMessage
	seeds = append(seeds, fuzzCapture(f, "POST", url, key, `{"userName":"alice","password":"nope"}`))
	srv.Close()
	fuzzLogin(f, "mic", seeds, func(hc *http.Client) *loginauth.Source {
		return mic.NewSource(mic.Config{BaseURL: "https://mic.example/prod", APIKey: fuzzAPIKey, Username: "alice", Password: fuzzPassword, HTTPClient: hc, Options: fuzzOptions})
	}, fuzzPassword, fuzzAPIKey)
}

func FuzzXanoLoginResponse(f *testing.F) {
	srv := xanotest.NewServer()
	url := srv.BaseURL() + xano.LoginPath
	login := `{"email":"` + xanotest.Email + `","password":"` + xanotest.Password + `"}`
	seeds := fuzzSeedFaults(f, srv, url, nil, login)
	seeds = append(seeds,
		fuzzCapture(f, "POST", url, nil, `{"email":"`+xanotest.Email+`","password":"nope"}`), // 403 ACCESS_DENIED
		fuzzCapture(f, "POST", url, nil, `{"email":"`+xanotest.Email+`"}`),                   // 400 missing param
		fuzzCapture(f, "POST", url, nil, `{"email":`),                                        // 400 unparsable
	)
	srv.Close()
	fuzzLogin(f, "xano", seeds, func(hc *http.Client) *loginauth.Source {
		return xano.NewSource(xano.Config{BaseURL: "https://x.example/api:test", Email: "alice@example.test", Password: fuzzPassword, HTTPClient: hc, Options: fuzzOptions})
	}, fuzzPassword)
}

func FuzzCruxLoginResponse(f *testing.F) {
	srv := cruxtest.NewServer()
	url := srv.URL + crux.LoginPath
	login := `{"username":"alice","password":"` + cruxtest.Password + `"}`
	seeds := fuzzSeedFaults(f, srv, url, nil, login)
	seeds = append(seeds,
		fuzzCapture(f, "POST", url, nil, `{"username":"alice","password":"nope"}`), // 401 detail
		fuzzCapture(f, "POST", url, nil, `{"password":""}`),                        // 400 field errors
		fuzzCapture(f, "POST", url, nil, `{"username":`),                           // 400 parse error
	)
	srv.Close()
	f.Add(415, "application/json", []byte(`{"detail":"Unsupported media type \"text/plain\" in request."}`))
	f.Add(400, "application/json", []byte(`{"non_field_errors":["Unable to log in with provided credentials."]}`))
	fuzzLogin(f, "crux", seeds, func(hc *http.Client) *loginauth.Source {
		return crux.NewSource(crux.Config{BaseURL: "https://crux.example", Username: "alice", Password: fuzzPassword, HTTPClient: hc, Options: fuzzOptions})
	}, fuzzPassword)
}

func FuzzXPayLoginResponse(f *testing.F) {
	srv := xpaytest.NewServer()
	url := srv.URL + xpay.AuthenticatePath
	login := `{"username":"` + xpaytest.Username + `","secretKey":"` + xpaytest.SecretKey + `","isAPI":true}`
	seeds := fuzzSeedFaults(f, srv, url, nil, login)
	seeds = append(seeds,
		fuzzCapture(f, "POST", url, nil, `{"username":"`+xpaytest.Username+`","secretKey":"`+xpaytest.SecretKey+`"}`), // 200 invalid request
		fuzzCapture(f, "POST", url, nil, `{"username":`),                                                              // 400 invalid JSON
	)
	srv.Close()
	f.Add(200, "application/json", []byte(`{"success":{"data":{"access_token":"t","expiresAt":253402300800000}}}`))
	f.Add(200, "application/json", []byte(`{"success":{"data":{"access_token":"t","expiresAt":-1}},"error":null}`))
	fuzzLogin(f, "xpay", seeds, func(hc *http.Client) *loginauth.Source {
		return xpay.NewSource(xpay.Config{BaseURL: "https://xpay.example", Username: "alice@example.test", SecretKey: fuzzPassword, HTTPClient: hc, Options: fuzzOptions})
	}, fuzzPassword)
}

// FuzzMICRefreshResponse logs in with a fixed answer, then gives the
// refresh call the fuzzed one. The refresh succeeds or fails with an
// error that shows no secret; either way the caller gets a token (from
// the login it falls back on), with an identityId and a refresh token.
func FuzzMICRefreshResponse(f *testing.F) {
	srv := mictest.NewServer()
	key := http.Header{"X-Api-Key": {mictest.APIKey}}
	login := fuzzCapture(f, "POST", srv.BaseURL()+mic.LoginPath, key, `{"userName":"alice","password":"`+mictest.Password+`"}`)
	var creds struct {
		Credentials struct{ RefreshToken string } `json:"credentials"`
	}
	if err := json.Unmarshal(login.body, &creds); err != nil {
		f.Fatal(err)
	}
	url := srv.BaseURL() + mic.RefreshPath
	refresh := `{"refreshToken":"` + creds.Credentials.RefreshToken + `"}`
	seeds := fuzzSeedFaults(f, srv, url, key, refresh)
	srv.RotateRefreshToken = true
	seeds = append(seeds,
		fuzzCapture(f, "POST", url, key, refresh),                      // a new refresh token
		fuzzCapture(f, "POST", url, key, `{"refreshToken":"unknown"}`), // 401 INVALID_LOGIN
		fuzzCapture(f, "POST", url, key, `{}`),                         // 400 PROPERTY_REQUIRED
	)
	srv.Close()
	fuzzAdd(f, seeds)

	answer := fmt.Sprintf(`{"credentials":{"identityId":"eu-west-1:id","token":%q,"refreshToken":%q}}`,
		loginauthtest.JWT(time.Now().Add(time.Hour), nil), fuzzRefresh)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		var mu sync.Mutex
		var refreshed int
		var failure error
		rt := fuzzRoundTripper(status, ct, body, map[string]fuzzAnswer{mic.LoginPath: {200, "application/json", []byte(answer)}})
		src := mic.NewSource(mic.Config{
			BaseURL: "https://mic.example/prod", APIKey: fuzzAPIKey, Username: "alice", Password: fuzzPassword,
			HTTPClient: &http.Client{Transport: rt},
			Options: loginauth.Options{MinBackoff: -1, OnEvent: func(ev loginauth.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case ev.Kind == loginauth.EventRefresh:
					refreshed++
				case ev.Kind == loginauth.EventFailure && ev.Op == "refresh":
					failure = ev.Err
				}
			}},
		})
		old, err := src.Token()
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		src.Invalidate(old) // as a Transport does when the API refuses it
		tok, err := src.Token()
		fuzzCheck(t, "mic: ", tok, err, body)
		if err != nil {
			t.Fatalf("no fallback to the login after the refresh: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if (refreshed == 1) == (failure != nil) {
			t.Fatalf("%d refreshes and failure %v; want one or the other", refreshed, failure)
		}
		if failure != nil {
			fuzzCheck(t, "mic: refresh failed", nil, failure, body, fuzzPassword, fuzzAPIKey, fuzzRefresh, old.AccessToken)
		}
		if id, _ := tok.Extra("identityId").(string); id == "" || tok.RefreshToken == "" {
			t.Fatalf("the token lost its identityId %q or its refresh token %q", id, tok.RefreshToken)
		}
	})
}

// fuzzRefused checks a Scheme's refusal check on the fuzzed response: it
// reads at most its peek, and leaves the body byte for byte for the
// caller, closing the original when the caller closes it. A status
// outside 100..599 is sent as 200; it returns the status it sent.
func fuzzRefused(t *testing.T, refused func(*http.Response) bool, status int, ct string, body []byte, pad uint16, declared bool) (bool, int) {
	t.Helper()
	if status < 100 || status > 599 {
		status = http.StatusOK
	}
	body = append(body, bytes.Repeat([]byte{' '}, int(pad))...) // still JSON, perhaps too long
	rc := &fuzzBody{r: bytes.NewReader(body)}
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: rc, ContentLength: -1}
	if ct != "" {
		resp.Header.Set("Content-Type", ct)
	}
	if declared {
		resp.ContentLength = int64(len(body))
	}
	got := refused(resp)
	if rc.n > 16<<10+1 {
		t.Fatalf("the refusal check read %d bytes", rc.n)
	}
	if declared && len(body) > 16<<10 && rc.n != 0 {
		t.Fatalf("the refusal check read %d bytes of a body declared too long", rc.n)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(rest, body) {
		t.Fatalf("the caller read %d bytes (%v); want the %d sent", len(rest), err, len(body))
	}
	resp.Body.Close()
	if !rc.closed {
		t.Fatal("closing the body did not close the original")
	}
	if status == http.StatusUnauthorized && !got {
		t.Fatal("a 401 is not a refusal")
	}
	return got, status
}

// fuzzBody is a response body that counts what is read of it.
type fuzzBody struct {
	r      io.Reader
	n      int
	closed bool
}

func (b *fuzzBody) Read(p []byte) (int, error) { n, err := b.r.Read(p); b.n += n; return n, err }
func (b *fuzzBody) Close() error               { b.closed = true; return nil }

func FuzzMICDefaultRefused(f *testing.F) {
	srv := mictest.NewServer()
	users := srv.BaseURL() + "/users/"
	key := http.Header{"X-Api-Key": {mictest.APIKey}}
	login := fuzzCapture(f, "POST", srv.BaseURL()+mic.LoginPath, key, `{"userName":"alice","password":"`+mictest.Password+`"}`)
	var creds struct {
		Credentials struct{ Token, IdentityID string } `json:"credentials"`
	}
	json.Unmarshal(login.body, &creds)
	auth := http.Header{"X-Api-Key": {mictest.APIKey}, "Authorization": {creds.Credentials.Token}, "Identityid": {creds.Credentials.IdentityID}}
	srv.AddUser("bob", "bob-pass")
	for _, a := range []fuzzAnswer{
		fuzzCapture(f, "GET", users+"alice", auth, ""),                                // 200
		fuzzCapture(f, "GET", users+"bob", auth, ""),                                  // 403 NOT_AUTHORIZED
		fuzzCapture(f, "GET", users+"carol", auth, ""),                                // 404 USER_NOT_FOUND
		fuzzCapture(f, "GET", users+"alice", key, ""),                                 // 403 Forbidden
		fuzzCapture(f, "GET", users+"alice", http.Header{"Authorization": {"x"}}, ""), // 403 Forbidden
		fuzzCapture(f, "GET", users+"alice", http.Header{"X-Api-Key": {mictest.APIKey}, "Authorization": {"x"}, "Identityid": {"y"}}, ""), // 401
	} {
		f.Add(a.status, a.ct, a.body, uint16(0), true)
	}
	srv.Advance(2 * time.Hour)
	a := fuzzCapture(f, "GET", users+"alice", auth, "") // 401 expired
	srv.Close()
	f.Add(a.status, a.ct, a.body, uint16(0), false)
	f.Add(403, "application/json", []byte(`{"message":"Missing Authentication Token"}`), uint16(0), false)
	f.Add(403, "", []byte(`{"message":"The incoming token has expired"}`), uint16(20000), false)
	f.Add(403, "text/html", []byte(`<html>token</html>`), uint16(0), true)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, pad uint16, declared bool) {
		got, status := fuzzRefused(t, mic.DefaultRefused, status, ct, body, pad, declared)
		if got && status != http.StatusUnauthorized && status != http.StatusForbidden {
			t.Fatalf("HTTP %d taken for a refusal", status)
		}
	})
}

func FuzzXPayDefaultRefused(f *testing.F) {
	srv := xpaytest.NewServer()
	auth := fuzzCapture(f, "POST", srv.URL+xpay.AuthenticatePath, nil,
		`{"username":"`+xpaytest.Username+`","secretKey":"`+xpaytest.SecretKey+`","isAPI":true}`)
	var v struct {
		Success struct {
			Data struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
		} `json:"success"`
	}
	json.Unmarshal(auth.body, &v)
	balance := srv.URL + xpaytest.BillsSavePath
	bearer := http.Header{"Authorization": {"Bearer " + v.Success.Data.AccessToken}}
	answers := []fuzzAnswer{
		auth,
		fuzzCapture(f, "POST", balance, bearer, `{}`),                                     // success
		fuzzCapture(f, "POST", balance, nil, `{}`),                                        // jwt must be provided
		fuzzCapture(f, "POST", balance, http.Header{"Authorization": {"Bearer x"}}, `{}`), // invalid token
	}
	srv.RefuseWith401 = true
	answers = append(answers, fuzzCapture(f, "POST", balance, nil, `{}`))
	srv.RefuseWith401 = false
	srv.Advance(2 * time.Hour)
	answers = append(answers, fuzzCapture(f, "POST", balance, bearer, `{}`)) // jwt expired
	srv.Close()
	for _, a := range answers {
		f.Add(a.status, a.ct, a.body, uint16(0), true)
	}
	f.Add(200, "", []byte(`{"error":{"message":"insufficient balance"}}`), uint16(17000), false)
	f.Add(200, "text/plain", []byte(`{"error":{"message":"jwt expired"}}`), uint16(0), false)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, pad uint16, declared bool) {
		got, status := fuzzRefused(t, xpay.DefaultRefused, status, ct, body, pad, declared)
		if got && status != http.StatusUnauthorized && status != http.StatusForbidden && status != http.StatusOK {
			t.Fatalf("HTTP %d taken for a refusal", status)
		}
	})
}
