package xanotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xano/xanotest"
	"github.com/matryer/is"
)

// do sends a request to srv and returns the status and the decoded JSON body.
func do(t *testing.T, srv *xanotest.Server, method, path, body, auth string) (int, map[string]any) {
	t.Helper()
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return doHeader(t, srv, method, path, body, h)
}

// doHeader is do with the given header fields.
func doHeader(t *testing.T, srv *xanotest.Server, method, path, body string, h http.Header) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.BaseURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
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
	return resp.StatusCode, m
}

const aliceLogin = `{"email":"` + xanotest.Email + `","password":"` + xanotest.Password + `"}`

func login(t *testing.T, srv *xanotest.Server) string {
	t.Helper()
	status, m := do(t, srv, "POST", "/auth/login", aliceLogin, "")
	if status != 200 {
		t.Fatalf("login: %d %v", status, m)
	}
	return m["authToken"].(string)
}

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	is.True(strings.HasSuffix(srv.BaseURL(), "/api:test"))

	status, m := do(t, srv, "POST", "/auth/login", aliceLogin, "")
	is.Equal(status, 200)
	is.Equal(len(m), 1) // only authToken
	tok := m["authToken"].(string)
	is.Equal(len(strings.Split(tok, ".")), 5) // JWE compact form
	is.True(srv.Valid(tok))

	status, m = do(t, srv, "POST", "/auth/login", `{"email":"alice@example.test","password":"wrong"}`, "")
	is.Equal(status, 403)
	is.Equal(m["code"], xanotest.CodeAccessDenied)
	is.Equal(m["message"], "Invalid Credentials.")
	is.Equal(m["payload"], nil)

	status, m = do(t, srv, "POST", "/auth/login", `{"email":"alice@example.test"}`, "")
	is.Equal(status, 400)
	is.Equal(m["code"], xanotest.CodeInputError)
	is.Equal(m["payload"].(map[string]any)["param"], "password")

	status, m = do(t, srv, "POST", "/auth/login", `{"email":`, "")
	is.Equal(status, 400)
	is.Equal(m["code"], xanotest.CodeInputError)

	id := srv.AddUser("Bob", "bob@example.test", "bobpass")
	is.Equal(id, 2)
	status, _ = do(t, srv, "POST", "/auth/login", `{"email":"bob@example.test","password":"bobpass"}`, "")
	is.Equal(status, 200)
	is.Equal(srv.Logins(), int64(5))
}

func TestSignup(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()

	status, m := do(t, srv, "POST", "/auth/signup", `{"name":"Carol","email":"carol@example.test","password":"pw"}`, "")
	is.Equal(status, 200)
	tok := m["authToken"].(string)
	status, m = do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 200)
	is.Equal(m["email"], "carol@example.test")
	is.Equal(m["name"], "Carol")

	status, m = do(t, srv, "POST", "/auth/signup", `{"name":"A","email":"alice@example.test","password":"pw"}`, "")
	is.Equal(status, 403) // e-mail in use
	is.Equal(m["code"], xanotest.CodeAccessDenied)
	status, m = do(t, srv, "POST", "/auth/signup", `{"email":"d@example.test","password":"pw"}`, "")
	is.Equal(status, 400)
	is.Equal(m["payload"].(map[string]any)["param"], "name")
	is.Equal(srv.Logins(), int64(3)) // signups count as logins
}

func TestMe(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	tok := login(t, srv)

	status, m := do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 200)
	is.Equal(m["id"], float64(1))
	is.Equal(m["name"], xanotest.Name)
	is.Equal(m["email"], xanotest.Email)
	is.True(m["created_at"].(float64) > 0)

	for auth, msg := range map[string]string{
		"":                    xanotest.MsgMissingToken,
		tok:                   xanotest.MsgMissingToken, // no scheme
		"Token " + tok:        xanotest.MsgMissingToken,
		"bearer " + tok:       xanotest.MsgMissingToken, // exact scheme
		"Bearer nonsense":     xanotest.MsgInvalidToken,
		"Bearer " + tok + "x": xanotest.MsgInvalidToken,
	} {
		status, m := do(t, srv, "GET", "/auth/me", "", auth)
		is.Equal(status, 401) // refused
		is.Equal(m["code"], xanotest.CodeUnauthorized)
		is.Equal(m["message"], msg)
	}

	srv.Advance(xanotest.DefaultLifetime)
	status, m = do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 401) // expired after 24 h
	is.Equal(m["message"], xanotest.MsgExpiredToken)

	tok = login(t, srv)
	srv.RevokeAll()
	status, m = do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 401) // revoked
	is.Equal(m["message"], xanotest.MsgInvalidToken)
	status, _ = do(t, srv, "GET", "/auth/me", "", "Bearer "+login(t, srv))
	is.Equal(status, 200)

	is.Equal(srv.Requests(), int64(2))
	is.Equal(srv.Refused(), int64(8))
}

func TestFaults(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()

	srv.SetFault(loginauthtest.FaultNoToken)
	status, m := do(t, srv, "POST", "/auth/login", aliceLogin, "")
	is.Equal(status, 200)
	_, has := m["authToken"]
	is.True(!has) // no token
	is.Equal(m["user"].(map[string]any)["email"], xanotest.Email)

	srv.SetFault(loginauthtest.FaultBadCredentials)
	status, m = do(t, srv, "POST", "/auth/login", aliceLogin, "")
	is.Equal(status, 403)
	is.Equal(m["code"], xanotest.CodeAccessDenied)

	srv.SetFault(loginauthtest.FaultHTML502)
	resp, err := srv.Client().Post(srv.BaseURL()+"/auth/signup", "application/json", strings.NewReader(`{}`))
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, 502) // signup is faulted too

	srv.SetFault(loginauthtest.NoFault)
	login(t, srv)
	is.Equal(srv.Logins(), int64(4))
}

func TestTokenField(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.TokenField = "auth_token"

	status, m := do(t, srv, "POST", "/auth/login", aliceLogin, "")
	is.Equal(status, 200)
	is.Equal(len(m), 1) // only the configured field
	tok, _ := m["auth_token"].(string)
	is.True(srv.Valid(tok))
	status, _ = do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 200)

	status, m = do(t, srv, "POST", "/auth/signup", `{"name":"Carol","email":"carol@example.test","password":"pw"}`, "")
	is.Equal(status, 200)
	_, has := m["authToken"]
	is.True(!has) // signup answers the same way
	tok, _ = m["auth_token"].(string)
	is.True(srv.Valid(tok))
}

func TestAuthorizationHeader(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	tok := login(t, srv)
	const basic = "Basic cHJveHk6cHc=" // a proxy's own credentials
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"instead of Authorization", http.Header{"X-Xano-Authorization": {"Bearer " + tok}}, 200},
		{"only, beside a proxy's Authorization", http.Header{"Authorization": {basic}, "X-Xano-Authorization": {"Bearer " + tok}, "X-Xano-Authorization-Only": {"true"}}, 200},
		{"only, without Authorization", http.Header{"X-Xano-Authorization": {"Bearer " + tok}, "X-Xano-Authorization-Only": {"true"}}, 200},
		{"Authorization first", http.Header{"Authorization": {basic}, "X-Xano-Authorization": {"Bearer " + tok}}, 401},
		{"only ignores Authorization", http.Header{"Authorization": {"Bearer " + tok}, "X-Xano-Authorization-Only": {"true"}}, 401},
		{"only is a flag", http.Header{"X-Xano-Authorization-Only": {"Bearer " + tok}}, 401},
		{"only is true or nothing", http.Header{"Authorization": {basic}, "X-Xano-Authorization": {"Bearer " + tok}, "X-Xano-Authorization-Only": {"1"}}, 401},
		{"Bearer scheme", http.Header{"X-Xano-Authorization": {tok}}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			status, m := doHeader(t, srv, "GET", "/auth/me", "", tc.header)
			is.Equal(status, tc.status)
			if status == 401 {
				is.Equal(m["message"], xanotest.MsgMissingToken) // no token where it is read
			}
		})
	}
	is.Equal(srv.Requests(), int64(3))
	is.Equal(srv.Refused(), int64(5))
}

func TestInvalidCredentials(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	const wrong = `{"email":"alice@example.test","password":"wrong"}`

	srv.InvalidCredentials = xanotest.Error{Status: 403, Code: xanotest.CodeAccessDenied}
	status, m := do(t, srv, "POST", "/auth/login", wrong, "")
	is.Equal(status, 403)
	is.Equal(m["code"], xanotest.CodeAccessDenied)
	msg, has := m["message"]
	is.True(has)      // the message is there
	is.Equal(msg, "") // and empty
	status, _ = do(t, srv, "POST", "/auth/login", aliceLogin, "")
	is.Equal(status, 200) // right credentials still log in

	srv.InvalidCredentials = xanotest.Error{Status: 500, Code: xanotest.CodeFatal, Message: "Invalid Credentials.", Payload: ""}
	status, m = do(t, srv, "POST", "/auth/login", wrong, "")
	is.Equal(status, 500)
	is.Equal(m["code"], xanotest.CodeFatal)
	is.Equal(m["message"], "Invalid Credentials.")
	is.Equal(m["payload"], "")
	srv.SetFault(loginauthtest.FaultBadCredentials)
	status, m = do(t, srv, "POST", "/auth/login", aliceLogin, "")
	is.Equal(status, 500) // the fault answers the same way
	is.Equal(m["code"], xanotest.CodeFatal)
}

func TestTopLevelParam(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.TopLevelParam = true
	status, m := do(t, srv, "POST", "/auth/login", `{"email":"alice@example.test"}`, "")
	is.Equal(status, 400)
	is.Equal(m["code"], xanotest.CodeInputError)
	is.Equal(m["param"], "password")
	_, has := m["payload"]
	is.True(!has) // the param is not under payload
	status, m = do(t, srv, "POST", "/auth/signup", `{"email":"d@example.test","password":"pw"}`, "")
	is.Equal(status, 400)
	is.Equal(m["param"], "name")
}

func TestRequestError(t *testing.T) {
	is := is.New(t)
	srv := xanotest.NewServer()
	defer srv.Close()
	srv.RequestError = xanotest.Error{Status: 403, Code: xanotest.CodePermissionDenied, Message: "Permission denied.", Payload: map[string]string{"id": "7"}}
	tok := login(t, srv)

	status, m := do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 403) // once the token is accepted
	is.Equal(m["code"], xanotest.CodePermissionDenied)
	is.Equal(m["message"], "Permission denied.")
	is.Equal(m["payload"].(map[string]any)["id"], "7")
	status, m = do(t, srv, "GET", "/auth/me", "", "Bearer nonsense")
	is.Equal(status, 401) // a refused token is refused first
	is.Equal(m["code"], xanotest.CodeUnauthorized)
	is.Equal(srv.Requests(), int64(1))
	is.Equal(srv.Refused(), int64(1))

	srv.RequestError = xanotest.Error{}
	status, _ = do(t, srv, "GET", "/auth/me", "", "Bearer "+tok)
	is.Equal(status, 200) // the token stayed valid
}
