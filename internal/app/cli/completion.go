package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
)

const completionHelp = `Print a script that makes the shell complete loginauth's commands, their
flags, and provider names: the built-in ones and the descriptions of the
providers directory. The script asks the command itself, so that it
stays true as descriptions come and go.

  source <(loginauth completion bash)                    # in ~/.bashrc
  loginauth completion zsh > "${fpath[1]}/_loginauth"    # zsh, with compinit
  loginauth completion fish > ~/.config/fish/completions/loginauth.fish
`

// completionOptions are the command line of completion.
type completionOptions struct {
	shell string // bash, zsh or fish
}

func (o *completionOptions) flags(*flagSet) {}

func (o *completionOptions) parsed(_ *flagSet, pos []string) error {
	if len(pos) != 1 {
		return usagef("want one shell: bash, zsh or fish")
	}
	if _, ok := completionScripts[pos[0]]; !ok {
		return usagef("no completion for %q: want bash, zsh or fish", pos[0])
	}
	o.shell = pos[0]
	return nil
}

func (o *completionOptions) run(ctx context.Context, c *cli) error { return c.completion(ctx, *o) }

// completion prints the completion script of the shell.
func (c *cli) completion(_ context.Context, o completionOptions) error {
	_, err := fmt.Fprint(c.stdout, completionScripts[o.shell])
	return err
}

// completeCommand is the hidden command the scripts call with the words
// before the one being completed; it prints the candidates, one a line.
const completeCommand = "__complete"

var completionScripts = map[string]string{
	"bash": `# bash completion for loginauth
_loginauth() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$(loginauth __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _loginauth loginauth
`,
	"zsh": `#compdef loginauth
# zsh completion for loginauth
_loginauth() {
	local -a cands
	cands=("${(@f)$(loginauth __complete "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
	if (( ${#cands} )) && [[ -n "${cands[1]}" ]]; then
		compadd -a cands
	else
		_files
	fi
}
compdef _loginauth loginauth
`,
	"fish": `# fish completion for loginauth
function __loginauth_complete
	set -l words (commandline -opc)
	loginauth __complete $words[2..-1] 2>/dev/null
end
complete -c loginauth -a '(__loginauth_complete)'
`,
}

// complete prints the candidates for the word after words: the commands
// first; then a command's flags and, before its first argument, the
// provider names. After a flag that takes a value it prints none, so
// that the shell completes file names.
func (c *cli) complete(words []string) {
	if len(words) == 0 {
		for _, n := range commandNames() {
			fmt.Fprintln(c.stdout, n)
		}
		return
	}
	cmd := lookup(words[0])
	switch {
	case words[0] == "help":
		if len(words) == 1 {
			for _, n := range commandNames() {
				fmt.Fprintln(c.stdout, n)
			}
		}
		return
	case cmd == nil:
		return
	case cmd.name == "completion":
		if len(words) == 1 {
			fmt.Fprintln(c.stdout, "bash\nzsh\nfish")
		}
		return
	}
	fs, _ := cmd.flagSet()
	args := 0
	for i := 1; i < len(words); i++ {
		w := words[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !strings.HasPrefix(w, "-") || w == "-" {
			args++
			continue
		}
		f := fs.Lookup(name)
		if f != nil && !isBool(f) && !hasValue {
			if i == len(words)-1 {
				return // complete the flag's value: files
			}
			i++ // skip the value
		}
	}
	for _, n := range flagNames(fs) {
		if len(n) > 1 && !slices.Contains([]string{"email", "secret-key"}, n) {
			fmt.Fprintln(c.stdout, dashed(n))
		}
	}
	if args == 0 && strings.Contains(cmd.args, "PROVIDER") {
		for _, n := range c.providerNames() {
			fmt.Fprintln(c.stdout, n)
		}
	}
}

// isBool reports whether f is a boolean flag, which takes no value.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
