package jsonlogin

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/internal/sourcetest"
)

// refusedBy parses raw, the refused part of a description.
func refusedBy(t testing.TB, raw string) func(*http.Response) bool {
	t.Helper()
	rs, err := parseRules("refused", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return rs.refused
}

// response is a response with status, header fields as name, value
// pairs, and body, of unknown length.
func response(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: -1}
}

// Rules for the cases of TestRuleParts. The last two are the rules of
// small descriptions of xPay and MIC that the built-in providers'
// refusal rules rest on.
const (
	firstOfRule    = `{"status": [200], "first_of": ["/success", "/error"], "json": {"/error/message": ["jwt expired"]}}`
	firstOfPresent = `{"status": [200], "first_of": ["/success", "/error"], "present": ["/error/message"]}`
	wholeRule      = `{"status": [200], "json": {"/error/message": ["jwt expired"]}}`
	textRule       = `{"text": ["Fails.", ""]}`
	loginPage      = `{"status": [302, 303], "header": {"Location": [{"contains": "/login"}]}}`

	// xPay: a token refusal, also when jsonwebtoken adds a suffix to
	// the message, but never a business error that speaks of a token.
	xpayRule = `{"status": [200], "first_of": ["/success", "/error"], "json": {"/error/message": [
	  "jwt expired", {"prefix": "jwt expired "}, {"prefix": "jwt audience invalid. expected: "}]}}`

	// MIC: a 403 whose message contains "token", unless its code is
	// NOT_AUTHORIZED.
	micRule = `{"status": [403], "json": {"/message": [{"contains": "token"}]},
	  "not": {"json": {"/messageKey": ["NOT_AUTHORIZED"]}}}`
)

// TestRuleParts judges answers with each rule part: each case fails when
// its part is not checked.
func TestRuleParts(t *testing.T) {
	for _, tc := range []struct {
		name, rule string
		status     int
		body       string
		header     []string
		want       bool
	}{
		{"first_of: the error first", firstOfRule, 200, `{"uuid": "u", "error": {"message": "JWT expired"}, "success": {}}`, nil, true},
		{"first_of: the success first", firstOfRule, 200, `{"success": {"message": "jwt expired"}, "error": {"message": "jwt expired"}}`, nil, false},
		{"first_of: cut short", firstOfRule, 200, `{"error": {"message": "jwt expired"}, "uuid": "u"`, nil, false},
		{"first_of: neither", firstOfRule, 200, `{"message": "jwt expired"}`, nil, false},
		{"first_of: the member whole", firstOfPresent, 200, `{"error": {"message": "jwt expired"}, "uuid": "u"}`, nil, true},
		{"first_of: the member whole, cut short", firstOfPresent, 200, `{"error": {"message": "jwt expired"}, "uuid": "u"`, nil, false},
		{"first_of: the member's first message", firstOfRule, 200, `{"error": {"message": "jwt expired", "message": "other"}}`, nil, true},
		{"first_of: the member cut short", firstOfRule, 200, `{"error": {"message": "jwt expired", "data": {`, nil, false},
		{"first_of: the member not an object", firstOfRule, 200, `{"error": "jwt expired"}`, nil, false},
		{"first_of: not an object", firstOfRule, 200, `["error"]`, nil, false},
		{"first_of: not JSON", firstOfRule, 200, `{"error": {"message": "jwt expired"}}`, []string{"Content-Type", "text/plain"}, false},
		{"whole, trimmed", wholeRule, 200, `{"error": {"message": " JWT expired\n"}}`, nil, true},
		{"prefix, trimmed", xpayRule, 200, `{"error": {"message": "\tjwt audience invalid. expected: urn:xpay"}}`, nil, true},
		{"whole document", wholeRule, 200, `{"success": {}, "error": {"message": "jwt expired"}}`, nil, true},

		{"text", textRule, 200, " \tFails.\r\n", nil, true},
		{"text ignoring case", textRule, 200, "FAILS.", nil, true},
		{"text empty", textRule, 200, "", nil, true},
		{"text other", textRule, 200, "Ok.", nil, false},
		{"text longer", textRule, 200, "Fails. Or not.", nil, false},
		{"text prefix", `{"text": [{"prefix": "<!doctype html"}]}`, 200, "<!DOCTYPE html><title>Sign in</title>", nil, true},
		{"text prefix, not at the start", `{"text": [{"prefix": "<!doctype html"}]}`, 200, "x<!DOCTYPE html>", nil, false},
		{"text contains", `{"text": [{"contains": "session expired"}]}`, 200, "<p>Your Session Expired.</p>", nil, true},
		{"text contains, longer than the peek", `{"text": [{"contains": "session expired"}]}`, 200, "<p>Session expired</p>" + strings.Repeat(" x", 10<<10), nil, false},

		{"header", loginPage, 302, "", []string{"Location", "https://api.example.com/Login?next=/me"}, true},
		{"header other", loginPage, 302, "", []string{"Location", "/home"}, false},
		{"header absent", loginPage, 302, "", nil, false},
		{"header one of its values", `{"header": {"X-Reason": ["expired"]}}`, 200, "", []string{"X-Reason", "quota", "X-Reason", "Expired"}, true},

		{"not: MIC refusal", micRule, 403, `{"message": "The incoming token has expired"}`, nil, true},
		{"not: MIC permission", micRule, 403, `{"message": "Token lacks a permission", "messageKey": "NOT_AUTHORIZED"}`, nil, false},
		{"not: MIC API key", micRule, 403, `{"message": "Forbidden"}`, nil, false},
		{"not: a list", `{"status": [401], "not": [{"text": ["a"]}, {"text": ["b"]}]}`, 401, "b", nil, false},

		{"prefix: xPay's suffix", xpayRule, 200, `{"error": {"message": "jwt expired 2026-12-07T15:00:00.000Z"}}`, nil, true},
		{"prefix: xPay's claim", xpayRule, 200, `{"error": {"message": "jwt audience invalid. expected: urn:xpay"}}`, nil, true},
		{"prefix: whole", xpayRule, 200, `{"error": {"message": "jwt expired"}}`, nil, true},
		{"prefix: not inside", xpayRule, 200, `{"error": {"message": "the jwt expired yesterday"}}`, nil, false},
		{"prefix: business error", xpayRule, 200, `{"error": {"message": "destination token account is closed"}}`, nil, false},
		{"prefix: a number", `{"json": {"/code": [{"prefix": "4"}]}}`, 200, `{"code": 401}`, nil, false},
		{"equals: an object", `{"json": {"/e": [{"equals": {"prefix": "x"}}]}}`, 200, `{"e": {"prefix": "X"}}`, nil, true},
		{"equals: not a matcher", `{"json": {"/e": [{"equals": {"prefix": "x"}}]}}`, 200, `{"e": "xyz"}`, nil, false},
		{"literal object", `{"json": {"/e": [{"a": 1}]}}`, 200, `{"e": {"a": 1.0}}`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			resp := response(tc.status, tc.body, tc.header...)
			is.Equal(refusedBy(t, tc.rule)(resp), tc.want)
			b, err := io.ReadAll(resp.Body)
			is.NoErr(err)
			is.Equal(string(b), tc.body) // the body is handed back
		})
	}
}

// allRules is a refused part with every rule part.
var allRules = "[" + strings.Join([]string{firstOfRule, wholeRule, textRule, loginPage, xpayRule, micRule,
	`{"text": [{"contains": "expired"}]}`, `{"status": [401]}`}, ",") + "]"

// FuzzRuleParts gives rules with every part arbitrary answers: the caller
// reads the body byte for byte, closing it closes the original, and the
// peek is bounded.
func FuzzRuleParts(f *testing.F) {
	f.Add([]byte(`{"uuid": "u", "error": {"message": "jwt expired"}}`), 200, "", uint16(0), false)
	f.Add([]byte(`{"success": {"data": []}, "error": {"message": "jwt expired"}}`), 200, "application/json", uint16(20000), true)
	f.Add([]byte(` Fails. `), 200, "text/plain", uint16(3), false)
	f.Add([]byte(`{"message": "token", "messageKey": "NOT_AUTHORIZED"}`), 403, "", uint16(0), true)
	refused := refusedBy(f, allRules)
	f.Fuzz(func(t *testing.T, body []byte, status int, ct string, pad uint16, declared bool) {
		sourcetest.CheckRefused(t, refused, status, ct, body, pad, declared)
	})
}

// TestRulePartsBodyIntact checks every rule part with the refusal checks'
// fuzzing harness: the caller reads the body byte for byte, closing it
// closes the original, and the peek is bounded.
func TestRulePartsBodyIntact(t *testing.T) {
	refused := refusedBy(t, allRules)
	long := strings.Repeat(" ", 20<<10)
	for _, body := range []string{
		`{"error": {"message": "jwt expired"}}`, `{"success": {"data": []}}`, "Fails.", "Ok.", "<p>expired</p>",
		`{"message": "token"}`, `{"error": {"message": "jwt expired"}}` + long, "Fails." + long, long + "expired",
	} {
		for _, status := range []int{200, 302, 401, 403} {
			for _, declared := range []bool{false, true} {
				sourcetest.CheckRefused(t, refused, status, "", []byte(body), 0, declared)
			}
		}
	}
	sourcetest.RefusalPeekBounded(t, refused, http.StatusOK, `{"error": {"message": "jwt expired", "pad": "`)
	sourcetest.RefusalPeekBounded(t, refused, http.StatusOK, `expired`)
}

// TestTextReadsLittle checks that a text part reads at most the longest
// value and the white space around it, and one byte more.
func TestTextReadsLittle(t *testing.T) {
	is := is.New(t)
	body := &sourcetest.CountingBody{R: strings.NewReader("  \n Fails. and a long page " + strings.Repeat("x", 10<<10))}
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: body, ContentLength: -1}
	is.True(!refusedBy(t, textRule)(resp))
	is.True(body.N <= len("  \n ")+len("Fails. ")+1) // the white space around the text, and one byte more
}

// TestParseRuleErrors checks that Parse names the rule part that is
// wrong.
func TestParseRuleErrors(t *testing.T) {
	for _, tc := range []struct{ rule, want string }{
		{`{"json": {"/e": [{"$regex": "x"}]}}`, `jsonlogin: refused.json["/e"][0]: "$regex" is not a matcher`},
		{`{"json": {"/e": [{"prefix": 4}]}}`, `jsonlogin: refused.json["/e"][0].prefix: want a non-empty string`},
		{`{"json": {"/e": [{"contains": ""}]}}`, `jsonlogin: refused.json["/e"][0].contains: want a non-empty string`},
		{`{"text": [4]}`, `jsonlogin: refused.text[0]: want a string`},
		{`{"text": [{"equals": {"a": 1}}]}`, `jsonlogin: refused.text[0]: want a string`},
		{`{"text": []}`, `jsonlogin: refused.text: an empty list of values`},
		{`{"header": {"Location": [true]}}`, `jsonlogin: refused.header.Location[0]: want a string`},
		{`{"header": {"Bad Name": ["x"]}}`, `jsonlogin: refused.header: "Bad Name" is not a header field name`},
		{`{"first_of": ["/a/b"], "present": ["/a/b"]}`, `jsonlogin: refused.first_of[0]: "/a/b" is not a top-level member`},
		{`{"first_of": ["/success"], "json": {"/error/message": ["x"]}}`, `jsonlogin: refused.first_of: pointer "/error/message" is not inside`},
		{`{"first_of": ["/a", "/b"], "present": ["/a", "/b"]}`, `jsonlogin: refused.first_of: pointer "/b" is not inside`},
		{`{"first_of": ["/a"], "present": [""]}`, `jsonlogin: refused.first_of: pointer "" is not inside`},
		{`{"first_of": ["/a"], "status": [200]}`, `jsonlogin: refused.first_of: needs a json or present part`},
		{`{"first_of": [], "present": ["/a"]}`, `jsonlogin: refused.first_of: an empty list`},
		{`{"not": {}}`, `jsonlogin: refused.not: a rule needs status`},
		{`{"not": {"stat": [1]}}`, `jsonlogin: refused.not.stat: unknown field`},
	} {
		_, err := parseRules("refused", []byte(tc.rule))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error starting %q", tc.rule, err, tc.want)
		}
	}
}

// TestXPayDescriptionRefusals checks the refusals of the xPay description
// that package xpay embeds (its DefaultRefused is this rule).
func TestXPayDescriptionRefusals(t *testing.T) {
	b, err := os.ReadFile("../xpay/xpay.json")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status int
		body   string
		want   bool
	}{
		{401, "", true},
		{403, `{"error": {"message": "forbidden"}}`, true},
		{200, `{"uuid": "u", "error": {"tag": "t", "message": "jwt expired", "data": {}}}`, true},
		{200, `{"error": {"message": "JWT issuer invalid. expected: https://apis.xpay.stream"}}`, true},
		{200, `{"error": {"message": "jwt issuer invalid"}}`, true},
		{200, `{"error": {"message": "jwt issuer invalid. Expected"}}`, false},
		{200, `{"error": {"message": "destination token account is closed"}}`, false},
		{200, `{"success": {"data": {}}, "error": {"message": "jwt expired"}}`, false},
		{200, `{"error": {"message": "jwt expired"}`, false},
		{500, `{"error": {"message": "jwt expired"}}`, false},
	} {
		if got := spec.refused.refused(response(tc.status, tc.body)); got != tc.want {
			t.Errorf("%d %s: refused = %v, want %v", tc.status, tc.body, got, tc.want)
		}
	}
}
