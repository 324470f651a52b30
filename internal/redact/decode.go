package redact

import (
	"html"
	"iter"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// layer is a text to search for secrets: the original text, or what
// undoing one encoding of it gave, with where each byte came from.
type layer struct {
	text string
	// from[k] is the offset in the original text of the escape (or the
	// byte) that gave byte k of text; nil when text is the original.
	from []int32
}

// orig returns the span of the original text, of length n, that gave sp
// of l's text: from the escape of its first byte to the end of the
// escape of its last.
func (l layer) orig(n int, sp span) span {
	if l.from == nil {
		return sp
	}
	last := l.from[sp.end-1]
	end := n
	for k := sp.end; k < len(l.from); k++ {
		if l.from[k] != last {
			end = int(l.from[k])
			break
		}
	}
	return span{int(l.from[sp.start]), end}
}

// under maps l, decoded from outer's text, to outer's original text.
func (l layer) under(outer layer) layer {
	for k, f := range l.from {
		l.from[k] = outer.from[f]
	}
	return l
}

// decodings yields s and the texts that undoing one encoding of s gives,
// where s holds what that encoding produces: percent-encoding ('+' read
// as itself, and as a space), HTML references, JSON and Go escapes, and
// HTML then JSON or JSON then HTML. It makes each text as it is asked
// for, so that only one or two are held at a time.
func decodings(s string) iter.Seq[layer] {
	return func(yield func(layer) bool) {
		_ = yield(layer{text: s}) &&
			(!strings.Contains(s, "%") || yield(unescape(s, "%", percent))) &&
			(!strings.Contains(s, "+") || yield(unescape(s, "%+", percentPlus))) &&
			nested(s, "&", htmlRef, "\\", backslash, yield) &&
			nested(s, "\\", backslash, "&", htmlRef, yield)
	}
}

// nested yields the layer that undoing the outer encoding of s gives, and
// then the one that undoing the inner encoding of that gives, when s
// holds escapes of each: it reports whether to go on.
func nested(s, outerEsc string, outer step, innerEsc string, inner step, yield func(layer) bool) bool {
	if !strings.Contains(s, outerEsc) {
		return true
	}
	o := unescape(s, outerEsc, outer)
	return yield(o) && (!strings.Contains(o.text, innerEsc) || yield(unescape(o.text, innerEsc, inner).under(o)))
}

// A step decodes the escape at s[i], appending what it stands for to dst,
// and returns how many bytes of s it took: 0 when s[i] starts none.
type step func(dst []byte, s string, i int) ([]byte, int)

// unescape decodes s with st, which is tried at each of the bytes in
// starts, keeping where each decoded byte came from.
func unescape(s, starts string, st step) layer {
	b := make([]byte, 0, len(s))
	from := make([]int32, 0, len(s))
	for i := 0; i < len(s); {
		if k := strings.IndexAny(s[i:], starts); k != 0 { // copy up to the next escape
			if k < 0 {
				k = len(s) - i
			}
			b = append(b, s[i:i+k]...)
			for j := range k {
				from = append(from, int32(i+j))
			}
			i += k
			continue
		}
		n0 := len(b)
		var n int
		if b, n = st(b, s, i); n == 0 {
			b, n = append(b, s[i]), 1
		}
		for range len(b) - n0 {
			from = append(from, int32(i))
		}
		i += n
	}
	return layer{text: string(b), from: from}
}

// percent decodes %XX, in either hex case.
func percent(dst []byte, s string, i int) ([]byte, int) {
	if s[i] == '%' {
		if v, ok := hexValue(s, i+1, 2); ok {
			return append(dst, byte(v)), 3
		}
	}
	return dst, 0
}

// percentPlus decodes %XX, and '+' as a space, as a query is decoded.
func percentPlus(dst []byte, s string, i int) ([]byte, int) {
	if s[i] == '+' {
		return append(dst, ' '), 1
	}
	return percent(dst, s, i)
}

// maxRef is the longest name of an HTML character reference, with room.
const maxRef = 32

// htmlRef decodes an HTML character reference that ends with ';': named
// (&amp;), decimal (&#34;) or hex (&#x27;).
func htmlRef(dst []byte, s string, i int) ([]byte, int) {
	if s[i] != '&' {
		return dst, 0
	}
	j := i + 1
	for j < len(s) && j-i <= maxRef && (isAlnum(s[j]) || s[j] == '#') {
		j++
	}
	if j == i+1 || j >= len(s) || s[j] != ';' {
		return dst, 0
	}
	ref := s[i : j+1]
	u := html.UnescapeString(ref)
	if u == ref {
		return dst, 0
	}
	return append(dst, u...), len(ref)
}

// simpleEscapes are the characters that follow a backslash in the
// one-character escapes of JSON and Go, and what they stand for.
const simpleEscapes, simpleValues = `"\/'abfnrtv`, "\"\\/'\a\b\f\n\r\t\v"

// backslash decodes an escape of a JSON or Go string: \" \n \u2039 (and
// a UTF-16 surrogate pair), \U0001F600, \xff and \377.
func backslash(dst []byte, s string, i int) ([]byte, int) {
	if s[i] != '\\' || i+1 >= len(s) {
		return dst, 0
	}
	c := s[i+1]
	if k := strings.IndexByte(simpleEscapes, c); k >= 0 {
		return append(dst, simpleValues[k]), 2
	}
	switch {
	case c == 'u':
		return unicodeEscape(dst, s, i)
	case c == 'U':
		if v, ok := hexValue(s, i+2, 8); ok && utf8.ValidRune(rune(v)) {
			return utf8.AppendRune(dst, rune(v)), 10
		}
	case c == 'x':
		if v, ok := hexValue(s, i+2, 2); ok {
			return append(dst, byte(v)), 4
		}
	case '0' <= c && c <= '3' && i+4 <= len(s) && isOctal(s[i+2]) && isOctal(s[i+3]):
		return append(dst, (c-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0')), 4
	}
	return dst, 0
}

// unicodeEscape decodes the \uXXXX at s[i], with the one after it when
// the two are a UTF-16 surrogate pair.
func unicodeEscape(dst []byte, s string, i int) ([]byte, int) {
	v, ok := hexValue(s, i+2, 4)
	if !ok {
		return dst, 0
	}
	r := rune(v)
	if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+6:], `\u`) {
		if v2, ok := hexValue(s, i+8, 4); ok {
			if pair := utf16.DecodeRune(r, rune(v2)); pair != utf8.RuneError {
				return utf8.AppendRune(dst, pair), 12
			}
		}
	}
	return utf8.AppendRune(dst, r), 6
}

// hexValue returns the value of the n hex digits at s[i].
func hexValue(s string, i, n int) (uint32, bool) {
	if i+n > len(s) {
		return 0, false
	}
	var v uint32
	for _, c := range []byte(s[i : i+n]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
