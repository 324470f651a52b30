package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func init() {
	register(&command{
		name:  "version",
		args:  "",
		short: "print the module version, the VCS revision and the Go version it was built with",
		long: `Print the version of the loginauth module the command was built from
(or "(devel)" for a build in its own repository), the VCS revision and
whether the tree had changes, and the Go version, as 'go version -m'
reads them from the binary. 'loginauth --version' is the same.
`,
		setup: func(fs *flagSet) func(context.Context, *cli, []string) error {
			return func(_ context.Context, c *cli, pos []string) error {
				if len(pos) > 0 {
					return usagef("want no arguments, got %d", len(pos))
				}
				bi, _ := debug.ReadBuildInfo()
				_, err := fmt.Fprintln(c.stdout, versionLine(bi))
				return err
			}
		},
	})
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
