package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// askSecret writes prompt to w and reads a line from the terminal tty
// with echo turned off. It restores the terminal before returning, also
// when ctx ends first (on an interrupt, say).
func askSecret(ctx context.Context, tty *os.File, w io.Writer, prompt string) (string, error) {
	restore, err := noEcho(tty.Fd())
	if err != nil {
		return "", fmt.Errorf("turning off echo: %w", err)
	}
	defer fmt.Fprintln(w) // the user's newline was not echoed
	defer restore()
	return askLine(ctx, tty, w, prompt)
}

// askLine writes prompt to w and reads a line from the terminal tty, or
// gives up when ctx ends.
func askLine(ctx context.Context, tty *os.File, w io.Writer, prompt string) (string, error) {
	fmt.Fprint(w, prompt)
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := readLine(tty)
		ch <- line{s, err}
	}()
	select {
	case l := <-ch:
		return l.s, l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// stdinTerminal returns the standard input, if it is a terminal.
func (c *cli) stdinTerminal() (*os.File, bool) {
	tty, ok := c.env.Stdin.(*os.File)
	return tty, ok && isTerminal(tty.Fd())
}

// askMissing asks on the terminal, as 'gh auth login' does, for each
// value that login needs and nothing gave: the user name, the base URL
// where the provider has no default, a description's other variables.
// Without a terminal it asks nothing: the caller reports what is missing.
func (c *cli) askMissing(ctx context.Context, a *account) error {
	tty, ok := c.stdinTerminal()
	if !ok {
		return nil
	}
	for _, v := range a.p.vars {
		if !a.needs(v) {
			continue
		}
		ask, what := askLine, strings.ReplaceAll(v.name, "_", " ")
		if v.secret {
			ask = askSecret
		}
		if v.name == varBase {
			what = "base URL (" + a.p.baseHint + ")"
		}
		s, err := ask(ctx, tty, c.stderr, fmt.Sprintf("%s %s: ", a.p.name, what))
		if err != nil {
			return fmt.Errorf("%s: reading the %s: %w", a.p.name, v.name, err)
		}
		a.vals[v.name] = strings.TrimSpace(s)
	}
	return nil
}
