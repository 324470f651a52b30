// Package compat holds no code: its tests prove how loginauth composes
// with the libraries its users already run (otelhttp and otelhttptrace,
// go-retryablehttp, resty, httpcache, golang.org/x/oauth2, HTTP/2), and
// benchmark the Source's Token beside the cached token sources of
// cloud.google.com/go/auth and k8s.io/client-go. It is a module of its
// own, so that the core module requires none of them. Its tests also
// check jsonlogin/schema.json against the descriptions in the tree and
// the parser's broken ones, with a JSON Schema validator. The README's
// section "Composing with other transports" names the test behind each of
// its claims.
package compat
