package redact

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Secrets scrubs secret values out of text in the forms in which a server
// may echo them. It matches each secret, ignoring ASCII case, in the text
// as it is and in the text that undoing one layer of encoding gives:
// percent-encoding of any set of characters in either hex case ('+' read
// as a space or as itself), HTML character references (named, decimal and
// hex), JSON and Go string escapes, and HTML around JSON or JSON around
// HTML. The replacement covers the encoded span of the original text.
//
// It also matches, case-sensitively and in the same texts, the base64 and
// base64url (padded or raw) of each secret and of "user:secret" for each
// user name given to [NewUserSecrets]: the part of the encoding that does
// not depend on the bytes around the value, at each of the three
// alignments, when that part is at least [MinBase64] characters long, so
// that a short secret never scrubs a chance piece of a JWT or an ID. The
// replacement covers the characters next to that part that hold bits of
// the value too, and the padding.
//
// The work is linear in the length of the text for each secret; a text
// with no '%', '+', '&' or '\' is searched once.
type Secrets struct {
	lower  []string     // every secret, ASCII lower-cased
	base64 []base64Form // the stable parts of their base64 encodings
}

// MinBase64 is the length of the shortest stable part of a base64 form
// that [Secrets] matches.
const MinBase64 = 8

// base64Form is the part of a value's base64 encoding, at one alignment,
// that depends on the value alone.
type base64Form struct {
	mid           string
	before, after bool // a character holding bits of the value and of its neighbours comes before or after mid
}

// NewSecrets returns the Secrets that scrub the given values. Empty values
// are ignored.
func NewSecrets(values ...string) *Secrets { return NewUserSecrets(nil, values...) }

// NewUserSecrets returns the Secrets that scrub the given values, and the
// base64 of "user:value" for each of users and each value, as a Basic
// credential holds them. Empty users and values are ignored.
func NewUserSecrets(users []string, values ...string) *Secrets {
	r := &Secrets{}
	for _, v := range values {
		if v == "" {
			continue
		}
		r.lower = append(r.lower, asciiLower(v))
		r.base64 = appendBase64(r.base64, v)
		for _, u := range users {
			if u != "" {
				r.base64 = appendBase64(r.base64, u+":"+v)
			}
		}
	}
	slices.Sort(r.lower)
	r.lower = slices.Compact(r.lower)
	slices.SortFunc(r.base64, func(a, b base64Form) int { return strings.Compare(a.mid, b.mid) })
	r.base64 = slices.CompactFunc(r.base64, func(a, b base64Form) bool { return a.mid == b.mid })
	return r
}

// appendBase64 appends the stable parts of the base64 and base64url
// encodings of v after 0, 1 and 2 other bytes: the characters whose six
// bits all come from v.
func appendBase64(forms []base64Form, v string) []base64Form {
	for a := range 3 {
		buf := make([]byte, a, a+len(v))
		buf = append(buf, v...)
		startBits, endBits := 8*a, 8*(a+len(v))
		start, end := (startBits+5)/6, endBits/6
		if end-start < MinBase64 {
			continue
		}
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(buf)
			forms = append(forms, base64Form{mid: e[start:end], before: startBits%6 != 0, after: endBits%6 != 0})
		}
	}
	return forms
}

// Contains reports whether s holds any form of a secret.
func (r *Secrets) Contains(s string) bool {
	return len(r.spans(s, true)) > 0
}

// String returns s with every form of every secret replaced by [Redacted].
func (r *Secrets) String(s string) string {
	spans := r.spans(s, false)
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		sp := spans[i]
		for i++; i < len(spans) && spans[i].start < sp.end; i++ {
			sp.end = max(sp.end, spans[i].end) // overlapping matches are replaced once
		}
		b.WriteString(s[at:sp.start])
		b.WriteString(Redacted)
		at = sp.end
	}
	b.WriteString(s[at:])
	return b.String()
}

// span is a range of bytes of the original text.
type span struct{ start, end int }

// spans returns the spans of s that hold a form of a secret; only the
// first one found when first is set.
func (r *Secrets) spans(s string, first bool) []span {
	if r == nil || len(r.lower) == 0 {
		return nil
	}
	var out []span
	for l := range decodings(s) {
		lower := asciiLower(l.text)
		for _, v := range r.lower {
			for i := range indexes(lower, v) {
				out = append(out, l.orig(len(s), span{i, i + len(v)}))
				if first {
					return out
				}
			}
		}
		for _, f := range r.base64 {
			for i := range indexes(l.text, f.mid) {
				out = append(out, l.orig(len(s), f.extend(l.text, i)))
				if first {
					return out
				}
			}
		}
	}
	return out
}

// extend returns the range of text that the form found at i covers: its
// stable part, the characters either side that hold bits of the value,
// and the padding after it.
func (f base64Form) extend(text string, i int) span {
	j := i + len(f.mid)
	if f.before && i > 0 && isBase64(text[i-1]) {
		i--
	}
	if f.after && j < len(text) && isBase64(text[j]) {
		j++
		for k := 0; k < 2 && j < len(text) && text[j] == '='; k++ {
			j++
		}
	}
	return span{i, j}
}

// isBase64 reports whether c is a character of base64 or base64url.
func isBase64(c byte) bool { return isAlnum(c) || strings.IndexByte("+/-_", c) >= 0 }

// indexes yields the start of every occurrence of sub in s that does not
// overlap an earlier one.
func indexes(s, sub string) func(func(int) bool) {
	return func(yield func(int) bool) {
		for from := 0; ; {
			i := strings.Index(s[from:], sub)
			if i < 0 || !yield(from+i) {
				return
			}
			from += i + len(sub)
		}
	}
}

// asciiLower returns s with its ASCII letters in lower case, byte for
// byte, so that offsets are kept.
func asciiLower(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}
