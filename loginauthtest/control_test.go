package loginauthtest_test

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

func TestControlEndpoints(t *testing.T) {
	is := is.New(t)
	s := newToy()
	defer s.Close()
	c := s.Client()
	post := func(path string, form url.Values) int {
		resp, err := c.PostForm(s.URL+path, form)
		is.NoErr(err)
		resp.Body.Close()
		return resp.StatusCode
	}
	stats := func() loginauthtest.Stats {
		resp, err := c.Get(s.URL + "/_fake/stats")
		is.NoErr(err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var st loginauthtest.Stats
		is.NoErr(json.Unmarshal(b, &st))
		return st
	}

	_, tok := login(t, c, s)
	is.Equal(me(t, c, s, tok), 200)
	is.Equal(post("/_fake/revoke", nil), 200)
	is.Equal(me(t, c, s, tok), 401) // revoked
	_, tok = login(t, c, s)
	is.Equal(me(t, c, s, tok), 200) // a new login's token is valid
	is.Equal(post("/_fake/expire", nil), 200)
	is.Equal(me(t, c, s, tok), 401) // expired
	is.Equal(stats(), loginauthtest.Stats{Logins: 2, Refused: 2, Requests: 2, Fault: "NoFault"})

	is.Equal(post("/_fake/fault", url.Values{"fault": {"Fault500"}}), 200)
	resp, _ := login(t, c, s)
	is.Equal(resp.StatusCode, 500)                                     // the fault applies
	is.Equal(stats().Fault, "Fault500")                                // and is reported
	is.Equal(post("/_fake/fault", url.Values{"fault": {"Nope"}}), 400) // an unknown fault
	is.Equal(post("/_fake/fault", url.Values{"fault": {"NoFault"}, "delay": {"x"}}), 400)
	is.Equal(post("/_fake/fault", url.Values{"fault": {"NoFault"}}), 200)
	resp, _ = login(t, c, s)
	is.Equal(resp.StatusCode, 200) // cleared
	r, err := c.Get(s.URL + "/_fake/nothing")
	is.NoErr(err)
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	is.Equal(r.StatusCode, 404)                           // an unknown control endpoint
	is.True(strings.Contains(string(b), "/_fake/revoke")) // lists the real ones
}
