package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
)

// sidScheme sends the token as the cookie SID and the parameter _sid.
type sidScheme struct{}

func (sidScheme) Credentials(*oauth2.Token) http.Header { return nil }
func (sidScheme) Refused(r *http.Response) bool         { return r.StatusCode == 401 }
func (sidScheme) Cookies(tok *oauth2.Token) []*http.Cookie {
	return []*http.Cookie{{Name: "SID", Value: tok.AccessToken}}
}
func (sidScheme) Params(tok *oauth2.Token) url.Values { return url.Values{"_sid": {tok.AccessToken}} }
func (sidScheme) CredentialCookies() []string         { return []string{"SID"} }
func (sidScheme) CredentialParams() []string          { return []string{"_sid"} }

func TestCredentialCookiesNeverShared(t *testing.T) {
	for _, pass := range []bool{false, true} {
		t.Run(fmt.Sprint("PassCookies=", pass), func(t *testing.T) {
			is := is.New(t)
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: "SID", Value: "renewed"})
				http.SetCookie(w, &http.Cookie{Name: "theme", Value: "light"})
				fmt.Fprintf(w, "%s|%s", r.Header.Get("Cookie"), r.URL.RawQuery)
			}))
			t.Cleanup(up.Close)
			src := loginauth.New(loginauth.Config{Origins: []string{up.URL}, Scheme: sidScheme{},
				Login: func(context.Context) (*oauth2.Token, error) { return &oauth2.Token{AccessToken: "t-1"}, nil }})
			u := serve(t, Config{Source: src, BaseURL: up.URL, PassCookies: pass})
			req, _ := http.NewRequest("GET", u+"/x?_sid=forged&a=1", nil)
			req.Header.Set("Cookie", "SID=forged; theme=dark")
			resp, err := http.DefaultClient.Do(req)
			is.NoErr(err)
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if pass {
				is.Equal(string(got), "theme=dark; SID=t-1|a=1&_sid=t-1")           // the client's other cookies pass
				is.Equal(resp.Header.Values("Set-Cookie"), []string{"theme=light"}) // but not the API's SID
			} else {
				is.Equal(string(got), "SID=t-1|a=1&_sid=t-1")
				is.Equal(resp.Header.Values("Set-Cookie"), nil)
			}
		})
	}
}

func TestDropCredentials(t *testing.T) {
	is := is.New(t)
	req, _ := http.NewRequest("GET", "https://api.example.com/x?a=1&_sid=forged&%5Fsid=again&b=2", nil)
	req.Header.Add("Cookie", "SID=forged; theme=dark")
	req.Header.Add("Cookie", "lang=en;SID=again")
	dropCredentials(req, []string{"SID"}, []string{"_sid"})
	is.Equal(req.Header.Values("Cookie"), []string{"theme=dark; lang=en"})
	is.Equal(req.URL.RawQuery, "a=1&b=2")

	req.Header.Set("Cookie", "SID=forged")
	dropCredentials(req, []string{"SID"}, nil)
	is.Equal(req.Header.Values("Cookie"), nil) // no field left, not an empty one
}
