package proxy

import (
	"strings"
)

// dotSegment reports whether the escaped path p has a segment ".", ".."
// or "..;" as sent, once percent-decoded, or twice (for "%252e"), with
// both "/" and "\" as separators. Such a path may leave the base URL's
// path at a front end that normalizes it, so it is never forwarded. An
// encoded "/" in any other segment is forwarded as sent.
func dotSegment(p string) bool {
	if !strings.Contains(p, ".") && !strings.Contains(p, "%") {
		return false // the common case: nothing to decode
	}
	for range 3 {
		for seg := range strings.FieldsFuncSeq(p, func(r rune) bool { return r == '/' || r == '\\' }) {
			if seg == "." || seg == ".." || seg == "..;" {
				return true
			}
		}
		p = unescapeLenient(p)
	}
	return false
}

// unescapeLenient decodes every valid %XX of s and leaves the rest as it
// is, so that an invalid escape cannot hide a valid one.
func unescapeLenient(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
