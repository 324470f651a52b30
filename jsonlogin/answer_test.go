package jsonlogin_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/jsonlogin"
	"github.com/loginauth/loginauth/loginauthtest"
)

// inMemory returns spec with its login calls served by h in memory, at
// any host.
func inMemory(spec *jsonlogin.Spec, h http.HandlerFunc) *jsonlogin.Spec {
	spec.HTTPClient = &http.Client{Transport: loginauthtest.HandlerTransport{Handler: h}}
	return spec
}

// loginWith parses desc, serves its calls with h and returns the token
// of a Source with vars, whose clock stands at loginauthtest.Epoch.
func loginWith(t *testing.T, desc string, vars map[string]string, h http.HandlerFunc) (*loginauth.Source, error) {
	t.Helper()
	src := inMemory(parse(t, desc), h).NewSource(vars, loginauth.Options{Now: loginauthtest.NewClock(loginauthtest.Epoch).Now})
	_, err := src.Token()
	return src, err
}

// TestValueFromCookie reads the token from a cookie of a login answer
// that is not JSON (qBittorrent answers "Ok."), and its expiry from the
// cookie's Max-Age.
func TestValueFromCookie(t *testing.T) {
	is := is.New(t)
	src, err := loginWith(t, `{
	  "base_url": "https://api.example.com",
	  "vars": {"password": {"secret": true}},
	  "login": {"path": "/api/v2/auth/login", "form": {"password": "{{password}}"}},
	  "token": {"cookie": "SID"},
	  "expires_at": {"cookie_expires": "SID"},
	  "header": {"Cookie": "SID={{token}}"}
	}`, map[string]string{"password": "pw"}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		http.SetCookie(w, &http.Cookie{Name: "other", Value: "x"})
		http.SetCookie(w, &http.Cookie{Name: "SID", Value: "sid-1", MaxAge: 3600, HttpOnly: true})
		fmt.Fprint(w, "Ok.")
	})
	is.NoErr(err) // a text answer is no error when the token is in a cookie
	tok, err := src.Token()
	is.NoErr(err)
	is.Equal(tok.AccessToken, "sid-1")
	is.Equal(tok.Expiry, loginauthtest.Epoch.Add(time.Hour)) // Max-Age from the Source's clock
}

// TestValueFromCookieExpires takes a cookie's Expires when it has no
// Max-Age, and no expiry from a session cookie.
func TestValueFromCookieExpires(t *testing.T) {
	const desc = `{"base_url": "https://api.example.com", "login": {"path": "/login"},
	  "token": {"cookie": "SID"}, "expires_at": [{"cookie_expires": "SID"}, "/exp"]}`
	at := loginauthtest.Epoch.Add(90 * time.Minute).Truncate(time.Second)
	for _, tc := range []struct {
		name   string
		cookie string
		want   time.Time
	}{
		{"Expires", "SID=s1; Expires=" + at.Format(http.TimeFormat), at},
		{"Session", "SID=s1", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			src, err := loginWith(t, desc, nil, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("Set-Cookie", tc.cookie)
			})
			is.NoErr(err) // an empty answer is no error either
			tok, _ := src.Token()
			is.True(tok.Expiry.Equal(tc.want))
		})
	}
}

// TestValueFromRedirectCookie reads the cookie of a form login that
// answers 302 with Set-Cookie: the redirect is not followed, since the
// page it leads to sets no cookie.
func TestValueFromRedirectCookie(t *testing.T) {
	is := is.New(t)
	src, err := loginWith(t, `{
	  "base_url": "https://api.example.com",
	  "vars": {"username": {}, "password": {"secret": true}},
	  "login": {"path": "/login", "form": {"user": "{{username}}", "pass": "{{password}}"}},
	  "token": {"cookie": "session"},
	  "header": {"Cookie": "session={{token}}"}
	}`, map[string]string{"username": "wile", "password": "pw"}, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/login" {
			fmt.Fprint(w, "<html>home</html>") // the page after the login sets no cookie
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s-302"})
		http.Redirect(w, r, "/home", http.StatusFound)
	})
	is.NoErr(err)
	tok, _ := src.Token()
	is.Equal(tok.AccessToken, "s-302")
}

// TestValueFromHeader reads the token and its lifetime from header
// fields of an empty answer.
func TestValueFromHeader(t *testing.T) {
	is := is.New(t)
	src, err := loginWith(t, `{
	  "base_url": "https://api.example.com",
	  "login": {"path": "/login"},
	  "token": {"header": "x-subject-token"},
	  "expires_in": {"header": "X-Token-TTL"},
	  "extra": {"tenant": [{"header": "X-Tenant"}, "/tenant"]},
	  "header": {"X-Auth-Token": "{{token}}"}
	}`, nil, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Subject-Token", "tok-h")
		w.Header().Set("X-Token-TTL", "120")
		w.Header().Set("X-Tenant", "t-1")
		w.WriteHeader(http.StatusCreated)
	})
	is.NoErr(err)
	tok, _ := src.Token()
	is.Equal(tok.AccessToken, "tok-h")
	is.Equal(tok.Expiry, loginauthtest.Epoch.Add(2*time.Minute))
	is.Equal(tok.Extra("tenant"), "t-1")
}

// TestValueList takes the first place that holds a value, and names
// every place when none does.
func TestValueList(t *testing.T) {
	const desc = `{"base_url": "https://api.example.com", "login": {"path": "/login"},
	  "token": ["/authToken", "/auth_token", {"cookie": "token"}]}`
	for _, tc := range []struct {
		name, body, cookie, want, err string
	}{
		{name: "First", body: `{"authToken": "a", "auth_token": "b"}`, want: "a"},
		{name: "Second", body: `{"authToken": null, "auth_token": "b"}`, want: "b"},
		{name: "EmptyIsAbsent", body: `{"authToken": "", "auth_token": "b"}`, want: "b"},
		{name: "Cookie", body: `{}`, cookie: "token=c", want: "c"},
		{name: "None", body: `{}`, err: `response has no token at "/authToken" or at "/auth_token" or in cookie "token"`},
		{name: "NotJSON", body: `Fails.`, err: "response is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			src, err := loginWith(t, desc, nil, func(w http.ResponseWriter, r *http.Request) {
				if tc.cookie != "" {
					w.Header().Set("Set-Cookie", tc.cookie)
				}
				fmt.Fprint(w, tc.body)
			})
			if tc.err != "" {
				is.True(err != nil && strings.Contains(err.Error(), tc.err))
				return
			}
			is.NoErr(err)
			tok, _ := src.Token()
			is.Equal(tok.AccessToken, tc.want)
		})
	}
}

// TestExpiresInUnit reads expires_in in milliseconds, as Directus's
// expires and Matrix's expires_in_ms are.
func TestExpiresInUnit(t *testing.T) {
	is := is.New(t)
	src, err := loginWith(t, `{"base_url": "https://api.example.com", "login": {"path": "/login"},
	  "token": "/data/access_token", "expires_in": "/data/expires", "expires_in_unit": "ms"}`,
		nil, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"data": {"access_token": "t", "expires": 900000}}`)
		})
	is.NoErr(err)
	tok, _ := src.Token()
	is.Equal(tok.Expiry, loginauthtest.Epoch.Add(15*time.Minute))
}

// TestBasicLogin sends HTTP Basic credentials on the login and the
// refresh, and scrubs their encoded value from errors.
func TestBasicLogin(t *testing.T) {
	is := is.New(t)
	const desc = `{
	  "base_url": "https://api.example.com",
	  "vars": {"username": {}, "password": {"secret": true}, "client_id": {}, "client_secret": {"secret": true}},
	  "login": {"path": "/-/v1/login", "basic": {"username": "{{username}}", "password": "{{password}}"}},
	  "refresh": {"path": "/renew", "basic": {"username": "{{client_id}}", "password": "{{client_secret}}"},
	    "form": {"refresh_token": "{{refresh_token}}"}},
	  "token": "/token", "refresh_token": "/refresh", "expires_in": "/ttl",
	  "error": {"message": "/error"}
	}`
	vars := map[string]string{"username": "wile", "password": "hunter2", "client_id": "cli", "client_secret": "s3cr3t"}
	var mu sync.Mutex
	var got []string
	h := func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		mu.Lock()
		got = append(got, r.URL.Path+" "+u+":"+p)
		mu.Unlock()
		if p == "wrong" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error": "refused %s"}`, r.Header.Get("Authorization")) // an echo
			return
		}
		fmt.Fprint(w, `{"token": "t", "refresh": "r", "ttl": 1}`)
	}
	clock := loginauthtest.NewClock(loginauthtest.Epoch)
	src := inMemory(parse(t, desc), h).NewSource(vars, loginauth.Options{Now: clock.Now})
	_, err := src.Token()
	is.NoErr(err)
	clock.Advance(time.Minute)
	_, err = src.Token()
	is.NoErr(err)
	is.Equal(got, []string{"/-/v1/login wile:hunter2", "/renew cli:s3cr3t"})

	vars["password"] = "wrong"
	_, err = inMemory(parse(t, desc), h).NewSource(vars, loginauth.Options{}).Token()
	is.True(err != nil && strings.Contains(err.Error(), "refused")) // the message is shown
	encoded := base64.StdEncoding.EncodeToString([]byte("wile:wrong"))
	is.True(!strings.Contains(err.Error(), encoded)) // but not the encoded credentials

	// A user name that is a secret too, such as a key ID, names no
	// account: the Basic value itself is what is scrubbed.
	secretUser := strings.Replace(desc, `"username": {}`, `"username": {"secret": true}`, 1)
	_, err = inMemory(parse(t, secretUser), h).NewSource(vars, loginauth.Options{}).Token()
	is.True(err != nil && strings.Contains(err.Error(), "refused")) // the message is shown
	is.True(!strings.Contains(err.Error(), encoded))                // but not the encoded credentials
}

// TestBasicUserWithColon refuses a user name that Basic cannot carry.
func TestBasicUserWithColon(t *testing.T) {
	is := is.New(t)
	_, err := loginWith(t, `{"base_url": "https://api.example.com", "vars": {"u": {}},
	  "login": {"path": "/l", "basic": {"username": "{{u}}", "password": ""}}, "token": "/t"}`,
		map[string]string{"u": "a:b"}, func(w http.ResponseWriter, r *http.Request) {
			t.Error("no call expected")
		})
	is.True(err != nil && strings.Contains(err.Error(), `the user name of basic holds ":"`))
}

// hostileUser and hostilePassword would change a URL's structure if
// they were inserted as they are.
const hostileUser, hostilePassword = "a&b", "p+w&x=1#y"

// TestValuesEscapedInURL sends values that would add query parameters,
// cut the URL at a fragment or add path segments: each reaches the
// server whole, where it stood.
func TestValuesEscapedInURL(t *testing.T) {
	for _, tc := range []struct{ name, login, path string }{
		{"Query", `"path": "/login?account={{username}}&passwd={{password}}&{{username}}={{password}}"`, "/login"},
		{"QueryOfURL", `"url": "https://id.example.com/login?account={{username}}&passwd={{password}}&{{username}}={{password}}"`, "/login"},
		{"Path", `"path": "/login/{{username}}/{{password}}?account={{username}}&passwd={{password}}&{{username}}={{password}}"`, "/login/a&b/p+w&x=1#y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var got *url.URL
			_, err := loginWith(t, `{"base_url": "https://api.example.com",
			  "vars": {"username": {}, "password": {"secret": true}},
			  "login": {"method": "GET", `+tc.login+`}, "token": "/t"}`,
				map[string]string{"username": hostileUser, "password": hostilePassword},
				func(w http.ResponseWriter, r *http.Request) {
					got = r.URL
					fmt.Fprint(w, `{"t": "tok"}`)
				})
			is.NoErr(err)
			is.Equal(got.Path, tc.path)
			is.Equal(got.Fragment, "")
			is.Equal(got.Query(), url.Values{"account": {hostileUser}, "passwd": {hostilePassword}, hostileUser: {hostilePassword}})
		})
	}
}

// TestURLValues checks the values that stand for a whole URL, or in its
// host: they are checked, and errors name the variable, never its value.
func TestURLValues(t *testing.T) {
	for _, tc := range []struct{ name, baseURL, value, want string }{
		{"Whole", "{{v}}", "https://api.example.com/v1", ""},
		{"WholeWithQuery", "{{v}}", "https://api.example.com/v1?tenant=7", ""},
		{"WholeRelative", "{{v}}", "api.example.com", `base_url: the value of {{v}} is not an absolute http or https URL`},
		{"WholeUserInfo", "{{v}}", "https://u:pass-1@api.example.com", `base_url: the value of {{v}} holds user info`},
		{"Start", "{{v}}/api", "https://api.example.com", ""},
		{"StartWithQuery", "{{v}}/api", "https://api.example.com?a=1", `base_url: the value of {{v}} begins a longer URL`},
		{"Host", "https://{{v}}.example.com", "eu-1", ""},
		{"HostHostile", "https://{{v}}.example.com", "evil.test/x?", `base_url: the value of {{v}} stands in the URL's host`},
		{"HostUserInfo", "https://{{v}}@api.example.com", "pass-1", `the base_url URL holds user info`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			var got string
			_, err := loginWith(t, `{"base_url": "`+tc.baseURL+`", "vars": {"v": {}},
			  "login": {"path": "/login"}, "token": "/t"}`, map[string]string{"v": tc.value},
				func(w http.ResponseWriter, r *http.Request) {
					got = r.URL.String()
					fmt.Fprint(w, `{"t": "tok"}`)
				})
			if tc.want == "" {
				is.NoErr(err)
				is.True(strings.HasSuffix(got, "/login") || strings.Contains(got, "/login?"))
				return
			}
			is.True(err != nil && strings.Contains(err.Error(), tc.want))
			is.True(!strings.Contains(err.Error(), "pass-1")) // no value in the error
		})
	}
}

// TestHeaderLineBreak refuses a value with a line break in a header,
// from a variable or from the login answer, naming neither value.
func TestHeaderLineBreak(t *testing.T) {
	is := is.New(t)
	_, err := loginWith(t, `{"base_url": "https://api.example.com", "vars": {"key": {"secret": true}},
	  "login": {"path": "/login", "headers": {"X-Api-Key": "{{key}}"}}, "token": "/t"}`,
		map[string]string{"key": "k-1\r\nX-Evil: 1"}, func(w http.ResponseWriter, r *http.Request) {
			t.Error("no call expected")
		})
	is.True(err != nil && strings.Contains(err.Error(), `variable "key" holds a line break or NUL, which header X-Api-Key cannot carry`))
	is.True(!strings.Contains(err.Error(), "k-1"))

	_, err = loginWith(t, `{"base_url": "https://api.example.com", "login": {"path": "/login"}, "token": "/t"}`,
		nil, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"t": "tok-1\nX-Evil: 1"}`)
		})
	is.True(err != nil && strings.Contains(err.Error(), `response value token at "/t" holds a line break or NUL`))
	is.True(!strings.Contains(err.Error(), "tok-1"))
}

// TestParseValuesStrict checks the mistakes in where values come from,
// in Basic credentials, in units and in URL templates: each is an error
// that names the field by its path.
func TestParseValuesStrict(t *testing.T) {
	const base = `{"base_url": "https://api.example.com", "vars": {"password": {"secret": true}, "user": {}},
	  "login": {"path": "/login" LOGIN}, "token": TOKEN MORE}`
	for _, tc := range []struct{ name, login, token, more, want string }{
		{name: "TwoPlaces", token: `{"header": "X-T", "cookie": "T"}`, want: "jsonlogin: token: give one of header, cookie and cookie_expires"},
		{name: "NoPlace", token: `{}`, want: "jsonlogin: token: give one of header, cookie and cookie_expires"},
		{name: "UnknownPlace", token: `{"heder": "X-T"}`, want: "jsonlogin: token.heder: unknown field"},
		{name: "ExpiryAsToken", token: `{"cookie_expires": "SID"}`, want: "jsonlogin: token.cookie_expires: a cookie's expiry is a time: only expires_at takes it"},
		{name: "EmptyList", token: `[]`, want: "jsonlogin: token: an empty list names no place for the value"},
		{name: "Number", token: `5`, want: `jsonlogin: token: is not a JSON Pointer, {"header": NAME}`},
		{name: "NestedList", token: `[["/t"]]`, want: `jsonlogin: token[0]: is not a JSON Pointer`},
		{name: "PointerInList", token: `["/t", "t"]`, want: `jsonlogin: token[1]: "t" is not a JSON Pointer`},
		{name: "HeaderName", token: `{"header": "X T"}`, want: `jsonlogin: token.header: "X T" is not a header name`},
		{name: "CookieName", token: `{"cookie": "a;b"}`, want: `jsonlogin: token.cookie: "a;b" is not a cookie name`},
		{name: "Extra", token: `"/t"`, more: `, "extra": {"tenant": [{"header": "X-Tenant"}, {"cookie": ""}]}`, want: `jsonlogin: extra.tenant[1].cookie: "" is not a cookie name`},
		{name: "ExpiresIn", token: `"/t"`, more: `, "expires_in": {"cookie_expires": "SID"}`, want: "jsonlogin: expires_in.cookie_expires: a cookie's expiry is a time"},
		{name: "InUnit", token: `"/t"`, more: `, "expires_in": "/ttl", "expires_in_unit": "min"`, want: `jsonlogin: expires_in_unit: "min" is not one of "s" and "ms"`},
		{name: "InUnitAlone", token: `"/t"`, more: `, "expires_in_unit": "ms"`, want: "jsonlogin: expires_in_unit: given without expires_in"},
		{name: "BasicAndAuthorization", token: `"/t"`, login: `, "headers": {"authorization": "x"}, "basic": {"username": "{{user}}", "password": "{{password}}"}`, want: "jsonlogin: login.basic: the request's headers set Authorization too"},
		{name: "BasicNoPassword", token: `"/t"`, login: `, "basic": {"username": "{{user}}"}`, want: "jsonlogin: login.basic.password: required"},
		{name: "BasicUnknown", token: `"/t"`, login: `, "basic": {"user": "{{user}}"}`, want: "jsonlogin: login.basic.user: unknown field"},
		{name: "BasicUndeclared", token: `"/t"`, login: `, "basic": {"username": "{{usr}}", "password": ""}`, want: `jsonlogin: login.basic.username: template names undeclared variable "usr"`},
		{name: "BasicColon", token: `"/t"`, login: `, "basic": {"username": "a:{{user}}", "password": ""}`, want: `jsonlogin: login.basic.username: holds ":"`},
		{name: "BasicRefreshToken", token: `"/t"`, more: `, "refresh_token": "/r", "refresh": {"path": "/r", "basic": {"username": "{{user}}", "password": "{{refresh_token}}"}}`, want: "jsonlogin: refresh.basic.password: basic takes variables only"},
		{name: "URLVariableThenText", token: `"/t"`, more: `, "refresh_token": "/r", "refresh": {"url": "{{user}}api/renew"}`, want: `jsonlogin: refresh.url: {{user}} begins the URL, so it holds a URL; the text after it must start with "/", "?" or "#"`},
		{name: "URLTwoVariables", token: `"/t"`, more: `, "refresh_token": "/r", "refresh": {"url": "{{user}}{{user}}"}`, want: `jsonlogin: refresh.url: {{user}} begins the URL`},
		{name: "URLScheme", token: `"/t"`, more: `, "refresh_token": "/r", "refresh": {"url": "http{{user}}://api.example.com/r"}`, want: `jsonlogin: refresh.url: {{user}} stands in the URL's scheme`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.NewReplacer("LOGIN", tc.login, "TOKEN", tc.token, "MORE", tc.more).Replace(base)
			_, err := jsonlogin.Parse([]byte(doc))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse() = %v; want an error starting %q", err, tc.want)
			}
		})
	}
	_, err := jsonlogin.Parse([]byte(strings.NewReplacer("LOGIN", "", "TOKEN", `"/t"`, "MORE", "").Replace(base)))
	is.New(t).NoErr(err) // the base is valid
}

// TestComments accepts "$comment" in every object of a description and
// "$schema" at the top, and ignores them, but sends the login's json
// body as written, comments included.
func TestComments(t *testing.T) {
	is := is.New(t)
	var body string
	var header http.Header
	src, err := loginWith(t, `{
	  "$schema": "https://example.com/jsonlogin.schema.json",
	  "$comment": "From the API's README, section Authentication.",
	  "base_url": "https://api.example.com",
	  "vars": {"$comment": "the account", "password": {"secret": true, "$comment": "never stored"}},
	  "login": {"$comment": "a form login", "path": "/login",
	    "headers": {"$comment": "none needed", "X-Client": "cli"},
	    "json": {"$comment": "sent as written", "password": "{{password}}"}},
	  "token": [{"$comment": "newer servers", "header": "X-Token"}, "/token"],
	  "extra": {"$comment": "kept with the token", "tenant": "/tenant"},
	  "header": {"$comment": "the session", "Authorization": "Bearer {{token}}"},
	  "refused": [{"$comment": "expired", "status": [401]}, {"status": [200], "json": {"$comment": "by message", "/error": ["expired"]}}],
	  "error": {"$comment": "inside 200 answers", "message": "/error"}
	}`, map[string]string{"password": "pw"}, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body, header = string(b), r.Header
		fmt.Fprint(w, `{"token": "t", "tenant": "t-1"}`)
	})
	is.NoErr(err)
	is.Equal(header.Get("X-Client"), "cli")
	_, sent := header["$comment"]
	is.True(!sent)                                                   // the headers' comment is no field
	is.Equal(body, `{"$comment":"sent as written","password":"pw"}`) // the body keeps its comment
	is.Equal(src.CredentialHeaders(), []string{"Authorization"})     // no field named $comment
}

// TestParseSyntax names the line and column of a syntax error, and
// refuses a key given twice and comments that are not strings.
func TestParseSyntax(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"Syntax", "{\n  \"base_url\": \"https://api.example.com\",\n  \"token\": \"/t\",,\n}", "jsonlogin: the description: invalid JSON at line 3, column 17: "},
		{"Truncated", "{\n  \"base_url\": \"https://api.example.com\"", "jsonlogin: the description: invalid JSON at line 2, column 40: unexpected EOF"},
		{"Empty", " ", "jsonlogin: the description: empty"},
		{"Trailing", `{"base_url": "https://a.example.com"} {}`, "jsonlogin: the description: invalid JSON at line 1, column 39: trailing data"},
		{"DuplicateTop", `{"token": "/a", "token": "/b"}`, `jsonlogin: the description: key "token" is given twice`},
		{"DuplicateNested", `{"login": {"json": {"user": "a", "user": "b"}}}`, `jsonlogin: login.json: key "user" is given twice`},
		{"DuplicateInList", `{"refused": [{"status": [401]}, {"status": [401], "status": [403]}]}`, `jsonlogin: refused[1]: key "status" is given twice`},
		{"CommentNotString", `{"login": {"$comment": 5}}`, "jsonlogin: login.$comment: want a string"},
		{"CommentObject", `{"vars": {"a": {"$comment": {"x": 1}}}}`, "jsonlogin: vars.a.$comment: want a string"},
		{"SchemaNested", `{"base_url": "https://api.example.com", "login": {"path": "/l", "$schema": "x"}, "token": "/t"}`, "jsonlogin: login.$schema: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jsonlogin.Parse([]byte(tc.doc))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse() = %v; want an error starting %q", err, tc.want)
			}
		})
	}
}

// TestParseMistakes catches mistakes that new users make, each with the
// field and the fix.
func TestParseMistakes(t *testing.T) {
	const base = `{"base_url": "https://api.example.com",
	  "vars": {"password": {"env": "ACME_PASSWORD", "secret": true}, "user": {}},
	  "login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{password}}"}}, "token": "/token" MORE}`
	for _, tc := range []struct{ name, from, to, want string }{
		{"LowerCaseMethod", `"path": "/login"`, `"method": "post", "path": "/login"`, `jsonlogin: login.method: "post" is not upper case; methods are case-sensitive: write "POST"`},
		{"SecretDefault", `"secret": true`, `"secret": true, "default": "hunter2"`, "jsonlogin: vars.password.default: a secret variable has no default"},
		{"BracedShellVar", `"{{password}}"`, `"${password}"`, `jsonlogin: login.json.pass: "${password}" is not a template; templates are {{NAME}}, such as {{password}}`},
		{"BracedUnknown", `"{{password}}"`, `"x${PASS}"`, `jsonlogin: login.json.pass: "${PASS}" is not a template; templates are {{NAME}}, such as {{PASS}}`},
		{"ShellVarOfEnv", `"{{password}}"`, `"$ACME_PASSWORD"`, `jsonlogin: login.json.pass: "$ACME_PASSWORD" is not a template; templates are {{NAME}}, such as {{password}}`},
		{"ShellVarInHeader", ` MORE`, `, "header": {"Authorization": "Bearer $token"}`, `jsonlogin: header.Authorization: "$token" is not a template`},
		{"OriginWithPath", ` MORE`, `, "origins": ["https://files.example.com/api"]`, `jsonlogin: origins[0]: "https://files.example.com/api" is not an origin`},
		{"OriginWithQuery", ` MORE`, `, "origins": ["https://files.example.com?a=1"]`, `jsonlogin: origins[0]: "https://files.example.com?a=1" is not an origin`},
		{"OriginWithUser", ` MORE`, `, "origins": ["https://u@files.example.com"]`, `jsonlogin: origins[0]: "https://u@files.example.com" is not an origin`},
		{"RefusedSuccess", ` MORE`, `, "refused": {"status": [200]}`, `jsonlogin: refused: the rule matches a 2xx status and reads nothing of the body, so every successful answer would be a refusal`},
		{"RefusedHeaderOnly", ` MORE`, `, "refused": [{"status": [401]}, {"header": {"WWW-Authenticate": [{"contains": "expired"}]}}]`, `jsonlogin: refused[1]: the rule has no status and reads nothing of the body`},
		{"RefusedNotStatus", ` MORE`, `, "refused": {"not": {"status": [200]}}`, `jsonlogin: refused: the rule has no status`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.True(strings.Contains(base, tc.from)) // the case edits the description
			doc := strings.Replace(strings.Replace(base, tc.from, tc.to, 1), "MORE", "", 1)
			_, err := jsonlogin.Parse([]byte(doc))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse() = %v; want an error starting %q", err, tc.want)
			}
		})
	}
	// What these checks let pass: extension methods, "$" that names no
	// variable (OData's $filter), "${" that is not closed, an origin with
	// a trailing slash, refused rules of 2xx answers that read the body.
	_, err := jsonlogin.Parse([]byte(strings.Replace(base, "MORE", `, "refresh_token": "/r",
	  "refresh": {"method": "PROPFIND", "path": "/odata/Sessions?$filter=user eq '{{user}}'&price=$5", "json": {"a": "${user"}},
	  "origins": ["https://files.example.com/"],
	  "refused": [{"status": [401, 419]}, {"status": [200], "json": {"/error": ["expired"]}}, {"text": [{"prefix": "session expired"}]}, {"status": [200], "not": {"present": ["/data"]}}]`, 1)))
	is.New(t).NoErr(err)
}

// TestParseEveryError reports a mistake of each section, one a line, and
// none that a mistake before it causes.
func TestParseEveryError(t *testing.T) {
	is := is.New(t)
	_, err := jsonlogin.Parse([]byte(`{"base_url": "https://api.example.com", "vars": {"user": {}},
	  "login": {"method": "post", "path": "/login", "json": {"user": "{{user}}"}}, "token": "/token",
	  "refused": {"status": [200]}, "lifetime": "1 day"}`))
	is.True(err != nil)
	is.Equal(strings.Split(err.Error(), "\n"), []string{
		`jsonlogin: login.method: "post" is not upper case; methods are case-sensitive: write "POST"`,
		"jsonlogin: refused: the rule matches a 2xx status and reads nothing of the body, so every successful answer would be a refusal; give the status of refusals (such as [401]) or a json, present or text part that tells a refusal from a success",
		`jsonlogin: lifetime: "1 day" is not a positive Go duration such as "1h30m"`,
	})
	_, err = jsonlogin.Parse([]byte(`{"base_url": "https://api.example.com", "vars": {"1user": {}},
	  "login": {"path": "/login", "json": {"user": "{{1user}}"}}, "token": "/token"}`))
	is.Equal(err.Error(), `jsonlogin: vars.1user: "1user" is not a variable name: letters, digits and "_", not starting with a digit`) // no error of the templates that name it
}
