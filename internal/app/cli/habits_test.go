package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestDidYouMean: a typo of a command, a provider or a flag gets the
// names it is close to; provider names ignore case.
func TestDidYouMean(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config")
	is.New(t).NoErr(os.MkdirAll(filepath.Join(cfg, "loginauth", "providers"), 0o700))
	is.New(t).NoErr(os.WriteFile(filepath.Join(cfg, "loginauth", "providers", "widget.json"), spec(t, "widget"), 0o600))
	env := map[string]string{"XDG_CONFIG_HOME": cfg}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lgoin", "xano"}, `unknown command "lgoin"; did you mean login?`},
		{[]string{"token", "xnao"}, `unknown provider "xnao"; did you mean xano`},
		{[]string{"token", "widgte"}, `unknown provider "widgte"; did you mean widget?`},
		{[]string{"call", "xano", "/", "--includ"}, `unknown flag --includ; did you mean --include?`},
		{[]string{"status", "--cahe-dir", "x"}, `unknown flag --cahe-dir; did you mean --cache-dir?`},
		{[]string{"--verison"}, `unknown flag --verison; did you mean --version?`},
	} {
		is := is.New(t)
		r := run(t, env, "", nil, c.args...)
		is.Equal(r.code, 2)                         // r
		is.True(strings.Contains(r.stderr, c.want)) // r
	}
	is := is.New(t)
	for _, name := range []string{"XANO", "Widget"} {
		r := run(t, env, "", nil, "status", name)
		is.True(!strings.Contains(r.stderr, "unknown provider")) // case does not matter: r
	}
}

// TestVersion: version and --version print the module version, and the
// Go version.
func TestVersion(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	r := run(t, nil, "", nil, "version")
	is.Equal(r.code, 0)                                        // r
	is.True(strings.HasPrefix(r.stdout, "loginauth (devel) ")) // built in its repository
	is.True(strings.Contains(r.stdout, runtime.Version()))
	is.Equal(run(t, nil, "", nil, "--version").stdout, r.stdout)

	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
	}}
	is.True(strings.HasPrefix(versionLine(bi), "loginauth v1.2.0 (revision 0123456789ab, modified) go"))
}

// TestCompletionBash sources the bash script, calls its function as bash
// would, and reads COMPREPLY: commands, flags, provider names.
func TestCompletionBash(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	dir := t.TempDir()
	r := run(t, nil, "", nil, "completion", "bash")
	is.Equal(r.code, 0) // r
	script := filepath.Join(dir, "loginauth.bash")
	is.NoErr(os.WriteFile(script, []byte(r.stdout), 0o600))
	cfg := filepath.Join(dir, "config")
	is.NoErr(os.MkdirAll(filepath.Join(cfg, "loginauth", "providers"), 0o700))
	is.NoErr(os.WriteFile(filepath.Join(cfg, "loginauth", "providers", "widget.json"), spec(t, "widget"), 0o600))
	complete := func(words ...string) []string {
		t.Helper()
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		sh := `source "$1"; COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _loginauth; printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", sh, "bash", script)
		cmd.Env = []string{"PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + cfg, "HOME=" + dir}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		return strings.Fields(string(out))
	}
	is.Equal(complete("loginauth", "lo"), []string{"login", "logout"})
	got := complete("loginauth", "call", "")
	for _, want := range []string{"--include", "--verbose", "mic", "xano", "crux", "xpay", "widget"} {
		is.True(slices.Contains(got, want)) // a flag or provider: got
	}
	is.Equal(complete("loginauth", "call", "xano", "--inc"), []string{"--include"})
	is.True(!slices.Contains(complete("loginauth", "call", "xano", ""), "xano")) // one provider
	is.Equal(complete("loginauth", "completion", "z"), []string{"zsh"})
	is.Equal(len(complete("loginauth", "call", "--spec", "")), 0)                            // a flag's value: bash completes files
	is.True(slices.Contains(complete("loginauth", "call", "--cache-dir", "/c", ""), "xano")) // a value is not the provider

}

// TestCompletionSyntax checks the zsh and fish scripts with the shells'
// own parsers, when they are installed (.ci/run installs them).
func TestCompletionSyntax(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			if _, err := exec.LookPath(sh); err != nil {
				t.Skipf("%s is not installed: its completion script is not checked (apt-get install %s)", sh, sh)
			}
			is := is.New(t)
			r := run(t, nil, "", nil, "completion", sh)
			is.Equal(r.code, 0) // r
			script := filepath.Join(t.TempDir(), "loginauth."+sh)
			is.NoErr(os.WriteFile(script, []byte(r.stdout), 0o600))
			out, err := exec.Command(sh, "-n", script).CombinedOutput()
			is.NoErr(err) // out
			is.Equal(string(out), "")
		})
	}
}

// snakeKey matches a JSON key in snake_case.
var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// keys returns the keys of the JSON object or array of objects in s.
func keys(t *testing.T, s string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	objs, ok := v.([]any)
	if !ok {
		objs = []any{v}
	}
	var out []string
	for _, o := range objs {
		for k := range o.(map[string]any) {
			out = append(out, k)
		}
	}
	return out
}

// TestJSONOutputs: --json (and -o json) on login, token, status and
// logout, with snake_case keys, as the fake's /_fake/stats has them.
func TestJSONOutputs(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	f := startFake(t, "mic")
	cache := filepath.Join(t.TempDir(), "cache")
	env := f.account(t, cache, false)
	r := run(t, env, "", f.secrets(), "login", "mic", "--json")
	is.Equal(r.code, 0) // r
	for _, k := range []string{"provider", "account", "base_url", "expiry", "refreshable"} {
		is.True(slices.Contains(keys(t, r.stdout), k)) // login: k
	}
	tok := run(t, env, "", f.secrets(), "token", "mic")
	secrets := append(f.secrets(), strings.TrimSpace(tok.stdout))
	for _, args := range [][]string{{"status", "--json"}, {"status", "-o", "json"}, {"logout", "mic", "--json"}} {
		r = run(t, env, "", secrets, args...)
		is.Equal(r.code, 0) // r
		for _, k := range keys(t, r.stdout) {
			is.True(snakeKey.MatchString(k)) // snake_case: k
		}
	}
	is.True(strings.Contains(r.stdout, `"forgot": true`)) // logout says what it did
	r = run(t, env, "", f.secrets(), "token", "mic", "--json")
	is.Equal(r.code, 0) // logged in again with the password at hand: r
	is.True(slices.Contains(keys(t, r.stdout), "access_token"))
	for _, k := range keys(t, f.control(t, "GET", "stats")) {
		is.True(snakeKey.MatchString(k)) // /_fake/stats: k
	}
	r = run(t, env, "", nil, "status", "-o", "jsn")
	is.Equal(r.code, 2)                                       // r
	is.True(strings.Contains(r.stderr, "did you mean json?")) // r
}
