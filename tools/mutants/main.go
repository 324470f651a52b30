// Command mutants checks that the tests catch the loss of each guard of
// the library. Each mutant below removes or breaks one guard, in a
// scratch copy of the module, and runs the tests that must fail. The
// command fails when a mutant survives, when it does not compile, or when
// its snippet no longer occurs exactly once in its file, so that a guard
// that loses its test, or a change that moves the guard, is noticed.
//
// Usage, from the repository's root (.ci/mutants.sh runs it):
//
//	go run ./tools/mutants [-race] [name-substring ...]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// edit replaces the one occurrence of old in file with new.
type edit struct{ file, old, new string }

// mutant is one broken guard and the tests that must catch it.
type mutant struct {
	name  string
	pkg   string // package pattern, relative to the module root
	tests string // the -run pattern, anchored by the command
	edits []edit
}

var mutants = []mutant{
	// The Source and the Transport.
	{"ctx-check", ".", "TestCancelledCallerStartsNoLogin", []edit{{"renew.go", "\tif err := ctx.Err(); err != nil {\n\t\treturn nil, fmt.Errorf(\"%s: not waiting for login: %w\", s.cfg.Provider, err)\n\t}\n", ""}}},
	{"invalidate-compare", ".", "TestInvalidateComparesFirst", []edit{{"request.go", "if e == nil || e.revoked || e.tok.AccessToken != tok.AccessToken {", "if e == nil || e.revoked {"}}},
	{"invalidate-revoked", ".", "TestInvalidateComparesFirst|TestTransport401StormOneRelogin|TestTransportFreshTokenRefusedBacksOff", []edit{{"request.go", "if e == nil || e.revoked || e.tok.AccessToken != tok.AccessToken {", "if e == nil || e.tok.AccessToken != tok.AccessToken {"}}},
	{"origin-check", ".", "TestTransportOriginScoping", []edit{{"request.go", "if s.err == nil && !s.Owns(req) {", "if false {"}}},
	{"host-check", ".", "TestTransportOriginScoping|TestTransportHostOfAnotherVirtualHostGetsNoCredentials", []edit{{"origin.go", "if u == nil || (host != \"\" && !sameHost(u, host)) {", "if u == nil {"}}},
	{"backoff-record", ".", "TestFailedLoginSharedAndBackedOff", []edit{{"backoff.go", "\ts.fail.Store(&failure{err: err, until: now.Add(d), n: n, rateLimited: limited})\n", "\t_ = limited\n"}}},
	{"backoff-checks", ".", "TestFailedLoginSharedAndBackedOff", []edit{{"renew.go", "\tif err := s.backoffError(s.now()); err != nil {\n\t\treturn nil, err\n\t}\n", ""}, {"renew.go", "\tif err := s.backoffError(now); err != nil {\n\t\treturn nil, err\n\t}\n", ""}}},
	{"detached-ctx", ".", "TestCallerCancelDoesNotCancelLogin", []edit{{"renew.go", "context.WithTimeout(context.WithoutCancel(ctx), s.cfg.LoginTimeout)", "context.WithTimeout(ctx, s.cfg.LoginTimeout)"}}},
	{"resend", ".", "TestTransportRetriesOnceWithBody", []edit{{"request.go", "\tif !s.cfg.Scheme.Refused(resp) {\n\t\ts.accepted()\n\t\treturn false\n\t}\n\ts.Invalidate(e.tok)", "\tif true {\n\t\ts.accepted()\n\t\treturn false\n\t}\n\ts.Invalidate(e.tok)"}}},
	{"resend-body", ".", "TestTransportRetriesOnceWithBody", []edit{{"request.go", "\t\tif body, err = req.GetBody(); err != nil {", "\t\tif _, err = req.GetBody(); err != nil {"}}},
	{"resend-at-most-once", ".", "TestTransportRetriesAtMostOnce", []edit{{"transport.go", "\ts.resentAnswered(resp, e2)\n", "\tif s.cfg.Scheme.Refused(resp) {\n\t\tresp.Body.Close()\n\t\tr, _ = authorize(req, e2, body)\n\t\tresp, _ = t.transport().RoundTrip(r)\n\t}\n\ts.resentAnswered(resp, e2)\n"}}},
	{"refusal-unread", ".", "TestTransportDrippingRefusalDoesNotDelayResend", []edit{{"transport.go", "\tresp.Body.Close()\n\te2, err", "\tio.Copy(io.Discard, io.LimitReader(resp.Body, 4))\n\tresp.Body.Close()\n\te2, err"}}},
	{"no-getbody-invalidates", ".", "TestTransportNoReplayWithoutGetBody", []edit{{"transport.go", "\tif !s.refusedCached(resp, e) {", "\tif (req.GetBody == nil && req.Body != nil && req.Body != http.NoBody) || !s.refusedCached(resp, e) {"}}},
	{"fresh-refused", ".", "TestTransportFreshTokenRefusedBacksOff", []edit{{"request.go", "\t\ts.freshTokenRefused(e.tok, resp.StatusCode)\n", ""}}},
	{"accepted-reset", ".", "TestTransportFreshTokenRefusedBacksOff", []edit{{"request.go", "\t\ts.rejected.Store(0)\n", ""}}},
	{"close-body-on-error", ".", "TestTransportClosesBodyOnEveryPath", []edit{{"transport.go", "\tif err != nil {\n\t\tcloseBody(req)\n\t\treturn nil, err", "\tif err != nil {\n\t\treturn nil, err"}}},
	{"refresh-ahead-backoff", ".", "TestEarlyWindowDuringBackoffAllocatesNothing", []edit{{"renew.go", "if s.backingOff(now) != nil || !s.refreshing.CompareAndSwap(false, true) {", "if !s.refreshing.CompareAndSwap(false, true) {"}}},
	{"refresh-ahead-once", ".", "TestEarlyRefreshInBackground", []edit{{"renew.go", "if s.backingOff(now) != nil || !s.refreshing.CompareAndSwap(false, true) {", "if s.backingOff(now) != nil { s.refreshing.Store(true) } else {"}}},
	{"load-stored-refused", ".", "TestRefusedStoredTokenNotReloaded", []edit{{"store.go", "if expired || (cur != nil && cur.revoked && cur.tok.AccessToken == tok.AccessToken) || !e.fresh(now) {", "if expired || !e.fresh(now) {"}}},
	{"login-timeout-timer", ".", "TestLoginFuncIgnoringItsContextIsBounded", []edit{{"renew.go", "t := time.NewTimer(s.cfg.LoginTimeout + loginGrace)", "t := time.NewTimer(time.Hour)"}}},
	{"stuck-login-blocks", ".", "TestLoginFuncIgnoringItsContextIsBounded", []edit{{"renew.go", "if !s.running.CompareAndSwap(false, true) {", "if s.running.Store(true); false {"}}},
	{"bad-credentials-longest", ".", "TestBadCredentialsWaitLongest", []edit{{"backoff.go", "\tif le == nil || !le.BadCredentials {", "\tif true {"}}},
	{"retry-after", ".", "TestRateLimitedLoginWaitsRetryAfter", []edit{{"backoff.go", "\t\td = max(d, min(le.RetryAfter, MaxRetryAfter))\n", ""}}},
	{"retry-after-cap", ".", "TestRateLimitedLoginWaitsRetryAfter", []edit{{"backoff.go", "min(le.RetryAfter, MaxRetryAfter)", "le.RetryAfter"}}},
	{"jitter-downward", ".", "TestBackoffJitterStaysWithinBounds", []edit{{"backoff.go", "(0.8+0.2*rand.Float64())", "(0.9+0.2*rand.Float64())"}}},
	{"jitter-floor", ".", "TestBackoffJitterStaysWithinBounds", []edit{{"backoff.go", "max(time.Duration(float64(d)*(0.8+0.2*rand.Float64())), min(s.cfg.MinBackoff, d))", "time.Duration(float64(d)*(0.8+0.2*rand.Float64()))"}}},
	{"early-window-3x-login", ".", "TestEarlyWindowCoversSlowLogin", []edit{{"entry.go", "3*time.Duration(s.loginTook.Load())", "0"}}},
	{"early-window-half", ".", "TestEarlyWindow", []edit{{"entry.go", "\t\treturn min(w, lifetime/2)\n\tdefault:", "\t\treturn w\n\tdefault:"}}},
	{"early-window-default-half", ".", "TestEarlyWindow", []edit{{"entry.go", "\t\tw = max(min(DefaultEarlyRefresh, lifetime/10), 3*time.Duration(s.loginTook.Load()))\n\t\treturn min(w, lifetime/2)", "\t\tw = max(min(DefaultEarlyRefresh, lifetime/10), 3*time.Duration(s.loginTook.Load()))\n\t\treturn w"}}},
	{"early-window-off", ".", "TestEarlyWindow", []edit{{"entry.go", "\tcase w < 0:\n\t\treturn 0\n", ""}}},
	{"year-9999", ".", "TestExpirySources", []edit{{"entry.go", "if !exp.After(now) || exp.Year() > 9999 {", "if !exp.After(now) {"}}},
	{"scrub-login-error", ".", "TestGenericConfigSecretsScrubbed", []edit{{"renew.go", "\t\terr = s.scrub(err, cur)\n\t\tif kind == EventRefresh {", "\t\tif kind == EventRefresh {"}}},
	{"panic-recover", ".", "TestPanicsAndGoexitBecomeErrors", []edit{{"renew.go", "\t\t\t\tr.err = s.panicError(recover(), cur)", "\t\t\t\tr.err = s.panicError(nil, cur)"}}},
	{"hot-path-no-lock", ".", "TestHotPathAllocatesNothing", []edit{{"source.go", "\t\tif e.usable(now) {\n\t\t\tif e.due(now)", "\t\tif false && e.usable(now) {\n\t\t\tif e.due(now)"}}},
	{"one-flight", ".", "TestStampedeOneLogin", []edit{{"renew.go", "\t\tif f := s.fl.Load(); f != nil {\n\t\t\treturn f\n\t\t}\n", ""}, {"renew.go", "\t\tif s.fl.CompareAndSwap(nil, f) {", "\t\tif s.fl.Store(f); true {"}}},
	{"store-delete-on-invalidate", ".", "TestSourceUsesStore", []edit{{"store.go", "\tif err := s.cfg.Store.Delete(ctx, s.cfg.StoreKey, []byte(b)); err != nil {", "\tif err := s.cfg.Store.Delete(ctx, s.cfg.StoreKey, nil); err != nil {"}}},
	{"is-loopback-subdomain", "./internal/hostname", "TestIsLoopback", []edit{{"internal/hostname/hostname.go", "if strings.EqualFold(host, \"localhost\") || strings.EqualFold(host, \"localhost.\") {", "if strings.HasSuffix(strings.ToLower(host), \"localhost\") || strings.EqualFold(host, \"localhost.\") {"}}},
	{"plain-http-refused", ".", "TestConfigErrors|TestParseOriginsLoopback", []edit{{"origin.go", "if o.scheme == \"http\" && !allowHTTP && !hostname.IsLoopback(o.host) {", "if o.scheme == \"http\" && !allowHTTP && !hostname.IsLoopback(o.host) && false {"}}},
	{"store-shares-deadline", ".", "TestFlightFitsOneLoginTimeout", []edit{{"store.go", "\tctx, cancel := context.WithTimeout(ctx, storeTimeout)\n\tdefer cancel()\n\tb, err := s.cfg.Store.Load", "\tctx, cancel := context.WithTimeout(context.Background(), storeTimeout)\n\tdefer cancel()\n\tb, err := s.cfg.Store.Load"}}},
	{"refresh-keeps-refresh-token", ".", "TestRefreshFuncUsedThenLoginFallback", []edit{{"renew.go", "\t\t\tt.RefreshToken = old.tok.RefreshToken\n", ""}}},
	{"refresh-falls-back", ".", "TestRefreshFuncUsedThenLoginFallback", []edit{{"renew.go", "\t\t\tif err = s.refreshFailed(err); err != nil {", "\t\t\tif s.refreshFailed(err); err != nil {"}}},
	{"event-retry", ".", "TestEventsAndLogs", []edit{{"request.go", "\ts.emit(Event{Kind: EventRetry, Origin: originOf(req.URL)})\n", ""}}},
	{"host-warning", ".", "TestTransportHostOfAnotherVirtualHostGetsNoCredentials", []edit{{"request.go", "\tif req.Host != \"\" && u != nil && !sameHost(u, req.Host) {", "\tif false {"}}},
	{"header-copy", ".", "TestTransportLeavesRequestUnmodified", []edit{{"transport.go", "\th := maps.Clone(req.Header)\n", "\th := maps.Clone(req.Header)\n\th = req.Header\n"}}},
	{"url-copy", ".", "TestTransportLeavesRequestUnmodified", []edit{{"transport.go", "\tc.req.URL = &c.url\n", ""}}},
	{"not-loopback-http", "./internal/hostname", "TestIsLoopback", []edit{{"internal/hostname/hostname.go", "\treturn ip != nil && ip.IsLoopback()", "\treturn ip != nil"}}},

	// The Source's additions of the consolidation.
	{"default-lifetime", ".", "TestDefaultLifetime", []edit{{"source.go", "\t\tcfg.Lifetime = cfg.DefaultLifetime\n", ""}}},
	{"zero-transport", ".", "TestZeroTransport", []edit{{"transport.go", "\tif s == nil {\n\t\tcloseBody(req)\n\t\treturn nil, errNoSource\n\t}\n", ""}}},
	{"start-context", ".", "TestEventStartContext", []edit{{"event.go", "\t\t*e.set = ctx\n", ""}}},
	// internal/wire: the bounded read and the redirect policy.
	{"wire-read-limit", "./internal/wire", "TestBoundedRead", []edit{{"internal/wire/wire.go", "io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))", "io.ReadAll(io.LimitReader(resp.Body, 4*MaxBody))"}}},
	{"wire-read-limit-check", "./internal/wire", "TestBoundedRead", []edit{{"internal/wire/wire.go", "\tif len(b) > MaxBody {", "\tif false {"}}},
	{"wire-redirect-origin", "./internal/wire", "TestRedirectPolicy", []edit{{"internal/wire/wire.go", "if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {", "if (req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host)) && false {"}}},
	// internal/redact: every form of a secret.
	{"redact-query-escape", "./internal/redact", "TestSecretsScrubEveryForm", []edit{{"internal/redact/decode.go", "(!strings.Contains(s, \"+\") || yield(unescape(s, \"%+\", percentPlus))) &&", "true &&"}}},
	{"redact-html-around-json", "./internal/redact", "TestSecretsScrubEveryForm", []edit{{"internal/redact/decode.go", "return yield(o) && (!strings.Contains(o.text, innerEsc) || yield(unescape(o.text, innerEsc, inner).under(o)))", "return yield(o)"}}},
	{"redact-base64-extend", "./internal/redact", "TestSecretsScrubBase64", []edit{{"internal/redact/scrub.go", "\tif f.after && j < len(text) && isBase64(text[j]) {", "\tif false {"}}},
	{"wire-retry-after-clock", "./internal/wire", "TestRetryAfterOnCallClock", []edit{{"internal/wire/wire.go", "\t\tif r.now != nil {\n\t\t\tnow = r.now\n\t\t}\n", ""}}},
	{"redact-base64-user", "./xpay", "TestConformance", []edit{{"jsonlogin/source.go", "Users:     c.vals[:len(s.common().names)],", "Users:     nil,"}}},
	// The providers' refusal tests.
	{"mic-not-authorized", "./mic", "TestTokenRefusal|TestRefusals", []edit{{"mic/mic.go", "return code != \"NOT_AUTHORIZED\" && strings.Contains(strings.ToLower(msg), \"token\")", "return (code != \"NOT_AUTHORIZED\" || true) && strings.Contains(strings.ToLower(msg), \"token\")"}}},
	{"mic-403-token-only", "./mic", "TestRefusals", []edit{{"mic/mic.go", "\t\treturn ok && tokenRefusal(b)", "\t\treturn ok && (tokenRefusal(b) || true)"}}},
	{"mic-peek-limit", "./mic", "TestDefaultRefusedEndlessBody", []edit{{"mic/mic.go", "wire.PeekJSON(resp, peekLimit)", "wire.PeekJSON(resp, 1<<40)"}}},
	{"xpay-envelope-refusal", "./xpay", "TestConformance", []edit{{"xpay/xpay.json", `{"status": [200], "first_of"`, `{"status": [299], "first_of"`}}},
	{"xpay-whole-message", "./xpay", "TestDefaultRefused|FuzzRefusesToken", []edit{{"jsonlogin/rule.go", "return ok && strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y))", "return ok && strings.Contains(strings.ToLower(x), strings.ToLower(y))"}}},
	{"peek-gzip", "./internal/peek", "TestJudgeDecodesGzip", []edit{{"internal/peek/peek.go", "\tcase gzipped(resp.Header):", "\tcase false:"}}},
	{"xpay-peek-declared-length", "./xpay", "TestDefaultRefusedBodyIntact|FuzzXPayRefusalPeek", []edit{{"internal/peek/peek.go", "\tcase resp.ContentLength > int64(limit):", "\tcase false:"}}},
	// The built-in providers as descriptions: their Go hooks and overrides.
	{"mic-error-hook", "./mic", "TestBadCredentials|TestWrongAPIKey", []edit{{"mic/mic.go", "\t\tError:    decodeError,\n", ""}}},
	{"xano-param-error", "./xano", "TestErrorParam", []edit{{"xano/xano.go", "le.Err = &ParamError{Param: p}", "_ = p"}}},
	{"xano-signup-token", "./xano", "TestSignup", []edit{{"xano/xano.go", "if t := first.Swap(nil); t != nil {", "if t := first.Swap(nil); false {_ = t"}}},
	{"crux-404-hint", "./crux", "TestLoginPathMoved", []edit{{"crux/crux.go", "le.Err = moved(le.Err, path)", "_ = path"}}},
	{"crux-field-errors", "./crux", "TestAPIError", []edit{{"crux/crux.go", "\t\t\tfieldErrors(le, body)\n", ""}}},
	{"override-store-key", "./xano", "TestStoreKeyKept", []edit{{"jsonlogin/source.go", "return c.spec.hooks.storeKey", "return \"\""}}},
	{"override-check", "./xano", "TestConformance", []edit{{"jsonlogin/source.go", "err = s.hooks.check()", "_ = s.hooks.check()"}}},
	{"override-wrap-login", "./xano", "TestSignup", []edit{{"jsonlogin/source.go", "cfg.Login = s.hooks.wrapLogin(c.login)", "_ = s.hooks.wrapLogin(c.login)"}}},
	{"token-first-string", "./jsonlogin", "TestWithToken", []edit{{"jsonlogin/source.go", "\t\t\tcontinue\n\t\tcase strings.ContainsAny(s, ", "\t\t\treturn \"\", other\n\t\tcase strings.ContainsAny(s, "}}},
	{"token-not-an-object", "./jsonlogin", "TestWithToken", []edit{{"jsonlogin/source.go", "doc != nil && !object && s.token.inBody()", "false && !object"}}},
	{"login-once-scrubbed", "./jsonlogin", "TestWithLoginOp", []edit{{"jsonlogin/override.go", "\t\treturn nil, c.scrubbed(err)\n", "\t\treturn nil, err\n"}}},
	{"expires-at-seconds", "./jsonlogin", "TestExpiresAtMillisecondsToleratesSeconds", []edit{{"jsonlogin/source.go", "s.expiresAtUnit == \"ms\" && n >= 1e11", "s.expiresAtUnit == \"ms\""}}},
	// jsonlogin: strict descriptions and the origins of its calls.
	{"jsonlogin-strict", "./jsonlogin", "TestParseStrict", []edit{{"jsonlogin/spec.go", "\tdec.DisallowUnknownFields()\n", ""}}},
	{"jsonlogin-plain-http", "./jsonlogin", "TestPlainHTTP", []edit{{"jsonlogin/source.go", "if u.Scheme == \"http\" && !c.allowHTTP && !hostname.IsLoopback(u.Hostname()) {", "if false && !hostname.IsLoopback(u.Hostname()) {"}}},
	// jsonlogin rule parts and the streaming peek they read through.
	{"rules-first-of-member", "./jsonlogin", "TestRuleParts|TestXPayDescriptionStreams", []edit{{"jsonlogin/rule.go", "if name, ok := obj.FirstOf(r.firstOf...); !ok || name != r.member {", "if _, ok := obj.FirstOf(r.firstOf...); !ok {"}}},
	{"rules-first-of-end", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "r.matchDoc(map[string]any{r.member: v}) && obj.End()", "r.matchDoc(map[string]any{r.member: v})"}}},
	{"rules-first-of-member-end", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "want.match(v) }) && in.End() && obj.End()", "want.match(v) })"}}},
	{"rules-first-of-member-first", "./jsonlogin", "TestRuleParts|TestXPayDescriptionStreams", []edit{{"jsonlogin/rule.go", "\t\treturn r.matchMember(obj)\n", ""}}},
	{"rules-trim", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "return ok && strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y))", "return ok && strings.EqualFold(x, y)"}}},
	{"rules-prefix-trim", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), v.low)", "strings.HasPrefix(strings.ToLower(s), v.low)"}}},
	{"rules-not", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "return r.not == nil || !r.not.match(a)", "return true"}}},
	{"rules-header", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "\tfor _, f := range r.header {\n", "\tfor _, f := range r.header[:0] {\n"}}},
	{"rules-text", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "if r.text != nil && !r.matchText(a) {", "if false {"}}},
	{"rules-text-whole", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "(whole || v.op == \"prefix\") && v.match(text)", "(whole || true) && v.match(text)"}}},
	{"rules-prefix", "./jsonlogin", "TestRuleParts", []edit{{"jsonlogin/rule.go", "return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), v.low)", "return strings.Contains(strings.ToLower(s), v.low)"}}},
	{"rules-dollar-key", "./jsonlogin", "TestParseRuleErrors", []edit{{"jsonlogin/rule.go", "case strings.HasPrefix(k, \"$\"):", "case false:"}}},
	{"rules-text-early", "./jsonlogin", "TestTextReadsLittle", []edit{{"internal/peek/peek.go", "\t\tcase end > max:", "\t\tcase false:"}}},
	{"rules-peek-sticky-error", "./internal/peek", "TestJudgeKeepsTheError", []edit{{"internal/peek/peek.go", "rest := &sticky{r: resp.Body, err: err}", "rest := &sticky{r: resp.Body}"}}},
	{"jsonlogin-query-escape", "./jsonlogin", "TestValuesEscapedInURL", []edit{{"jsonlogin/urls.go", "\t\t\tv = url.QueryEscape(v)\n", ""}}},
	{"jsonlogin-path-escape", "./jsonlogin", "TestValuesEscapedInURL", []edit{{"jsonlogin/urls.go", "\t\t\tv = url.PathEscape(v)\n", ""}}},
	{"jsonlogin-host-value", "./jsonlogin", "TestURLValues", []edit{{"jsonlogin/urls.go", "if strings.Trim(v, ", "if false && strings.Trim(v, "}}},
	{"jsonlogin-header-line-break", "./jsonlogin", "TestHeaderLineBreak", []edit{{"jsonlogin/basic.go", "if strings.ContainsAny(c.val(n), ", "if false && strings.ContainsAny(c.val(n), "}}},
	{"jsonlogin-last-hop", "./jsonlogin", "TestValueFromRedirectCookie", []edit{{"jsonlogin/source.go", "\t\tc.http = lastHop(c.http)\n", ""}}},
	{"jsonlogin-duplicate-key", "./jsonlogin", "TestParseSyntax", []edit{{"jsonlogin/clean.go", "\tif top.keys[k] {", "\tif false {"}}},
	// internal/app/proxy: what the authenticating reverse proxy relays.
	{"proxy-resend-body", "./internal/app/proxy", "TestRevokeReloginResendsBody", []edit{{"internal/app/proxy/body.go", "\tr.GetBody = func() (io.ReadCloser, error) { return k.open(), nil }\n", ""}}},
	{"proxy-replay-limit", "./internal/app/proxy", "TestLargeBodyStreamsWithoutResend", []edit{{"internal/app/proxy/body.go", "\tif n > max {", "\tif false {"}}},
	{"proxy-accept-encoding", "./internal/app/proxy", "TestRefusalInCompressedBody", []edit{{"internal/app/proxy/proxy.go", "\tpr.Out.Header.Del(\"Accept-Encoding\")\n", ""}}},
	{"cli-catalog-shadow-warning", "./internal/app/cli", "TestCatalogName", []edit{{"internal/app/cli/providers.go", "\t\t\tc.warnf(\"%s shadows", "\t\t\t_ = c.warnf\n\t\t\t_ = fmt.Sprintf(\"%s shadows"}}},
	{"proxy-inbound-token", "./internal/app/proxy", "TestInboundToken", []edit{{"internal/app/proxy/proxy.go", "\tif !p.inboundOK(r) {", "\tif false {"}}},
	{"proxy-connect", "./internal/app/proxy", "TestOtherHostsRefused", []edit{{"internal/app/proxy/proxy.go", "\tif r.Method == http.MethodConnect {", "\tif false {"}}},
	{"proxy-absolute-form", "./internal/app/proxy", "TestOtherHostsRefused", []edit{{"internal/app/proxy/proxy.go", "\tif r.URL.Scheme != \"\" || r.URL.Host != \"\" {", "\tif false {"}}},
	{"proxy-inbound-credentials", "./internal/app/proxy", "TestInboundCredentialsReplaced", []edit{{"internal/app/proxy/proxy.go", "\tfor _, k := range names {\n\t\th.Del(k)", "\tfor _, k := range names[:0] {\n\t\th.Del(k)"}}},
	{"proxy-underscore-names", "./internal/app/proxy", "TestInboundCredentialsReplaced|TestInboundCredentialsReplacedOfAnyScheme", []edit{{"internal/app/proxy/proxy.go", "\t\tif !strings.Contains(k, \"_\") {", "\t\tif true {"}}},
	{"proxy-host-check", "./internal/app/proxy", "TestHostChecked", []edit{{"internal/app/proxy/browser.go", "\tif !g.hosts[hostName(r.Host)] {", "\tif false {"}}},
	{"proxy-other-origin", "./internal/app/proxy", "TestBrowserOriginChecked", []edit{{"internal/app/proxy/browser.go", "\tcase len(origins) == 1 && !strings.EqualFold(origins[0], ownOrigin(r)):", "\tcase false:"}}},
	{"proxy-sec-fetch-site", "./internal/app/proxy", "TestBrowserOriginChecked", []edit{{"internal/app/proxy/browser.go", "\tcase \"cross-site\", \"same-site\":", "\tcase \"\\x00\":"}}},
	{"proxy-cors-stripped", "./internal/app/proxy", "TestBrowserOriginChecked", []edit{{"internal/app/proxy/proxy.go", "\tstripCORS(resp.Header)\n", ""}}},
	{"proxy-dot-segments", "./internal/app/proxy", "TestDotSegmentsRefused", []edit{{"internal/app/proxy/proxy.go", "\tif dotSegment(r.URL.EscapedPath()) {", "\tif false {"}}},
	{"proxy-buffer-cap", "./internal/app/proxy", "TestBufferedBytesCapped|TestBufferedBytesCappedConcurrently", []edit{{"internal/app/proxy/body.go", "\t\tif used+n > b.max {", "\t\tif false {"}}},
	{"proxy-body-timeout", "./internal/app/proxy", "TestBodyTimeout", []edit{{"internal/app/proxy/body.go", "rc.SetReadDeadline(time.Now().Add(p.cfg.BodyTimeout)) == nil", "false"}}},
	{"proxy-buffer-pool", "./internal/app/proxy", "TestAnswersCopiedWithPooledBuffers", []edit{{"internal/app/proxy/proxy.go", "		BufferPool:     buffers{},\n", ""}}},
	{"proxy-idle-pool", "./internal/app/proxy", "TestUpstreamConnectionsReused", []edit{{"internal/app/proxy/proxy.go", "\t\tcfg.Transport = NewTransport(cfg.MaxIdleConns)", "\t\tcfg.Transport = http.DefaultTransport"}}},
	{"proxy-upgraded-drain", "./internal/app/proxy", "TestShutdownWaitsForUpgraded", []edit{{"internal/app/proxy/server.go", "\t\t\ts.handlers.Add(1)\n\t\t\tdefer s.handlers.Done()\n", ""}}},
	{"proxy-no-credentials", "./internal/app/proxy", "TestNoCredentialsSaysWhatToDo", []edit{{"internal/app/proxy/proxy.go", "\tcase errors.Is(err, loginauth.ErrNoCredentials):\n\t\tp.warnNoCredentials(r)", "\tcase false:\n\t\tp.warnNoCredentials(r)"}}},
	{"proxy-set-cookie", "./internal/app/proxy", "TestCookies", []edit{{"internal/app/proxy/proxy.go", "\t\tresp.Header.Del(\"Set-Cookie\")", "\t\t_ = resp"}}},
	{"proxy-listen-check", "./internal/app/proxy", "TestListenRefusesUnsafe", []edit{{"internal/app/proxy/server.go", "\tif err := c.Check(); err != nil {", "\tif err := c.Check(); false && err != nil {"}}},
	{"proxy-read-header-timeout", "./internal/app/proxy", "TestServerTimeouts", []edit{{"internal/app/proxy/server.go", "\t\tReadHeaderTimeout: ReadHeaderTimeout,\n", ""}}},
	// A missing secret fails only the login, and the command built on it.
	{"no-credentials-store-first", ".", "TestNoCredentials.*", []edit{{"source.go", "\tif errors.Is(cfg.Err, ErrNoCredentials) {", "\tif false && errors.Is(cfg.Err, ErrNoCredentials) {"}}},
	{"refused-refresh-one-incident", ".", "TestRefusedRefreshThenLoginIsOneIncident|TestRefusedRefreshThenFailedLoginBacksOffOnce", []edit{{"renew.go", "\t\tif kind == EventRefresh {\n\t\t\ts.report(ctx, op, err, d)", "\t\tif false {\n\t\t\ts.report(ctx, op, err, d)"}}},
	{"rate-limited-refresh-no-login", ".", "TestRateLimitedRefreshDoesNotLogIn", []edit{{"renew.go", "\t} else if !rateLimited(asLoginError(err)) {", "\t} else if true {"}}},
	{"no-login-refresh-backs-off", ".", "TestNoCredentialsRefusedRefreshBacksOff", []edit{{"renew.go", "\ts.backOffAgain(err)\n\treturn err\n}", "\treturn err\n}"}}},
	{"delete-off-request-path", ".", "TestTransportResendDoesNotWaitForStoreDelete", []edit{{"request.go", "\t\t\t\tgo s.forgetStored(wg, e.stored)", "\t\t\t\ts.forgetStored(wg, e.stored)"}}},
	{"no-credentials-login-only", ".", "TestNoCredentials.*", []edit{{"renew.go", "\tif tok == nil && s.cfg.noLogin != nil {", "\tif false {"}}},
	{"settle-waits", ".", "TestSettleWaitsForBackgroundDelete", []edit{{"source.go", "\t\twg.Wait()\n", ""}}},
	{"cli-location-off", "./internal/app/cli", "TestCallCurlFlags", []edit{{"internal/app/cli/call.go", "\t\tcase !follow:", "\t\tcase false:"}}},
	// The command's promises: no false success, no leaked header, a
	// stored token bound to its description, the account kept.
	{"cli-login-unstored", "./internal/app/cli", "TestLoginUnstorable", []edit{{"internal/app/cli/login.go", "if err := a.saved.failed(); err != nil {", "if err := a.saved.failed(); false && err != nil {"}}},
	{"cli-redact-credential-fields", "./internal/app/cli", "TestCallRedactsDescriptionCredentials", []edit{{"internal/app/cli/call.go", "return append(slices.Clone(secretHeaders), s.src.CredentialHeaders()...)", "return secretHeaders"}}},
	{"cli-scrub-headers", "./internal/app/cli", "TestCallRedactsDescriptionCredentials", []edit{{"internal/app/cli/call.go", "return redact.NewSecrets(append(slices.Clip(s.seen), vals...)...)", "return nil"}}},
	{"cli-owns-warning", "./internal/app/cli", "TestCallOwnsDecides", []edit{{"internal/app/cli/call.go", "\tif !src.Owns(req) {", "\tif !strings.HasPrefix(req.URL.String(), a.base()) {"}}},
	{"cli-fingerprint", "./internal/app/cli", "TestDescriptionChangedNeedsLogin", []edit{{"internal/app/cli/stored.go", "\tdefault:\n\t\tif s.changed != nil {", "\tcase \"-\":\n\t\tif s.changed != nil {"}}},
	{"cli-refused-keeps-account", "./internal/app/cli", "TestRefusedKeepsAccount", []edit{{"internal/app/cli/stored.go", "\tif err := s.FileStore.Delete(ctx, key, value); err != nil || s.purge {", "\tif err := s.FileStore.Delete(ctx, key, value); true {"}}},
	{"fake-nofault-clears-delay", "./internal/app/cli", "TestFakeNoFaultClearsDelay", []edit{{"loginauthtest/control.go", "\t\t\ts.SetLoginDelay(0) // FaultSlow", "\t\t\t// s.SetLoginDelay(0) // FaultSlow"}}},
	{"cli-fail-no-body", "./internal/app/cli", "TestCallFail", []edit{{"internal/app/cli/call.go", "\tcase failed || f.head:", "\tcase f.head:"}}},
	{"cli-cache-dir-repair", "./internal/app/cli", "TestLooseCacheDirRepaired", []edit{{"internal/app/cli/account.go", "perm&0o077 != 0 && unixModes()", "false && unixModes()"}}},
	{"cli-error-envelope", "./internal/app/cli", "TestXPayErrorEnvelope", []edit{{"internal/app/cli/call.go", "if a.p.failed != nil && a.p.failed(resp.StatusCode, head.Bytes()) {", "if false {"}}},
	// What a cache or a caller's own header meets below and above the Transport.
	{"resend-revalidates", ".", "TestTransportResendAsksCachesToRevalidate", []edit{{"transport.go", "\trevalidate(r.Header)", "\t// revalidate(r.Header)"}}},
	{"replaced-header-logged-once", ".", "TestTransportLogsReplacedAuthorizationOnce", []edit{{"request.go", "!s.replaced.Load() && s.replaced.CompareAndSwap(false, true)", "true"}}},
	// loginauth proxy: the command's refusal to start an open relay, and
	// the flags it hands to internal/app/proxy.
	{"cli-proxy-listen-check", "./internal/app/cli", "TestProxyRefusesToStart", []edit{{"internal/app/cli/proxy.go", "\tif err := lc.Check(); err != nil {", "\tif err := lc.Check(); false && err != nil {"}}},
	{"cli-proxy-inbound-token", "./internal/app/cli", "TestProxyInboundToken", []edit{{"internal/app/cli/proxy.go", "\t\tInboundToken:      inbound,\n", ""}}},
	{"cli-proxy-max-replay", "./internal/app/cli", "TestProxyLargeBodyNotResent", []edit{{"internal/app/cli/proxy.go", "\t\tMaxReplay:         maxReplay,", "\t\tMaxReplay:         0,"}}},
	{"cli-proxy-allow-origin", "./internal/app/cli", "TestProxyRefusesWebPages", []edit{{"internal/app/cli/proxy.go", "\t\tAllowOrigins:      f.allowOrigins,\n", ""}}},
	{"cli-proxy-no-credentials", "./internal/app/cli", "TestProxyRevokedWithoutSecret", []edit{{"internal/app/cli/proxy.go", "\t\tNoCredentials:     noCredentialsAdvice(a.p, af.spec),\n", ""}}},
	{"cli-proxy-drain", "./internal/app/cli", "TestProxyDrainsOnSIGTERM", []edit{{"internal/app/cli/proxy.go", "srv.Shutdown(f.shutdownTimeout)", "srv.Shutdown(0)"}}},
	// The demo's own checks must see a broken guard.
	{"demo-held-count", "./internal/app/cli", "TestGateCountsOnlyCallsThatReturnWhileHeld", []edit{{"internal/app/cli/demo.go", "if fn(i) && g.held() {", "if fn(i) {"}}},
	{"demo-backoff-check", "./internal/app/cli", "TestDemoCatchesFailures", []edit{{"internal/app/cli/demo.go", "if second != 0 {", "if false {"}}},
	{"demo-clear-check", "./internal/app/cli", "TestDemoCatchesFailures", []edit{{"internal/app/cli/demo.go", "if sent > 0 {", "if false {"}}},
	// The fakes behave as the APIs do.
	{"mictest-refresh-token", "./mic/mictest", "TestLogin", []edit{{"mic/mictest/mictest.go", "\tif refresh != \"\" {", "\tif false {"}}},
	{"xpaytest-error-envelope", "./xpay/xpaytest", "TestProviderFailed", []edit{{"xpay/xpaytest/provider.go", "return v.Success == nil || (v.Error != nil && string(v.Error) != \"null\")", "return false"}}},
	{"xpaytest-expires-at", "./xpay/xpaytest", "TestAuthenticate", []edit{{"xpay/xpaytest/xpaytest.go", "exp := s.Now().Add(s.Lifetime()).Truncate(time.Millisecond)", "exp := s.Now().Add(2 * s.Lifetime()).Truncate(time.Millisecond)"}}},
}

func main() {
	race := flag.Bool("race", false, "run the tests with the race detector")
	flag.Parse()
	scratch, err := os.MkdirTemp("", "loginauth-mutants-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(scratch)
	if err := copyTree(".", scratch); err != nil {
		fatal(err)
	}
	var failed, ran int
	for _, m := range mutants {
		if !selected(m.name, flag.Args()) {
			continue
		}
		ran++
		if msg := run(scratch, m, *race); msg != "" {
			failed++
			fmt.Printf("FAIL %s: %s\n", m.name, msg)
		}
	}
	fmt.Printf("mutants: %d run, %d not caught\n", ran, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func selected(name string, filters []string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if strings.Contains(name, f) {
			return true
		}
	}
	return false
}

var failLine = regexp.MustCompile(`--- FAIL: (\S+)`)

// run applies m in scratch, runs its tests and restores the files. It
// returns why the mutant was not caught, or "".
func run(scratch string, m mutant, race bool) string {
	orig := map[string][]byte{}
	defer func() {
		for f, b := range orig {
			os.WriteFile(filepath.Join(scratch, f), b, 0o644)
		}
	}()
	for _, e := range m.edits {
		path := filepath.Join(scratch, e.file)
		b, err := os.ReadFile(path)
		if err != nil {
			return err.Error()
		}
		if _, ok := orig[e.file]; !ok {
			orig[e.file] = b
		}
		if n := bytes.Count(b, []byte(e.old)); n != 1 {
			return fmt.Sprintf("%s holds its snippet %d times, not once: update the mutant", e.file, n)
		}
		if err := os.WriteFile(path, bytes.Replace(b, []byte(e.old), []byte(e.new), 1), 0o644); err != nil {
			return err.Error()
		}
	}
	args := []string{"test", "-count=1", "-timeout=300s", "-run", "^(" + m.tests + ")$"}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, m.pkg)...)
	cmd.Dir = scratch
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		return fmt.Sprintf("survived: %s %s passed", m.pkg, m.tests)
	case bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")):
		return "does not compile:\n" + string(out)
	}
	caught := "a crash or timeout"
	if f := failLine.FindSubmatch(out); f != nil {
		caught = string(f[1])
	}
	fmt.Printf("ok   %s: caught by %s\n", m.name, caught)
	return ""
}

// copyTree copies the regular files under src, but .git, to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(1)
}
