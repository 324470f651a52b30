package jsonlogin

import (
	"fmt"
	"strconv"
	"strings"
)

// pointer is a parsed JSON Pointer (RFC 6901): the reference tokens,
// unescaped. The empty pointer is the whole document.
type pointer struct {
	raw    string
	tokens []string
}

// parsePointer parses s as a JSON Pointer: "" or a sequence of
// "/"-prefixed reference tokens in which "~" is followed by "0" (for "~")
// or "1" (for "/") only.
func parsePointer(s string) (pointer, error) {
	if s == "" {
		return pointer{}, nil
	}
	if s[0] != '/' {
		return pointer{}, fmt.Errorf("%q is not a JSON Pointer: it must be empty or start with \"/\"", s)
	}
	parts := strings.Split(s[1:], "/")
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
				return pointer{}, fmt.Errorf("%q is not a JSON Pointer: \"~\" must be followed by \"0\" or \"1\"", s)
			}
		}
		// ~1 first, then ~0, as RFC 6901 section 4 says: "~01" is "~1".
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return pointer{raw: s, tokens: parts}, nil
}

// String returns the pointer as written.
func (p pointer) String() string { return p.raw }

// get returns the value that p points at in doc, a value decoded by
// encoding/json, and whether there is one. An array index is "0" or a
// decimal number without leading zeros; "-" points past the end, at no
// value.
func (p pointer) get(doc any) (any, bool) {
	v := doc
	for _, t := range p.tokens {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[t]; !ok {
				return nil, false
			}
		case []any:
			i, ok := index(t)
			if !ok || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// index parses an array index of RFC 6901: "0", or digits without a
// leading zero.
func index(t string) (int, bool) {
	if t == "" || (len(t) > 1 && t[0] == '0') {
		return 0, false
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(t)
	return i, err == nil
}
