package jsonlogin

import (
	"encoding/json"
	"testing"

	"github.com/matryer/is"
)

// TestPointer checks JSON Pointers against the examples of RFC 6901,
// section 5.
func TestPointer(t *testing.T) {
	is := is.New(t)
	var doc any
	is.NoErr(json.Unmarshal([]byte(`{"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4,
	  "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8}`), &doc))
	for ptr, want := range map[string]any{
		"/foo/0": "bar", "/": 0.0, "/a~1b": 1.0, "/c%d": 2.0, "/e^f": 3.0, "/g|h": 4.0,
		`/i\j`: 5.0, `/k"l`: 6.0, "/ ": 7.0, "/m~0n": 8.0,
	} {
		p, err := parsePointer(ptr)
		is.NoErr(err)
		v, ok := p.get(doc)
		is.True(ok)       // found
		is.Equal(v, want) // the value RFC 6901 names
	}
	p, err := parsePointer("")
	is.NoErr(err)
	v, ok := p.get(doc)
	is.True(ok && v != nil) // "" is the whole document
	for _, missing := range []string{"/foo/2", "/foo/01", "/foo/-", "/foo/x", "/nope", "/foo/0/x"} {
		p, err := parsePointer(missing)
		is.NoErr(err)
		_, ok := p.get(doc)
		is.True(!ok) // no value
	}
	p, _ = parsePointer("/~01")
	is.Equal(p.tokens, []string{"~1"}) // ~01 is "~1", not "/"
	for _, bad := range []string{"foo", "/~", "/~2", "/a~"} {
		_, err := parsePointer(bad)
		is.True(err != nil) // not a pointer
	}
}
