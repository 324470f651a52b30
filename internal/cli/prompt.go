package cli

import (
	"context"
	"fmt"
	"io"
	"os"
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
