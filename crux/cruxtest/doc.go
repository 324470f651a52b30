// Package cruxtest provides a fake Crux (CruxConnect) API for tests, in the
// manner of [net/http/httptest].
//
// The fake serves, at its root URL (every path ends with "/", as Crux's):
//
//	POST /timp/organizations/user-login/   {"username","password"} → {"auth_token", "org_uuid", ...}
//	POST /organizations/user-login/        the same, the v1 path
//	GET  /timp/organizations/permissions/  Authorization: Token <auth_token> → the caller's permissions
//	                                       (POST is accepted too)
//
// A path without its trailing slash answers 404. The login requires
// Content-Type application/json (any parameters, such as charset=utf-8) and
// answers 415 otherwise. Tokens are 40 hexadecimal digits and expire two
// hours after issue, on the fake clock; the response does not state the
// expiry, and there is no refresh. Errors are in Django REST Framework
// style: wrong credentials → 401 {"detail":"Invalid username/password."}; a
// missing field → 400 {"username":["This field is required."]}; no
// "Authorization: Token ..." header → 401 {"detail": "Authentication
// credentials were not provided."}; an unknown, expired or revoked token →
// 401 {"detail":"Invalid token."}. Every 401 carries WWW-Authenticate:
// Token. The authentication scheme must be exactly "Token".
//
// The default account is [Username] / [Password]; [Server.AddUser] adds
// more. Clock, token lifetime, revocation, counters and login faults come
// from the embedded [loginauthtest.Server].
//
//	srv := cruxtest.NewServer()
//	defer srv.Close()
//	resp, err := http.Post(srv.URL+cruxtest.LoginPath, "application/json; charset=utf-8",
//		strings.NewReader(`{"username":"alice","password":"s3cret-pass"}`))
package cruxtest
