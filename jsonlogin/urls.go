package jsonlogin

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// urlPart is the part of a URL that the text of a URL template has
// reached, which decides how a value that stands there is inserted.
type urlPart int

const (
	inScheme   urlPart = iota // before "://"; a name here must begin the template: a URL
	inHost                    // after "://": letters, digits, "-", ".", "_", "~" only
	inPath                    // url.PathEscape: a value is one path segment or part of one
	inQuery                   // url.QueryEscape: a value is part of one key or value
	inFragment                // url.PathEscape
)

// urlSlots returns the part of the URL that each name of the URL
// template parts stands in, for a template whose text starts in part
// from: inScheme for base_url and url, inPath for a path that joins
// base_url. A name that begins a template starting inScheme is a URL, or
// the start of one: inScheme. Text after it must start with "/", "?" or
// "#", so that the template's own text decides where later values land.
func urlSlots(parts []part, from urlPart) ([]urlPart, error) {
	var slots []urlPart
	at := from
	for i, p := range parts {
		if p.name == "" {
			at = advance(at, p.lit)
			continue
		}
		switch {
		case at == inScheme && i > 0:
			return nil, fmt.Errorf("{{%s}} stands in the URL's scheme; write the scheme, or make one variable hold the whole URL", p.name)
		case at == inScheme && i+1 < len(parts):
			next := parts[i+1]
			if next.name != "" || !strings.ContainsAny(next.lit[:1], "/?#") {
				return nil, fmt.Errorf("{{%s}} begins the URL, so it holds a URL; the text after it must start with \"/\", \"?\" or \"#\"", p.name)
			}
		}
		slots = append(slots, at)
	}
	return slots, nil
}

// advance returns the part of a URL that the literal text lit, starting
// in part at, ends in.
func advance(at urlPart, lit string) urlPart {
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case at == inScheme && strings.HasPrefix(lit[i:], "://"):
			at, i = inHost, i+2
		case c == '#' && at != inScheme:
			at = inFragment
		case c == '?' && at != inScheme && at != inFragment:
			at = inQuery
		case c == '/' && at == inHost:
			at = inPath
		}
	}
	return at
}

// checkURLTemplate checks, when the description is parsed, that every
// value of the URL template t at path has a place in the URL.
func checkURLTemplate(path, t string, from urlPart) error {
	parts, err := parseTemplate(t)
	if err == nil {
		_, err = urlSlots(parts, from)
	}
	if err != nil {
		return fmt.Errorf("jsonlogin: %s: %w", path, err)
	}
	return nil
}

// expandURL expands the URL template t, whose text starts in part from,
// inserting each value for the part of the URL where it stands, so that
// no value changes the URL's structure: escaped in the path, query and
// fragment; checked in the host. A value that begins a template starting
// inScheme is a URL, inserted as it is: it must be an absolute http or
// https URL without user info and, when text follows it, without a query
// or fragment. Errors name the variable, never its value.
func expandURL(t string, from urlPart, value func(name string) string) (string, error) {
	parts, err := parseTemplate(t)
	if err != nil {
		return "", err
	}
	slots, err := urlSlots(parts, from)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		v := value(p.name)
		switch slots[0] {
		case inScheme:
			if err := urlValue(v, len(parts) > 1); err != nil {
				return "", fmt.Errorf("the value of {{%s}} %w", p.name, err)
			}
		case inHost:
			if strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") != "" {
				return "", fmt.Errorf("the value of {{%s}} stands in the URL's host, which takes letters, digits, \"-\", \".\", \"_\" and \"~\" only", p.name)
			}
		case inQuery:
			v = url.QueryEscape(v)
		default:
			v = url.PathEscape(v)
		}
		b.WriteString(v)
		slots = slots[1:]
	}
	return b.String(), nil
}

// urlValue checks a value that holds a URL, or with more its start.
func urlValue(v string, more bool) error {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return errors.New("is not an absolute http or https URL")
	case u.User != nil:
		return errors.New("holds user info (\"user:password@\"), which is not sent as credentials; use login.basic")
	case more && (u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(v, "?#")):
		return errors.New("begins a longer URL, so it cannot hold a query or a fragment")
	}
	return nil
}
