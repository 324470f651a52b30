package jsonlogin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/loginauth/loginauth/internal/wire"
)

// rule is one rule object: it matches an answer when all of its parts do.
type rule struct {
	status  []int
	json    []valueRule
	present []pointer
}

// valueRule is one entry of a rule's json part: the value at ptr is one
// of values.
type valueRule struct {
	ptr    pointer
	values []any
}

// rules matches when any of its rules does. Nil matches nothing.
type rules []rule

// ruleJSON is the JSON form of a rule object.
type ruleJSON struct {
	Status  []int                        `json:"status"`
	JSON    map[string][]json.RawMessage `json:"json"`
	Present []string                     `json:"present"`
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
	if rj.Status == nil && rj.JSON == nil && rj.Present == nil {
		return rule{}, fmt.Errorf("jsonlogin: %s: a rule needs status, json or present", path)
	}
	r := rule{status: rj.Status}
	for i, s := range rj.Status {
		if s < 100 || s > 599 {
			return rule{}, fmt.Errorf("jsonlogin: %s.status[%d]: %d is not an HTTP status", path, i, s)
		}
	}
	for _, k := range sortedKeys(rj.JSON) {
		p, err := parsePointer(k)
		if err != nil {
			return rule{}, fmt.Errorf("jsonlogin: %s.json: %w", path, err)
		}
		if len(rj.JSON[k]) == 0 {
			return rule{}, fmt.Errorf("jsonlogin: %s.json[%q]: an empty list of values matches nothing", path, k)
		}
		vr := valueRule{ptr: p}
		for _, raw := range rj.JSON[k] {
			v, err := decodeValue(raw)
			if err != nil {
				return rule{}, fmt.Errorf("jsonlogin: %s.json[%q]: %w", path, k, err)
			}
			vr.values = append(vr.values, v)
		}
		r.json = append(r.json, vr)
	}
	for i, s := range rj.Present {
		p, err := parsePointer(s)
		if err != nil {
			return rule{}, fmt.Errorf("jsonlogin: %s.present[%d]: %w", path, i, err)
		}
		r.present = append(r.present, p)
	}
	return r, nil
}

// needsBody reports whether r reads the body of an answer with status.
func (r *rule) needsBody(status int) bool {
	return (r.status == nil || slices.Contains(r.status, status)) && (r.json != nil || r.present != nil)
}

// match reports whether an answer with status and the decoded body doc
// (parsed: the body is JSON) matches r.
func (r *rule) match(status int, doc any, parsed bool) bool {
	if r.status != nil && !slices.Contains(r.status, status) {
		return false
	}
	if (r.json != nil || r.present != nil) && !parsed {
		return false
	}
	for _, p := range r.present {
		if _, ok := p.get(doc); !ok {
			return false
		}
	}
	for _, vr := range r.json {
		v, ok := vr.ptr.get(doc)
		if !ok || !slices.ContainsFunc(vr.values, func(want any) bool { return equal(v, want) }) {
			return false
		}
	}
	return true
}

// match reports whether any rule matches.
func (rs rules) match(status int, doc any, parsed bool) bool {
	for i := range rs {
		if rs[i].match(status, doc, parsed) {
			return true
		}
	}
	return false
}

// peekLimit bounds the body of an API's answer that a refused rule
// reads: a refusal is short. A longer body is never a refusal by a rule's
// json or present part.
const peekLimit = 16 << 10

// refused reports whether resp matches rs. It reads the body, at most
// peekLimit bytes of it and only when a rule with the answer's status
// looks into it, and puts back what it read.
func (rs rules) refused(resp *http.Response) bool {
	need := false
	for i := range rs {
		if rs[i].needsBody(resp.StatusCode) {
			need = true
		} else if rs[i].match(resp.StatusCode, nil, false) {
			return true
		}
	}
	if !need {
		return false
	}
	b, ok := wire.PeekJSON(resp, peekLimit)
	if !ok {
		return false
	}
	doc, parsed := decodeDoc(b)
	return rs.match(resp.StatusCode, doc, parsed)
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

// equal compares two decoded JSON values: strings whole, ignoring case;
// numbers by value, as float64; everything else exactly.
func equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && strings.EqualFold(x, y)
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
