// Package redact keeps secrets out of what the library prints: it formats
// configuration structs without their secret fields, and scrubs secret
// values out of text that a server may have echoed.
package redact

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Redacted replaces the value of a secret field that is set.
const Redacted = "[redacted]"

// Format writes the struct v as Type{Field:value ...} to f, whatever the
// verb: secret fields that are set print as [Redacted], string fields
// quoted, numbers, booleans and durations as themselves, and fields of
// other kinds only as set or nil, so that nothing they reach is printed.
func Format(f fmt.State, v any, secrets ...string) {
	fmt.Fprint(f, String(v, secrets...))
}

// String returns what [Format] writes.
func String(v any, secrets ...string) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "<nil>"
		}
		rv = rv.Elem()
	}
	rt := rv.Type()
	var b strings.Builder
	b.WriteString(rt.String())
	b.WriteByte('{')
	first := true
	for i := range rt.NumField() {
		sf := rt.Field(i)
		if !sf.IsExported() {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(sf.Name)
		b.WriteByte(':')
		fv := rv.Field(i)
		switch {
		case slices.Contains(secrets, sf.Name):
			if fv.IsZero() {
				b.WriteString(`""`)
			} else {
				b.WriteString(Redacted)
			}
		case fv.Kind() == reflect.String:
			fmt.Fprintf(&b, "%q", fv.String())
		case fv.Kind() == reflect.Bool, fv.Kind() >= reflect.Int && fv.Kind() <= reflect.Float64:
			fmt.Fprintf(&b, "%v", fv.Interface())
		case fv.IsZero():
			b.WriteString("<nil>")
		default:
			b.WriteString("<set>")
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Values returns the non-empty string values of the named fields of the
// struct v, so that the one list of a Config's secret field names serves
// both [Format] and the scrubbing of errors ([Secrets]).
func Values(v any, names ...string) []string {
	rv := reflect.Indirect(reflect.ValueOf(v))
	var out []string
	for _, n := range names {
		if f := rv.FieldByName(n); f.Kind() == reflect.String && f.String() != "" {
			out = append(out, f.String())
		}
	}
	return out
}

// Secrets scrubs secret values out of text in the forms in which a server
// may echo them: as they are, JSON-escaped (with or without HTML escapes,
// with non-ASCII characters escaped or not), quoted as Go's %q and %+q
// quote them, and percent-encoded as a query or a path. Matching ignores
// ASCII case, so that upper- and lower-case hex escapes are both found.
type Secrets struct {
	forms []string // every form of every secret, longest first
}

// NewSecrets returns the Secrets that scrub the given values. Empty values
// are ignored.
func NewSecrets(values ...string) *Secrets {
	var forms []string
	for _, v := range values {
		if v == "" {
			continue
		}
		q := strconv.Quote(v)
		qa := strconv.QuoteToASCII(v)
		forms = append(forms, v,
			q[1:len(q)-1], qa[1:len(qa)-1],
			jsonString(v, false, false), jsonString(v, true, false),
			jsonString(v, false, true), jsonString(v, true, true),
			url.QueryEscape(v), url.PathEscape(v))
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return &Secrets{forms: slices.Compact(forms)}
}

// Contains reports whether s holds any form of a secret.
func (r *Secrets) Contains(s string) bool {
	if r == nil {
		return false
	}
	for _, f := range r.forms {
		if indexFold(s, f) >= 0 {
			return true
		}
	}
	return false
}

// String returns s with every form of every secret replaced by [Redacted].
func (r *Secrets) String(s string) string {
	if r == nil {
		return s
	}
	for _, f := range r.forms {
		// Search on after each replacement: a secret found in Redacted
		// itself ("r", "act") must not be replaced again and again.
		for from := 0; ; {
			i := indexFold(s[from:], f)
			if i < 0 {
				break
			}
			i += from
			s = s[:i] + Redacted + s[i+len(f):]
			from = i + len(Redacted)
		}
	}
	return s
}

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// jsonString is the content of the JSON string literal for s, escaping
// <, > and & when html is set and every non-ASCII character when ascii is
// set, as JSON encoders of various languages do.
func jsonString(s string, html, ascii bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20, html && (r == '<' || r == '>' || r == '&'), r == 0x2028, r == 0x2029, ascii && r >= 0x80:
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
