// Package loginauthtest provides the provider-independent core of fake
// login-style API servers, for tests, in the manner of [net/http/httptest].
//
// A [Server] wraps an [httptest.Server] and adds what every fake of an API
// that authenticates with a login call needs: a controllable clock, a
// registry of issued tokens with expiry and revocation, counters of logins,
// refreshes, served and refused requests, and injectable faults on the login
// endpoint (server errors, HTML pages, malformed or empty bodies, huge or
// dripping bodies, slow answers and dropped connections).
//
// The provider fakes (mictest, xanotest, cruxtest, xpaytest) build their
// routes on top of a Server; a test normally uses one of them:
//
//	srv := mictest.NewServer()
//	defer srv.Close()
//	srv.SetFault(loginauthtest.Fault500) // the next logins fail with 500
//	srv.SetFault(loginauthtest.NoFault)
//	srv.Advance(61 * time.Minute)        // every token issued so far has expired
//	fmt.Println(srv.Logins(), srv.Refused())
//
// A provider fake calls [Server.BeginLogin] (or [Server.BeginRefresh]) first
// in its login handler, which counts the attempt and answers the generic
// faults; it answers the provider-specific faults ([FaultNoToken],
// [FaultBadCredentials]) itself. It registers the tokens it mints with
// [Server.Issue] and checks them with [Server.Authorize] (or [Server.Check]
// with [Server.CountRequest] and [Server.CountRefused]).
//
// All methods are safe for concurrent use. Handlers that stall on purpose
// ([FaultSlow], [FaultDrip]) end as soon as the client goes away or the
// server is closed, so [Server.Close] returns promptly and leaks no
// goroutine.
package loginauthtest
