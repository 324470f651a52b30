package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSnippetsOccurOnce checks, without running a mutant, that each
// mutant's snippet occurs exactly once in its file, so that a change that
// moves a guard's code is told to move its mutant with it.
func TestSnippetsOccurOnce(t *testing.T) {
	names := map[string]bool{}
	for _, m := range mutants {
		if names[m.name] {
			t.Errorf("two mutants are named %s", m.name)
		}
		names[m.name] = true
		for _, e := range m.edits {
			b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(e.file)))
			if err != nil {
				t.Errorf("%s: %v", m.name, err)
				continue
			}
			if n := bytes.Count(b, []byte(e.old)); n != 1 {
				t.Errorf("%s: %s holds its snippet %d times, not once", m.name, e.file, n)
			}
		}
	}
}
