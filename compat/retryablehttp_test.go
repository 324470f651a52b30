package compat

import (
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xano/xanotest"
)

// retrying returns a go-retryablehttp client that sends through rt, with
// up to 4 retries a few milliseconds apart, and counts its attempts.
func retrying(rt http.RoundTripper, attempts *atomic.Int64) *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{Transport: rt}
	c.RetryMax = 4
	c.RetryWaitMin, c.RetryWaitMax = 10*time.Millisecond, 50*time.Millisecond
	c.Logger = nil
	c.RequestLogHook = func(retryablehttp.Logger, *http.Request, int) { attempts.Add(1) }
	return c
}

// A retrying client as a provider's login HTTPClient multiplies the
// password POSTs: five for one login attempt.
func TestRetryablehttpAsLoginClientMultipliesPasswordPosts(t *testing.T) {
	srv := xanotest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		srv.SetFault(loginauthtest.Fault500)
		var attempts atomic.Int64
		src := xano.NewSource(xano.Config{
			BaseURL: srv.BaseURL(), Email: xanotest.Email, Password: xanotest.Password,
			HTTPClient: retrying(srv.Transport(), &attempts).StandardClient(),
		})
		_, err := src.Token()
		is.True(err != nil)                      // the login failed
		is.Equal(src.Stats().Failures, int64(1)) // once, as the Source counts
		is.Equal(srv.Logins(), int64(5))         // but the password was POSTed five times
	})
}

// As the outer client, a retrying client is fine: the Source's backoff
// answers its retries at once, so that a failing login is tried once.
func TestRetryablehttpOutsideIsAbsorbedByBackoff(t *testing.T) {
	srv := xanotest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		srv.SetFault(loginauthtest.Fault500)
		src := xano.NewSource(xano.Config{
			BaseURL: srv.BaseURL(), Email: xanotest.Email, Password: xanotest.Password,
			HTTPClient: &http.Client{Transport: srv.Transport()},
		})
		var attempts atomic.Int64
		c := retrying(loginauth.NewTransport(src, srv.Transport()), &attempts)
		_, err := c.Get(srv.BaseURL() + "/auth/me")
		is.True(err != nil)                 // it gave up
		is.Equal(attempts.Load(), int64(5)) // after five attempts
		is.Equal(srv.Logins(), int64(1))    // of which the backoff answered four without a login

		srv.SetFault(loginauthtest.NoFault)
		time.Sleep(loginauth.DefaultMaxBackoff) // the backoff ends
		resp, err := c.Get(srv.BaseURL() + "/auth/me")
		is.NoErr(err)
		resp.Body.Close()
		is.Equal(resp.StatusCode, 200)   // then it works
		is.Equal(srv.Logins(), int64(2)) // with one more login
	})
}
