package jsonlogin

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestExpand checks template expansion: names replaced, values inserted
// as they are and never expanded again, spaces allowed in the braces.
func TestExpand(t *testing.T) {
	is := is.New(t)
	vals := map[string]string{"a": "{{b}}", "b": "B", "extra.t": "T"}
	got, err := expand("x{{a}}-{{ b }}-{{extra.t}}}}", func(n string) string { return vals[n] })
	is.NoErr(err)
	is.Equal(got, "x{{b}}-B-T}}") // a's value is not expanded again; "}}" alone is text
	for _, bad := range []string{"{{", "{{a", "{{}}", "{{a b}}", "{{extra.}}", "{{1a}}", "{{{a}}}"} {
		_, err := expand(bad, func(string) string { return "" })
		is.True(err != nil) // malformed
	}
}

// FuzzExpand checks, for any template and value, that expansion does not
// panic; that a template without "{{" is left as it is; that a valid
// template expands to its text with each name replaced by the value,
// which is never expanded again; and that an error never holds the value.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "Bearer {{token}}", "{{a}}{{b}}", "{{ extra.x-y }}", "{{", "}}{{a}}", "{{{a}}}", "a{{b"} {
		f.Add(s, "v{{a}}")
	}
	f.Fuzz(func(t *testing.T, tmpl, value string) {
		got, err := expand(tmpl, func(string) string { return value })
		if !strings.Contains(tmpl, "{{") {
			if err != nil || got != tmpl {
				t.Fatalf("expand(%q) = %q, %v; want the template itself", tmpl, got, err)
			}
			return
		}
		if err != nil {
			if value != "" && len(value) > 3 && strings.Contains(err.Error(), value) && !strings.Contains(tmpl, value) {
				t.Fatalf("an error holds the value: %v", err)
			}
			return
		}
		// The same expansion with a marker, then the marker replaced.
		const marker = "\x00"
		if strings.Contains(tmpl, marker) || strings.Contains(value, marker) {
			return
		}
		marked, err := expand(tmpl, func(string) string { return marker })
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ReplaceAll(marked, marker, value); got != want {
			t.Fatalf("expand(%q) with %q = %q; want %q", tmpl, value, got, want)
		}
		ns, err := names(tmpl)
		if err != nil || strings.Count(marked, marker) != len(ns) {
			t.Fatalf("%d names but %d replacements in %q", len(ns), strings.Count(marked, marker), tmpl)
		}
	})
}
