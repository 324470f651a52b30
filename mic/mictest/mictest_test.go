package mictest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/mic/mictest"
	"github.com/matryer/is"
)

type call struct {
	method, path, body string
	header             map[string]string
}

// do sends c to srv and returns the status and the decoded JSON body.
func do(t *testing.T, srv *mictest.Server, c call) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, srv.BaseURL()+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		req.Header.Set(k, v)
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
	return resp.StatusCode, m
}

func loginCall(user, pass string) call {
	return call{"POST", "/auth/login", `{"userName":"` + user + `","password":"` + pass + `"}`, map[string]string{"x-api-key": mictest.APIKey}}
}

type creds struct{ identityID, token, refresh string }

func login(t *testing.T, srv *mictest.Server) creds {
	t.Helper()
	status, m := do(t, srv, loginCall(mictest.Username, mictest.Password))
	if status != 200 {
		t.Fatalf("login: %d %v", status, m)
	}
	c := m["credentials"].(map[string]any)
	r, _ := c["refreshToken"].(string)
	return creds{c["identityId"].(string), c["token"].(string), r}
}

func getUser(t *testing.T, srv *mictest.Server, name string, c creds) (int, map[string]any) {
	t.Helper()
	return do(t, srv, call{"GET", "/users/" + name, "", map[string]string{
		"x-api-key": mictest.APIKey, "Authorization": c.token, "identityId": c.identityID}})
}

func TestLogin(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()

	before := srv.Now()
	status, m := do(t, srv, loginCall(mictest.Username, mictest.Password))
	is.Equal(status, 200)
	u := m["user"].(map[string]any)
	is.Equal(u["userName"], mictest.Username)
	is.Equal(m["permissions"], map[string]any{})
	c := m["credentials"].(map[string]any)
	is.Equal(c["identityId"], mictest.IdentityID)
	rt, _ := c["refreshToken"].(string)
	is.True(rt != "") // a refresh token
	tok := c["token"].(string)
	claims, err := mictest.ParseIDToken(tok)
	is.NoErr(err) // the token is a JWT
	exp := time.Unix(claims.Exp, 0)
	is.True(exp.Sub(before) > 59*time.Minute && exp.Sub(before) <= 60*time.Minute) // exp is one hour ahead
	is.True(srv.Valid(tok))

	status, m = do(t, srv, loginCall(mictest.Username, "wrong"))
	is.Equal(status, 401)
	e := m["errorMessage"].(map[string]any)
	is.Equal(e["messageKey"], mictest.KeyInvalidLogin)

	status, m = do(t, srv, call{"POST", "/auth/login", `{"password":"x"}`, map[string]string{"x-api-key": mictest.APIKey}})
	is.Equal(status, 400)
	e = m["errorMessage"].(map[string]any)
	is.Equal(e["messageKey"], mictest.KeyPropertyRequired)
	is.Equal(e["property"], "userName")

	srv.ErrorWrapper = mictest.WrapMessage
	status, m = do(t, srv, loginCall("nobody", "x"))
	is.Equal(status, 401)
	e = m["message"].(map[string]any) // the other wrapper
	is.Equal(e["messageKey"], mictest.KeyInvalidLogin)

	// The older direct-Lambda route: the object as JSON inside a string.
	srv.ErrorWrapper = mictest.WrapErrorMessageString
	inner := func(m map[string]any) map[string]any {
		s, ok := m["errorMessage"].(string)
		is.True(ok) // errorMessage is a string
		var e map[string]any
		is.NoErr(json.Unmarshal([]byte(s), &e)) // holding the error object
		return e
	}
	status, m = do(t, srv, loginCall(mictest.Username, "wrong"))
	is.Equal(status, 401) // the same status
	e = inner(m)
	is.Equal(e["messageKey"], mictest.KeyInvalidLogin)
	is.Equal(e["message"], "Invalid login")
	status, m = do(t, srv, call{"POST", "/auth/login", `{"userName":"x"}`, map[string]string{"x-api-key": mictest.APIKey}})
	is.Equal(status, 400)
	e = inner(m)
	is.Equal(e["messageKey"], mictest.KeyPropertyRequired)
	is.Equal(e["property"], "password")
	srv.ErrorWrapper = mictest.WrapErrorMessage

	for _, key := range []string{"", "wrong-key"} {
		c := loginCall(mictest.Username, mictest.Password)
		c.header = map[string]string{"x-api-key": key}
		status, m = do(t, srv, c)
		is.Equal(status, 403)
		is.Equal(m["message"], "Forbidden")
	}

	srv.AddUser("bob", "bobpass")
	status, m = do(t, srv, loginCall("bob", "bobpass"))
	is.Equal(status, 200) // added users can log in
	bobID, _ := m["credentials"].(map[string]any)["identityId"].(string)
	is.True(bobID != "" && bobID != mictest.IdentityID) // an identity of their own
	is.Equal(srv.Logins(), int64(9))
}

func TestProtected(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	srv.AddUser("bob", "bobpass")
	c := login(t, srv)

	status, m := getUser(t, srv, mictest.Username, c)
	is.Equal(status, 200)
	is.Equal(m["userName"], mictest.Username)

	// identityId as a query parameter, for backwards compatibility
	status, _ = do(t, srv, call{"GET", "/users/alice?identityId=" + c.identityID, "", map[string]string{
		"x-api-key": mictest.APIKey, "Authorization": c.token}})
	is.Equal(status, 200)

	status, m = getUser(t, srv, "bob", c)
	is.Equal(status, 403) // another user's record
	is.Equal(m["errorMessage"].(map[string]any)["messageKey"], mictest.KeyNotAuthorized)
	status, m = getUser(t, srv, "nobody", c)
	is.Equal(status, 404)
	is.Equal(m["errorMessage"].(map[string]any)["messageKey"], mictest.KeyUserNotFound)

	// The Cognito authorizer first (401), then the API key (403), then
	// the identityId (403).
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
		msg    string
	}{
		{"no token", map[string]string{"x-api-key": mictest.APIKey, "identityId": c.identityID}, 401, mictest.MsgUnauthorized},
		{"no token, no key", map[string]string{"identityId": c.identityID}, 401, mictest.MsgUnauthorized},
		{"unknown token", map[string]string{"x-api-key": mictest.APIKey, "Authorization": "abc", "identityId": c.identityID}, 401, mictest.MsgUnauthorized},
		{"bearer scheme", map[string]string{"x-api-key": mictest.APIKey, "Authorization": "Bearer " + c.token, "identityId": c.identityID}, 401, mictest.MsgUnauthorized},
		{"no key", map[string]string{"Authorization": c.token, "identityId": c.identityID}, 403, mictest.MsgForbidden},
		{"wrong key", map[string]string{"x-api-key": "x", "Authorization": c.token, "identityId": c.identityID}, 403, mictest.MsgForbidden},
		{"no identity", map[string]string{"x-api-key": mictest.APIKey, "Authorization": c.token}, 403, mictest.MsgForbidden},
		{"bad identity", map[string]string{"x-api-key": mictest.APIKey, "Authorization": c.token, "identityId": "eu-west-1:other"}, 403, mictest.MsgForbidden},
	} {
		status, m := do(t, srv, call{"GET", "/users/alice", "", tc.header})
		is.Equal(status, tc.status)    // status: tc.name
		is.Equal(m["message"], tc.msg) // message: tc.name
		is.Equal(len(m), 1)            // nothing but the message: tc.name
	}
	is.Equal(srv.Requests(), int64(4))
	is.Equal(srv.Refused(), int64(8))

	srv.Advance(mictest.DefaultLifetime)
	status, m = getUser(t, srv, mictest.Username, c)
	is.Equal(status, 401) // expired
	is.Equal(m["message"], mictest.MsgExpired)

	c = login(t, srv)
	srv.RevokeAll()
	status, m = getUser(t, srv, mictest.Username, c)
	is.Equal(status, 401) // revoked
	is.Equal(m["message"], mictest.MsgUnauthorized)
	status, _ = getUser(t, srv, mictest.Username, login(t, srv))
	is.Equal(status, 200) // new logins work after RevokeAll
}

func refresh(t *testing.T, srv *mictest.Server, rt string) (int, map[string]any) {
	t.Helper()
	return do(t, srv, call{"POST", "/auth/refresh", `{"refreshToken":"` + rt + `"}`, map[string]string{"x-api-key": mictest.APIKey}})
}

func TestRefresh(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	c := login(t, srv)
	srv.Advance(mictest.DefaultLifetime)

	status, m := refresh(t, srv, c.refresh)
	is.Equal(status, 200)
	cr := m["credentials"].(map[string]any)
	next, _ := cr["refreshToken"].(string)
	is.True(next != "" && next != c.refresh) // a new refresh token by default
	is.Equal(cr["identityId"], mictest.IdentityID)
	is.Equal(m["user"].(map[string]any)["userName"], mictest.Username)
	c.token = cr["token"].(string)
	status, _ = getUser(t, srv, mictest.Username, c)
	is.Equal(status, 200) // the refreshed token works
	status, _ = refresh(t, srv, next)
	is.Equal(status, 200) // the new refresh token works
	status, _ = refresh(t, srv, c.refresh)
	is.Equal(status, 200) // and the old one still does

	srv.OmitRefreshToken = true
	status, m = refresh(t, srv, c.refresh)
	is.Equal(status, 200)
	_, has := m["credentials"].(map[string]any)["refreshToken"]
	is.True(!has) // no refresh token in the answer
	status, _ = refresh(t, srv, c.refresh)
	is.Equal(status, 200) // the one sent stays valid
	srv.OmitRefreshToken = false

	srv.RotateRefreshToken = true
	status, m = refresh(t, srv, c.refresh)
	is.Equal(status, 200)
	rotated := m["credentials"].(map[string]any)["refreshToken"].(string)
	is.True(rotated != "" && rotated != c.refresh)
	status, m = refresh(t, srv, c.refresh)
	is.Equal(status, 401) // the rotated one is revoked
	is.Equal(m["errorMessage"].(map[string]any)["messageKey"], mictest.KeyInvalidLogin)
	is.Equal(srv.ReceivedRefreshTokens(), []string{c.refresh, next, c.refresh, c.refresh, c.refresh, c.refresh, c.refresh})

	srv.RevokeRefreshTokens()
	status, _ = refresh(t, srv, rotated)
	is.Equal(status, 401) // revoked

	status, _ = refresh(t, srv, "unknown")
	is.Equal(status, 401)
	status, _ = do(t, srv, call{"POST", "/auth/refresh", `{}`, map[string]string{"x-api-key": mictest.APIKey}})
	is.Equal(status, 400)
	status, _ = do(t, srv, call{"POST", "/auth/refresh", `{"refreshToken":"x"}`, nil})
	is.Equal(status, 403)                          // no API key
	is.Equal(len(srv.ReceivedRefreshTokens()), 10) // not received: no API key

	c = login(t, srv)
	srv.Advance(mictest.DefaultRefreshLifetime)
	status, _ = refresh(t, srv, c.refresh)
	is.Equal(status, 401) // expired refresh token
	is.Equal(srv.Refreshes(), int64(12))
}

// TestIDToken checks that the fake issues Cognito ID tokens, as MIC
// does: token_use "id", exp − iat the lifetime (3600 s by default), and
// the claims of a Cognito user pool. The fake's clock moves 700 ms at
// every reading, so that exp and iat must come from one reading.
func TestIDToken(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	var ticks atomic.Int64
	start := time.Unix(1_700_000_000, 500_000_000)
	srv.SetNow(func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * 700 * time.Millisecond) })

	c := login(t, srv)
	id, err := mictest.ParseIDToken(c.token)
	is.NoErr(err)
	is.Equal(id.TokenUse, "id")          // an ID token
	is.Equal(id.Exp-id.Iat, int64(3600)) // exp − iat is the lifetime
	is.Equal(id.AuthTime, id.Iat)        // issued at the login
	is.Equal(id.Iss, mictest.Issuer)
	is.Equal(id.Aud, mictest.ClientID)
	is.Equal(id.Username, mictest.Username)
	is.Equal(id.Email, "alice@example.test")
	is.True(id.EmailVerified)
	is.True(id.Sub != "" && id.Jti != "")

	srv.Advance(30 * time.Minute)
	status, m := refresh(t, srv, c.refresh)
	is.Equal(status, 200)
	next, err := mictest.ParseIDToken(m["credentials"].(map[string]any)["token"].(string))
	is.NoErr(err)
	is.Equal(next.TokenUse, "id")
	is.Equal(next.Exp-next.Iat, int64(3600))
	is.True(next.Iat >= id.Iat+30*60)
	is.Equal(next.AuthTime, id.AuthTime) // a refresh is no new login
	is.Equal(next.Sub, id.Sub)           // the same user
	is.True(next.Jti != id.Jti)

	// Another lifetime, on a clock that stands still: the token is
	// accepted until exp, and refused from then on.
	now := time.Unix(1_700_000_000, 0)
	srv.SetNow(func() time.Time { return now })
	srv.SetLifetime(20 * time.Minute)
	c = login(t, srv)
	id, err = mictest.ParseIDToken(c.token)
	is.NoErr(err)
	is.Equal(id.Exp-id.Iat, int64(1200)) // the configured lifetime
	is.Equal(id.Iat, now.Unix())
	srv.Advance(20*time.Minute - time.Second)
	is.True(srv.Valid(c.token)) // until exp
	srv.Advance(time.Second)
	is.True(!srv.Valid(c.token)) // not at exp
}

func TestFaults(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()
	c := login(t, srv)

	srv.SetFault(loginauthtest.FaultNoToken)
	status, m := do(t, srv, loginCall(mictest.Username, mictest.Password))
	is.Equal(status, 200)
	_, has := m["credentials"].(map[string]any)["token"]
	is.True(!has) // no token in a well-formed body
	is.Equal(m["user"].(map[string]any)["userName"], mictest.Username)
	status, m = refresh(t, srv, c.refresh)
	is.Equal(status, 200)
	_, has = m["credentials"].(map[string]any)["token"]
	is.True(!has) // the fault applies to refresh too

	srv.SetFault(loginauthtest.FaultBadCredentials)
	status, m = do(t, srv, loginCall(mictest.Username, mictest.Password))
	is.Equal(status, 401)
	is.Equal(m["errorMessage"].(map[string]any)["messageKey"], mictest.KeyInvalidLogin)
	status, _ = refresh(t, srv, c.refresh)
	is.Equal(status, 401)

	srv.SetFault(loginauthtest.Fault500)
	status, _ = do(t, srv, loginCall(mictest.Username, mictest.Password))
	is.Equal(status, 500) // generic faults are served
	status, _ = refresh(t, srv, c.refresh)
	is.Equal(status, 500)
	status, _ = getUser(t, srv, mictest.Username, c)
	is.Equal(status, 200) // protected endpoints are not faulted

	srv.SetFault(loginauthtest.NoFault)
	status, _ = do(t, srv, loginCall(mictest.Username, mictest.Password))
	is.Equal(status, 200)
	is.Equal(srv.Logins(), int64(5))
	is.Equal(srv.Refreshes(), int64(3))
}

func TestManifests(t *testing.T) {
	is := is.New(t)
	srv := mictest.NewServer()
	defer srv.Close()

	status, m := do(t, srv, call{"GET", "/metadata/manifest", "", nil})
	is.Equal(status, 200) // no key, no auth
	is.Equal(m["ApiKey"], mictest.APIKey)
	is.Equal(m["Region"], mictest.Region)
	for _, k := range []string{"IotEndpoint", "IotEndpointATS", "IdentityPool", "UserPool"} {
		v, _ := m[k].(string)
		is.True(v != "") // manifest field
	}

	resp, err := srv.Client().Get(srv.ManifestURL() + "?hostname=" + mictest.AppHostname)
	is.NoErr(err)
	defer resp.Body.Close()
	var d map[string]any
	is.NoErr(json.NewDecoder(resp.Body).Decode(&d))
	is.Equal(d["ApiGatewayRootUrl"].(string)+"/"+d["StackName"].(string), srv.BaseURL()) // discovery names this fake
	is.Equal(d["Region"], mictest.Region)

	resp2, err := srv.Client().Get(srv.ManifestURL() + "?hostname=unknown.example")
	is.NoErr(err)
	defer resp2.Body.Close()
	b, _ := io.ReadAll(resp2.Body)
	is.Equal(strings.TrimSpace(string(b)), "{}") // unknown host
}
