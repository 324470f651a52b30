package cli

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/xano"
	"github.com/loginauth/loginauth/xpay"
)

func TestPlainNames(t *testing.T) {
	is := is.New(t)
	xn, xp := builtinNamed("xano"), builtinNamed("xpay")
	_, err := xano.NewSource(xano.Config{BaseURL: "https://x.example.com/api:a", Email: "a@example.com"}).Token()
	is.True(errors.Is(err, loginauth.ErrNoCredentials))
	is.True(strings.Contains(err.Error(), "Config.Password")) // the library's words
	plain := plainErr(xn, err)
	is.Equal(plain.Error(), "xano: the password (XANO_PASSWORD or --password) is required") // the command's
	is.True(errors.Is(plain, loginauth.ErrNoCredentials))                                   // still the library's error beneath

	_, err = xpay.NewSource(xpay.Config{Username: "u"}).Token()
	is.Equal(plainText(xp, err.Error()), "xpay: the base_url (XPAY_BASE_URL or --base-url) is required")

	var log bytes.Buffer
	l := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{ReplaceAttr: plainNames(xn)}))
	l.Warn("loginauth: login", "error", "xano: Config.Email is required")
	is.True(strings.Contains(log.String(), "the email (XANO_EMAIL or --email)")) // log
	is.True(!strings.Contains(log.String(), "Config."))                          // log
}
