package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet is a command's flags, whose help is written once, in their
// definitions: writeDefaults prints it, with each flag's short alias.
type flagSet struct {
	*flag.FlagSet
	short   map[string]string // long name → its one-letter alias
	order   []string          // long names, in the order defined
	account bool              // the account flags are defined: help lists the environment
	refused map[string]string // flag name → why the command does not take it
	// unknownHint, if set, follows the error of an unknown flag.
	unknownHint string
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet("loginauth "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller reports errors
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, short: map[string]string{}}
}

// def records the flag long, just defined, for the help; short, if not
// empty, is its one-letter alias.
func (fs *flagSet) def(long, short string) {
	fs.order = append(fs.order, long)
	if short != "" {
		fs.short[long] = short
		fs.Var(fs.Lookup(long).Value, short, "")
	}
}

func (fs *flagSet) stringFlag(p *string, long, short, value, usage string) {
	fs.StringVar(p, long, value, usage)
	fs.def(long, short)
}

func (fs *flagSet) boolFlag(p *bool, long, short, usage string) {
	fs.BoolVar(p, long, false, usage)
	fs.def(long, short)
}

func (fs *flagSet) varFlag(v flag.Value, long, short, usage string) {
	fs.Var(v, long, usage)
	fs.def(long, short)
}

// alias defines another long name for the flag long, listed with it.
func (fs *flagSet) alias(long, other string) {
	fs.Var(fs.Lookup(long).Value, other, "")
	fs.Lookup(long).Usage += fmt.Sprintf(" (--%s is the same)", other)
}

// writeDefaults writes the help of the flags, in the order they were
// defined: "-o, --output FORMAT" and the usage, wrapped at 78 columns.
func (fs *flagSet) writeDefaults(w io.Writer) {
	for _, long := range fs.order {
		f := fs.Lookup(long)
		name, usage := flag.UnquoteUsage(f)
		head := "      --" + long
		if s := fs.short[long]; s != "" {
			head = "  -" + s + ", --" + long
		}
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool && name != "" {
			head += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		writeWrapped(w, head, usage)
	}
}

// writeWrapped writes head, then text from column 28 (on a line of its
// own when head is longer), wrapped at 78 columns.
func writeWrapped(w io.Writer, head, text string) {
	const col, width = 28, 78
	line := head
	if len(line) >= col-1 {
		fmt.Fprintln(w, line)
		line = ""
	}
	line += strings.Repeat(" ", col-len(line))
	n := 0
	for _, word := range strings.Fields(text) {
		if n > 0 && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line, n = strings.Repeat(" ", col), 0
		}
		if n > 0 {
			line += " "
		}
		line += word
		n++
	}
	fmt.Fprintln(w, line)
}
