package redact_test

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/internal/redact"
	"github.com/loginauth/loginauth/internal/sourcetest"
)

const secret = sourcetest.EchoSecret

// TestSecretsScrubEveryForm echoes the secret in each form between other
// text: the form is found, and replaced whole, and only it.
func TestSecretsScrubEveryForm(t *testing.T) {
	r := redact.NewUserSecrets([]string{"alice"}, secret, "")
	for name, f := range sourcetest.EchoForms("alice") {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			text := "Invalid password: " + f + "!"
			is.True(r.Contains(text))
			got := r.String(text)
			is.True(!sourcetest.EchoLeaks(got, "alice"))
			is.True(strings.HasPrefix(got, "Invalid password: ") && strings.HasSuffix(got, "!")) // the rest is kept
			inner := strings.Trim(strings.TrimPrefix(got[len("Invalid password: "):len(got)-1], "Basic "), `"`)
			inner = strings.TrimSuffix(strings.TrimPrefix(inner, "&#34;"), "&#34;") // HTML around JSON
			is.Equal(inner, redact.Redacted)                                        // the whole form replaced, and only it
		})
	}
	is := is.New(t)
	is.Equal(redact.NewSecrets("").String("nothing secret"), "nothing secret") // an empty secret scrubs nothing
	var none *redact.Secrets
	is.Equal(none.String("x"), "x")
	is.True(!none.Contains("x"))
}

// TestSecretsScrubUserInfo scrubs the password of a URL's user info, and
// keeps the user name.
func TestSecretsScrubUserInfo(t *testing.T) {
	is := is.New(t)
	u := &url.URL{Scheme: "https", User: url.UserPassword("alice", secret), Host: "api.example.com", Path: "/login"}
	got := redact.NewSecrets(secret).String("refused " + u.String())
	is.Equal(got, "refused https://alice:"+redact.Redacted+"@api.example.com/login")
}

// TestSecretsScrubBase64 finds the base64 of the secret, and of
// user:secret, inside longer base64 text at each of the three alignments,
// in both alphabets, padded or not.
func TestSecretsScrubBase64(t *testing.T) {
	r := redact.NewUserSecrets([]string{"alice", ""}, secret)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		for _, value := range []string{secret, "alice:" + secret} {
			for _, before := range []string{"", "x", "xy", "xyz"} {
				for _, after := range []string{"", "1", "12", "123"} {
					e := enc.EncodeToString([]byte(before + value + after))
					is := is.New(t)
					got := r.String("Basic " + e + " refused")
					is.True(strings.Contains(got, redact.Redacted))
					is.True(strings.HasPrefix(got, "Basic ") && strings.HasSuffix(got, " refused"))         // the rest is kept
					is.True(len(got) <= len("Basic  refused")+len(redact.Redacted)+4*len(before+after)/3+2) // little of e is left
					// No 6 characters of any encoding of the value remain.
					for a := range 3 {
						ve := enc.EncodeToString([]byte(strings.Repeat("\x00", a) + value))
						for i := 3; i+6 <= len(ve)-3; i++ {
							is.True(!strings.Contains(got, ve[i:i+6]))
						}
					}
				}
			}
		}
	}
	is := is.New(t)
	// Inside one layer of another encoding.
	const key = "~~~???>>>~~~?"
	b64 := base64.StdEncoding.EncodeToString([]byte(key))
	is.True(strings.Contains(b64, "+") && strings.Contains(b64, "/") && strings.HasSuffix(b64, "="))
	for _, f := range []string{url.QueryEscape(b64), strings.ReplaceAll(b64, "/", `\/`), strings.ReplaceAll(b64, "+", "&#43;")} {
		is.Equal(redact.NewSecrets(key).String("key="+f+"&x=1"), "key="+redact.Redacted+"&x=1")
	}
	// user:secret is found where the secret alone is too short to be.
	short := redact.NewUserSecrets([]string{"alice@example.com"}, "pw")
	basic := base64.StdEncoding.EncodeToString([]byte("alice@example.com:pw"))
	is.Equal(short.String("Basic "+basic), "Basic "+redact.Redacted)
	is.Equal(short.String("Basic "+strings.ToLower(basic)), "Basic "+strings.ToLower(basic)) // base64 is matched case-sensitively
}

// TestSecretsBase64FragmentsKeepJWT checks that a JWT, or an ID, that
// holds a short piece of the secret's base64 by chance is not scrubbed:
// only a stable part of at least redact.MinBase64 characters matches.
func TestSecretsBase64FragmentsKeepJWT(t *testing.T) {
	is := is.New(t)
	r := redact.NewUserSecrets([]string{"alice"}, "hunter2", "pw12")
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`{"sub":"hunte","n":"pw1","a":"alice:hu"}`)) + "." + enc([]byte("signature-bytes"))
	is.Equal(r.String("token "+jwt), "token "+jwt)
	full := enc([]byte("hunter2"))                           // 10 characters
	id := "id-" + full[:redact.MinBase64-1] + "-" + full[1:] // pieces of it shorter than redact.MinBase64
	is.Equal(r.String(id), id)
	is.True(!redact.NewSecrets("pw12").Contains(enc([]byte("pw12")))) // too short to have a stable part of redact.MinBase64 characters
	is.True(r.Contains("x" + full))
}

func TestSecretsFoundInRedactedItself(t *testing.T) {
	is := is.New(t)
	// Before the fix, each of these grew the text for ever.
	is.Equal(redact.NewSecrets("r").String("bad r: r"), "bad [redacted]: [redacted]")
	is.Equal(redact.NewSecrets("act").String("act, act"), "[redacted], [redacted]")
	is.Equal(redact.NewSecrets("[redacted]").String("[redacted]"), "[redacted]")
}

func TestValues(t *testing.T) {
	is := is.New(t)
	type config struct {
		User, Password, Key string
		N                   int
	}
	c := config{User: "u", Password: "pw", N: 3}
	is.Equal(redact.Values(c, "Password", "Key", "N"), []string{"pw"}) // the set string fields only
	is.Equal(redact.Values(&c, "Password"), []string{"pw"})
	is.Equal(redact.String(c, "Password", "Key"), `redact_test.config{User:"u" Password:[redacted] Key:"" N:3}`)
}

// BenchmarkSecretsString scrubs texts of 4 KiB and 1 MiB, plain and full
// of every escape the scrubber undoes, with two secrets and a user: the
// time per byte stays the same as the text grows.
func BenchmarkSecretsString(b *testing.B) {
	r := redact.NewUserSecrets([]string{"alice@example.test"}, secret, "hunter2-key")
	for _, size := range []int{4 << 10, 1 << 20} {
		for name, unit := range map[string]string{
			"plain":   "a server's error message, ",
			"escaped": `%E2%80+&amp;&#x27;\u0026\"\x41\101Basic+YWxp/`,
		} {
			text := strings.Repeat(unit, size/len(unit)+1)[:size]
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					r.String(text)
				}
			})
		}
	}
}
