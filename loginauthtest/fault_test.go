package loginauthtest_test

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func TestFaults(t *testing.T) {
	loginauthtest.CheckLeaks(t)
	s := newToy()
	tr := &http.Transport{}
	c := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	post := func() (*http.Response, []byte, error) {
		resp, err := c.Post(s.URL+"/login", "application/json", strings.NewReader("{}"))
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}

	t.Run("Fault500", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.Fault500)
		resp, b, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 500)
		is.Equal(resp.Header.Get("Content-Type"), "application/json")
		is.True(len(b) > 0)
	})
	t.Run("FaultHTML502", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultHTML502)
		resp, b, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 502)
		is.True(strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"))
		is.True(strings.Contains(string(b), "<html>"))
	})
	t.Run("FaultMalformedJSON", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultMalformedJSON)
		resp, b, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 200)
		is.Equal(string(b), `{"auth`)
	})
	t.Run("FaultEmptyBody", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultEmptyBody)
		resp, b, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 200)
		is.Equal(len(b), 0)
	})
	t.Run("FaultNoToken", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultNoToken)
		resp, b, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 200)
		is.Equal(strings.TrimSpace(string(b)), `{"user":"alice"}`) // answered by the provider
	})
	t.Run("FaultBadCredentials", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultBadCredentials)
		resp, _, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 401) // answered by the provider
	})
	t.Run("FaultHuge", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultHuge)
		s.SetHugeSize(100_000)
		resp, b, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 200)
		is.Equal(resp.ContentLength, int64(-1)) // no Content-Length
		is.Equal(len(b), 100_000)
		is.True(strings.HasPrefix(string(b), `{"pad":"aaa`))
		is.Equal(strings.Count(string(b[8:]), "a"), 100_000-8) // padding after the prefix
		s.SetHugeSize(3)
		_, b, err = post()
		is.NoErr(err)
		is.Equal(string(b), `{"p`)
	})
	t.Run("FaultHugeAbandoned", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultHuge)
		s.SetHugeSize(0) // 256 MiB
		resp, err := c.Post(s.URL+"/login", "application/json", nil)
		is.NoErr(err)
		n, err := io.CopyN(io.Discard, resp.Body, 1<<20)
		is.NoErr(err)
		is.Equal(n, int64(1<<20))
		resp.Body.Close() // the handler must stop writing
	})
	t.Run("FaultDropConnection", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultDropConnection)
		resp, b, err := post()
		is.True(errors.Is(err, io.ErrUnexpectedEOF)) // body cut short
		is.Equal(resp.StatusCode, 200)
		is.Equal(resp.ContentLength, int64(4096))
		is.True(len(b) > 0 && len(b) < 4096)
	})
	t.Run("FaultSlow", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultSlow)
		s.SetLoginDelay(50 * time.Millisecond)
		start := time.Now()
		resp, _, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 200)                    // answers normally after the delay
		is.True(time.Since(start) >= 50*time.Millisecond) // after the delay
		s.SetLoginDelay(0)                                // back to 5 s
		c2 := &http.Client{Transport: tr, Timeout: 100 * time.Millisecond}
		_, err = c2.Post(s.URL+"/login", "application/json", nil)
		is.True(err != nil) // the client gives up first
	})
	t.Run("FaultDrip", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.FaultDrip)
		c2 := &http.Client{Transport: tr, Timeout: 1500 * time.Millisecond}
		resp, err := c2.Post(s.URL+"/login", "application/json", nil)
		is.NoErr(err) // headers come at once
		is.Equal(resp.StatusCode, 200)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		is.True(err != nil)                             // the client timeout ends the body
		is.True(len(b) >= 1 && len(b) <= 3)             // about one byte per second
		is.True(strings.HasPrefix(`{"pad"`, string(b))) // the start of a JSON body
	})
	t.Run("NoFault", func(t *testing.T) {
		is := is.New(t)
		s.SetFault(loginauthtest.NoFault)
		resp, _, err := post()
		is.NoErr(err)
		is.Equal(resp.StatusCode, 200)
	})
	is.New(t).Equal(s.Logins(), int64(14)) // every attempt counts, faulted or not

	s.Close()
	tr.CloseIdleConnections()
}

func TestFaultString(t *testing.T) {
	is := is.New(t)
	is.Equal(loginauthtest.FaultDrip.String(), "FaultDrip")
	is.Equal(loginauthtest.Fault(99).String(), "Fault(99)")
}
