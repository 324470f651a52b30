package cruxtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

// do sends a request to srv and returns the response (body consumed) and
// the decoded JSON body.
func do(t *testing.T, srv *cruxtest.Server, method, path, contentType, body, auth string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return send(t, srv, req)
}

// send sends req to srv and returns the response (body consumed) and the
// decoded JSON body.
func send(t *testing.T, srv *cruxtest.Server, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
	}
	return resp, m
}

const (
	jsonUTF8   = "application/json; charset=utf-8"
	aliceLogin = `{"username":"` + cruxtest.Username + `","password":"` + cruxtest.Password + `"}`
)

func login(t *testing.T, srv *cruxtest.Server) string {
	t.Helper()
	resp, m := do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, aliceLogin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %v", resp.StatusCode, m)
	}
	return m["auth_token"].(string)
}

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()

	resp, m := do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, aliceLogin, "")
	is.Equal(resp.StatusCode, 200)
	is.True(regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(m["auth_token"].(string))) // 40 hex digits
	is.Equal(m["org_type"], "RETAILER")
	for _, k := range []string{"org_uuid", "user_uuid", "retailer_uuid", "supplier_uuid", "permission_assignments"} {
		_, ok := m[k]
		is.True(ok) // documented field
	}
	resp, _ = do(t, srv, "POST", cruxtest.LoginPathV1, "application/json", aliceLogin, "")
	is.Equal(resp.StatusCode, 200) // the v1 path, plain application/json

	resp, m = do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, `{"username":"alice","password":"nope"}`, "")
	is.Equal(resp.StatusCode, 401)
	is.Equal(resp.Header.Get("WWW-Authenticate"), "Token")
	is.Equal(m["detail"], cruxtest.MsgInvalidCredentials)

	resp, m = do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, `{"password":""}`, "")
	is.Equal(resp.StatusCode, 400)
	is.Equal(m["username"], []any{cruxtest.MsgRequired})
	is.Equal(m["password"], []any{cruxtest.MsgBlank})

	resp, m = do(t, srv, "POST", cruxtest.LoginPath, "text/plain", aliceLogin, "")
	is.Equal(resp.StatusCode, 415)
	is.Equal(m["detail"], `Unsupported media type "text/plain" in request.`)
	resp, _ = do(t, srv, "POST", cruxtest.LoginPath, "", aliceLogin, "")
	is.Equal(resp.StatusCode, 415) // no Content-Type
	resp, m = do(t, srv, "POST", cruxtest.LoginPath, "text/plain", "", "")
	is.Equal(resp.StatusCode, 400) // an empty body is no data, whatever its type
	is.Equal(m["username"], []any{cruxtest.MsgRequired})

	resp, _ = do(t, srv, "POST", strings.TrimSuffix(cruxtest.LoginPath, "/"), jsonUTF8, aliceLogin, "")
	is.Equal(resp.StatusCode, 404) // paths end with a slash

	srv.AddUser("bob", "bobpass")
	resp, _ = do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, `{"username":"bob","password":"bobpass"}`, "")
	is.Equal(resp.StatusCode, 200)
	is.Equal(srv.Logins(), int64(8))
}

func TestProtected(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()
	tok := login(t, srv)

	resp, m := do(t, srv, "GET", cruxtest.PermissionsPath, jsonUTF8, "", "Token "+tok)
	is.Equal(resp.StatusCode, 200)
	is.True(m["permission_assignments"] != nil)
	resp, _ = do(t, srv, "POST", cruxtest.PermissionsPath, jsonUTF8, "{}", "Token "+tok)
	is.Equal(resp.StatusCode, 200) // POST too

	for auth, msg := range map[string]string{
		"":               cruxtest.MsgNoCredentials,
		tok:              cruxtest.MsgNoCredentials,
		"Bearer " + tok:  cruxtest.MsgNoCredentials,
		"Token nonsense": cruxtest.MsgInvalidToken,
	} {
		resp, m := do(t, srv, "GET", cruxtest.PermissionsPath, jsonUTF8, "", auth)
		is.Equal(resp.StatusCode, 401) // refused
		is.Equal(resp.Header.Get("WWW-Authenticate"), "Token")
		is.Equal(m["detail"], msg)
	}

	srv.Advance(cruxtest.DefaultLifetime)
	resp, m = do(t, srv, "GET", cruxtest.PermissionsPath, jsonUTF8, "", "Token "+tok)
	is.Equal(resp.StatusCode, 401) // expired after two hours
	is.Equal(m["detail"], cruxtest.MsgInvalidToken)

	tok = login(t, srv)
	srv.RevokeAll()
	resp, _ = do(t, srv, "GET", cruxtest.PermissionsPath, jsonUTF8, "", "Token "+tok)
	is.Equal(resp.StatusCode, 401) // revoked
	resp, _ = do(t, srv, "GET", cruxtest.PermissionsPath, jsonUTF8, "", "Token "+login(t, srv))
	is.Equal(resp.StatusCode, 200)
	is.Equal(srv.Requests(), int64(3))
	is.Equal(srv.Refused(), int64(6))
}

// TestTokenAuthentication checks the Authorization field as Django REST
// Framework's TokenAuthentication.authenticate reads it: split on white
// space, the keyword in any case.
func TestTokenAuthentication(t *testing.T) {
	srv := cruxtest.NewServer()
	defer srv.Close()
	tok := login(t, srv)
	var accepted, refused int64
	for _, tt := range []struct {
		name string
		auth []string // the Authorization fields sent
		msg  string   // the detail of the 401; empty when accepted
	}{
		{"Token", []string{"Token " + tok}, ""},
		{"lower case", []string{"token " + tok}, ""},
		{"upper case", []string{"TOKEN " + tok}, ""},
		{"tab", []string{"Token\t" + tok}, ""},
		{"spaces", []string{"tOkEn   " + tok + "  "}, ""},
		{"none", nil, cruxtest.MsgNoCredentials},
		{"empty", []string{""}, cruxtest.MsgNoCredentials},
		{"raw token", []string{tok}, cruxtest.MsgNoCredentials},
		{"Bearer", []string{"Bearer " + tok}, cruxtest.MsgNoCredentials},
		{"no space", []string{"Token" + tok}, cruxtest.MsgNoCredentials},
		{"Kelvin sign", []string{"to\u212aen " + tok}, cruxtest.MsgNoCredentials}, // folds to "k" in Go, not in Python's bytes.lower
		{"keyword only", []string{"Token"}, cruxtest.MsgHeaderNoToken},
		{"keyword and spaces", []string{"Token   "}, cruxtest.MsgHeaderNoToken},
		{"three parts", []string{"Token " + tok + " x"}, cruxtest.MsgHeaderSpaces},
		{"quoted", []string{`Token "` + tok + ` "`}, cruxtest.MsgHeaderSpaces},
		{"repeated", []string{"Token " + tok, "Token " + tok}, cruxtest.MsgHeaderSpaces}, // joined with a comma: "Token t,Token t"
		{"not UTF-8", []string{"Token \xff" + tok[1:]}, cruxtest.MsgHeaderInvalid},
		{"unknown", []string{"Token nonsense"}, cruxtest.MsgInvalidToken},
		{"token in another case", []string{"Token " + strings.ToUpper(tok)}, cruxtest.MsgInvalidToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			req, err := http.NewRequest("GET", srv.URL+cruxtest.PermissionsPath, nil)
			is.NoErr(err)
			req.Header["Authorization"] = tt.auth
			resp, m := send(t, srv, req)
			if tt.msg == "" {
				accepted++
				is.Equal(resp.StatusCode, 200) // accepted
				is.Equal(m["org_type"], "RETAILER")
				return
			}
			refused++
			is.Equal(resp.StatusCode, 401) // refused
			is.Equal(resp.Header.Get("WWW-Authenticate"), "Token")
			is.Equal(m["detail"], tt.msg)
		})
	}
	is := is.New(t)
	is.Equal(srv.Requests(), accepted) // counted as served
	is.Equal(srv.Refused(), refused)   // and as refused
}

// TestUnsupportedMediaType checks that every endpoint, not only the
// login, answers 415 to a body that is not JSON, after the credentials,
// as Django REST Framework's parsers do; an empty body is no data.
func TestUnsupportedMediaType(t *testing.T) {
	srv := cruxtest.NewServer()
	defer srv.Close()
	tok := login(t, srv)
	for _, tt := range []struct {
		method, contentType, body, auth string
		status                          int
		detail                          string
	}{
		{"POST", "text/plain", "{}", "Token " + tok, 415, `Unsupported media type "text/plain" in request.`},
		{"POST", "text/plain; charset=utf-8", "{}", "Token " + tok, 415, `Unsupported media type "text/plain; charset=utf-8" in request.`},
		{"POST", "application/x-www-form-urlencoded", "a=b", "Token " + tok, 415, `Unsupported media type "application/x-www-form-urlencoded" in request.`},
		{"POST", "", "{}", "Token " + tok, 415, `Unsupported media type "" in request.`},
		{"GET", "text/plain", "{}", "Token " + tok, 415, `Unsupported media type "text/plain" in request.`},
		{"POST", "text/plain", "{}", "", 401, cruxtest.MsgNoCredentials}, // the credentials first
		{"POST", "application/json", "{", "Token " + tok, 400, ""},
		{"POST", "text/plain", "", "Token " + tok, 200, ""}, // no body: nothing to parse
		{"POST", "application/json", "{}", "Token " + tok, 200, ""},
		{"POST", jsonUTF8, "{}", "Token " + tok, 200, ""},
		{"POST", "Application/JSON", "{}", "Token " + tok, 200, ""},
		{"POST", "*/*", "{}", "Token " + tok, 200, ""}, // DRF matches wildcards
		{"POST", "application/*", "{}", "Token " + tok, 200, ""},
	} {
		name := fmt.Sprintf("%s %q %q auth=%v", tt.method, tt.contentType, tt.body, tt.auth != "")
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			resp, m := do(t, srv, tt.method, cruxtest.PermissionsPath, tt.contentType, tt.body, tt.auth)
			is.Equal(resp.StatusCode, tt.status) // the status
			switch {
			case tt.detail != "":
				is.Equal(m["detail"], tt.detail)
			case tt.status == 400:
				is.True(strings.HasPrefix(m["detail"].(string), "JSON parse error - ")) // DRF's ParseError
			}
		})
	}
}

func TestFaults(t *testing.T) {
	is := is.New(t)
	srv := cruxtest.NewServer()
	defer srv.Close()

	srv.SetFault(loginauthtest.FaultNoToken)
	resp, m := do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, aliceLogin, "")
	is.Equal(resp.StatusCode, 200)
	_, has := m["auth_token"]
	is.True(!has) // no token
	is.Equal(m["org_type"], "RETAILER")

	srv.SetFault(loginauthtest.FaultBadCredentials)
	resp, m = do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, aliceLogin, "")
	is.Equal(resp.StatusCode, 401)
	is.Equal(m["detail"], cruxtest.MsgInvalidCredentials)

	srv.SetFault(loginauthtest.FaultMalformedJSON)
	r, err := srv.Client().Post(srv.URL+cruxtest.LoginPath, jsonUTF8, strings.NewReader(aliceLogin))
	is.NoErr(err)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	is.Equal(string(b), `{"auth`)

	srv.SetFault(loginauthtest.NoFault)
	login(t, srv)
	is.Equal(srv.Logins(), int64(4))
}
