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
// A path without its trailing slash answers 404. Tokens are 40
// hexadecimal digits and expire two hours after issue, on the fake clock;
// the response does not state the expiry, and there is no refresh.
//
// Crux does not document its error bodies. The fake answers as Django REST
// Framework (DRF), which CruxConnect appears to use, with its
// TokenAuthentication and JSON parser:
//
//   - The Authorization field is split on white space (spaces, tabs). Its
//     first part is the keyword "Token" in any case ("token", "TOKEN");
//     repeated fields are joined with commas first, as WSGI servers do.
//   - No field, an empty one or another scheme ("Bearer ...", a raw
//     token) → 401 {"detail": "Authentication credentials were not
//     provided."}; the keyword alone → [MsgHeaderNoToken]; more than two
//     parts → [MsgHeaderSpaces]; a token that is not UTF-8 →
//     [MsgHeaderInvalid]; an unknown, expired or revoked token →
//     [MsgInvalidToken]. Every 401 carries WWW-Authenticate: Token.
//   - On every endpoint, after the credentials, a non-empty body whose
//     Content-Type is not application/json (any parameters, such as
//     charset=utf-8; DRF also takes "*/*") → 415 {"detail": "Unsupported
//     media type \"text/plain\" in request."}; a body that is not JSON →
//     400 {"detail": "JSON parse error - ..."}. An empty body is no data,
//     whatever its Content-Type.
//   - Login: wrong credentials → 401 {"detail": "Invalid
//     username/password."}; a missing field → 400 {"username": ["This
//     field is required."]}, an empty one → 400 {"password": ["This field
//     may not be blank."]}.
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
