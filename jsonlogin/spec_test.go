package jsonlogin_test

import (
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/jsonlogin"
)

// TestParseStrict checks that each mistake in a description is an error
// that names the field by its path.
func TestParseStrict(t *testing.T) {
	// base is a valid description; each case replaces part of it.
	const base = `{"base_url": "https://api.example.com", "vars": {"password": {"secret": true}, "user": {}},
	  "login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{password}}"}}, "token": "/token" MORE}`
	for _, tc := range []struct {
		name, more, want string
		replace          [2]string
	}{
		{name: "UnknownTop", more: `, "tokn": "/t"`, want: "jsonlogin: tokn: unknown field"},
		{name: "UnknownNested", replace: [2]string{`"path"`, `"pth"`}, want: "jsonlogin: login.pth: unknown field"},
		{name: "UnknownVarField", replace: [2]string{`"secret": true`, `"secrte": true`}, want: "jsonlogin: vars.password.secrte: unknown field"},
		{name: "UnknownRuleField", more: `, "refused": [{"status": [401]}, {"stat": [440]}]`, want: "jsonlogin: refused[1].stat: unknown field"},
		{name: "UndeclaredVariable", replace: [2]string{`{{password}}`, `{{pasword}}`}, want: `jsonlogin: login.json.pass: template names undeclared variable "pasword"`},
		{name: "UnterminatedTemplate", replace: [2]string{`{{password}}`, `{{password`}, want: `jsonlogin: login.json.pass: template has an unterminated "{{"`},
		{name: "TokenInLogin", replace: [2]string{`{{password}}`, `{{token}}`}, want: "jsonlogin: login.json.pass: template names {{token}}, which only header, cookie, query, refresh and logout may use"},
		{name: "RefreshTokenInLogin", replace: [2]string{`{{password}}`, `{{refresh_token}}`}, want: "jsonlogin: login.json.pass: template names {{refresh_token}}"},
		{name: "ExtraInLogin", more: `, "extra": {"t": "/t"}`, replace: [2]string{`{{password}}`, `{{extra.t}}`}, want: "jsonlogin: login.json.pass: template names {{extra.t}}, which only header, cookie, query and logout may use"},
		{name: "UndeclaredExtra", more: `, "header": {"X-T": "{{extra.tenant}}", "Authorization": "{{token}}"}`, want: `jsonlogin: header.X-T: template names {{extra.tenant}}, but extra declares no "tenant"`},
		{name: "ReservedVariable", replace: [2]string{`"user": {}`, `"token": {}`}, want: `jsonlogin: vars.token: "token" is reserved`},
		{name: "BadVariableName", replace: [2]string{`"user": {}`, `"1user": {}`}, want: `jsonlogin: vars.1user: "1user" is not a variable name`},
		{name: "SecretInBaseURL", replace: [2]string{`"https://api.example.com"`, `"https://{{password}}.example.com"`}, want: `jsonlogin: base_url: template names secret variable "password"`},
		{name: "NotAPointer", replace: [2]string{`"/token"`, `"token"`}, want: `jsonlogin: token: "token" is not a JSON Pointer`},
		{name: "BadPointerEscape", replace: [2]string{`"/token"`, `"/to~2ken"`}, want: `jsonlogin: token: "/to~2ken" is not a JSON Pointer`},
		{name: "BadRulePointer", more: `, "refused": {"json": {"error": ["x"]}}`, want: `jsonlogin: refused.json: "error" is not a JSON Pointer`},
		{name: "BadPresentPointer", more: `, "error": {"when": {"present": ["error"]}}`, want: `jsonlogin: error.when.present[0]: "error" is not a JSON Pointer`},
		{name: "MissingToken", replace: [2]string{`"token": "/token"`, `"refresh_token": "/r"`}, want: "jsonlogin: token: required"},
		{name: "MissingBaseURL", replace: [2]string{`"base_url": "https://api.example.com",`, ``}, want: "jsonlogin: base_url: required"},
		{name: "MissingLogin", replace: [2]string{`"login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{password}}"}},`, ``}, want: "jsonlogin: login: required"},
		{name: "BadBaseURL", replace: [2]string{`"https://api.example.com"`, `"api.example.com"`}, want: `jsonlogin: base_url: "api.example.com" is not an absolute http or https URL`},
		{name: "PathWithoutSlash", replace: [2]string{`"/login"`, `"login"`}, want: `jsonlogin: login.path: "login" must start with "/"`},
		{name: "PathAndURL", replace: [2]string{`"path": "/login"`, `"path": "/login", "url": "https://id.example.com/l"`}, want: "jsonlogin: login.url: give path or url, not both"},
		{name: "JSONAndForm", replace: [2]string{`"path": "/login"`, `"path": "/login", "form": {"a": "b"}`}, want: "jsonlogin: login.form: give json or form, not both"},
		{name: "WrongType", replace: [2]string{`"secret": true`, `"secret": "yes"`}, want: "jsonlogin: vars.password.secret: is a JSON string, want true or false"},
		{name: "WrongStatusType", more: `, "refused": {"status": ["401"]}`, want: "jsonlogin: refused.status: is a JSON string, want a number"},
		{name: "BadStatus", more: `, "refused": {"status": [4401]}`, want: "jsonlogin: refused.status[0]: 4401 is not an HTTP status"},
		{name: "EmptyRule", more: `, "bad_credentials": {}`, want: "jsonlogin: bad_credentials: a rule needs status, header, text, json, present or not"},
		{name: "Version", more: `, "version": 2`, want: "jsonlogin: version: 2 is not a version this package reads"},
		{name: "Unit", more: `, "expires_at": "/e", "expires_at_unit": "days"`, want: `jsonlogin: expires_at_unit: "days" is not one of`},
		{name: "UnitAlone", more: `, "expires_at_unit": "ms"`, want: "jsonlogin: expires_at_unit: given without expires_at"},
		{name: "Lifetime", more: `, "lifetime": "1 day"`, want: `jsonlogin: lifetime: "1 day" is not a positive Go duration`},
		{name: "NoTokenInHeader", more: `, "header": {"X-Key": "{{user}}"}`, want: "jsonlogin: header: no field carries {{token}}"},
		{name: "BadHeaderName", more: `, "header": {"X Key": "{{token}}"}`, want: `jsonlogin: header.X Key: "X Key" is not a header field name`},
		{name: "RefreshWithoutRefreshToken", more: `, "refresh": {"path": "/r"}`, want: "jsonlogin: refresh: needs refresh_token"},
		{name: "BadOrigin", more: `, "origins": ["ftp://files.example.com"]`, want: `jsonlogin: origins[0]: "ftp://files.example.com" is not an absolute http or https URL`},
		{name: "TrailingData", more: `} {`, want: "jsonlogin: "},
		{name: "Syntax", more: `,`, want: "jsonlogin: the description: invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			doc := strings.Replace(base, "MORE", tc.more, 1)
			if tc.replace[0] != "" {
				is.True(strings.Contains(doc, tc.replace[0])) // the case edits the description
				doc = strings.Replace(doc, tc.replace[0], tc.replace[1], 1)
			}
			_, err := jsonlogin.Parse([]byte(doc))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse() = %v; want an error starting %q", err, tc.want)
			}
		})
	}
	is.New(t).NoErr(func() error { _, err := jsonlogin.Parse([]byte(strings.Replace(base, "MORE", "", 1))); return err }()) // the base is valid
}

// TestParseTestdata checks that the built-in providers' descriptions parse, and
// the variables they declare.
func TestParseTestdata(t *testing.T) {
	is := is.New(t)
	spec := load(t, "xpay")
	is.Equal(spec.Name(), "xpay")
	vars := spec.Vars()
	is.Equal(len(vars), 3)
	is.Equal(vars[0], jsonlogin.Var{Name: "base_url", Env: "XPAY_BASE_URL", Default: "https://apis.xpay.stream", HasDefault: true})
	is.Equal(vars[1], jsonlogin.Var{Name: "secret_key", Env: "XPAY_SECRET_KEY", Secret: true})
}

func TestSpecBaseURL(t *testing.T) {
	is := is.New(t)
	spec, err := jsonlogin.Parse([]byte(`{"base_url": "https://{{tenant}}.example.test/{{stage}}/",
	  "vars": {"tenant": {}, "stage": {"default": "v1"}},
	  "login": {"path": "/login"}, "token": "/token"}`))
	is.NoErr(err)
	is.Equal(spec.BaseURL(map[string]string{"tenant": "acme"}), "https://acme.example.test/v1")                // the default fills stage; no trailing slash
	is.Equal(spec.BaseURL(map[string]string{"tenant": "acme", "stage": "v2"}), "https://acme.example.test/v2") // a value wins over the default
	is.Equal(spec.BaseURL(nil), "https://.example.test/v1")                                                    // a variable with no value is empty
}
