package doclinks

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestModuleDocLinks checks every doc link of this module, and of the
// redisstore and otelloginauth modules when their dependencies are in the
// module cache (compat is test-only and documents nothing).
func TestModuleDocLinks(t *testing.T) {
	root := filepath.Join("..", "..")
	check := func(t *testing.T, dir string) {
		pkgs, err := List(dir, "./...")
		if err != nil {
			t.Fatal(err)
		}
		problems, err := Check(dir, pkgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("doc link does not resolve: %v", p)
		}
	}
	t.Run("loginauth", func(t *testing.T) { check(t, root) })
	for _, mod := range []string{"redisstore", "otelloginauth"} {
		t.Run(mod, func(t *testing.T) {
			dir := filepath.Join(root, mod)
			cmd := exec.Command("go", "list", "-deps", "./...")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("%s's dependencies are not in the module cache: %v: %s", mod, err, out)
			}
			check(t, dir)
		})
	}
}

// TestCheckFindsBrokenLinks checks that the check fails on each kind of
// broken link of testdata/broken, and on nothing else.
func TestCheckFindsBrokenLinks(t *testing.T) {
	is := is.New(t)
	pkg := Package{ImportPath: "example.com/broken", Name: "broken", Dir: filepath.Join("testdata", "broken"), GoFiles: []string{"broken.go"}}
	problems, err := Check(".", []Package{pkg})
	is.NoErr(err)
	var got []string
	for _, p := range problems {
		got = append(got, p.Link+": "+p.Why)
	}
	slices.Sort(got)
	want := []string{
		"Config.Nope: names nothing declared",
		"Config.Promoted: names a promoted field, which go/doc does not link: link the embedded type's field",
		"InFieldDoc: names nothing declared",
		"InTypeDoc: names nothing declared",
		"InUnexportedDoc: names nothing declared",
		"Missing: names nothing declared",
		"hidden: names an unexported identifier: go doc links exported names only",
		"net/http.Client.Nope: names nothing exported in that package",
	}
	is.Equal(strings.Join(got, "\n"), strings.Join(want, "\n")) // each broken link, once
}
