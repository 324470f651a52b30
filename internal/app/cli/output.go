package cli

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
)

// outputFlags defines -o/--output FORMAT, one of formats (the first is
// the default), and --json, which is -o json, as gh's --json: usage says
// what the JSON holds.
func outputFlags(fs *flagSet, p *string, usage string, formats ...string) {
	*p = formats[0]
	fs.stringFlag(p, "output", "o", formats[0], "the output `FORMAT`: "+strings.Join(formats, " or ")+"; json is "+usage)
	fs.varFlag(jsonFlag{p}, "json", "", "the same as -o json")
}

// checkOutput refuses a format not among formats.
func checkOutput(format string, formats ...string) error {
	if !slices.Contains(formats, format) {
		return usagef("-o %q: want %s%s", format, strings.Join(formats, " or "), didYouMean(format, formats, plain))
	}
	return nil
}

// jsonFlag is --json: a boolean flag that sets the output format.
type jsonFlag struct{ p *string }

// String is the flag's value for the help: none.
func (f jsonFlag) String() string { return "" }

// IsBoolFlag makes --json take no value.
func (f jsonFlag) IsBoolFlag() bool { return true }

// Set sets the output format to json.
func (f jsonFlag) Set(v string) error {
	if v != "false" {
		*f.p = "json"
	}
	return nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
