package jsonlogin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// fingerprinted are the members of a description that say where its
// credentials go: the base URL that paths join, the extra origins, and
// the fields and parameters that carry the token.
var fingerprinted = []string{"base_url", "origins", "header", "cookie", "query"}

// fingerprintedRequests are the requests whose URL (url, or path under
// base_url) receives credentials: the password, or the tokens.
var fingerprintedRequests = []string{"login", "refresh", "logout"}

// Fingerprint returns a digest of where the description sends credentials:
// its base_url, origins, header, cookie and query, and the url and path of
// its login, refresh and logout requests, as written (templates, never a
// value). Two descriptions with the same Fingerprint send the password
// and the tokens to the same places, so that a token stored under one may
// be used by the other; a command labels a stored token with it and
// checks it before using the token. Members that do not say where
// credentials go, such as vars or lifetime, leave it unchanged, and so do
// the layout and order of the JSON.
func (s *Spec) Fingerprint() string {
	var top map[string]json.RawMessage
	json.Unmarshal(s.raw, &top) // Parse accepted it
	picked := map[string]any{}
	for _, k := range fingerprinted {
		if v, ok := canonical(top[k]); ok {
			picked[k] = v
		}
	}
	for _, k := range fingerprintedRequests {
		var rq map[string]json.RawMessage
		if json.Unmarshal(top[k], &rq) != nil {
			continue
		}
		where := map[string]any{}
		for _, f := range []string{"url", "path"} {
			if v, ok := canonical(rq[f]); ok {
				where[f] = v
			}
		}
		picked[k] = where
	}
	b, _ := json.Marshal(picked) // maps marshal with sorted keys
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// canonical decodes raw, a JSON value, for marshalling again: nil and
// false when it is absent or null.
func canonical(raw json.RawMessage) (any, bool) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || v == nil {
		return nil, false
	}
	return v, true
}
