package jsonlogin

import (
	"fmt"
	"strings"
)

// Names that a template may use besides the variables. They are reserved:
// no variable may take them.
const (
	nameToken        = "token"
	nameRefreshToken = "refresh_token"
	prefixExtra      = "extra."
)

// part is a piece of a template: literal text, or a name in braces.
type part struct {
	lit  string
	name string // non-empty for {{name}}
}

// parseTemplate splits s into literal text and {{name}} references. A
// name is a variable name, "token", "refresh_token" or "extra.NAME", with
// optional spaces inside the braces. "{{" that does not open such a
// reference is an error; "}}" alone is text.
func parseTemplate(s string) ([]part, error) {
	var parts []part
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				parts = append(parts, part{lit: s})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, part{lit: s[:i]})
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template has an unterminated \"{{\"")
		}
		name := strings.TrimSpace(s[i+2 : i+2+j])
		if !templateName(name) {
			return nil, fmt.Errorf("template has %q in braces, which is not a name", name)
		}
		parts = append(parts, part{name: name})
		s = s[i+2+j+2:]
	}
}

// templateName reports whether name may stand in braces: a variable name,
// or "extra." and an extra's name.
func templateName(name string) bool {
	if rest, ok := strings.CutPrefix(name, prefixExtra); ok {
		return extraName(rest)
	}
	return varName(name)
}

// varName reports whether s is a variable name: a letter or underscore,
// then letters, digits and underscores.
func varName(s string) bool {
	for i, r := range s {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// extraName reports whether s may name a value of extra: letters, digits,
// "_" and "-".
func extraName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}

// expand returns s with every {{name}} replaced by value(name). The
// values are inserted as they are and never expanded again.
func expand(s string, value func(name string) string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	parts, err := parseTemplate(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if p.name != "" {
			b.WriteString(value(p.name))
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String(), nil
}

// names returns the names that the template s refers to.
func names(s string) ([]string, error) {
	parts, err := parseTemplate(s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range parts {
		if p.name != "" {
			out = append(out, p.name)
		}
	}
	return out, nil
}
