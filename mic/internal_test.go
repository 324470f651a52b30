package mic

import (
	"testing"

	"github.com/matryer/is"
)

func TestErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		body, code, msg string
	}{
		{`{"errorMessage":{"message":"Invalid login","messageKey":"INVALID_LOGIN"}}`, "INVALID_LOGIN", "Invalid login"},
		{`{"message":{"message":"Not authorized","messageKey":"NOT_AUTHORIZED","messageParams":{}}}`, "NOT_AUTHORIZED", "Not authorized"},
		{`{"message":"Property userName is required","messageKey":"PROPERTY_REQUIRED"}`, "PROPERTY_REQUIRED", "Property userName is required"},
		{`{"message":"Forbidden"}`, "", "Forbidden"},
		{`{"errorMessage":"Task timed out"}`, "", "Task timed out"},
		// The older direct-Lambda route: the object as JSON in a string.
		{`{"errorMessage":"{\"message\":\"Incorrect username or password.\",\"messageKey\":\"INVALID_LOGIN\",\"messageParams\":{},\"property\":null}"}`, "INVALID_LOGIN", "Incorrect username or password."},
		{`{"errorMessage":" {\"messageKey\":\"USER_NOT_FOUND\",\"message\":\"User not found\"}"}`, "USER_NOT_FOUND", "User not found"},
		{`{"errorMessage":"{not json"}`, "", "{not json"},
		{`{"errorMessage":"{\"code\":1}"}`, "", `{"code":1}`},
		{`{"errorMessage":"{\"message\":{\"message\":\"too deep\"}}"}`, "", `{"message":{"message":"too deep"}}`},
		{`{"message":{"message":{"message":"too deep"}}}`, "", ""},
		{`{"code":"X"}`, "", ""},
		{`["message"]`, "", ""},
		{`<html>`, "", ""},
		{``, "", ""},
	} {
		is := is.New(t)
		code, msg := errorMessage([]byte(tt.body))
		is.Equal(code, tt.code) // messageKey
		is.Equal(msg, tt.msg)   // message
	}
}

func TestTokenRefusal(t *testing.T) {
	for body, want := range map[string]bool{
		`{"message":"Missing Authentication Token"}`:                                            true,
		`{"message":"The incoming token has expired"}`:                                          true,
		`{"message":{"message":"invalid token","messageKey":"INVALID_TOKEN"}}`:                  true,
		`{"message":"Forbidden"}`:                                                               false,
		`{"errorMessage":{"message":"Token lacks a permission","messageKey":"NOT_AUTHORIZED"}}`: false,
		`{"message":"User is not authorized to access this resource"}`:                          false,
		`not json, token`: false,
	} {
		if got := tokenRefusal([]byte(body)); got != want {
			t.Errorf("tokenRefusal(%s) = %v, want %v", body, got, want)
		}
	}
}

// ErrorMessage and TokenRefusal are errorMessage and tokenRefusal, for
// FuzzErrorMessage in mic_test.go, which checks them against
// sourcetest.Strings (a package that imports this one).
var (
	ErrorMessage = errorMessage
	TokenRefusal = tokenRefusal
)
