package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// fakeHelp is the help of fake.
var fakeHelp = `Run the fake server of PROVIDER as a process, as the cloud SDKs'
emulators run, until SIGINT or SIGTERM. It needs no account and no
network. PROVIDER is one of the built-in providers: ` + names("or") + `.

On start it prints, on stdout, export lines for the provider's environment
variables: the base URL, the fake's demo credentials (they are not
secrets: printing them is the fake's job) and, for mic, the API key.
--env-file writes them to FILE as well, atomically, once the server
listens: a script can run the fake in the background and source FILE
('eval "$(loginauth fake xano)"' would wait for the fake to exit).

  loginauth fake xano --env-file xano.env &
  until [ -s xano.env ]; do sleep 0.1; done; . ./xano.env

Control endpoints, at the root of the server:
  POST /_fake/revoke   revoke every token issued so far
  POST /_fake/expire   expire them
  GET  /_fake/stats    {"logins", "refreshes", "refused", "requests", "fault"}
  POST /_fake/fault    fault=Fault500 (or FaultHTML502, FaultMalformedJSON,
                       FaultEmptyBody, FaultNoToken, FaultBadCredentials,
                       FaultSlow, FaultHuge, FaultDropConnection, FaultDrip;
                       NoFault clears every fault and the delay), delay=2s
                       for FaultSlow

On start it lists, on stderr, the fake's API endpoints and these.
`

// fakeOptions are the command line of fake.
type fakeOptions struct {
	listen  string    // --listen ADDR
	envFile string    // --env-file FILE
	p       *provider // the built-in provider whose fake runs
}

func (o *fakeOptions) flags(fs *flagSet) {
	fs.stringFlag(&o.listen, "listen", "", "127.0.0.1:0", "listen on `ADDR`; port 0 picks a free port")
	fs.stringFlag(&o.envFile, "env-file", "", "", "also write the export lines to `FILE`, once the server listens")
}

func (o *fakeOptions) parsed(_ *flagSet, pos []string) error {
	if len(pos) != 1 {
		return usagef("want one provider (%s), got %d arguments", names("or"), len(pos))
	}
	if o.p = builtinNamed(pos[0]); o.p == nil {
		return usagef("no fake for %q: want %s", pos[0], names("or"))
	}
	return nil
}

func (o *fakeOptions) run(ctx context.Context, c *cli) error { return c.fake(ctx, *o) }

// fake runs the fake server of the provider until ctx ends.
func (c *cli) fake(ctx context.Context, o fakeOptions) error {
	p, listen, envFile := o.p, o.listen, o.envFile
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("fake %s: %w", p.name, err)
	}
	srv, vals := p.fake()
	defer srv.Close()
	// The fake's own listener stays idle: its URL, which its base URL
	// and answers are made of, becomes this one's.
	srv.URL = "http://" + l.Addr().String()
	hs := &http.Server{Handler: srv.Config.Handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()

	var b strings.Builder
	v := vals()
	for _, vr := range p.vars {
		if s := v[vr.name]; s != "" {
			fmt.Fprintf(&b, "export %s=%s\n", vr.env, shellQuote(s))
		}
	}
	if _, err := io.WriteString(c.stdout, b.String()); err != nil {
		hs.Close()
		return err
	}
	if envFile != "" {
		if err := writeAtomic(envFile, b.String()); err != nil {
			hs.Close()
			return fmt.Errorf("--env-file: %w", err)
		}
	}
	fmt.Fprint(c.stderr, fakeBanner(p, srv.URL, v[varBase]))
	select {
	case err := <-done:
		return fmt.Errorf("fake %s: %w", p.name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	fmt.Fprintf(c.stderr, "loginauth fake: stopped\n")
	return nil
}

// fakeBanner is what the fake command says once it listens: where, its
// endpoints, and how to stop it.
func fakeBanner(p *provider, root, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "loginauth fake: %s fake listening on %s; stop it with Ctrl-C\n", p.name, root)
	fmt.Fprintf(&b, "  API, under the base URL %s:\n", base)
	for _, e := range p.endpoints {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	fmt.Fprintf(&b, "  control, at %s:\n", root)
	for _, e := range []string{"POST /_fake/revoke", "POST /_fake/expire", "GET  /_fake/stats", "POST /_fake/fault"} {
		fmt.Fprintf(&b, "    %s\n", e)
	}
	fmt.Fprintf(&b, "  try: loginauth call %s %s %s\n", p.name, p.sample[0], p.sample[1])
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeAtomic writes content to path through a temporary file in the
// same directory, renamed over it, so that a reader sees all or nothing.
func writeAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
