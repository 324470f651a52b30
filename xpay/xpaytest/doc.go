// Package xpaytest provides a fake xPay API for tests, in the manner of
// [net/http/httptest].
//
// The fake serves, at its root URL (every method is a POST with a JSON
// body, as xPay's), the authenticate endpoint and two of xPay's documented
// bill endpoints:
//
//	POST /client/authenticate  {"username","secretKey","isAPI":true} → {"success":{"data":{"access_token","expiresAt",...}},"uuid"}
//	POST /client/bills/save    {"amount","tag","expireInMinutes","reference"} → {"success":{"message":"bill created","data":{bill}},"uuid"}
//	POST /client/bills/view    {"reference"} → {"success":{"message":"bill found","data":{bill}},"uuid"}
//
// The bill endpoints want "Authorization: Bearer <access_token>".
//
// As documented, business outcomes are HTTP 200 either way: a success is
// {"success": {"message", "data"}, "uuid"} and a failure is
// {"error": {"message", "data", "tag"}, "uuid"}. The uuid of a response is
// the request's "uuid" header when it has one, a random UUID otherwise; it
// sits at the top level, or inside "success" with [Server.UUIDInSuccess],
// as the two forms of xPay's samples do. isAPI must be true or "true" (the
// documentation's curl example sends a string); anything else is refused
// with [MsgInvalidRequest]. [Server.BusinessError] makes the protected
// endpoints answer a business error of the test's choosing.
//
// The access token is an unsigned JWT that lasts one hour by default, on
// the fake clock; data.expiresAt states its expiry in Unix milliseconds,
// not rounded to the second, and is exactly the expiry the fake enforces
// (the token's exp claim is that expiry rounded down to the second). How
// the real API refuses a missing, invalid, expired or revoked token is
// undocumented: by default the fake answers HTTP 200 with an error
// envelope whose whole message is one that a Node JWT middleware sends
// ([MsgTokenMissing], [MsgTokenInvalid], [MsgTokenExpired] from
// jsonwebtoken, [MsgTokenRevoked] from express-jwt); with
// [Server.RefuseWith401] it answers the same envelope with status 401.
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
