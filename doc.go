// Package loginauth authenticates HTTP clients against APIs that hand out
// a token from a login call (a username and a password or secret) rather
// than through a standard OAuth2 flow, and want that token back in their
// own header scheme on every call.
//
// A [Source] logs in, caches the token and renews it; a [Transport] puts
// the token on every request to the API's origin and re-sends a request
// once when the API refuses it:
//
//	src := loginauth.New(loginauth.Config{
//		Provider: "example",
//		Origins:  []string{"https://api.example.com"},
//		Login: func(ctx context.Context) (*oauth2.Token, error) {
//			// POST the username and password; return the token.
//		},
//		Scheme: loginauth.TokenScheme, // Authorization: Token <t>
//	})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//
// The provider packages mic, xano, crux and xpay build such a Source from
// their own Config, and ship fake servers (mictest, xanotest, cruxtest,
// xpaytest) to test against.
//
// # Logins
//
// A Source holds its token behind an atomic pointer: a caller with a valid
// cached token takes no lock and allocates nothing. Callers that find no
// valid token share one login (golang.org/x/sync/singleflight), however
// many arrive together. The login runs detached from their contexts and
// bounded by [Options.LoginTimeout]: a caller that gives up returns at once
// and the others still get the token.
//
// Inside a token's early-refresh window, callers get the still-valid token
// at once while one background refresh runs. A failed login is shared by
// its waiters, and later callers get the same failure at once during an
// exponential backoff window; a refusal of the credentials waits the
// longest window, so that a wrong password is never hammered.
//
// A token's expiry is taken from the login response when the provider
// states it, else from the exp claim of a JWT (read without verification,
// only to schedule renewals), else from [Options.Lifetime], else from the
// provider's [Config.DefaultLifetime].
//
// # Requests
//
// A [Transport] never modifies the caller's request. It adds credentials
// only when the request's scheme, host and port equal one of
// [Config.Origins]: redirect hops to other hosts, other ports, or from
// https to http go out without them. A Source refuses a plain-http origin
// on a host that is not loopback unless [Options.AllowHTTP] is set. A
// [Scheme] puts the credentials in header fields; one that is also a
// [RequestScheme] puts them in cookies, merged with the request's own, and
// in query parameters too.
//
// When a response refuses the credentials (by default a 401; a [Scheme]
// decides), the Transport invalidates the token it used, gets a fresh one,
// and re-sends the request once with a body from GetBody.
// [Source.Invalidate] compares before it clears, so that many requests
// refused together cause one login.
//
// No error, log record or fmt output of this package's types holds a
// password, secret or token.
package loginauth
