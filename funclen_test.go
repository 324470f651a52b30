package loginauth_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function of the product may be, from its
// func keyword to its closing brace; tests are exempt, test helpers in
// files not named _test.go are not.
const maxFuncLines = 80

// TestFunctionLength fails on a function of the module, func literals
// included, longer than maxFuncLines lines.
func TestFunctionLength(t *testing.T) {
	for _, f := range moduleFiles(t, false) {
		for name, n := range funcLengths(f) {
			if n > maxFuncLines {
				t.Errorf("%s: %s is %d lines, more than %d: split it", f.path, name, n, maxFuncLines)
			}
		}
	}
}

// funcLengths returns the length in lines of each function of f, and of
// each func literal, named after the function that holds it.
func funcLengths(f goFile) map[string]int {
	out := map[string]int{}
	lines := func(n ast.Node) int {
		return f.fset.Position(n.End()).Line - f.fset.Position(n.Pos()).Line + 1
	}
	for _, d := range f.ast.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) == 1 {
			name = fmt.Sprintf("(%s).%s", recvType(fd.Recv.List[0].Type), name)
		}
		out[name] = max(out[name], lines(fd)) // init may be written more than once
		ast.Inspect(fd, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				out[name+" func literal"] = max(out[name+" func literal"], lines(lit))
			}
			return true
		})
	}
	ast.Inspect(f.ast, func(n ast.Node) bool { // func literals outside functions
		switch n := n.(type) {
		case *ast.FuncDecl:
			return false
		case *ast.FuncLit:
			out["func literal"] = max(out["func literal"], lines(n))
		}
		return true
	})
	return out
}

// recvType returns a receiver's type as written, such as "*cli".
func recvType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + recvType(t.X)
	case *ast.IndexExpr:
		return recvType(t.X)
	case *ast.IndexListExpr:
		return recvType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return fmt.Sprintf("%T", e)
}

// goFile is a parsed Go file of the module.
type goFile struct {
	path string // relative to the module root, with slashes
	dir  string // the package's directory, "." for the root
	fset *token.FileSet
	ast  *ast.File
}

// moduleFiles parses the Go files of this module but its tests, and not
// those of the modules nested in it, nor testdata. importsOnly parses no
// further than the imports.
func moduleFiles(t *testing.T, importsOnly bool) []goFile {
	t.Helper()
	mode := parser.SkipObjectResolution
	if importsOnly {
		mode |= parser.ImportsOnly
	}
	var files []goFile
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "." {
				return nil
			}
			if name := d.Name(); strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, mode)
		if err != nil {
			return err
		}
		files = append(files, goFile{filepath.ToSlash(path), filepath.ToSlash(filepath.Dir(path)), fset, f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
