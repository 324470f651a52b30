package redact

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestSecretsScrubEveryForm(t *testing.T) {
	const secret = `p"‹&é%2F😀`
	goJSON, _ := json.Marshal(secret)
	forms := []string{
		secret,
		string(goJSON),
		fmt.Sprintf("%q", secret),
		fmt.Sprintf("%+q", secret),
		url.QueryEscape(secret),
		strings.ToLower(url.PathEscape(secret)),
		`p\"\u2039\u0026\u00E9%2F\uD83D\uDE00`, // ASCII-only JSON, upper-case hex
		`p\"\u2039&\u00e9%2F\ud83d\ude00`,
	}
	r := NewSecrets(secret, "")
	for _, f := range forms {
		t.Run(f, func(t *testing.T) {
			is := is.New(t)
			text := "Invalid password: " + f + "!"
			is.True(r.Contains(text))
			got := r.String(text)
			is.True(!strings.Contains(got, "‹") && !strings.Contains(strings.ToLower(got), "u2039") && !strings.Contains(strings.ToLower(got), "%e2%80%b9"))
			is.True(strings.HasPrefix(got, "Invalid password: ") && strings.HasSuffix(got, "!")) // the rest is kept
			inner := strings.Trim(got[len("Invalid password: "):len(got)-1], `"`)
			is.Equal(inner, Redacted) // the whole form replaced, and only it
		})
	}
	is := is.New(t)
	is.Equal(NewSecrets("").String("nothing secret"), "nothing secret") // an empty secret scrubs nothing
	var none *Secrets
	is.Equal(none.String("x"), "x")
}

func TestSecretsFoundInRedactedItself(t *testing.T) {
	is := is.New(t)
	// Before the fix, each of these grew the text for ever.
	is.Equal(NewSecrets("r").String("bad r: r"), "bad [redacted]: [redacted]")
	is.Equal(NewSecrets("act").String("act, act"), "[redacted], [redacted]")
	is.Equal(NewSecrets("[redacted]").String("[redacted]"), "[redacted]")
}

func TestValues(t *testing.T) {
	is := is.New(t)
	type config struct {
		User, Password, Key string
		N                   int
	}
	c := config{User: "u", Password: "pw", N: 3}
	is.Equal(Values(c, "Password", "Key", "N"), []string{"pw"}) // the set string fields only
	is.Equal(Values(&c, "Password"), []string{"pw"})
	is.Equal(String(c, "Password", "Key"), `redact.config{User:"u" Password:[redacted] Key:"" N:3}`)
}
