package loginauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/loginauthtest"
)

// sessionScheme sends the token in the cookie "sid" and the parameter
// "_sid", with the fixed cookie "lang=en", and no header field.
type sessionScheme struct{}

func (sessionScheme) Credentials(*oauth2.Token) http.Header { return nil }
func (sessionScheme) Refused(resp *http.Response) bool      { return resp.StatusCode == 401 }
func (sessionScheme) Cookies(tok *oauth2.Token) []*http.Cookie {
	return []*http.Cookie{{Name: "sid", Value: tok.AccessToken}, {Name: "lang", Value: "en"}}
}
func (sessionScheme) Params(tok *oauth2.Token) url.Values {
	return url.Values{"_sid": {tok.AccessToken}}
}
func (sessionScheme) CredentialCookies() []string { return []string{"lang", "sid"} }
func (sessionScheme) CredentialParams() []string  { return []string{"_sid"} }

// sessionSource returns a Source with sessionScheme that logs in with c.
func sessionSource(c *counter) *Source {
	return New(Config{Provider: "test", Login: c.login, Origins: []string{testOrigin}, Scheme: sessionScheme{}})
}

func TestRequestSchemeMergesCookiesAndSetsParams(t *testing.T) {
	is := is.New(t)
	var got *http.Request
	tr := NewTransport(sessionSource(&counter{}), loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		return respond(200, "ok"), nil
	}))
	req, _ := http.NewRequest("GET", testOrigin+"/x?a=1&_sid=client&%5Fsid=esc&b=2", nil)
	req.Header.Set("Cookie", "theme=dark; sid=client")
	req.Header.Add("Cookie", "lang=fr;other=1")
	resp, err := tr.RoundTrip(req)
	is.NoErr(err)
	is.Equal(got.Header["Cookie"], []string{"theme=dark; other=1; sid=tok-1; lang=en"}) // the client's sid and lang replaced, the others kept
	is.Equal(got.URL.RawQuery, "a=1&b=2&_sid=tok-1")                                    // the client's _sid replaced, in either spelling
	is.Equal(resp.Request, req)                                                         // the caller's request, not the copy
	is.Equal(req.Header["Cookie"], []string{"theme=dark; sid=client", "lang=fr;other=1"})
	is.Equal(req.URL.RawQuery, "a=1&_sid=client&%5Fsid=esc&b=2") // the caller's request untouched

	req, _ = http.NewRequest("GET", testOrigin+"/x", nil)
	_, err = tr.RoundTrip(req)
	is.NoErr(err)
	is.Equal(got.Header["Cookie"], []string{"sid=tok-1; lang=en"})
	is.Equal(got.URL.RawQuery, "_sid=tok-1")

	// Another origin gets neither.
	req, _ = http.NewRequest("GET", "https://other.example.com/x?a=1", nil)
	req.Header.Set("Cookie", "theme=dark")
	_, err = tr.RoundTrip(req)
	is.NoErr(err)
	is.Equal(got.Header["Cookie"], []string{"theme=dark"})
	is.Equal(got.URL.RawQuery, "a=1")
}

func TestResponseCarriesCallersRequest(t *testing.T) {
	is := is.New(t)
	_, src, _ := newAPI()
	tr := NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		resp := respond(200, "ok")
		resp.Request = r // as http.Transport does
		return resp, nil
	}))
	req, _ := http.NewRequest("GET", testOrigin+"/x", nil)
	resp, err := tr.RoundTrip(req)
	is.NoErr(err)
	is.Equal(resp.Request, req)
	is.Equal(resp.Request.Header.Get("Authorization"), "") // no credentials through resp.Request
}

func TestRequestSchemeRefusalResendsWithFreshSession(t *testing.T) {
	is := is.New(t)
	var sent []string
	tr := NewTransport(sessionSource(&counter{}), loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r.URL.RawQuery+" "+r.Header.Get("Cookie"))
		if strings.Contains(r.URL.RawQuery, "tok-1") {
			return respond(401, ""), nil
		}
		return respond(200, "ok"), nil
	}))
	req, _ := http.NewRequest("GET", testOrigin+"/x?q=1", nil)
	resp, err := tr.RoundTrip(req)
	is.NoErr(err)
	is.Equal(resp.StatusCode, 200)
	is.Equal(resp.Request, req)
	is.Equal(sent, []string{"q=1&_sid=tok-1 sid=tok-1; lang=en", "q=1&_sid=tok-2 sid=tok-2; lang=en"})
}

func TestRequestSchemeValuesScrubbedFromErrors(t *testing.T) {
	is := is.New(t)
	tr := NewTransport(sessionSource(&counter{}), loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		return nil, &url.Error{Op: "Get", URL: r.URL.String(), Err: errors.New("dial failed for " + r.URL.String())}
	}))
	req, _ := http.NewRequest("GET", testOrigin+"/x", nil)
	_, err := tr.RoundTrip(req)
	is.True(err != nil)
	is.True(!strings.Contains(err.Error(), "tok-1")) // the token in the URL is scrubbed
	var ue *url.Error
	is.True(errors.As(err, &ue)) // and the error is still a url.Error
	is.True(strings.Contains(ue.URL, "_sid=%5Bredacted%5D") || strings.Contains(ue.URL, "_sid=[redacted]"))
}

func TestCredentialNamesOfRequestScheme(t *testing.T) {
	is := is.New(t)
	src := sessionSource(&counter{})
	is.Equal(src.CredentialCookies(), []string{"lang", "sid"})
	is.Equal(src.CredentialParams(), []string{"_sid"})
	is.Equal(src.CredentialHeaders(), []string{"Cookie"}) // before the first login too

	_, plain, _ := newAPI()
	is.Equal(plain.CredentialCookies(), nil)
	is.Equal(plain.CredentialParams(), nil)
	is.Equal(plain.CredentialHeaders(), []string{"Authorization"})
}

// refresher is a Refresh that counts its calls and re-issues the current
// token as "<token>+r".
type refresher struct{ n atomic.Int64 }

func (r *refresher) refresh(_ context.Context, old *oauth2.Token) (*oauth2.Token, error) {
	r.n.Add(1)
	return &oauth2.Token{AccessToken: old.AccessToken + "+r", Expiry: time.Now().Add(time.Hour)}, nil
}

func TestRefreshWhileValid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		c := &counter{exp: func() time.Time { return time.Now().Add(time.Hour) }}
		r := &refresher{}
		src := New(Config{Provider: "test", Login: c.login, Refresh: r.refresh, RefreshWhileValid: true, Origins: []string{testOrigin}})
		tok, err := src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-1")

		time.Sleep(time.Hour - 30*time.Second) // into the early window: the valid token is refreshed
		_, err = src.Token()
		is.NoErr(err)
		synctest.Wait()
		is.Equal(r.n.Load(), int64(1))
		tok, err = src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-1+r")

		time.Sleep(2 * time.Hour) // expired: only a login helps
		tok, err = src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-2")
		is.Equal(r.n.Load(), int64(1))

		src.Invalidate(tok) // refused: only a login helps, although it is not expired
		tok, err = src.Token()
		is.NoErr(err)
		is.Equal(tok.AccessToken, "tok-3")
		is.Equal(r.n.Load(), int64(1))
		is.Equal(c.n.Load(), int64(3))
	})
}

func TestRefreshWhileValidNeedsNoRefreshToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		n := 0
		login := func(context.Context) (*oauth2.Token, error) { // no refresh token
			n++
			return &oauth2.Token{AccessToken: "tok", Expiry: time.Now().Add(time.Hour)}, nil
		}
		r := &refresher{}
		for _, whileValid := range []bool{false, true} {
			n = 0
			src := New(Config{Provider: "test", Login: login, Refresh: r.refresh, RefreshWhileValid: whileValid, Origins: []string{testOrigin}})
			_, err := src.Token()
			is.NoErr(err)
			time.Sleep(time.Hour - 30*time.Second)
			_, err = src.Token()
			is.NoErr(err)
			synctest.Wait()
			if whileValid {
				is.Equal(n, 1) // refreshed
			} else {
				is.Equal(n, 2) // without the switch, a token without a refresh token logs in
			}
		}
		is.Equal(r.n.Load(), int64(1))
	})
}

func TestSourceLogout(t *testing.T) {
	is := is.New(t)
	store := &MemoryStore{}
	var out []string
	cfg := Config{Provider: "test", Login: (&counter{}).login, Origins: []string{testOrigin}, Secrets: []string{"s3cret"}, Options: Options{Store: store},
		Logout: func(_ context.Context, tok *oauth2.Token) error {
			out = append(out, tok.AccessToken)
			return errors.New("server said s3cret " + tok.AccessToken)
		}}
	src := New(cfg)
	_, err := src.Token()
	is.NoErr(err)
	err = src.Logout(context.Background())
	is.True(err != nil)
	is.True(!strings.Contains(err.Error(), "s3cret") && !strings.Contains(err.Error(), "tok-1")) // scrubbed
	is.Equal(out, []string{"tok-1"})

	cfg.Err = ErrNoCredentials // a later run, without the password: the stored token
	is.True(New(cfg).Logout(context.Background()) != nil)
	is.Equal(out, []string{"tok-1", "tok-1"})
	_, err = New(cfg).Forget(context.Background())
	is.NoErr(err)
	is.NoErr(New(cfg).Logout(context.Background())) // no token: no call, and no login
	is.Equal(len(out), 2)
}

// cookieScheme and queryScheme send the token only in a cookie, or only
// in a query parameter, for the benchmarks.
type (
	cookieScheme struct{ sessionScheme }
	queryScheme  struct{ sessionScheme }
)

func (cookieScheme) Params(*oauth2.Token) url.Values { return nil }
func (queryScheme) Cookies(*oauth2.Token) []*http.Cookie {
	return nil
}

// BenchmarkRoundTripSession measures a cached-token request whose
// credentials a RequestScheme puts in a cookie, with or without a Cookie
// of the request's own to merge with, or in the query, with or without a
// query of the request's own, beside a header-only Scheme.
func BenchmarkRoundTripSession(b *testing.B) {
	base := newNoop()
	for _, bc := range []struct {
		name, url, cookie string
		scheme            Scheme
	}{
		{"header", benchURL, "theme=dark; consent=yes", BearerScheme},
		{"cookie", benchURL, "", cookieScheme{}},
		{"cookie-merge", benchURL, "theme=dark; consent=yes", cookieScheme{}},
		{"query", "https://api.example.com/v1/things", "", queryScheme{}},
		{"query-merge", benchURL, "", queryScheme{}},
	} {
		b.Run("scheme="+bc.name, func(b *testing.B) {
			src := New(Config{Provider: "bench", Origins: []string{"https://api.example.com"}, Scheme: bc.scheme,
				Login: func(context.Context) (*oauth2.Token, error) {
					return &oauth2.Token{AccessToken: benchToken, Expiry: time.Now().Add(time.Hour)}, nil
				}})
			if _, err := src.Token(); err != nil {
				b.Fatal(err)
			}
			tr := NewTransport(src, base)
			req := benchRequest(bc.url)
			if bc.cookie != "" {
				req.Header.Set("Cookie", bc.cookie)
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tr.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}

// A refusal may be a redirect to a login page: the Transport sees the
// hop before the client follows it, logs in and re-sends.
func TestRefusalByRedirect(t *testing.T) {
	is := is.New(t)
	var sent atomic.Int64
	toLogin := func(resp *http.Response) bool {
		return resp.StatusCode == http.StatusFound && strings.Contains(resp.Header.Get("Location"), "/login")
	}
	src := New(Config{Provider: "test", Login: (&counter{}).login, Origins: []string{testOrigin}, Scheme: HeaderScheme{Prefix: "Bearer", IsRefused: toLogin}})
	client := &http.Client{Transport: NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			resp := respond(http.StatusFound, "")
			resp.Header.Set("Location", "/login?next=/x")
			return resp, nil
		}
		return respond(200, "ok"), nil
	}))}
	resp, err := client.Get(testOrigin + "/x")
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 200)  // the client never followed the redirect
	is.Equal(sent.Load(), int64(2)) // the refused request and its re-send
	is.Equal(resp.Request.URL.Path, "/x")
}
