package loginauth_test

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modulePath is the import path of this module.
const modulePath = "github.com/loginauth/loginauth"

// A layer of the module: see ARCHITECTURE.md.
type layer int

const (
	unplaced layer = iota
	plumbing
	core
	wireLayer
	engine
	provider
	testSupport
	application
	tools
)

var layerNames = [...]string{"unplaced", "plumbing", "core", "wire", "description engine", "provider", "test support", "application", "development tools"}

func (l layer) String() string { return layerNames[l] }

// providers are the provider packages, each independent of the others.
var providers = []string{"mic", "xano", "crux", "xpay"}

// layerOf places the package in dir, relative to the module root.
func layerOf(dir string) layer {
	first, _, _ := strings.Cut(dir, "/")
	switch {
	case dir == ".":
		return core
	case dir == "internal/redact" || dir == "internal/hostname" || dir == "internal/peek":
		return plumbing
	case dir == "internal/wire" || dir == "internal/config":
		return wireLayer
	case dir == "jsonlogin" || strings.HasPrefix(dir, "jsonlogin/") || dir == "internal/embedded":
		return engine
	case slices.Contains(providers, dir):
		return provider
	case slices.Contains(providers, first) && dir == first+"/"+first+"test",
		dir == "loginauthtest", dir == "storetest", dir == "internal/sourcetest", dir == "internal/app/proxy/proxytest",
		dir == "internal/registry" || strings.HasPrefix(dir, "internal/registry/"):
		return testSupport
	case dir == "internal/app/cli" || dir == "internal/app/proxy" || first == "cmd":
		return application
	case dir == "tools/doclinks" || dir == "tools/mutants" || first == "bench" || first == "tools":
		return tools
	}
	return unplaced
}

// mayImport says which layers each layer may import.
var mayImport = map[layer][]layer{
	plumbing:    {},
	core:        {plumbing},
	wireLayer:   {plumbing, core},
	engine:      {plumbing, core, wireLayer, engine},
	provider:    {plumbing, core, wireLayer, engine},
	testSupport: {plumbing, core, wireLayer, engine, provider, testSupport},
	application: {plumbing, core, wireLayer, engine, provider, testSupport, application},
	tools:       {plumbing, core, wireLayer, engine, provider, testSupport, application, tools},
}

// TestLayers checks the import rules of ARCHITECTURE.md on the non-test
// files of every package of the module.
func TestLayers(t *testing.T) {
	for _, f := range moduleFiles(t, true) {
		from := layerOf(f.dir)
		if from == unplaced {
			t.Errorf("%s: package %s is in no layer: place it in ARCHITECTURE.md and layerOf", f.path, f.dir)
			continue
		}
		for _, imp := range f.ast.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			if p != modulePath && !strings.HasPrefix(p, modulePath+"/") {
				continue
			}
			if why := importRule(from, p); why != "" {
				t.Errorf("%s: the %s imports %s: %s", f.path, from, p, why)
			}
		}
	}
}

// importRule says why a package of layer from may not import the
// module's package p, or returns "". A provider may import no other
// provider, since no layer may import its own but the engine, test support,
// the application and the tools.
func importRule(from layer, p string) string {
	to := path.Clean(strings.TrimPrefix(strings.TrimPrefix(p, modulePath), "/"))
	if to == "" {
		to = "."
	}
	into := layerOf(to)
	switch {
	case into == unplaced:
		return "a package in no layer"
	case !slices.Contains(mayImport[from], into):
		return "the " + from.String() + " may not import the " + into.String()
	}
	return ""
}

// TestLayersRules checks importRule itself on the imports that the
// rules forbid, so that a rule cannot go missing unnoticed.
func TestLayersRules(t *testing.T) {
	for _, c := range []struct {
		dir, imp string
	}{
		{".", modulePath + "/jsonlogin"},
		{".", modulePath + "/mic"},
		{".", modulePath + "/internal/app/cli"},
		{".", modulePath + "/internal/wire"},
		{"internal/redact", modulePath},
		{"internal/peek", modulePath + "/internal/redact"},
		{"jsonlogin", modulePath + "/xano"},
		{"mic", modulePath + "/mic/mictest"},
		{"mic", modulePath + "/loginauthtest"},
		{"mic", modulePath + "/xano"},
		{"crux", modulePath + "/internal/app/cli"},
		{"loginauthtest", modulePath + "/internal/app/proxy"},
		{"internal/app/proxy", modulePath + "/tools/mutants"},
	} {
		from := layerOf(c.dir)
		if from != unplaced && importRule(from, c.imp) == "" {
			t.Errorf("%s may import %s", c.dir, c.imp)
		}
	}
	if layerOf("internal/newthing") != unplaced {
		t.Error("an unknown package is placed")
	}
}
