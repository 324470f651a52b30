package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

const versionHelp = `Print the version of the loginauth module the command was built from
(or "(devel)" for a build in its own repository), the VCS revision and
whether the tree had changes, and the Go version, as 'go version -m'
reads them from the binary. 'loginauth --version' is the same.
`

// versionOptions are the command line of version: none.
type versionOptions struct{}

func (o *versionOptions) flags(*flagSet) {}

func (o *versionOptions) parsed(_ *flagSet, pos []string) error {
	if len(pos) > 0 {
		return usagef("want no arguments, got %d", len(pos))
	}
	return nil
}

func (o *versionOptions) run(ctx context.Context, c *cli) error { return c.version(ctx, *o) }

// version prints the version of the build.
func (c *cli) version(context.Context, versionOptions) error {
	bi, _ := debug.ReadBuildInfo()
	_, err := fmt.Fprintln(c.stdout, versionLine(bi))
	return err
}

// versionLine describes the build bi (nil: unknown): "loginauth v1.2.0
// (revision 1a2b3c4d5e6f, modified) go1.26.0 linux/amd64".
func versionLine(bi *debug.BuildInfo) string {
	version, rev, modified := "(unknown)", "", false
	if bi != nil {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "loginauth " + version
	if rev != "" {
		line += " (revision " + rev[:min(12, len(rev))]
		if modified {
			line += ", modified"
		}
		line += ")"
	}
	return line + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
