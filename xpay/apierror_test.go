package xpay_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xpay"
)

// TestLoginErrorEnvelope checks that a 200 error envelope fails the login
// with the envelope's tag as Code and its message, and that a message not
// about the credentials does not refuse them.
func TestLoginErrorEnvelope(t *testing.T) {
	is := is.New(t)
	hc := &http.Client{Transport: loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		body := `{"error":{"message":"invalid request","data":{"isAPI":"must be true"},"tag":"tag-1"},"uuid":"u"}`
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	_, err := xpay.NewSource(xpay.Config{BaseURL: "https://xpay.example", Username: "u", SecretKey: "sk-secret", HTTPClient: hc}).Token()
	var le *loginauth.LoginError
	is.True(errors.As(err, &le))
	is.Equal(le.Code, "tag-1")
	is.Equal(le.Message, "invalid request")
	is.True(!le.BadCredentials) // not about the credentials
}
