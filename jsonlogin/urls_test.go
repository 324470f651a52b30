package jsonlogin

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzURLValues checks, for any two values, that they cannot change the
// structure of a URL: each path segment, query key and value, and the
// fragment that holds one reads back as exactly that value, and a value
// in the host either is refused or is the host's label.
func FuzzURLValues(f *testing.F) {
	f.Add("a&b", "p+w&x=1#y")
	f.Add("a/b?c", "%2F..%00;x")
	f.Add("", "eu-1")
	const tmpl = "https://{{h}}.example.com/a/{{u}}/b?x={{u}}&{{p}}={{u}}#f{{p}}"
	f.Fuzz(func(t *testing.T, user, pass string) {
		vals := map[string]string{"h": "api", "u": user, "p": pass}
		got, err := expandURL(tmpl, inScheme, func(n string) string { return vals[n] })
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q does not parse: %v", got, err)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		for i, s := range segs {
			segs[i], _ = url.PathUnescape(s)
		}
		if !slices.Equal(segs, []string{"", "a", user, "b"}) {
			t.Fatalf("path %q of %q; want the user as one segment", u.EscapedPath(), got)
		}
		want := url.Values{}
		want.Add("x", user)
		want.Add(pass, user)
		if q, err := url.ParseQuery(u.RawQuery); err != nil || !equalValues(q, want) {
			t.Fatalf("query %q of %q = %v, %v; want %v", u.RawQuery, got, q, err, want)
		}
		if u.Host != "api.example.com" || u.Fragment != "f"+pass {
			t.Fatalf("host %q, fragment %q of %q", u.Host, u.Fragment, got)
		}
		vals["h"] = user
		got, err = expandURL(tmpl, inScheme, func(n string) string { return vals[n] })
		vals["h"] = "/"
		_, other := expandURL(tmpl, inScheme, func(n string) string { return vals[n] })
		switch {
		case err == nil:
			if u, perr := url.Parse(got); perr != nil || u.Hostname() != user+".example.com" {
				t.Fatalf("host value %q gives %q", user, got)
			}
		case err.Error() != other.Error():
			t.Fatalf("the error depends on the value: %v", err) // it names the variable only
		}
	})
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
