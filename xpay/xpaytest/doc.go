// Package xpaytest provides a fake xPay API for tests, in the manner of
// [net/http/httptest].
//
// The fake serves, at its root URL (every method is a POST with a JSON
// body, as xPay's):
//
//	POST /client/authenticate  {"username","secretKey","isAPI":true} → {"success":{"data":{"access_token",...}},"uuid"}
//	POST /client/balance       Authorization: Bearer <access_token> → {"success":{"data":{"balance",...}},"uuid"}
//
// As documented, business outcomes are HTTP 200 either way: a success is
// {"success": {"message", "data"}, "uuid"} and a failure is
// {"error": {"message", "data", "tag"}, "uuid"}. The uuid of a response is
// the request's "uuid" header when it has one, a random UUID otherwise.
// isAPI must be true or "true" (the documentation's curl example sends a
// string); anything else is refused with [MsgInvalidRequest].
//
// The access token is an unsigned JWT that lasts one hour by default, on
// the fake clock; data.expiresAt states its expiry in Unix milliseconds,
// exactly the expiry the fake enforces (and the token's exp claim). How the
// real API refuses a missing, invalid or expired token is undocumented: by
// default the fake answers HTTP 200 with an error envelope whose message is
// [MsgTokenMissing], [MsgTokenInvalid] or [MsgTokenExpired] (the messages of
// the jsonwebtoken library); with [Server.RefuseWith401] it answers the
// same envelope with status 401.
//
// The default account is [Username] / [SecretKey]; [Server.AddUser] adds
// more. Clock, token lifetime, revocation, counters and login faults come
// from the embedded [loginauthtest.Server].
//
//	srv := xpaytest.NewServer()
//	defer srv.Close()
//	resp, err := http.Post(srv.URL+xpaytest.AuthenticatePath, "application/json",
//		strings.NewReader(`{"username":"alice@example.test","secretKey":"test-secret-key","isAPI":true}`))
package xpaytest
