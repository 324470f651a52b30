// Package proxy is the library side of `loginauth proxy`: an HTTP reverse
// proxy that puts a [loginauth.Source]'s credentials on every request, so
// that a client in any language, or a tool such as curl, uses a
// login-style API without knowing how to log in.
//
//	p, err := proxy.New(proxy.Config{Source: src, BaseURL: "https://api.example.com/v1"})
//	if err != nil { ... }
//	lc := proxy.ListenConfig{Addr: "127.0.0.1:8787"}
//	srv, err := proxy.Listen(lc, p) // checks lc first: see [ListenConfig.Check]
//	if err != nil { ... }
//	go srv.Serve()
//	...
//	srv.Shutdown(10 * time.Second)
//
// A request for /P?Q goes to the base URL joined with /P?Q, through a
// [loginauth.Transport]: every client shares the Source's one login, and a
// request that the API refuses is re-sent once after one re-login, with
// its body when the body was small enough to keep ([Config.MaxReplay]).
//
// # Design
//
// The proxy is a [httputil.ReverseProxy] with a Rewrite hook, which
// handles hop-by-hop headers, 1xx responses, trailers and flushing. The
// hook points the request at the base URL with [httputil.ProxyRequest.SetURL],
// which also clears the outbound Host, so that the Transport sees a
// request for its own origin; and it removes the credentials a client
// sent (Authorization and the Source's [loginauth.Source.CredentialHeaders])
// and, unless [Config.PassCookies], its cookies, because the account is
// shared by every client. Whatever PassCookies says, a client's cookies and
// query parameters of the names that carry the Source's session
// ([loginauth.Source.CredentialCookies], [loginauth.Source.CredentialParams])
// are removed, and so is the API's Set-Cookie of such a cookie. The
// client's Accept-Encoding is removed too: the Transport asks for gzip
// and decodes the answer itself, so that a refusal that only the body
// tells (deluge-web's JSON-RPC error with status 200) is seen even when a
// client would have asked for an encoding that the refusal checks cannot
// read, such as br or zstd; clients get the answer uncompressed.
//
// Nothing but the base URL's origin is ever reached: an absolute-form
// request (a client using the proxy as a forward proxy) gets 400, a
// CONNECT 405. With [Config.InboundToken], a client without the token gets
// 407 and reaches nothing. [ListenConfig.Check] refuses to listen beyond
// loopback without that token and without TLS.
//
// A web page in the user's browser reaches a loopback proxy too. A
// request whose Host is not accepted ([Config.AcceptHosts]) gets 421, one
// from another origin's page ([Config.AllowOrigins]) 403, and a path with
// a dot-segment 400; none reaches anything. The API's Access-Control
// fields are removed; the proxy answers CORS itself for the allowed
// origins.
//
// A body of at most [Config.MaxReplay] bytes is read before it is
// forwarded, within [Config.BodyTimeout], so that it can be re-sent; the
// bodies held at once are bounded by [Config.MaxBuffered]. Other bodies
// stream, with [Config.StreamIdleTimeout] between bytes.
//
// Two paths are the proxy's own and are never forwarded: [HealthPath]
// asks the Source for a token, and [StatsPath] answers the Source's and
// the proxy's counters ([Stats]) as JSON.
package proxy
