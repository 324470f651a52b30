package xano_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
)

// config returns a Config for the default account of srv, on its clock.
func config(srv *xanotest.Server) xano.Config {
	return xano.Config{
		BaseURL:  srv.BaseURL(),
		Email:    xanotest.Email,
		Password: xanotest.Password,
		Options:  loginauth.Options{Now: srv.Now},
	}
}

// me sends GET {base}/auth/me through a Transport of src.
func me(t *testing.T, srv *xanotest.Server, src *loginauth.Source, base http.RoundTripper) (int, map[string]any, error) {
	t.Helper()
	client := &http.Client{Transport: loginauth.NewTransport(src, base)}
	resp, err := client.Get(srv.BaseURL() + xano.MePath)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding /auth/me: %v", err)
	}
	return resp.StatusCode, body, nil
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	src := xano.NewSource(config(srv))

	var auth string
	base := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		auth = r.Header.Get("Authorization")
		return http.DefaultTransport.RoundTrip(r)
	})
	status, body, err := me(t, srv, src, base)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the fake accepts the bearer token
	is.Equal(body["email"], xanotest.Email)
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(auth, "Bearer "+tok.AccessToken)
	is.Equal(srv.Logins(), int64(1))
	is.Equal(srv.Requests(), int64(1))

	// The JWE cannot be read: the expiry is the configured lifetime.
	is.Equal(tok.Expiry.Sub(srv.Now()).Round(time.Minute), xano.DefaultLifetime)
}

func TestLifetime(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.SetLifetime(time.Hour) // a login endpoint configured for an hour
	cfg := config(srv)
	cfg.Lifetime = time.Hour
	src := xano.NewSource(cfg)
	_, err := src.Token()
	is.NoErr(err)

	srv.Advance(time.Hour + time.Second) // expired on both sides
	status, _, err := me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(2)) // logged in again before the request
	is.Equal(srv.Refused(), int64(0))
}

func TestRefusedRetried(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	src := xano.NewSource(config(srv))
	_, err := src.Token()
	is.NoErr(err)
	srv.RevokeAll() // 401 ERROR_CODE_UNAUTHORIZED
	status, _, err := me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Refused(), int64(1))
	is.Equal(srv.Logins(), int64(2))
	is.Equal(src.Stats().Retries, int64(1))
}

func TestBadCredentials(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	const wrong = "wrong-password-123"
	cfg := config(srv)
	cfg.Password = wrong
	src := xano.NewSource(cfg)

	_, _, err := me(t, srv, src, nil)
	is.True(err != nil)
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Provider, "xano")
	is.Equal(le.Op, "login")
	is.Equal(le.Status, http.StatusForbidden)
	is.Equal(le.Code, xanotest.CodeAccessDenied)
	is.Equal(le.Message, "Invalid Credentials.")
	is.True(le.BadCredentials)
	is.True(!strings.Contains(err.Error(), wrong)) // no password in the error
	is.Equal(srv.Requests()+srv.Refused(), int64(0))
}

func TestSignup(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	cfg := config(srv)
	cfg.Email, cfg.Password = "zed@example.test", "zeds-password"

	src, err := xano.Signup(context.Background(), cfg, "Zed")
	is.NoErr(err)
	is.Equal(srv.Logins(), int64(1)) // the signup
	status, body, err := me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK) // the signup token is used
	is.Equal(body["name"], "Zed")
	is.Equal(body["email"], "zed@example.test")
	is.Equal(srv.Logins(), int64(1)) // no login after the signup

	// When the signup token is refused, the Source logs in.
	srv.RevokeAll()
	status, _, err = me(t, srv, src, nil)
	is.NoErr(err)
	is.Equal(status, http.StatusOK)
	is.Equal(srv.Logins(), int64(2))

	// A second signup of the address fails with Xano's error.
	_, err = xano.Signup(context.Background(), cfg, "Zed")
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Op, "signup")
	is.Equal(le.Status, http.StatusForbidden)
	is.Equal(le.Code, xanotest.CodeAccessDenied)
	is.Equal(le.Message, "This account is already in use.")
	is.True(!le.BadCredentials)
	is.True(!strings.Contains(err.Error(), "zeds-password"))
}

func TestSignupFault(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.SetFault(loginauthtest.FaultNoToken)
	cfg := config(srv)
	cfg.Email = "zed@example.test"
	_, err := xano.Signup(context.Background(), cfg, "Zed")
	is.True(err != nil)
	is.True(strings.HasPrefix(err.Error(), "xano: signup failed")) // names the call
	is.True(strings.Contains(err.Error(), "no authToken"))
}
