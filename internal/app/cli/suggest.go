package cli

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loginauth/loginauth/jsonlogin/catalog"
)

// suggest returns the candidates close to typed, as git and gh suggest
// them: at an edit distance of at most 2 (ignoring case), or starting
// with it; the closest first.
func suggest(typed string, candidates []string) []string {
	typed = strings.ToLower(typed)
	type scored struct {
		s string
		d int
	}
	var out []scored
	for _, c := range candidates {
		d := editDistance(typed, strings.ToLower(c))
		if d <= 2 || (len(typed) >= 2 && strings.HasPrefix(strings.ToLower(c), typed)) {
			out = append(out, scored{c, d})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return a.d - b.d })
	var names []string
	for _, s := range out {
		if !slices.Contains(names, s.s) {
			names = append(names, s.s)
		}
	}
	return names
}

// didYouMean is "; did you mean X?" (or "X or Y") for the candidates
// close to typed, and "" when none is.
func didYouMean(typed string, candidates []string, quote func(string) string) string {
	s := suggest(typed, candidates)
	if len(s) == 0 {
		return ""
	}
	for i := range s {
		s[i] = quote(s[i])
	}
	if len(s) > 3 {
		s = s[:3]
	}
	if len(s) == 1 {
		return "; did you mean " + s[0] + "?"
	}
	return "; did you mean " + strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1] + "?"
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// commandNames lists the commands, and help.
func commandNames() []string {
	names := []string{"help"}
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}

// providerNames lists the built-in providers, the descriptions of the
// providers directory and those of the catalog.
func (c *cli) providerNames() []string {
	return append(append(builtinNames(), c.configured()...), catalog.Names()...)
}

// catalogName returns the name of the catalog's description of name,
// matching it without regard to case, or "".
func catalogName(name string) string {
	for _, n := range catalog.Names() {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}

// configured lists the names of the descriptions in the providers
// directory.
func (c *cli) configured() []string {
	dir, err := c.providersDir()
	if err != nil {
		return nil
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && validName(n) {
			names = append(names, n)
		}
	}
	return names
}

// configuredFile returns the description file of the provider name in
// the providers directory, matching its name without regard to case, or
// "".
func (c *cli) configuredFile(name string) string {
	dir, err := c.providersDir()
	if err != nil || !validName(name) {
		return ""
	}
	for _, n := range c.configured() {
		if strings.EqualFold(n, name) {
			return filepath.Join(dir, n+".json")
		}
	}
	return ""
}

// flagNames lists the names of the flags of fs.
func flagNames(fs *flagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// dashed writes a flag's name as the user types it: --name, -n.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// plain leaves a name as it is.
func plain(s string) string { return s }
