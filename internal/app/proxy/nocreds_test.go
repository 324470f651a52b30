package proxy

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
)

func TestNoCredentialsSaysWhatToDo(t *testing.T) {
	const advice = "run 'loginauth login crux'"
	is := is.New(t)
	a := newAPI(t)
	store := &loginauth.FileStore{Dir: filepath.Join(t.TempDir(), "store")}
	login := func() { // another process logs in, and stores its token
		_, err := a.source(cruxtest.Password, nil, loginauth.Options{Store: store}).Token()
		is.NoErr(err)
	}
	login()
	var log bytes.Buffer
	u := a.serve(t, Config{
		Source:        a.source("", nil, loginauth.Options{Store: store}), // no password at hand
		NoCredentials: advice,
		Logger:        slog.New(slog.NewTextHandler(&log, nil)),
	})
	status, _ := do(t, "GET", u+cruxtest.PermissionsPath, "", nil)
	is.Equal(status, http.StatusOK) // the stored token

	a.RevokeAll()
	for range 3 {
		status, body := do(t, "GET", u+cruxtest.PermissionsPath, "", nil)
		is.Equal(status, http.StatusServiceUnavailable) // the API was reached, but there are no credentials
		is.True(strings.Contains(body, advice))         // says what to do: body
		is.True(!strings.Contains(body, "Config."))     // never a library name: body
	}
	status, body := do(t, "GET", u+HealthPath, "", nil)
	is.Equal(status, http.StatusServiceUnavailable) // health says the same
	var h Health
	is.NoErr(json.Unmarshal([]byte(body), &h))
	is.Equal(h.Reason, ReasonNoCredentials)                // body
	is.Equal(h.Error, advice)                              // body
	is.Equal(strings.Count(log.String(), "level=WARN"), 1) // one warning, not one per request: log
	is.True(strings.Contains(log.String(), advice))        // log
	is.True(!strings.Contains(log.String(), "Config."))    // log

	login() // a token again
	status, _ = do(t, "GET", u+cruxtest.PermissionsPath, "", nil)
	is.Equal(status, http.StatusOK) // served with it
	a.RevokeAll()
	status, _ = do(t, "GET", u+cruxtest.PermissionsPath, "", nil)
	is.Equal(status, http.StatusServiceUnavailable)
	is.Equal(strings.Count(log.String(), "level=WARN"), 2) // warned again after a token was served: log
}
