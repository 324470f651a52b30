package xpay

import (
	"net/http"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth/internal/wire"
)

func TestRefusal(t *testing.T) {
	for body, want := range map[string]bool{
		`{"error":{"message":"jwt expired","data":{"unauthorized":true},"tag":"x"},"uuid":"y"}`: true,
		`{"error":{"message":"jwt must be provided"}}`:                                          true,
		`{"error":{"message":"invalid token"}}`:                                                 true,
		`{"error":{"message":"Unauthorized"}}`:                                                  true,
		`{"error":{"message":"something","data":{"unauthorized":true}}}`:                        true,
		` {"error":{"message":"Token expired"}} `:                                               true,
		`{"error":{"message":"insufficient balance","data":{"amount":"1"}}}`:                    false,
		`{"error":{"message":"invalid credentials","data":{"invalid":true}}}`:                   false,
		`{"success":{"message":"token issued","data":{}}}`:                                      false,
		`{"error":"jwt expired"}`:                                                               false,
		`{"error":null}`:                                                                        false,
		`["error"]`:                                                                             false,
		`jwt expired`:                                                                           false,
		``:                                                                                      false,
	} {
		if got := refusal([]byte(body)); got != want {
			t.Errorf("refusal(%s) = %v, want %v", body, got, want)
		}
	}
}

func FuzzRefusal(f *testing.F) {
	f.Add([]byte(`{"error":{"message":"jwt expired","data":{"unauthorized":true}}}`))
	f.Add([]byte(`{"error":{"message":"insufficient balance"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		refusal(body)
	})
}

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
