package jsonlogin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// basicJSON is the JSON form of HTTP Basic credentials on a login or
// refresh request.
type basicJSON struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// basic holds the templates of HTTP Basic credentials.
type basic struct {
	username, password string
}

// parseBasic checks the basic credentials of the request at path, whose
// own header fields are headers. Its templates name variables only: the
// encoded value is a secret that must be known before the first call.
func (s *Spec) parseBasic(path string, raw json.RawMessage, headers map[string]string) (*basic, error) {
	path += ".basic"
	var bj basicJSON
	if err := strictDecode(path, raw, &bj); err != nil {
		return nil, err
	}
	if _, ok := headers["Authorization"]; ok {
		return nil, fmt.Errorf("jsonlogin: %s: the request's headers set Authorization too; give one of them", path)
	}
	b := &basic{}
	for _, f := range []struct {
		name string
		raw  *string
		dst  *string
	}{{"username", bj.Username, &b.username}, {"password", bj.Password, &b.password}} {
		fp := path + "." + f.name
		if f.raw == nil {
			return nil, fmt.Errorf("jsonlogin: %s: required", fp)
		}
		if ns, err := names(*f.raw); err == nil && slices.ContainsFunc(ns, reserved) {
			return nil, fmt.Errorf("jsonlogin: %s: basic takes variables only, not the token's values", fp)
		}
		if err := s.checkTemplate(fp, *f.raw, "login"); err != nil {
			return nil, err
		}
		*f.dst = *f.raw
	}
	if strings.Contains(b.username, ":") {
		return nil, fmt.Errorf("jsonlogin: %s.username: holds \":\", which separates the user name from the password in HTTP Basic", path)
	}
	return b, nil
}

// basicAuth returns the Authorization field value of b: "Basic " and the
// base64 of "username:password".
func (c *client) basicAuth(b *basic) (string, error) {
	user, pass := c.expand(b.username, nil), c.expand(b.password, nil)
	if strings.Contains(user, ":") {
		return "", errors.New("the user name of basic holds \":\", which separates it from the password in HTTP Basic")
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), nil
}

// checkBasic checks the Basic credentials of the login and refresh
// requests. Their encoded value needs no secret of its own: it is the
// base64 of "user:secret" for values of the variables, which the Source
// scrubs as it scrubs the password (Config.Users holds the values).
func (c *client) checkBasic() error {
	for _, rq := range []*request{c.spec.login, c.spec.refresh} {
		if rq == nil || rq.basic == nil {
			continue
		}
		if _, err := c.basicAuth(rq.basic); err != nil {
			return fmt.Errorf("%s: %s: %w", c.spec.name, rq.op, err)
		}
	}
	return nil
}

// checkHeaderVars refuses a variable whose value holds a line break or
// NUL when a header field of a request, or the credentials' header,
// carries it. The error names the variable and the field, never the
// value.
func (c *client) checkHeaderVars() error {
	s := c.spec
	sets := []map[string]string{s.header, s.login.headers}
	if s.refresh != nil {
		sets = append(sets, s.refresh.headers)
	}
	for _, set := range sets {
		for _, k := range sortedKeys(set) {
			ns, _ := names(set[k])
			for _, n := range ns {
				if strings.ContainsAny(c.val(n), "\r\n\x00") {
					return fmt.Errorf("%s: variable %q holds a line break or NUL, which header %s cannot carry", s.name, n, k)
				}
			}
		}
	}
	return nil
}
