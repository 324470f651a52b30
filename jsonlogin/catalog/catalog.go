// Package catalog ships jsonlogin descriptions of real, widely used
// login-style APIs, embedded in the binary, as golang.org/x/oauth2/endpoints
// ships the endpoints of OAuth2 providers:
//
//	spec, err := catalog.Lookup("pocketbase")
//	src := spec.NewSource(map[string]string{"base_url": url, "email": user, "password": pass}, loginauth.Options{})
//	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}
//
// Each entry's $comment names the documentation or source that it rests
// on, and the version of the real server it was tested against, or says
// that it is not yet tested against a real server. The loginauth command
// resolves a provider name to a catalog entry when no built-in provider
// and no description in its config directory has that name, so that
// 'loginauth login pocketbase' needs no file.
package catalog

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/loginauth/loginauth/jsonlogin"
)

//go:embed *.json
var files embed.FS

// ErrUnknown is the error of [Lookup] and [Description] for a name that
// the catalog has no entry of.
var ErrUnknown = errors.New("catalog: no such entry")

// Names returns the names of the catalog's entries, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(out)
	return out
}

// File returns the name of the embedded file of the entry name, such as
// "pocketbase.json", as in the source tree's jsonlogin/catalog directory.
func File(name string) string { return name + ".json" }

// Description returns the JSON description of the entry name: the bytes
// that [jsonlogin.Parse] reads. The caller may change the copy it gets.
func Description(name string) ([]byte, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("%w: %q; the catalog has %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return files.ReadFile(path.Clean(File(name)))
}

// Lookup returns the parsed description of the entry name.
func Lookup(name string) (*jsonlogin.Spec, error) {
	b, err := Description(name)
	if err != nil {
		return nil, err
	}
	spec, err := jsonlogin.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", File(name), err)
	}
	return spec, nil
}
