// Package xanotest provides a fake Xano API (the default authentication
// endpoints of an API group) for tests, in the manner of
// [net/http/httptest].
//
// The fake serves the API group "api:test", so [Server.BaseURL]
// (URL + "/api:test") is what a client uses as its base URL:
//
//	POST {base}/auth/login   {"email","password"}        → {"authToken": "<JWE>"}
//	POST {base}/auth/signup  {"name","email","password"} → {"authToken": "<JWE>"}
//	GET  {base}/auth/me      Authorization: Bearer <authToken> → {"id","name","email","created_at"}
//
// [Server.TokenField] names the token's field otherwise ("auth_token",
// "token"), as a project's own login endpoint may. /auth/me reads the
// token from Authorization; from X-Xano-Authorization when there is no
// Authorization, or when "X-Xano-Authorization-Only: true" says to ignore
// it (a flag: a token in it is not read).
//
// Tokens are opaque, like Xano's JWEs (five base64url segments), and last
// 24 hours by default, on the fake clock; the response does not state the
// expiry. Errors follow Xano's {"code","message","payload"} shape: wrong
// credentials → 403 ERROR_CODE_ACCESS_DENIED "Invalid Credentials.", or
// what [Server.InvalidCredentials] says (an empty message, 500 ERROR_FATAL);
// a missing field → 400 ERROR_CODE_INPUT_ERROR with payload.param (at the
// top level with [Server.TopLevelParam]); a missing, unknown, expired or
// revoked token → 401 ERROR_CODE_UNAUTHORIZED. A signup with an e-mail
// already in use → 403 ERROR_CODE_ACCESS_DENIED "This account is already
// in use.", as the precondition of Xano's signup template answers.
// [Server.RequestError] makes /auth/me answer an endpoint's own error,
// such as 403 ERROR_CODE_PERMISSION_DENIED, to a token it accepts.
//
// The default account is [Email] / [Password]; [Server.AddUser] and the
// signup endpoint add more. Clock, token lifetime, revocation, counters and
// faults come from the embedded [loginauthtest.Server]; a signup counts as
// a login and is subject to the login faults.
//
//	srv := xanotest.NewServer()
//	defer srv.Close()
//	resp, err := http.Post(srv.BaseURL()+"/auth/login", "application/json",
//		strings.NewReader(`{"email":"alice@example.test","password":"s3cret-pass"}`))
package xanotest
