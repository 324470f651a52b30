package compat

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-resty/resty/v2"
	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
)

// resty's SetAuthToken puts an Authorization of its own on each request;
// loginauth's Transport replaces it with the Source's, silently but for a
// debug record, once per Source, that names the field and not its value.
func TestRestySetAuthTokenIsReplaced(t *testing.T) {
	is := is.New(t)
	api := newUsers()
	srv := httptest.NewServer(api)
	defer srv.Close()
	var log bytes.Buffer
	src := api.source("alice", srv.URL, loginauth.Options{
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	c := resty.New().SetTransport(loginauth.NewTransport(src, nil)).SetAuthToken("restys-own-token")
	for range 2 {
		resp, err := c.R().Get(srv.URL + "/me")
		is.NoErr(err)
		is.Equal(resp.StatusCode(), 200)
		is.Equal(resp.String(), "alice") // the Source's token was used
	}
	for _, h := range api.headers() {
		is.Equal(h.Get("Authorization"), "Bearer alice-1") // never resty's
	}
	is.Equal(strings.Count(log.String(), "credential header replaced"), 1) // said once
	is.True(strings.Contains(log.String(), "header=Authorization"))
	is.True(!strings.Contains(log.String(), "restys-own-token")) // without the value
}
