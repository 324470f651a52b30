package cruxtest_test

import (
	"encoding/json"
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

	resp, _ = do(t, srv, "POST", strings.TrimSuffix(cruxtest.LoginPath, "/"), jsonUTF8, aliceLogin, "")
	is.Equal(resp.StatusCode, 404) // paths end with a slash

	srv.AddUser("bob", "bobpass")
	resp, _ = do(t, srv, "POST", cruxtest.LoginPath, jsonUTF8, `{"username":"bob","password":"bobpass"}`, "")
	is.Equal(resp.StatusCode, 200)
	is.Equal(srv.Logins(), int64(7))
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
		"token " + tok:   cruxtest.MsgNoCredentials, // exact scheme
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
	is.Equal(srv.Refused(), int64(7))
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
