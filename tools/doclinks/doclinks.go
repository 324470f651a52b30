// Package doclinks checks that the doc links of Go packages resolve, as
// go doc and pkgsite resolve them (go.dev/doc/comment): that every
// bracketed Name, Type.Field, Type.Method and pkg.Name of a doc comment
// names a declared identifier. Its test runs the check over this module,
// so that go test fails on a broken link.
//
// A link is broken when it names nothing; when an exported declaration's
// doc names an identifier that only an unexported declaration has; when
// it names an unexported identifier of the package (go doc links
// exported names only, and reads a bracketed lower-case word as a
// package name); when it names a field that a struct only promotes from
// an embedded one (go/doc knows a type's own fields only, so a link to
// Config.Lifetime stays plain text when Lifetime is a field of an
// embedded Options); and when it names nothing exported of another
// package. A bracketed lower-case word that names no package and no
// top-level identifier, such as "[redacted]", is prose and passes; so,
// undetected, does a link into a package that the file does not import
// and that is not in the standard library.
package doclinks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Package is a package to check, as go list describes it.
type Package struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
}

// List runs go list in dir for the patterns, such as "./...".
func List(dir string, patterns ...string) ([]Package, error) {
	cmd := exec.Command("go", append([]string{"list", "-e", "-json=ImportPath,Name,Dir,GoFiles"}, patterns...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("doclinks: go list %s in %s: %w: %s", strings.Join(patterns, " "), dir, err, stderr.Bytes())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p Package
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("doclinks: go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// Problem is a doc link that does not resolve.
type Problem struct {
	Pos  token.Position // of the comment that holds the link
	Link string         // as written, such as "Config.Lifetime"
	Why  string
}

// String formats p as "file:line:col: [link] why".
func (p Problem) String() string { return fmt.Sprintf("%s: [%s] %s", p.Pos, p.Link, p.Why) }

// checker holds the docs of the packages that links point into.
type checker struct {
	dir      string                  // where go list runs for other packages
	fset     *token.FileSet          // of every parsed file
	exported map[string]*doc.Package // by import path, exported declarations only
	problems []Problem
}

// pending is a link into another package, looked up once all the
// packages it may point into are loaded.
type pending struct {
	pos  token.Position
	link *comment.DocLink
}

// Check returns the doc links of pkgs that do not resolve. Links into
// other packages are looked up with go list run in dir.
func Check(dir string, pkgs []Package) ([]Problem, error) {
	c := &checker{dir: dir, fset: token.NewFileSet(), exported: map[string]*doc.Package{}}
	var external []pending
	for _, p := range pkgs {
		ext, err := c.checkPackage(p)
		if err != nil {
			return nil, err
		}
		external = append(external, ext...)
	}
	if err := c.checkExternal(external); err != nil {
		return nil, err
	}
	slices.SortFunc(c.problems, func(a, b Problem) int {
		return strings.Compare(a.String(), b.String())
	})
	return slices.CompactFunc(c.problems, func(a, b Problem) bool { return a == b }), nil
}

// checkPackage records the links of p that do not resolve within it, and
// returns its links into other packages.
func (c *checker) checkPackage(p Package) ([]pending, error) {
	// go/doc edits the files it is given: each doc.Package has its own.
	files, err := c.parse(p)
	if err != nil {
		return nil, err
	}
	var docs []*ast.CommentGroup // the package doc, as written
	for _, f := range files {
		if f.Doc != nil {
			docs = append(docs, f.Doc)
		}
	}
	exp, err := doc.NewFromFiles(c.fset, files, p.ImportPath)
	if err != nil {
		return nil, fmt.Errorf("doclinks: %s: %w", p.ImportPath, err)
	}
	if files, err = c.parse(p); err != nil {
		return nil, err
	}
	all, err := doc.NewFromFiles(c.fset, files, p.ImportPath, doc.AllDecls)
	if err != nil {
		return nil, fmt.Errorf("doclinks: %s: %w", p.ImportPath, err)
	}
	c.exported[p.ImportPath] = exp
	// Exported declarations may link exported names only; the others
	// may link any name of the package.
	var external []pending
	for _, pass := range []struct {
		pkg  *doc.Package
		want func(exported bool) bool
	}{{exp, func(e bool) bool { return e }}, {all, func(e bool) bool { return !e }}} {
		var groups []group
		if pass.want(true) {
			for _, cg := range docs {
				groups = append(groups, group{cg.Pos(), cg.Text()})
			}
		}
		for _, cg := range append(groups, comments(pass.pkg, pass.want)...) {
			external = append(external, c.checkGroup(cg, pass.pkg, all)...)
		}
	}
	return external, nil
}

// checkGroup records the links of cg, a comment of pkg, that do not
// resolve within it, and returns its links into other packages; all holds
// every declaration of the package.
func (c *checker) checkGroup(cg group, pkg, all *doc.Package) []pending {
	var external []pending
	parser := pkg.Parser()
	pos := c.fset.Position(cg.pos)
	p := *parser
	p.LookupSym = func(recv, name string) bool {
		if parser.LookupSym(recv, name) {
			return true
		}
		c.problems = append(c.problems, Problem{Pos: pos, Link: join(recv, name), Why: why(all, recv, name)})
		return false
	}
	p.LookupPackage = func(name string) (string, bool) {
		path, ok := parser.LookupPackage(name)
		if !ok && hasSym(all, "", name) {
			c.problems = append(c.problems, Problem{Pos: pos, Link: name, Why: "names an unexported identifier: go doc links exported names only"})
		}
		return path, ok
	}
	for _, l := range links(p.Parse(cg.text)) {
		if l.ImportPath != "" && l.ImportPath != pkg.ImportPath && l.Name != "" {
			external = append(external, pending{pos, l})
		}
	}
	return external
}

// checkExternal loads the packages that the links in external point
// into, then records those links that name nothing there.
func (c *checker) checkExternal(external []pending) error {
	var paths []string
	for _, e := range external {
		if _, ok := c.exported[e.link.ImportPath]; !ok && !slices.Contains(paths, e.link.ImportPath) {
			paths = append(paths, e.link.ImportPath)
		}
	}
	if len(paths) > 0 {
		others, err := List(c.dir, paths...)
		if err != nil {
			return err
		}
		for _, p := range others {
			files, err := c.parse(p)
			if err != nil {
				return err
			}
			if c.exported[p.ImportPath], err = doc.NewFromFiles(c.fset, files, p.ImportPath); err != nil {
				return fmt.Errorf("doclinks: %s: %w", p.ImportPath, err)
			}
		}
	}
	for _, e := range external {
		l := e.link
		d := c.exported[l.ImportPath]
		switch {
		case d == nil || len(d.Filenames) == 0:
			c.problems = append(c.problems, Problem{Pos: e.pos, Link: l.ImportPath + "." + join(l.Recv, l.Name), Why: "names a package that go list cannot find"})
		case !hasSym(d, l.Recv, l.Name):
			c.problems = append(c.problems, Problem{Pos: e.pos, Link: l.ImportPath + "." + join(l.Recv, l.Name), Why: "names nothing exported in that package"})
		}
	}
	return nil
}

// why says why the link recv.name (or name) that go/doc did not find in
// the exported declarations of a package is broken; all holds all its
// declarations.
func why(all *doc.Package, recv, name string) string {
	switch {
	case recv != "" && promoted(all, recv, name):
		return "names a promoted field, which go/doc does not link: link the embedded type's field"
	case hasSym(all, recv, name):
		return "names what only an unexported declaration has, which go doc does not show"
	}
	return "names nothing declared"
}

// hasSym reports whether d declares name, or recv's field or method name.
func hasSym(d *doc.Package, recv, name string) bool {
	if recv == "" {
		return slices.Contains(symbols(d), name)
	}
	return slices.Contains(symbols(d), recv+"."+name)
}

// symbols lists what go/doc links in d: top-level names, and Type.Field
// and Type.Method for its types' own fields and methods.
func symbols(d *doc.Package) []string {
	var syms []string
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			syms = append(syms, v.Names...)
		}
	}
	funcs := func(recv string, fs []*doc.Func) {
		for _, f := range fs {
			if recv != "" {
				syms = append(syms, recv+"."+f.Name)
			} else {
				syms = append(syms, f.Name)
			}
		}
	}
	values(d.Consts)
	values(d.Vars)
	funcs("", d.Funcs)
	for _, t := range d.Types {
		syms = append(syms, t.Name)
		values(t.Consts)
		values(t.Vars)
		funcs("", t.Funcs)
		funcs(t.Name, t.Methods)
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			list := fieldList(ts)
			if list == nil {
				continue
			}
			for _, f := range list.List {
				for _, n := range f.Names {
					syms = append(syms, t.Name+"."+n.Name)
				}
			}
		}
	}
	return syms
}

// promoted reports whether the struct type recv of d embeds a field that
// has a field or method name (looked up in d's own package only, or
// reported true for an embedded type of another package, whose fields
// go/doc never links either).
func promoted(d *doc.Package, recv, name string) bool {
	for _, t := range d.Types {
		if t.Name != recv {
			continue
		}
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				if len(f.Names) != 0 {
					continue
				}
				typ := f.Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				switch x := typ.(type) {
				case *ast.Ident:
					if hasSym(d, x.Name, name) || promoted(d, x.Name, name) {
						return true
					}
				case *ast.SelectorExpr:
					return true
				}
			}
		}
	}
	return false
}

func isExported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

func join(recv, name string) string {
	if recv == "" {
		return name
	}
	return recv + "." + name
}

// parse parses the Go files of p, with their comments.
func (c *checker) parse(p Package) ([]*ast.File, error) {
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(c.fset, filepath.Join(p.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("doclinks: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// group is a doc comment: where it is, and its text.
type group struct {
	pos  token.Pos
	text string
}

// comments returns the doc comments of d's declarations whose
// exportedness want accepts: the docs of constants, variables,
// functions, types and methods (go/doc takes them out of the syntax
// tree), and the comments of struct fields and interface methods.
func comments(d *doc.Package, want func(exported bool) bool) []group {
	var out []group
	add := func(exported bool, pos token.Pos, text string) {
		if want(exported) && text != "" {
			out = append(out, group{pos, text})
		}
	}
	addAST := func(exported bool, cgs ...*ast.CommentGroup) {
		for _, cg := range cgs {
			if cg != nil {
				add(exported, cg.Pos(), cg.Text())
			}
		}
	}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			exported := slices.ContainsFunc(v.Names, isExported)
			add(exported, v.Decl.Pos(), v.Doc)
			for _, s := range v.Decl.Specs {
				vs := s.(*ast.ValueSpec)
				addAST(exported && slices.ContainsFunc(vs.Names, func(n *ast.Ident) bool { return n.IsExported() }), vs.Doc, vs.Comment)
			}
		}
	}
	funcs := func(typeExported bool, fs []*doc.Func) {
		for _, f := range fs {
			add(typeExported && isExported(f.Name), f.Decl.Pos(), f.Doc)
		}
	}
	values(d.Consts)
	values(d.Vars)
	funcs(true, d.Funcs)
	for _, t := range d.Types {
		te := isExported(t.Name)
		add(te, t.Decl.Pos(), t.Doc)
		values(t.Consts)
		values(t.Vars)
		funcs(true, t.Funcs)
		funcs(te, t.Methods)
		for _, spec := range t.Decl.Specs {
			ts := spec.(*ast.TypeSpec)
			addAST(te, ts.Doc, ts.Comment)
			list := fieldList(ts)
			if list == nil {
				continue
			}
			for _, f := range list.List {
				fe := te && (len(f.Names) == 0 || slices.ContainsFunc(f.Names, func(n *ast.Ident) bool { return n.IsExported() }))
				addAST(fe, f.Doc, f.Comment)
			}
		}
	}
	return out
}

// links returns the doc links of a parsed comment.
func links(d *comment.Doc) []*comment.DocLink {
	var out []*comment.DocLink
	var text func([]comment.Text)
	text = func(ts []comment.Text) {
		for _, t := range ts {
			switch x := t.(type) {
			case *comment.DocLink:
				out = append(out, x)
			case *comment.Link:
				text(x.Text)
			}
		}
	}
	var blocks func([]comment.Block)
	blocks = func(bs []comment.Block) {
		for _, b := range bs {
			switch x := b.(type) {
			case *comment.Paragraph:
				text(x.Text)
			case *comment.Heading:
				text(x.Text)
			case *comment.List:
				for _, it := range x.Items {
					blocks(it.Content)
				}
			}
		}
	}
	blocks(d.Content)
	return out
}

// fieldList returns the fields of a struct type or the methods of an
// interface type, or nil.
func fieldList(ts *ast.TypeSpec) *ast.FieldList {
	switch x := ts.Type.(type) {
	case *ast.StructType:
		return x.Fields
	case *ast.InterfaceType:
		return x.Methods
	}
	return nil
}
