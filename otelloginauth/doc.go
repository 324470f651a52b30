// Package otelloginauth records the logins, refreshes, refusals and
// withheld requests of a [loginauth.Source] as OpenTelemetry metrics and
// traces. It is a module of its own, so that the core stays free of
// OpenTelemetry.
//
// Both [Instrument] (metrics) and [InstrumentTracing] (traces) return a
// [loginauth.EventFunc] for [loginauth.Options] OnEvent; [Chain] combines
// them, and an OnEvent of one's own:
//
//	metrics, err := otelloginauth.Instrument(meterProvider)
//	if err != nil {
//		return err
//	}
//	cfg.OnEvent = otelloginauth.Chain(metrics, otelloginauth.InstrumentTracing(tracerProvider), myOnEvent)
//
// The Source emits no event on the path of a request that uses a cached
// token, so that path costs nothing more with the instruments than
// without.
//
// # Beside otelhttp
//
// Each layer sees its own part of a request; use the one that answers the
// question, or both:
//
//   - otelhttp's transport above the [loginauth.Transport]
//     (otelhttp.NewTransport(loginauth.NewTransport(src, nil))) makes one
//     client span per request, as the caller sees it. A refusal, the login
//     it causes and the re-send happen inside that span and are not seen
//     as such: a request refused once and re-sent is one span, with the
//     status of the re-send. An xPay refusal comes inside an HTTP 200, so
//     otelhttp records it as a success in either order.
//   - otelhttp's transport below it (loginauth.NewTransport(src,
//     otelhttp.NewTransport(nil))) makes one span per attempt: the refused
//     one, with its 401, and the re-send. It does not see the login.
//   - otelhttp on the provider's login HTTPClient (the HTTPClient field of
//     each provider package's Config) makes a span per login request. With
//     [InstrumentTracing], those spans are children of the
//     "loginauth.login" span, which is a child of the span of the request
//     that needed the login.
//   - The metrics of [Instrument] count what otelhttp cannot tell apart:
//     logins and refreshes, their failures and durations, re-sends after
//     a refusal, forgotten tokens and withheld credentials.
//
// otelhttp puts no header in its spans. otelhttptrace's client trace
// does: it records every request header field as an attribute, and
// redacts only the standard ones (Authorization, Cookie and the like), so
// that MIC's "X-Api-Key" and "Identityid" would be recorded in clear. The
// header fields are written below every RoundTripper, so this holds in
// either order. Pass the Source's credential fields to its redaction
// option:
//
//	trace := func(ctx context.Context) *httptrace.ClientTrace {
//		return otelhttptrace.NewClientTrace(ctx, otelhttptrace.WithRedactedHeaders(src.CredentialHeaders()...))
//	}
//	client := &http.Client{Transport: otelhttp.NewTransport(loginauth.NewTransport(src, nil), otelhttp.WithClientTrace(trace))}
//
// [loginauth.Source.CredentialHeaders] knows the fields before the first
// login for every provider of this module; for a Scheme that is no
// [loginauth.HeaderNamer], it knows them only once a token is cached.
package otelloginauth
