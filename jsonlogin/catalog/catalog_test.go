package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

// TestEntriesParse checks that every entry parses, carries the name of its
// file, and says in $comment what it rests on.
func TestEntriesParse(t *testing.T) {
	is := is.New(t)
	names := catalog.Names()
	is.True(len(names) >= 3) // qbittorrent, node-red, pocketbase at least
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			is := is.New(t)
			spec, err := catalog.Lookup(n)
			is.NoErr(err)
			is.Equal(spec.Name(), n) // the entry's name is its file's
			b, err := catalog.Description(n)
			is.NoErr(err)
			is.True(strings.Contains(string(b), `"$comment"`)) // says what it rests on
		})
	}
}

// TestLookupUnknown checks that an unknown name is ErrUnknown, with the
// names the catalog has.
func TestLookupUnknown(t *testing.T) {
	is := is.New(t)
	_, err := catalog.Lookup("no-such-api")
	is.True(errors.Is(err, catalog.ErrUnknown))
	is.True(strings.Contains(err.Error(), "pocketbase"))
	_, err = catalog.Description("../catalog")
	is.True(errors.Is(err, catalog.ErrUnknown))
}
