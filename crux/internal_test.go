package crux

import (
	"errors"
	"net/http"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/internal/wire"
)

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
		r := &wire.Response{Provider: "crux", Op: "login", Status: tt.status, Header: http.Header{}, Body: []byte(tt.body)}
		var le *loginauth.LoginError
		is.True(errors.As(apiError(r), &le))
		is.Equal(le.Code, tt.code)
		is.Equal(le.Message, tt.msg)
		is.Equal(le.BadCredentials, tt.bad)
		is.Equal(le.Status, tt.status)
	}
	is := is.New(t)
	r := &wire.Response{Provider: "crux", Op: "login", Status: 500, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("oops")}
	is.True(apiError(r) != nil) // not JSON: an unexpected answer
}
