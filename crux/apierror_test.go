package crux_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/loginauthtest"
)

// loginAnswer returns the error of a login that gets status and body.
func loginAnswer(status int, ct, body string) error {
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	_, err := crux.NewSource(crux.Config{BaseURL: "https://crux.example", Username: "u", Password: "pw-secret", HTTPClient: hc}).Token()
	return err
}

func TestAPIError(t *testing.T) {
	for _, tt := range []struct {
		status          int
		body, code, msg string
		bad             bool
	}{
		{401, `{"detail":"Invalid username/password."}`, "", "Invalid username/password.", true},
		{400, `{"username":["This field is required."],"password":["This field may not be blank."]}`, "",
			"password: This field may not be blank.; username: This field is required.", false},
		{400, `{"non_field_errors":["Unable to log in with provided credentials."]}`, "", "Unable to log in with provided credentials.", false},
		{403, `{"detail":"You do not have permission.","code":"permission_denied"}`, "permission_denied", "You do not have permission.", false},
		{415, `{"detail":"Unsupported media type \"text/plain\" in request."}`, "", `Unsupported media type "text/plain" in request.`, false},
	} {
		is := is.New(t)
		var le *loginauth.LoginError
		is.True(errors.As(loginAnswer(tt.status, "application/json", tt.body), &le))
		is.Equal(le.Code, tt.code)
		is.Equal(le.Message, tt.msg)
		is.Equal(le.BadCredentials, tt.bad)
		is.Equal(le.Status, tt.status)
		is.Equal(le.Err, nil) // the provider's own error
	}
	is := is.New(t)
	var le *loginauth.LoginError
	is.True(errors.As(loginAnswer(500, "text/plain", "oops"), &le)) // not JSON: an unexpected answer
	is.True(le.Err != nil)
}
