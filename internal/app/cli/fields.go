package cli

import (
	"regexp"
	"strings"
)

// libraryField matches the name of a library setting in an error of the
// library: "crux: Config.Password", "Config.LoginPath", "AllowHTTP".
var libraryField = regexp.MustCompile(`\b(?:([a-z][a-z0-9_.-]*): )?Config\.([A-Z][A-Za-z]*)|\bAllowHTTP\b|\bBaseURL\b`)

// fieldElse says the Config fields of the built-in providers that the
// command has no way to set; libraryFields maps the others to their
// variables.
var fieldElse = map[string]string{
	"LoginPath":  "the login path (not available from the command: check the base URL)",
	"AuthHeader": "the token's header field (not available from the command)",
}

// commandWords rewrites the library's field names in msg as the command's
// words: the environment variable and flag of a field, or that the
// command cannot set it. No output of the command names a Go field.
func commandWords(msg string) string {
	return libraryField.ReplaceAllStringFunc(msg, func(m string) string {
		switch m {
		case "AllowHTTP":
			return "--allow-http"
		case "BaseURL":
			return "the base URL"
		}
		sub := libraryField.FindStringSubmatch(m)
		prefix, field := "", sub[2]
		if sub[1] != "" {
			prefix = sub[1] + ": "
		}
		if words, ok := fieldElse[field]; ok {
			return prefix + words
		}
		p := builtinNamed(sub[1])
		name, ok := libraryFields[field]
		if !ok || p == nil || p.variable(name) == nil {
			return prefix + "a setting not available from the command"
		}
		return prefix + "the " + strings.ReplaceAll(name, "_", " ") + " (" + varWays(p, *p.variable(name)) + ")"
	})
}

// varWays says how a variable of p is given: its environment variable
// and its flag.
func varWays(p *provider, v variable) string {
	flag := "--var " + v.name + "=VALUE"
	switch {
	case v.name == varBase:
		flag = "--base-url"
	case v.name == p.user:
		flag = "--username"
	case v.name == varAPIKey:
		flag = "--api-key"
	case v.secret:
		flag = "--password-stdin"
	}
	if v.env == "" {
		return flag
	}
	return v.env + " or " + flag
}
