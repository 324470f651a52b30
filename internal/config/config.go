// Package config holds what the providers' Configs share and that is not
// about the wire: the checks of required fields, the error of a missing
// secret, the base URL's form and the key of an account's token in a
// Store.
package config

import (
	"fmt"
	"strings"

	"github.com/loginauth/loginauth"
)

// Required returns an error naming the first empty field of a provider's
// Config, given as name, value pairs: "mic: Config.Password is required".
func Required(provider string, nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		if nameValues[i+1] == "" {
			return fmt.Errorf("%s: Config.%s is required", provider, nameValues[i])
		}
	}
	return nil
}

// RequiredSecret returns an error naming the Config field name, as
// [Required] does, when value is empty: an error that wraps
// [loginauth.ErrNoCredentials], so that the Source still hands out a
// stored token and fails only when it must log in. Providers check their
// secrets after every other field.
func RequiredSecret(provider, name, value string) error {
	if value != "" {
		return nil
	}
	return NoCredentials(fmt.Sprintf("%s: Config.%s is required", provider, name))
}

// NoCredentials returns an error with the message msg that wraps
// [loginauth.ErrNoCredentials] without repeating its text.
func NoCredentials(msg string) error { return &noCredentials{msg: msg} }

// noCredentials is the error of [NoCredentials].
type noCredentials struct{ msg string }

// Error returns the message that names what is missing.
func (e *noCredentials) Error() string { return e.msg }

// Unwrap returns [loginauth.ErrNoCredentials].
func (e *noCredentials) Unwrap() error { return loginauth.ErrNoCredentials }

// Base returns a provider's BaseURL without its trailing slash: the root
// that the provider's paths are appended to.
func Base(baseURL string) string { return strings.TrimSuffix(baseURL, "/") }

// StoreKey returns the key of an account's token in a [loginauth.Store]:
// the provider's name, the URL that the account logs in at (its [Base]
// URL, or for crux its login URL) and the account's name, separated by
// spaces, such as "mic https://abc.example.com/prod alice". It never holds
// a secret. Every provider builds its key here, so that the keys of the
// tokens already stored stay the same.
func StoreKey(provider, url, account string) string {
	return provider + " " + url + " " + account
}
