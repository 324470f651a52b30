package compat

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/loginauth/loginauth/jsonlogin"
)

// schemaBase is a valid description; each case of TestSchemaRejects edits
// it, as the parser's tests do.
const schemaBase = `{"base_url": "https://api.example.com",
  "vars": {"password": {"env": "ACME_PASSWORD", "secret": true}, "user": {}},
  "login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{password}}"}}, "token": "/token" MORE}`

// compileSchema compiles jsonlogin/schema.json.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../jsonlogin/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validate reports what the schema finds wrong in the description desc;
// nil when it accepts it.
func validate(sch *jsonschema.Schema, desc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(desc))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// TestSchemaAccepts checks that the schema accepts every description in
// the tree that the parser accepts: the providers', the catalog's and
// descriptions of the parser's tests.
func TestSchemaAccepts(t *testing.T) {
	sch := compileSchema(t)
	var files []string
	for _, glob := range []string{"../xano/*.json", "../crux/*.json", "../xpay/*.json", "../mic/*.json", "../jsonlogin/catalog/*.json", "../jsonlogin/testdata/*.json"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found %d descriptions: %q", len(files), files)
	}
	docs := map[string][]byte{
		"base":    []byte(strings.Replace(schemaBase, "MORE", "", 1)),
		"$schema": []byte(strings.Replace(schemaBase, "MORE", `, "$schema": "https://raw.githubusercontent.com/loginauth/loginauth/main/jsonlogin/schema.json"`, 1)),
		"full": []byte(`{
		  "$schema": "./schema.json", "$comment": "every field", "version": 1, "name": "acme.v2",
		  "base_url": "https://{{tenant}}.example.com", "allow_http": false, "lifetime": "1h30m",
		  "vars": {"$comment": "the account", "tenant": {"default": "eu"}, "user": {"env": "ACME_USER"}, "password": {"secret": true, "$comment": "never stored"}, "unused": {}},
		  "login": {"$comment": "a login", "method": "PUT", "path": "/login", "headers": {"$comment": "none", "X-Client": "cli"},
		    "json": {"$comment": "sent as written", "user": "{{user}}", "pass": "{{password}}", "n": [1, {"a": null}]}},
		  "refresh": {"url": "https://id.example.com/refresh", "form": {"rt": "{{refresh_token}}"}, "basic": {"username": "{{user}}", "password": "{{password}}"}},
		  "logout": {"method": "DELETE", "path": "/session", "headers": {"Authorization": "Bearer {{token}}"}},
		  "token": [{"$comment": "newer servers", "header": "X-Token"}, "/token"], "refresh_token": {"cookie": "RT"},
		  "expires_at": [{"cookie_expires": "SID"}, "/exp"], "expires_at_unit": "rfc3339",
		  "extra": {"$comment": "kept", "tenant_id": "/tenant", "csrf": {"header": "X-CSRF"}},
		  "header": {"$comment": "the session", "Authorization": "Bearer {{token}}", "X-CSRF": "{{extra.csrf}}"},
		  "cookie": {"SID": "{{token}}"}, "query": {"sid": "{{token}}"}, "origins": ["https://files.example.com", "http://127.0.0.1:8080/"],
		  "refused": [{"$comment": "expired", "status": [401, 419]}, {"status": [200], "json": {"$comment": "by message", "/error": ["expired", {"prefix": "jwt"}, {"equals": {"code": 7}}, 5]}},
		    {"first_of": ["/error", "/data"], "present": ["/error/code"]}, {"text": [{"contains": "expired"}], "header": {"WWW-Authenticate": ["Bearer", {"prefix": "Bearer"}]}},
		    {"status": [200], "not": [{"present": ["/data"]}, {"status": [201]}]}],
		  "bad_credentials": {"status": [401, 403]},
		  "error": {"$comment": "in 200 answers", "code": "/error/code", "message": "/error/message", "when": {"present": ["/error"]}}
		}`),
		"refreshWhileValid": []byte(strings.Replace(schemaBase, "MORE", `, "expires_in": "/ttl", "expires_in_unit": "ms", "header": {"Authorization": "{{token}}"},
		  "refresh": {"path": "/r", "headers": {"Authorization": "{{token}}"}, "needs_valid_token": true}`, 1)),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = b
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			_, err := jsonlogin.Parse(doc)
			is.NoErr(err) // the parser accepts it
			if err := validate(sch, doc); err != nil {
				t.Fatalf("the schema refuses a valid description:\n%v", err)
			}
		})
	}
}

// TestSchemaRejects checks that the schema refuses each broken
// description of the parser's tests that a schema can tell, and names the
// mistakes that only the parser catches (beyond: the schema accepts
// them), so that the README's list of them stays true.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	for _, tc := range []struct {
		name, from, to string
		beyond         bool // only the parser catches it
	}{
		// Unknown fields and wrong types.
		{name: "UnknownTop", from: " MORE", to: `, "tokn": "/t"`},
		{name: "UnknownNested", from: `"path"`, to: `"pth"`},
		{name: "UnknownVarField", from: `"secret": true`, to: `"secrte": true`},
		{name: "UnknownRuleField", from: " MORE", to: `, "refused": [{"status": [401]}, {"stat": [440]}]`},
		{name: "UnknownPlace", from: `"/token"`, to: `{"heder": "X-T"}`},
		{name: "BasicUnknown", from: `"path": "/login"`, to: `"path": "/login", "basic": {"user": "{{user}}"}`},
		{name: "SchemaNested", from: `"path": "/login"`, to: `"path": "/login", "$schema": "x"`},
		{name: "CommentNotString", from: `"path": "/login"`, to: `"path": "/login", "$comment": 5`},
		{name: "WrongType", from: `"secret": true`, to: `"secret": "yes"`},
		{name: "WrongStatusType", from: " MORE", to: `, "refused": {"status": ["401"]}`},
		{name: "TokenNumber", from: `"/token"`, to: `5`},
		{name: "NestedList", from: `"/token"`, to: `[["/t"]]`},
		{name: "EmptyList", from: `"/token"`, to: `[]`},
		// Values that the schema's patterns, enums and bounds tell.
		{name: "MissingToken", from: `"token": "/token"`, to: `"refresh_token": "/r"`},
		{name: "MissingBaseURL", from: `"base_url": "https://api.example.com",`, to: ``},
		{name: "MissingLogin", from: `"login": {"path": "/login", "json": {"user": "{{user}}", "pass": "{{password}}"}},`, to: ``},
		{name: "ReservedVariable", from: `"user": {}`, to: `"token": {}`},
		{name: "BadVariableName", from: `"user": {}`, to: `"1user": {}`},
		{name: "SecretDefault", from: `"secret": true`, to: `"secret": true, "default": "hunter2"`},
		{name: "NotAPointer", from: `"/token"`, to: `"token"`},
		{name: "BadPointerEscape", from: `"/token"`, to: `"/to~2ken"`},
		{name: "BadRulePointer", from: " MORE", to: `, "refused": {"json": {"error": ["x"]}}`},
		{name: "BadPresentPointer", from: " MORE", to: `, "error": {"when": {"present": ["error"]}}`},
		{name: "PathWithoutSlash", from: `"/login"`, to: `"login"`},
		{name: "PathAndURL", from: `"path": "/login"`, to: `"path": "/login", "url": "https://id.example.com/l"`},
		{name: "NoPath", from: `"path": "/login", `, to: ``},
		{name: "JSONAndForm", from: `"path": "/login"`, to: `"path": "/login", "form": {"a": "b"}`},
		{name: "BadStatus", from: " MORE", to: `, "refused": {"status": [4401]}`},
		{name: "EmptyRule", from: " MORE", to: `, "bad_credentials": {}`},
		{name: "EmptyNot", from: " MORE", to: `, "refused": {"status": [401], "not": {}}`},
		{name: "Version", from: " MORE", to: `, "version": 2`},
		{name: "Unit", from: " MORE", to: `, "expires_at": "/e", "expires_at_unit": "days"`},
		{name: "UnitAlone", from: " MORE", to: `, "expires_at_unit": "ms"`},
		{name: "InUnit", from: " MORE", to: `, "expires_in": "/ttl", "expires_in_unit": "min"`},
		{name: "InUnitAlone", from: " MORE", to: `, "expires_in_unit": "ms"`},
		{name: "InAndAt", from: " MORE", to: `, "expires_in": "/ttl", "expires_at": "/exp"`},
		{name: "Lifetime", from: " MORE", to: `, "lifetime": "1 day"`},
		{name: "BadHeaderName", from: " MORE", to: `, "header": {"X Key": "{{token}}"}`},
		{name: "HeaderLineBreak", from: `"path": "/login"`, to: `"path": "/login", "headers": {"X-Client": "cli\r\nX-Admin: 1"}`},
		{name: "BadOrigin", from: " MORE", to: `, "origins": ["ftp://files.example.com"]`},
		{name: "OriginWithPath", from: " MORE", to: `, "origins": ["https://files.example.com/api"]`},
		{name: "OriginWithQuery", from: " MORE", to: `, "origins": ["https://files.example.com?a=1"]`},
		{name: "OriginWithUser", from: " MORE", to: `, "origins": ["https://u@files.example.com"]`},
		{name: "LowerCaseMethod", from: `"path": "/login"`, to: `"method": "post", "path": "/login"`},
		{name: "TwoPlaces", from: `"/token"`, to: `{"header": "X-T", "cookie": "T"}`},
		{name: "NoPlace", from: `"/token"`, to: `{}`},
		{name: "ExpiryAsToken", from: `"/token"`, to: `{"cookie_expires": "SID"}`},
		{name: "HeaderPlaceName", from: `"/token"`, to: `{"header": "X T"}`},
		{name: "CookiePlaceName", from: `"/token"`, to: `{"cookie": "a;b"}`},
		{name: "BasicNoPassword", from: `"path": "/login"`, to: `"path": "/login", "basic": {"username": "{{user}}"}`},
		{name: "BasicColon", from: `"path": "/login"`, to: `"path": "/login", "basic": {"username": "a:{{user}}", "password": ""}`},
		{name: "Matcher", from: " MORE", to: `, "refused": {"json": {"/e": [{"$regex": "x"}]}}`},
		{name: "MatcherPrefix", from: " MORE", to: `, "refused": {"json": {"/e": [{"prefix": 4}]}}`},
		{name: "MatcherContains", from: " MORE", to: `, "refused": {"json": {"/e": [{"contains": ""}]}}`},
		{name: "TextNumber", from: " MORE", to: `, "refused": {"text": [4]}`},
		{name: "TextObject", from: " MORE", to: `, "refused": {"text": [{"equals": {"a": 1}}]}`},
		{name: "TextEmpty", from: " MORE", to: `, "refused": {"text": []}`},
		{name: "RuleHeaderValue", from: " MORE", to: `, "refused": {"header": {"Location": [true]}}`},
		{name: "RuleHeaderName", from: " MORE", to: `, "refused": {"header": {"Bad Name": ["x"]}}`},
		{name: "FirstOfDeep", from: " MORE", to: `, "refused": {"first_of": ["/a/b"], "present": ["/a/b"]}`},
		{name: "FirstOfAlone", from: " MORE", to: `, "refused": {"first_of": ["/a"], "status": [401]}`},
		{name: "FirstOfEmpty", from: " MORE", to: `, "refused": {"first_of": [], "present": ["/a"]}`},
		{name: "BadCookieName", from: " MORE", to: `, "cookie": {"S I D": "{{token}}"}`},
		{name: "BadCookieValue", from: " MORE", to: `, "cookie": {"SID": "{{token}};admin=1"}`},
		{name: "EmptyParam", from: " MORE", to: `, "query": {"": "{{token}}"}`},
		{name: "NeedsValidTokenInLogout", from: " MORE", to: `, "logout": {"path": "/logout", "needs_valid_token": true}`},
		{name: "NeedsValidTokenInLogin", from: `"path": "/login"`, to: `"path": "/login", "needs_valid_token": true`},
		// Beyond a schema: what templates name, how values relate, and
		// what a JSON decoder keeps of the text.
		{name: "UndeclaredVariable", from: `{{password}}`, to: `{{pasword}}`, beyond: true},
		{name: "UnterminatedTemplate", from: `{{password}}`, to: `{{password`, beyond: true},
		{name: "TokenInLogin", from: `{{password}}`, to: `{{token}}`, beyond: true},
		{name: "UndeclaredExtra", from: " MORE", to: `, "header": {"X-T": "{{extra.tenant}}", "Authorization": "{{token}}"}`, beyond: true},
		{name: "SecretInBaseURL", from: `"https://api.example.com"`, to: `"https://{{password}}.example.com"`, beyond: true},
		{name: "BadBaseURL", from: `"https://api.example.com"`, to: `"api.example.com"`, beyond: true},
		{name: "ShellVar", from: `"{{password}}"`, to: `"${password}"`, beyond: true},
		{name: "NoTokenInHeader", from: " MORE", to: `, "header": {"X-Key": "{{user}}"}`, beyond: true},
		{name: "RefreshWithoutRefreshToken", from: " MORE", to: `, "refresh": {"path": "/r"}`, beyond: true},
		{name: "FirstOfOtherMember", from: " MORE", to: `, "refused": {"first_of": ["/success"], "json": {"/error/message": ["x"]}}`, beyond: true},
		{name: "RefusedSuccess", from: " MORE", to: `, "refused": {"status": [200]}`, beyond: true},
		{name: "BasicAndAuthorization", from: `"path": "/login"`, to: `"path": "/login", "headers": {"authorization": "x"}, "basic": {"username": "{{user}}", "password": "{{password}}"}`, beyond: true},
		{name: "DuplicateKey", from: `"token": "/token"`, to: `"token": "/token", "token": "/t"`, beyond: true},
		{name: "ZeroLifetime", from: " MORE", to: `, "lifetime": "0s"`, beyond: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.True(strings.Contains(schemaBase, tc.from)) // the case edits the description
			doc := []byte(strings.Replace(strings.Replace(schemaBase, tc.from, tc.to, 1), "MORE", "", 1))
			_, perr := jsonlogin.Parse(doc)
			is.True(perr != nil) // the parser refuses it
			serr := validate(sch, doc)
			if tc.beyond {
				is.NoErr(serr) // only the parser catches it
			} else if serr == nil {
				t.Fatalf("the schema accepts a description that Parse refuses with %v", perr)
			}
		})
	}
}
