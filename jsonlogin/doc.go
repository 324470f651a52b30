// Package jsonlogin drives a login-style API from a JSON description, with
// no Go code of the API's own: post a user name and a secret, read a token
// from the JSON answer, send it back in a header.
//
//	spec, err := jsonlogin.Parse(description)
//	src := spec.NewSource(map[string]string{"username": user, "password": pass}, loginauth.Options{})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//
// A description (version 1) names the API's base_url, its variables
// (vars), the login request and, optionally, a refresh request; the JSON
// Pointers (RFC 6901) of the token, refresh_token, expiry (expires_in in
// seconds, or expires_at with expires_at_unit "s", "ms" or "rfc3339"; in
// "ms", a number below 1e11, too small for milliseconds since 1973, is
// read as seconds) and
// extra values in the answer; the header fields that carry them; and
// rules that recognise a refused token (refused), a failed login
// (error.when, besides any status that is not 2xx) and wrong credentials
// (bad_credentials):
//
//	{
//	  "name": "acme",
//	  "base_url": "{{base_url}}",
//	  "vars": {"base_url": {}, "username": {}, "password": {"secret": true}},
//	  "login": {"path": "/v2/session", "json": {"user": "{{username}}", "pass": "{{password}}"}},
//	  "token": "/data/token",
//	  "header": {"Authorization": "Session {{token}}"},
//	  "refused": {"status": [440]}
//	}
//
// Strings of base_url, login, refresh, logout, header, cookie and query
// are templates: {{name}} stands for a variable, and in header, cookie,
// query and logout for {{token}}, {{refresh_token}} or {{extra.NAME}} of
// the current token; refresh may use {{token}} and {{refresh_token}}. A
// rule is an object whose parts (status, header, text, json, present,
// not) must all match, or a list of such objects of which one must. In a
// rule, header means the answer's header fields and text its whole body,
// trimmed; first_of ["/success", "/error"] makes json and present look
// inside the first of those top-level members to appear. Values compare
// whole, ignoring the case of strings and the white space around them, or
// match strings with {"prefix": "…"} (after that white space) or
// {"contains": "…"}; {"equals": …} compares with an
// object that looks like a matcher. A refused rule reads the body only as
// far as it needs, at most 16 KiB, and puts it back byte for byte.
//
// A session that travels in a cookie is described with cookie, such as
// {"SID": "{{token}}"}, merged by name with the request's own cookies;
// one in the URL with query, such as {"_sid": "{{token}}"} (a header is
// better when the API takes one: a URL lands in access logs). Both go
// only to the origins, as header does; without header, no Authorization
// field is sent. A refresh with "needs_valid_token": true re-issues the
// current token, as PocketBase's auth-refresh does: it is tried only
// while the token is valid and needs no refresh_token
// ([loginauth.Config.RefreshWhileValid]). An optional logout request, of
// the shape of login, ends a session at the API ([loginauth.Source.Logout]).
//
// Where a value comes from (token, refresh_token, expires_in, expires_at
// and the values of extra) is a JSON Pointer into the answer, a header
// field ({"header": "X-Subject-Token"}), a cookie that the answer sets
// ({"cookie": "SID"}), for expires_at that cookie's Max-Age or Expires
// ({"cookie_expires": "SID"}), or a list of these of which the first
// that holds a value wins (for token and refresh_token, the first that
// holds a string; another type is an error only when none does). When a description reads a header or a
// cookie, its login and refresh calls do not follow redirects, so that
// the Set-Cookie of a form login's 302 is read, and a 3xx answer is a
// success; an answer that is not JSON, such as "Ok.", is then no error
// while the token is found outside the body. expires_in_unit "ms" reads
// expires_in in milliseconds.
//
// A request's basic ({"username": "{{username}}", "password":
// "{{password}}"}) sends HTTP Basic credentials; their encoded value is
// scrubbed as a secret. Each value is escaped for the part of the URL
// where the template's own text puts it: url.PathEscape in the path and
// url.QueryEscape in the query, so that no value can add a path segment,
// a query parameter or a fragment. A variable that is the whole base_url
// or url, or that begins one before "/", "?" or "#", holds a URL: it is
// inserted as it is, and must be an absolute http or https URL without
// user info. A value in a URL's host may hold letters, digits, "-", ".",
// "_" and "~" only, and a value with a line break is refused in a header.
// A "$comment" string is allowed in every object, and ignored, except in
// a json body, which is sent as written; "$schema" is allowed at the top.
//
// [Parse] is strict: an unknown field, a key given twice, a value of the
// wrong type, a pointer that is not one, a template that names an
// undeclared variable or looks like a shell variable (${NAME}), a
// lower-case method, a secret variable with a default or an origin with a
// path is an error that names the field by its JSON path; a syntax error
// names its line and column. The Source
// that [Spec.NewSource] returns is a [loginauth.Source] like any
// provider's: one login for all callers, renewal ahead of expiry, a
// re-send after a refusal. Its login answers are read through the same
// 1 MiB limit and give the same errors as the built-in providers'. The
// values of secret variables are scrubbed out of every error, log record
// and event, in every form [loginauth.Config.Secrets] lists (with the
// values of the other variables as its Users, for the base64 of
// "user:secret"), and never stored; the credentials go only to base_url's
// origin and the declared origins, never over plain http to a host that
// is not loopback unless allow_http says so.
//
// The library never reads the environment: a variable's env names the
// environment variable that a command reads to fill vars ([Spec.Vars]).
// A variable that no template names is optional ([Var.Unused]).
package jsonlogin
