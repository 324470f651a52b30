package catalog_test

import (
	"encoding/json"
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

// TestEntriesTested checks that every entry is driven against its real
// server by TestRealWorld, and says so in its $comment, or says that it
// is not yet tested against a real server.
func TestEntriesTested(t *testing.T) {
	for _, n := range catalog.Names() {
		is := is.New(t)
		b, err := catalog.Description(n)
		is.NoErr(err)
		var d struct {
			Comment string `json:"$comment"`
		}
		is.NoErr(json.Unmarshal(b, &d))
		if realServers[n] != nil {
			is.True(strings.Contains(d.Comment, "Tested against")) // names the version it was tested against
		} else {
			is.True(strings.Contains(d.Comment, "not yet tested against a real server")) // n has no real server in TestRealWorld
		}
	}
}
