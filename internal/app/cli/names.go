package cli

import (
	"fmt"
	"log/slog"
	"regexp"
)

// libraryFields maps the names of the fields of the built-in providers'
// Config structs, which the library's errors use ("xano: Config.Password
// is required"), to the command's variables, for plainText and
// commandWords: a user of the command sets variables and flags, and never
// sees a Go name.
var libraryFields = map[string]string{
	"BaseURL":   varBase,
	"Username":  varUser,
	"Email":     varEmail,
	"APIKey":    varAPIKey,
	"Password":  varPass,
	"SecretKey": varSecret,
}

// varFlags are the flags that set the variables of libraryFields.
var varFlags = map[string]string{
	varBase:   "--base-url",
	varUser:   "--username",
	varEmail:  "--email",
	varAPIKey: "--api-key",
	varPass:   "--password",
	varSecret: "--secret-key",
}

var configFieldRE = regexp.MustCompile(`\bConfig\.([A-Za-z]+)`)

// plainText returns s with each "Config.Field" of the library replaced by
// the variable of p that sets it and how: "the password (XANO_PASSWORD or
// --password)".
func plainText(p *provider, s string) string {
	return configFieldRE.ReplaceAllStringFunc(s, func(m string) string {
		name, ok := libraryFields[m[len("Config."):]]
		if !ok {
			return m
		}
		ways := varFlags[name]
		if v := p.variable(name); v != nil && v.env != "" {
			ways = v.env + " or " + ways
		}
		return fmt.Sprintf("the %s (%s)", name, ways)
	})
}

// plainError is an error whose message is in the command's terms, see
// plainText; it wraps the library's.
type plainError struct {
	msg string
	err error
}

func (e *plainError) Error() string { return e.msg }
func (e *plainError) Unwrap() error { return e.err }

// plainErr returns err in the command's terms.
func plainErr(p *provider, err error) error {
	if err == nil {
		return nil
	}
	if s := plainText(p, err.Error()); s != err.Error() {
		return &plainError{s, err}
	}
	return err
}

// plainNames is a slog ReplaceAttr that puts the string attributes of the
// library's log records, its errors among them, in the command's terms.
func plainNames(p *provider) func([]string, slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindString {
			if s := a.Value.String(); configFieldRE.MatchString(s) {
				a.Value = slog.StringValue(plainText(p, s))
			}
		}
		return a
	}
}

// loginCommand is the command that stores a token of p's account: with
// --spec FILE when p comes from a description.
func loginCommand(p *provider, spec string) string {
	if spec != "" {
		return "loginauth login --spec " + spec
	}
	return "loginauth login " + p.name
}

// noCredentialsAdvice is what the proxy says when the stored token was
// refused, or there is none, and no secret is at hand to log in again.
func noCredentialsAdvice(p *provider, spec string) string {
	s := fmt.Sprintf("the API refused the stored token of %s, or there is none, and there is no secret at hand to log in again: run '%s'", p.name, loginCommand(p, spec))
	if sv := p.secretVar(); sv != nil && sv.env != "" {
		s += ", or start the proxy with " + sv.env + " set"
	} else {
		s += ", or start the proxy with the secret at hand"
	}
	return s
}
