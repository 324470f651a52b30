package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	r := run(t, nil, "", nil, "-h")
	is.Equal(r.code, 0) // r
	for _, c := range commands {
		is.True(strings.Contains(r.stdout, "  "+c.name+" ")) // every command of the table is listed: c.name
		h := run(t, nil, "", nil, c.name, "-h")
		is.Equal(h.code, 0)                                                  // h
		is.True(strings.HasPrefix(h.stdout, "Usage: loginauth "+c.name+" ")) // from the table
		fs, _ := c.flagSet()
		for _, long := range fs.order {
			is.True(strings.Contains(h.stdout, "--"+long)) // every flag, from its definition: long
		}
	}
	r = run(t, nil, "", nil)
	is.Equal(r.code, 2) // no command
	r = run(t, nil, "", nil, "nope")
	is.Equal(r.code, 2) // an unknown command
	r = run(t, nil, "", nil, "--password=hunter2", "token")
	is.Equal(r.code, 2)                             // a flag before the command
	is.True(!strings.Contains(r.stderr, "hunter2")) // named without its value
	r = run(t, nil, "", nil, "help", "call")
	is.True(strings.Contains(r.stdout, "--location")) // help COMMAND
}

// TestDocListsCommands checks that the package doc of cmd/loginauth
// lists the commands of the table.
func TestDocListsCommands(t *testing.T) {
	is := is.New(t)
	b, err := os.ReadFile("../../../cmd/loginauth/main.go")
	is.NoErr(err)
	is.True(strings.Contains(string(b), commandList("//\t"))) // the doc's list is commandList("//\t"); update it from the table
}
