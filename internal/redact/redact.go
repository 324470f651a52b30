// Package redact keeps secrets out of what the library prints: it formats
// configuration structs without their secret fields, and scrubs secret
// values out of text that a server may have echoed ([Secrets]).
package redact

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
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
