package jsonlogin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// loginSpec is a description that the overrides below change.
const loginSpec = `{
  "name": "demo",
  "base_url": "{{base_url}}",
  "vars": {"base_url": {}, "user": {}, "pass": {"secret": true}},
  "login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{pass}}"}},
  "token": "/token",
  "error": {"code": "/code", "message": "/message"},
  "bad_credentials": {"status": [401]}
}`

var loginVars = map[string]string{"base_url": "https://api.example.com/v1", "user": "alice", "pass": "s3cret-pass"}

// answerer answers every call with status and body, and keeps the last
// request's path, body and header.
type answerer struct {
	status int
	body   string
	calls  atomic.Int64
	path   atomic.Value // string
	sent   atomic.Value // map[string]any
}

func (s *answerer) client() *http.Client {
	return &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		s.calls.Add(1)
		s.path.Store(r.URL.Path)
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		r.Body.Close()
		s.sent.Store(m)
		return &http.Response{StatusCode: s.status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(s.body)), Request: r}, nil
	})}
}

// with parses loginSpec, applies o, and sends the calls to srv.
func with(t *testing.T, srv *answerer, o jsonlogin.Overrides) *jsonlogin.Spec {
	t.Helper()
	spec, err := parse(t, loginSpec).With(o)
	if err != nil {
		t.Fatal(err)
	}
	spec.HTTPClient = srv.client()
	return spec
}

func TestWithLoginPathAndBody(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 200, body: `{"token": "t1"}`}
	spec := with(t, srv, jsonlogin.Overrides{LoginPath: "/v2/{x}/login", LoginJSON: map[string]any{"name": "{{user}}", "n": 2}})
	tok, err := spec.NewSource(loginVars, loginauth.Options{}).Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "t1")
	is.Equal(srv.path.Load(), "/v1/v2/{x}/login") // the path, joined to base_url
	sent := srv.sent.Load().(map[string]any)
	is.Equal(sent["name"], "{{user}}") // sent as it is: no template
	is.Equal(sent["n"], 2.0)
	is.Equal(sent["user"], "alice") // the description's members stay

	for _, bad := range []string{"login", "/{{user}}/login"} {
		_, err := parse(t, loginSpec).With(jsonlogin.Overrides{LoginPath: bad})
		is.True(err != nil && strings.HasPrefix(err.Error(), "jsonlogin: login.path: ")) // not a path, or a template
	}
}

func TestWithLoginOp(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 401, body: `{"code": "TAKEN", "message": "address in use, password s3cret-pass"}`}
	spec := with(t, srv, jsonlogin.Overrides{LoginOp: "signup"})
	_, err := spec.Login(context.Background(), loginVars, loginauth.Options{})
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Op, "signup")
	is.Equal(le.Code, "TAKEN")
	is.True(!le.BadCredentials)                            // only a login refuses the credentials
	is.True(!strings.Contains(err.Error(), "s3cret-pass")) // the echoed secret scrubbed
	is.True(strings.HasPrefix(le.Message, "address in use"))
}

func TestWithToken(t *testing.T) {
	for _, tc := range []struct{ body, want, err string }{
		{`{"a": 5, "b/c": "t2"}`, "t2", ""},
		{`{"a": "t1", "b/c": "t2"}`, "t1", ""},
		{`{"a": 5}`, "", `response value token at "/a" has JSON type number, want string`},
		{`{"token": "t"}`, "", `response has no token at "/a" or at "/b~1c"`},
		{`["t"]`, "", `response is a JSON array, not an object`},
	} {
		is := is.New(t)
		srv := &answerer{status: 200, body: tc.body}
		tok, err := with(t, srv, jsonlogin.Overrides{Token: []string{"/a", "/b~1c"}}).NewSource(loginVars, loginauth.Options{}).Token()
		if tc.err != "" {
			is.True(err != nil && strings.Contains(err.Error(), tc.err)) // tc.body
			continue
		}
		is.NoErr(err)
		is.Equal(tok.AccessToken, tc.want) // the first string
	}
	_, err := parse(t, loginSpec).With(jsonlogin.Overrides{Token: []string{"a"}})
	is.New(t).True(err != nil && strings.HasPrefix(err.Error(), "jsonlogin: token[0]: "))
}

func TestWithHeader(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 200, body: `{"token": "t1"}`}
	spec := with(t, srv, jsonlogin.Overrides{Header: map[string]string{"x-api-token": "Bearer {{token}}", "X-Only": "true"}})
	src := spec.NewSource(loginVars, loginauth.Options{})
	is.Equal(src.CredentialHeaders(), []string{"X-Api-Token", "X-Only"})
	var got http.Header
	c := &http.Client{Transport: loginauth.NewTransport(src, loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Header.Clone()
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	}))}
	resp, err := c.Get("https://api.example.com/v1/me")
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(got.Get("X-Api-Token"), "Bearer t1")
	is.Equal(got.Get("X-Only"), "true")
	is.Equal(got.Get("Authorization"), "") // the description's header is replaced

	for _, h := range []map[string]string{{"X-Only": "true"}, {"Bad Name": "{{token}}"}} {
		_, err := parse(t, loginSpec).With(jsonlogin.Overrides{Header: h})
		is.True(err != nil && strings.HasPrefix(err.Error(), "jsonlogin: header")) // no token, or no field name
	}
}

func TestWithRefused(t *testing.T) {
	is := is.New(t)
	spec := parse(t, loginSpec)
	is.True(spec.Refused(&http.Response{StatusCode: 401, Header: http.Header{}, Body: http.NoBody})) // the default rule
	teapot := func(r *http.Response) bool { return r.StatusCode == http.StatusTeapot }
	over, err := spec.With(jsonlogin.Overrides{Refused: teapot})
	is.NoErr(err)
	is.True(over.Refused(&http.Response{StatusCode: http.StatusTeapot}))
	is.True(!over.Refused(&http.Response{StatusCode: 401, Header: http.Header{}, Body: http.NoBody})) // replaced
	is.True(spec.Refused(&http.Response{StatusCode: 401, Header: http.Header{}, Body: http.NoBody}))  // the Spec itself unchanged
}

func TestWithStoreKey(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 200, body: `{"token": "t1"}`}
	store := &loginauth.MemoryStore{}
	spec := with(t, srv, jsonlogin.Overrides{StoreKey: "demo https://api.example.com/v1 alice"})
	_, err := spec.NewSource(loginVars, loginauth.Options{Store: store}).Token()
	is.NoErr(err)
	b, err := store.Load(context.Background(), "demo https://api.example.com/v1 alice")
	is.NoErr(err)
	is.True(strings.Contains(string(b), "t1")) // kept under the given key
}

func TestWithCheck(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 200, body: `{"token": "t1"}`}
	spec := with(t, srv, jsonlogin.Overrides{Check: func() error { return errors.New("demo: Config.User is required") }})
	_, err := spec.NewSource(loginVars, loginauth.Options{}).Token()
	is.True(err != nil && err.Error() == "demo: Config.User is required")
	is.Equal(srv.calls.Load(), int64(0))

	spec = with(t, srv, jsonlogin.Overrides{Check: func() error { return nil }})
	_, err = spec.NewSource(map[string]string{"base_url": "https://api.example.com"}, loginauth.Options{}).Token()
	is.NoErr(err) // the Check replaces the description's check of the variables
}

func TestWithErrorHook(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 400, body: `{"errorMessage": "{\"message\": \"inner\"}"}`}
	spec := with(t, srv, jsonlogin.Overrides{Error: func(le *loginauth.LoginError, body []byte) {
		var outer struct{ ErrorMessage string }
		var inner struct{ Message string }
		if json.Unmarshal(body, &outer) == nil && json.Unmarshal([]byte(outer.ErrorMessage), &inner) == nil {
			le.Message, le.Err = inner.Message, nil
		}
	}})
	_, err := spec.NewSource(loginVars, loginauth.Options{}).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Message, "inner") // decoded by the hook
	is.Equal(le.Status, 400)
}

func TestWithWrapLogin(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 200, body: `{"token": "t1"}`}
	var wrapped atomic.Int64
	spec := with(t, srv, jsonlogin.Overrides{WrapLogin: func(login loginauth.LoginFunc) loginauth.LoginFunc {
		return func(ctx context.Context) (*oauth2.Token, error) {
			wrapped.Add(1)
			return login(ctx)
		}
	}})
	tok, err := spec.NewSource(loginVars, loginauth.Options{}).Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "t1")
	is.Equal(wrapped.Load(), int64(1))
	is.Equal(srv.calls.Load(), int64(1))
}

func TestSpecLogin(t *testing.T) {
	is := is.New(t)
	srv := &answerer{status: 200, body: `{"token": "t1"}`}
	spec := with(t, srv, jsonlogin.Overrides{})
	tok, err := spec.Login(context.Background(), loginVars, loginauth.Options{})
	is.NoErr(err)
	is.Equal(tok.AccessToken, "t1")
	_, err = spec.Login(context.Background(), map[string]string{"base_url": "https://api.example.com"}, loginauth.Options{})
	is.True(err != nil && strings.Contains(err.Error(), "required")) // a missing variable
	is.Equal(srv.calls.Load(), int64(1))
	_, err = (&jsonlogin.Spec{}).With(jsonlogin.Overrides{})
	is.True(err != nil) // only a parsed Spec
}

// TestExpiresAtMillisecondsToleratesSeconds checks that an expires_at in
// "ms" too small for milliseconds since 1973 is read as seconds.
func TestExpiresAtMillisecondsToleratesSeconds(t *testing.T) {
	is := is.New(t)
	now := time.Now().Truncate(time.Second)
	at := now.Add(3 * time.Hour)
	for _, v := range []int64{at.UnixMilli(), at.Unix()} {
		body, _ := json.Marshal(map[string]any{"token": "t", "exp": v})
		srv := &answerer{status: 200, body: string(body)}
		spec, err := jsonlogin.Parse([]byte(strings.Replace(loginSpec, `"token": "/token",`, `"token": "/token", "expires_at": "/exp", "expires_at_unit": "ms",`, 1)))
		is.NoErr(err)
		spec.HTTPClient = srv.client()
		tok, err := spec.NewSource(loginVars, loginauth.Options{Now: func() time.Time { return now }}).Token()
		is.NoErr(err)
		is.True(tok.Expiry.Equal(at)) // milliseconds, or seconds
	}
}
