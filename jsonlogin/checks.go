package jsonlogin

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// checkMethod refuses a method that is not upper case: methods are
// case-sensitive, and servers answer "post" with 405 or 501. Other
// methods than the standard ones, such as PROPFIND, are allowed.
func checkMethod(path, m string) error {
	if up := strings.ToUpper(m); m != up {
		return fmt.Errorf("jsonlogin: %s.method: %q is not upper case; methods are case-sensitive: write %q", path, m, up)
	}
	return nil
}

// checkOrigin refuses an entry of origins that is more than an origin.
func checkOrigin(path, o string) error {
	u, err := url.Parse(o)
	if err == nil && u.User == nil && (u.Path == "" || u.Path == "/") && !u.ForceQuery && u.RawQuery == "" && u.Fragment == "" {
		return nil
	}
	return fmt.Errorf("jsonlogin: %s: %q is not an origin: give scheme://host[:port], without user info, a path or a query", path, o)
}

// checkShellVars refuses "${NAME}", and "$NAME" when NAME is a variable,
// its env or a token value, in the template t at path: templates are
// {{NAME}}.
func (s *Spec) checkShellVars(path, t string) error {
	for i := strings.IndexByte(t, '$'); i >= 0; i = next(t, i) {
		rest := t[i+1:]
		braced := strings.HasPrefix(rest, "{")
		name := rest
		if braced {
			name = rest[1:]
		}
		n := 0
		for n < len(name) && varName(name[:n+1]) {
			n++
		}
		name = name[:n]
		if name == "" || (braced && !strings.HasPrefix(rest[1+n:], "}")) {
			continue
		}
		if want, ok := s.templateFor(name); braced || ok {
			return fmt.Errorf("jsonlogin: %s: %q is not a template; templates are {{NAME}}, such as %s", path, t[i:i+1+n+2*btoi(braced)], want)
		}
	}
	return nil
}

// next returns the index of the next "$" after i in t; -1 when none.
func next(t string, i int) int {
	j := strings.IndexByte(t[i+1:], '$')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// templateFor returns the template that name, written as a shell
// variable, most likely means, and whether name is a variable (in any
// case), a variable's env or a token value.
func (s *Spec) templateFor(name string) (string, bool) {
	for _, n := range append(sortedKeys(s.vars), nameToken, nameRefreshToken) {
		if strings.EqualFold(n, name) || (s.vars[n].env != "" && s.vars[n].env == name) {
			return "{{" + n + "}}", true
		}
	}
	return "{{" + name + "}}", false
}

// checkRefused refuses a rule of refused that can match a 2xx answer and
// reads nothing of its body (no json, present or text part, nor a not
// part that reads it): every success would be a refusal, and each call
// would cost a login.
func checkRefused(rs rules) error {
	for i, r := range rs {
		if r.readsBody() || (r.status != nil && !slices.ContainsFunc(r.status, success)) {
			continue
		}
		path := "refused"
		if len(rs) > 1 {
			path = fmt.Sprintf("refused[%d]", i)
		}
		what := "has no status"
		if r.status != nil {
			what = "matches a 2xx status"
		}
		return fmt.Errorf("jsonlogin: %s: the rule %s and reads nothing of the body, so every successful answer would be a refusal; give the status of refusals (such as [401]) or a json, present or text part that tells a refusal from a success", path, what)
	}
	return nil
}

// readsBody reports whether r has a part that reads an answer's body.
func (r *rule) readsBody() bool {
	return r.text != nil || r.json != nil || r.present != nil || slices.ContainsFunc(r.not, func(n rule) bool { return n.readsBody() })
}

func success(status int) bool { return status >= 200 && status <= 299 }
