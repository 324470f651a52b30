package jsonlogin

import (
	"net/url"
	"strings"
)

// Plan is what the Sources of a description do, for a command that shows
// it before it logs in: see [Spec.Plan]. It holds no value of a variable
// but in the base URL, which names no secret variable.
type Plan struct {
	// Login, Refresh and Logout are the calls, as "METHOD URL": the base
	// URL expanded, the rest of the URL's {{templates}} as written.
	// Refresh and Logout are empty when the description has none.
	Login, Refresh, Logout string
	// Headers, Cookies and Params name the header fields, cookies and
	// query parameters that carry the credentials, sorted.
	Headers, Cookies, Params []string
	// Origins are the origins that get the credentials: the base URL's
	// first, then those of origins.
	Origins []string
}

// Plan returns what the description's Sources do with vars, whose values
// and defaults expand the base URL as in [Spec.BaseURL].
func (s *Spec) Plan(vars map[string]string) Plan {
	base := s.BaseURL(vars)
	call := func(rq *request) string {
		switch {
		case rq == nil:
			return ""
		case rq.url != "":
			return rq.method + " " + rq.url
		}
		return rq.method + " " + base + rq.path
	}
	p := Plan{
		Login: call(s.login), Refresh: call(s.refresh), Logout: call(s.logout),
		Headers: sortedKeys(s.header),
		Cookies: sortedKeys(s.cookie),
		Params:  sortedKeys(s.query),
	}
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		p.Origins = append(p.Origins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	for _, o := range s.origins {
		p.Origins = append(p.Origins, strings.TrimSuffix(o, "/"))
	}
	return p
}
