package loginauth_test

// Fault injection for what only some providers have: MIC's refresh call
// and its JWT exp claims, xPay's expiresAt.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic"
	"github.com/loginauth/loginauth/xpay"
)

// TestHardeningMICRefreshFaults makes MIC's refresh endpoint (and the
// login it falls back on) fail in each way, after a token the API
// refused: the refresh failure says what was wrong, the caller gets a
// clear error after one refresh and at most one login, and once the
// endpoints work the kept refresh token renews the token.
func TestHardeningMICRefreshFaults(t *testing.T) {
	p := sourcetest.Providers[0]
	for _, fc := range hFaultCases {
		t.Run(fc.fault.String(), func(t *testing.T) {
			is := is.New(t)
			var mu sync.Mutex
			var refreshErr error
			e := hSetup(t, p, loginauth.Options{LoginTimeout: fc.timeout, OnEvent: func(ev loginauth.Event) {
				if ev.Kind == loginauth.EventFailure && ev.Op == "refresh" {
					mu.Lock()
					refreshErr = ev.Err
					mu.Unlock()
				}
			}})
			tok, err := e.src.Token()
			is.NoErr(err)
			e.f.SetFault(fc.fault)
			e.src.Invalidate(tok) // as the Transport does when the API refuses it

			start := time.Now()
			_, err = e.src.Token()
			elapsed := time.Since(start)
			is.True(err != nil)
			t.Logf("caller got: %v", err)
			hContains(t, err.Error(), "mic: login failed")
			mu.Lock()
			rerr := refreshErr
			mu.Unlock()
			is.True(rerr != nil) // the refresh failed first
			t.Logf("refresh failed with: %v", rerr)
			hContains(t, rerr.Error(), "mic: refresh failed")
			want := fc.want
			if fc.fault == loginauthtest.FaultBadCredentials {
				// A refused refresh token is not a refusal of the
				// password; the login that follows is.
				want = []string{"HTTP 401", "Invalid refresh token"}
				hContains(t, err.Error(), "(credentials refused)")
			}
			for _, w := range want {
				hContains(t, rerr.Error(), strings.ReplaceAll(w, "{missing}", p.Missing))
			}
			limit := 5 * time.Second
			if fc.timeout > 0 {
				limit = fc.timeout + time.Second
			}
			is.True(elapsed < limit)            // bounded by the login timeout
			is.Equal(e.f.Refreshes(), int64(1)) // one refresh
			is.True(e.f.Logins() <= 2)          // and at most one login to fall back on

			e.f.SetFault(loginauthtest.NoFault)
			e.f.Advance(2 * time.Minute)
			is.NoErr(e.do(context.Background()))
			is.Equal(e.f.Refreshes(), int64(2)) // the refresh token was kept and renews the token
		})
	}
}

// hJWT returns an unsigned JWT with the given payload.
func hJWT(payload string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + ".c2lnbmF0dXJl"
}

// TestHardeningMICAbsurdJWTClaims serves MIC logins whose token has a
// negative, zero, past, absurd or unreadable exp claim: the Source falls
// back on the lifetime, and does not log in again on every call. A sane
// claim is taken as it is.
func TestHardeningMICAbsurdJWTClaims(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	fallback := now.Add(mic.DefaultLifetime)
	for _, tc := range []struct {
		name  string
		token string
		want  time.Time
	}{
		{"negative", hJWT(`{"exp":-1}`), fallback},
		{"zero", hJWT(`{"exp":0}`), fallback},
		{"tiny", hJWT(`{"exp":1e-10}`), fallback},
		{"past", hJWT(fmt.Sprintf(`{"exp":%d,"iat":%d}`, now.Add(-time.Hour).Unix(), now.Unix())), fallback},
		{"now", hJWT(fmt.Sprintf(`{"exp":%d}`, now.Unix())), fallback},
		{"year-10000", hJWT(`{"exp":253402300800}`), fallback},
		{"float-overflow", hJWT(`{"exp":1e300}`), fallback},
		{"int-overflow", hJWT(`{"exp":99999999999999999999}`), fallback},
		{"string", hJWT(`{"exp":"tomorrow"}`), fallback},
		{"null", hJWT(`{"exp":null}`), fallback},
		{"no-exp", hJWT(`{"sub":"alice"}`), fallback},
		{"payload-not-json", hJWT(`exp`), fallback},
		{"payload-not-base64", "eyJhbGciOiJub25lIn0.%%%.c2ln", fallback},
		{"opaque", "0123456789abcdef", fallback},
		{"huge", hJWT(fmt.Sprintf(`{"exp":%d,"pad":"%s"}`, now.Add(time.Hour).Unix(), strings.Repeat("a", 20<<10))), fallback},
		{"sane", hJWT(fmt.Sprintf(`{"exp":%d}`, now.Add(10*time.Minute).Unix())), now.Add(10 * time.Minute)},
		{"year-9999", hJWT(`{"exp":253402300799}`), time.Unix(253402300799, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			hNoLeak(t)
			var logins atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				logins.Add(1)
				io.Copy(io.Discard, r.Body)
				loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{
					"credentials": map[string]string{"identityId": "eu-west-1:id", "token": tc.token, "refreshToken": "rt"},
				})
			}))
			t.Cleanup(srv.Close)
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			src := mic.NewSource(mic.Config{
				BaseURL: srv.URL + "/prod", APIKey: "key", Username: "alice", Password: "pass",
				HTTPClient: &http.Client{Transport: tr}, Options: loginauth.Options{Now: func() time.Time { return now }},
			})
			for range 5 {
				tok, err := src.Token()
				is.NoErr(err)
				is.True(tok.Expiry.Equal(tc.want)) // the claim, or the lifetime
			}
			is.Equal(logins.Load(), int64(1)) // one login
		})
	}
}

// hXPay is a small xPay API whose logins state the expiresAt of the test
// and whose balance endpoint accepts the last token issued only.
type hXPay struct {
	*httptest.Server
	expiresAt string // a JSON number
	logins    atomic.Int64
	current   atomic.Value // string: the token accepted
}

func newHXPay(expiresAt string) *hXPay {
	x := &hXPay{expiresAt: expiresAt}
	x.current.Store("")
	x.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case xpay.AuthenticatePath:
			tok := "tok-" + strconv.FormatInt(x.logins.Add(1), 10)
			x.current.Store(tok)
			fmt.Fprintf(w, `{"success":{"message":"Authenticated","data":{"access_token":%q,"expiresAt":%s}},"uuid":"u"}`, tok, x.expiresAt)
		default:
			if r.Header.Get("Authorization") != "Bearer "+x.current.Load().(string) {
				io.WriteString(w, `{"error":{"message":"jwt expired","data":{"unauthorized":true},"tag":"t"},"uuid":"u"}`)
				return
			}
			io.WriteString(w, `{"success":{"message":"Balance","data":{"balance":"1.00"}},"uuid":"u"}`)
		}
	}))
	return x
}

// TestHardeningXPayExpiresAt serves xPay logins whose expiresAt is far in
// the future, in seconds rather than milliseconds, in the past, negative
// or absent: the Source keeps working, logs in once for many calls, and
// when the API refuses a token it still thinks valid, logs in once more
// and re-sends the request.
func TestHardeningXPayExpiresAt(t *testing.T) {
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
			hNoLeak(t)
			x := newHXPay(tc.expiresAt)
			t.Cleanup(x.Close)
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			src := xpay.NewSource(xpay.Config{
				BaseURL: x.URL, Username: "alice@example.test", SecretKey: "secret",
				HTTPClient: &http.Client{Transport: tr}, Options: loginauth.Options{Now: func() time.Time { return now }},
			})
			client := &http.Client{Transport: loginauth.NewTransport(src, tr)}
			balance := func() string {
				resp, err := client.Post(x.URL+"/client/balance", "application/json", strings.NewReader(`{}`))
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
			is.True(strings.Contains(balance(), `"balance"`))

			x.current.Store("revoked")                        // the API no longer takes the token
			is.True(strings.Contains(balance(), `"balance"`)) // refused, renewed, re-sent
			is.Equal(x.logins.Load(), int64(2))               // with one login
			is.Equal(src.Stats().Retries, int64(1))
		})
	}
}

// TestHardeningXPayExpiresAtBeyondYear9999 serves an expiresAt past year
// 9999: like a JWT exp claim that far, it must not be taken as the
// token's expiry, which no Store could encode.
func TestHardeningXPayExpiresAtBeyondYear9999(t *testing.T) {
	for _, expiresAt := range []string{"253402300800000", "1e17", "1e300"} {
		t.Run(expiresAt, func(t *testing.T) {
			is := is.New(t)
			hNoLeak(t)
			x := newHXPay(expiresAt)
			t.Cleanup(x.Close)
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			store := &loginauth.MemoryStore{}
			cfg := xpay.Config{
				BaseURL: x.URL, Username: "alice@example.test", SecretKey: "secret",
				HTTPClient: &http.Client{Transport: tr}, Options: loginauth.Options{Store: store},
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
