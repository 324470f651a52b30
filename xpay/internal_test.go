package xpay

import (
	"net/http"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/internal/wire"
)

func TestEpoch(t *testing.T) {
	is := is.New(t)
	is.True(epoch(0).IsZero())
	is.Equal(epoch(1783077877510), time.UnixMilli(1783077877510)) // milliseconds, as documented
	is.Equal(epoch(1783077877), time.Unix(1783077877, 0))         // seconds, tolerated
}

func TestLoginErrorEnvelope(t *testing.T) {
	is := is.New(t)
	e := &apiError{Message: "invalid request", Data: []byte(`{"isAPI":"must be true"}`), Tag: "tag-1"}
	le := e.loginError(&wire.Response{Provider: "xpay", Op: "login", Status: http.StatusOK})
	is.Equal(le.Code, "tag-1")
	is.Equal(le.Message, "invalid request")
	is.True(!le.BadCredentials) // not about the credentials
}
