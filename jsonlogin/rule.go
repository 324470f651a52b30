package jsonlogin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/loginauth/loginauth/internal/peek"
	"github.com/loginauth/loginauth/internal/wire"
)

// rule is one rule object: it matches an answer when all of its parts do.
type rule struct {
	status  []int
	header  []fieldRule // response header fields
	text    []matcher   // the whole body as text; nil: no text part
	firstOf []string    // top-level member names; nil: the whole document
	member  string      // with firstOf: the member that json and present look into
	json    []valueRule
	present []pointer
	not     rules
}

// valueRule is one entry of a rule's json part: the value at ptr is one
// of values.
type valueRule struct {
	ptr    pointer
	values []matcher
}

// fieldRule is one entry of a rule's header part: a value of the response
// header field name is one of values.
type fieldRule struct {
	name   string // canonical
	values []matcher
}

// matcher is one entry of a rule's list of values: a literal, compared with
// equal, or a matcher of strings, ignoring case.
type matcher struct {
	op  string // "" for a literal, "prefix" or "contains"
	lit any    // the literal
	low string // the matcher's text, lower-cased
}

// rules matches when any of its rules does. Nil matches nothing.
type rules []rule

// ruleJSON is the JSON form of a rule object.
type ruleJSON struct {
	Status  []int                        `json:"status"`
	Header  map[string][]json.RawMessage `json:"header"`
	Text    []json.RawMessage            `json:"text"`
	FirstOf []string                     `json:"first_of"`
	JSON    map[string][]json.RawMessage `json:"json"`
	Present []string                     `json:"present"`
	Not     json.RawMessage              `json:"not"`
}

// parseRules parses raw, one rule object or a list of them, at path.
func parseRules(path string, raw json.RawMessage) (rules, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := strictDecode(path, raw, &list); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("jsonlogin: %s: an empty list of rules matches nothing", path)
		}
		out := make(rules, 0, len(list))
		for i, r := range list {
			one, err := parseRule(fmt.Sprintf("%s[%d]", path, i), r)
			if err != nil {
				return nil, err
			}
			out = append(out, one)
		}
		return out, nil
	}
	one, err := parseRule(path, raw)
	if err != nil {
		return nil, err
	}
	return rules{one}, nil
}

func parseRule(path string, raw json.RawMessage) (rule, error) {
	var rj ruleJSON
	if err := strictDecode(path, raw, &rj); err != nil {
		return rule{}, err
	}
	if rj.Status == nil && rj.Header == nil && rj.Text == nil && rj.JSON == nil && rj.Present == nil && rj.Not == nil {
		return rule{}, fmt.Errorf("jsonlogin: %s: a rule needs status, header, text, json, present or not", path)
	}
	r := rule{status: rj.Status}
	for i, s := range rj.Status {
		if s < 100 || s > 599 {
			return rule{}, fmt.Errorf("jsonlogin: %s.status[%d]: %d is not an HTTP status", path, i, s)
		}
	}
	var err error
	if r.header, err = parseFields(path+".header", rj.Header); err != nil {
		return rule{}, err
	}
	if rj.Text != nil {
		if r.text, err = parseMatchers(path+".text", rj.Text, true); err != nil {
			return rule{}, err
		}
	}
	for _, k := range sortedKeys(rj.JSON) {
		p, err := parsePointer(k)
		if err != nil {
			return rule{}, fmt.Errorf("jsonlogin: %s.json: %w", path, err)
		}
		vs, err := parseMatchers(fmt.Sprintf("%s.json[%q]", path, k), rj.JSON[k], false)
		if err != nil {
			return rule{}, err
		}
		r.json = append(r.json, valueRule{ptr: p, values: vs})
	}
	for i, s := range rj.Present {
		p, err := parsePointer(s)
		if err != nil {
			return rule{}, fmt.Errorf("jsonlogin: %s.present[%d]: %w", path, i, err)
		}
		r.present = append(r.present, p)
	}
	if err := r.parseFirstOf(path, rj.FirstOf); err != nil {
		return rule{}, err
	}
	if present(rj.Not) {
		if r.not, err = parseRules(path+".not", rj.Not); err != nil {
			return rule{}, err
		}
	}
	return r, nil
}

// parseFields parses a rule's header part at path.
func parseFields(path string, h map[string][]json.RawMessage) ([]fieldRule, error) {
	var out []fieldRule
	for _, k := range sortedKeys(h) {
		if !fieldName(k) {
			return nil, fmt.Errorf("jsonlogin: %s: %q is not a header field name", path, k)
		}
		vs, err := parseMatchers(path+"."+k, h[k], true)
		if err != nil {
			return nil, err
		}
		out = append(out, fieldRule{name: http.CanonicalHeaderKey(k), values: vs})
	}
	return out, nil
}

// parseFirstOf checks the first_of part list and sets r.firstOf and
// r.member: every json and present pointer must look inside one and the
// same of the listed top-level members.
func (r *rule) parseFirstOf(path string, list []string) error {
	if list == nil {
		return nil
	}
	if len(list) == 0 {
		return fmt.Errorf("jsonlogin: %s.first_of: an empty list names no member", path)
	}
	for i, s := range list {
		p, err := parsePointer(s)
		if err != nil || len(p.tokens) != 1 {
			return fmt.Errorf("jsonlogin: %s.first_of[%d]: %q is not a top-level member such as \"/error\"", path, i, s)
		}
		r.firstOf = append(r.firstOf, p.tokens[0])
	}
	ptrs := slices.Clone(r.present)
	for _, vr := range r.json {
		ptrs = append(ptrs, vr.ptr)
	}
	if len(ptrs) == 0 {
		return fmt.Errorf("jsonlogin: %s.first_of: needs a json or present part to look inside the member", path)
	}
	r.member = ""
	if len(ptrs[0].tokens) > 0 {
		r.member = ptrs[0].tokens[0]
	}
	for _, p := range ptrs {
		if len(p.tokens) == 0 || p.tokens[0] != r.member || !slices.Contains(r.firstOf, r.member) {
			return fmt.Errorf("jsonlogin: %s.first_of: pointer %q is not inside the member of first_of that the rule's other pointers look into", path, p)
		}
	}
	return nil
}

// parseMatchers parses a rule's list of values at path. A one-key object
// whose key is "prefix" or "contains" is a matcher of strings, and one
// whose key is "equals" a literal; any other one-key object whose key
// starts with "$" is an error. With strs, every value must be a string
// or a matcher.
func parseMatchers(path string, raws []json.RawMessage, strs bool) ([]matcher, error) {
	if len(raws) == 0 {
		return nil, fmt.Errorf("jsonlogin: %s: an empty list of values matches nothing", path)
	}
	out := make([]matcher, 0, len(raws))
	for i, raw := range raws {
		v, err := decodeValue(raw)
		if err != nil {
			return nil, fmt.Errorf("jsonlogin: %s[%d]: %w", path, i, err)
		}
		val := matcher{lit: v}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			for k, x := range m {
				s, isStr := x.(string)
				switch {
				case k == "equals":
					val.lit = x
				case k == "prefix" || k == "contains":
					if !isStr || s == "" {
						return nil, fmt.Errorf("jsonlogin: %s[%d].%s: want a non-empty string", path, i, k)
					}
					val = matcher{op: k, low: strings.ToLower(s)}
				case strings.HasPrefix(k, "$"):
					return nil, fmt.Errorf("jsonlogin: %s[%d]: %q is not a matcher: use \"prefix\", \"contains\" or \"equals\"", path, i, k)
				}
			}
		}
		if _, isStr := val.lit.(string); strs && val.op == "" && !isStr {
			return nil, fmt.Errorf("jsonlogin: %s[%d]: want a string, or a prefix or contains matcher", path, i)
		}
		out = append(out, val)
	}
	return out, nil
}

// match reports whether x, a decoded JSON value, matches v.
func (v matcher) match(x any) bool {
	if v.op == "" {
		return equal(x, v.lit)
	}
	s, ok := x.(string)
	if !ok {
		return false
	}
	if v.op == "prefix" {
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), v.low)
	}
	return strings.Contains(strings.ToLower(s), v.low)
}

// answer is what rules judge: an answer's status and header fields, and
// its body, read only as far as the rules need.
type answer struct {
	status int
	header http.Header
	body   *peek.Body // nil when no rule reads it
	isJSON bool       // the body may be read as JSON

	decoded bool // doc and parsed hold the decoded body
	doc     any
	parsed  bool
}

// document decodes the body's first JSON value, once.
func (a *answer) document() (any, bool) {
	if !a.decoded && a.body != nil && a.isJSON {
		dec := json.NewDecoder(a.body.Reader())
		dec.UseNumber()
		var doc any
		a.parsed = dec.Decode(&doc) == nil
		a.doc = doc
	}
	a.decoded = true
	return a.doc, a.parsed
}

// needsBody reports whether r reads the body of an answer with status.
func (r *rule) needsBody(status int) bool {
	return (r.status == nil || slices.Contains(r.status, status)) &&
		(r.text != nil || r.json != nil || r.present != nil || r.not.needsBody(status))
}

// needsBody reports whether any rule reads the body of an answer with
// status.
func (rs rules) needsBody(status int) bool {
	for i := range rs {
		if rs[i].needsBody(status) {
			return true
		}
	}
	return false
}

// match reports whether the answer a matches r. It checks the parts that
// cost nothing first, and reads the body only as far as the parts need.
func (r *rule) match(a *answer) bool {
	if r.status != nil && !slices.Contains(r.status, a.status) {
		return false
	}
	for _, f := range r.header {
		if !slices.ContainsFunc(a.header.Values(f.name), func(h string) bool { return matchString(f.values, h) }) {
			return false
		}
	}
	if r.text != nil && !r.matchText(a) {
		return false
	}
	if (r.json != nil || r.present != nil) && !r.matchJSON(a) {
		return false
	}
	return r.not == nil || !r.not.match(a)
}

// match reports whether any rule matches a.
func (rs rules) match(a *answer) bool {
	for i := range rs {
		if rs[i].match(a) {
			return true
		}
	}
	return false
}

// matchString reports whether s matches one of values.
func matchString(values []matcher, s string) bool {
	return slices.ContainsFunc(values, func(v matcher) bool { return v.match(s) })
}

// matchText reads the body as text, trimmed, as far as the longest value
// of the text part needs, and matches it: a literal and a contains matcher
// against the whole text, a prefix matcher against its start.
func (r *rule) matchText(a *answer) bool {
	if a.body == nil {
		return false
	}
	longest := 0
	for _, v := range r.text {
		switch v.op {
		case "":
			longest = max(longest, len(v.lit.(string)))
		case "prefix":
			longest = max(longest, len(v.low))
		default:
			longest = math.MaxInt - 1 // contains: read the whole body, within the peek
		}
	}
	text, whole := peek.Text(a.body.Reader(), longest)
	return slices.ContainsFunc(r.text, func(v matcher) bool { return (whole || v.op == "prefix") && v.match(text) })
}

// matchJSON evaluates the json and present parts: in the whole document,
// or with first_of inside the first of its members to appear, and then
// only when the whole top-level object is well-formed.
func (r *rule) matchJSON(a *answer) bool {
	if r.firstOf == nil {
		doc, ok := a.document()
		return ok && r.matchDoc(doc)
	}
	if a.body == nil || !a.isJSON {
		return false
	}
	obj := peek.OpenObject(a.body.Reader())
	if name, ok := obj.FirstOf(r.firstOf...); !ok || name != r.member {
		return false // another listed member came first: read no further
	}
	if len(r.json) == 1 && r.present == nil && len(r.json[0].ptr.tokens) == 2 {
		return r.matchMember(obj)
	}
	raw, ok := obj.Value()
	if !ok {
		return false
	}
	v, err := decodeValue(raw)
	return err == nil && r.matchDoc(map[string]any{r.member: v}) && obj.End()
}

// matchMember evaluates a json part of one pointer into the member
// (/member/name) that obj is at, reading the member's object only up to
// the first member called name: an answer that does not match is known
// there, while the server may still be sending the rest. A match is one
// only when the whole top-level object is well-formed.
func (r *rule) matchMember(obj *peek.Object) bool {
	vr := r.json[0]
	in := obj.Object()
	if _, ok := in.FirstOf(vr.ptr.tokens[1]); !ok {
		return false
	}
	raw, ok := in.Value()
	if !ok {
		return false
	}
	v, err := decodeValue(raw)
	return err == nil && slices.ContainsFunc(vr.values, func(want matcher) bool { return want.match(v) }) && in.End() && obj.End()
}

// matchDoc evaluates the json and present parts in doc.
func (r *rule) matchDoc(doc any) bool {
	for _, p := range r.present {
		if _, ok := p.get(doc); !ok {
			return false
		}
	}
	for _, vr := range r.json {
		v, ok := vr.ptr.get(doc)
		if !ok || !slices.ContainsFunc(vr.values, func(want matcher) bool { return want.match(v) }) {
			return false
		}
	}
	return true
}

// refused reports whether resp matches rs. The rules that need no body
// go first; the others read the body, at most [peek.Limit] bytes of it
// and only as far as they need, and put back what they read.
func (rs rules) refused(resp *http.Response) bool {
	a := answer{status: resp.StatusCode, header: resp.Header}
	body := false
	for i := range rs {
		if rs[i].needsBody(a.status) {
			body = true
		} else if rs[i].match(&a) {
			return true
		}
	}
	return body && rs.judge(resp)
}

// judge reports whether resp matches rs, reading its body.
func (rs rules) judge(resp *http.Response) bool {
	a := &answer{status: resp.StatusCode, header: resp.Header, isJSON: wire.JSONOrAbsent(resp.Header)}
	return peek.Judge(resp, peek.Limit, func(b *peek.Body) bool {
		a.body = b
		return rs.match(a)
	})
}

// matchLogin reports whether a login or refresh answer r, whose body
// decodes to doc (parsed: the body is JSON), matches rs.
func (rs rules) matchLogin(r *wire.Response, doc any, parsed bool) bool {
	return rs.match(&answer{status: r.Status, header: r.Header, body: peek.Whole(r.Body), isJSON: true, decoded: true, doc: doc, parsed: parsed})
}

// decodeDoc decodes a JSON body, keeping numbers as written.
func decodeDoc(b []byte) (any, bool) {
	v, err := decodeValue(b)
	return v, err == nil
}

// decodeValue decodes one JSON value, keeping numbers as json.Number,
// and fails on trailing data.
func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// equal compares two decoded JSON values: strings whole, ignoring case
// and the white space around them; numbers by value, as float64;
// everything else exactly.
func equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y))
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		// By float64 value: exact for the integers and the short decimals
		// that rules compare; a hostile exponent costs nothing.
		fx, errx := x.Float64()
		fy, erry := y.Float64()
		return errx == nil && erry == nil && fx == fy
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equal)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return a == b // bool, nil
}
