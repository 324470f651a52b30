package loginauth

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth/internal/peek"
)

// Scheme is how an API wants its credentials on a request, and how it
// says that it refused them.
type Scheme interface {
	// Credentials returns the header fields that carry tok. A [Source]
	// calls it once per token and a [Transport] copies the result onto
	// every request, so it must depend on the token and the configuration
	// only.
	Credentials(tok *oauth2.Token) http.Header

	// Refused reports whether resp means that the credentials were
	// refused, so that the Transport should log in again and re-send the
	// request once. It may read the body only to replace it with one that
	// yields the same bytes ([PeekBody] does this).
	Refused(resp *http.Response) bool
}

// RequestScheme is implemented by a [Scheme] whose credentials go in
// cookies or in the URL's query as well as, or in place of, header fields:
// a session cookie, or a session id parameter. A [Transport] then edits
// each request to the Source's origins, and to no other:
//   - the cookies are merged by name with the request's own Cookie field
//     (which a cookie jar has usually filled): a cookie of the scheme
//     replaces a cookie of the request of the same name, and the request's
//     other cookies are kept;
//   - the query parameters are set, each replacing every parameter of the
//     request of the same name.
//
// The Transport scrubs the values out of the errors it returns, as a URL
// with a token in it lands in a [url.Error]; but a token in a URL also
// lands in the access logs of servers and proxies, which no client can
// scrub: prefer a header or a cookie when the API accepts one.
//
// [Source.CredentialHeaders] lists "Cookie" when CredentialCookies names
// any cookie.
type RequestScheme interface {
	Scheme

	// Cookies returns the cookies that carry tok; only their names and
	// values are sent. Like Credentials, it is called once per token.
	Cookies(tok *oauth2.Token) []*http.Cookie

	// Params returns the query parameters that carry tok. Like
	// Credentials, it is called once per token.
	Params(tok *oauth2.Token) url.Values

	// CredentialCookies returns the names of the cookies that Cookies
	// sets, without a token, so that a proxy can drop its clients' cookies
	// of those names ([Source.CredentialCookies]).
	CredentialCookies() []string

	// CredentialParams returns the names of the query parameters that
	// Params sets, without a token ([Source.CredentialParams]).
	CredentialParams() []string
}

// RefusalFunc reports whether resp refuses the credentials that its
// request carried, so that a [Transport] logs in again and re-sends the
// request once. Like [Scheme.Refused], it may read the body only to
// replace it with one that yields the same bytes ([PeekBody] does this).
// It is the type of [HeaderScheme.IsRefused] and of the Refused field of
// the provider packages' Config.
type RefusalFunc func(resp *http.Response) bool

// HeaderScheme is a [Scheme] that sends the token in the Authorization
// header (or the header that TokenHeader names), with extra fixed fields
// and fields taken from the token.
type HeaderScheme struct {
	// Prefix comes before the token, separated by a space: "Bearer" or
	// "Token". Empty sends the token raw. A [Source] also sets it as the
	// TokenType of the tokens it hands out, so that an [oauth2.Transport]
	// given the Source sends the same scheme.
	Prefix string

	// TokenHeader names the header field that carries the token, such as
	// "X-Xano-Authorization". Empty means "Authorization".
	TokenHeader string

	// Header holds fixed fields sent with the credentials, such as an API
	// key. Their values are never printed.
	Header http.Header

	// FromExtra maps header names to the names of the token's Extra
	// fields ([oauth2.Token.Extra]) whose string values they carry, such
	// as MIC's identityId.
	FromExtra map[string]string

	// IsRefused reports whether a response refuses the credentials.
	// Nil means status 401 Unauthorized.
	IsRefused RefusalFunc
}

// Ready schemes.
var (
	// BearerScheme sends "Authorization: Bearer <token>".
	BearerScheme = HeaderScheme{Prefix: "Bearer"}
	// TokenScheme sends "Authorization: Token <token>".
	TokenScheme = HeaderScheme{Prefix: "Token"}
)

// HeaderNamer is implemented by a [Scheme] that can name the header fields
// of its credentials without a token; see [Source.CredentialHeaders].
type HeaderNamer interface {
	// CredentialHeaders returns the canonical names of the header fields
	// that carry credentials.
	CredentialHeaders() []string
}

var _ HeaderNamer = HeaderScheme{}

// CredentialHeaders returns the canonical names of the fields that
// Credentials sets, sorted.
func (s HeaderScheme) CredentialHeaders() []string {
	names := []string{s.tokenHeader()}
	for k := range s.Header {
		names = append(names, http.CanonicalHeaderKey(k))
	}
	for k := range s.FromExtra {
		names = append(names, http.CanonicalHeaderKey(k))
	}
	sort.Strings(names)
	return slices.Compact(names)
}

func (s HeaderScheme) tokenHeader() string {
	if s.TokenHeader == "" {
		return "Authorization"
	}
	return http.CanonicalHeaderKey(s.TokenHeader)
}

// Credentials returns the token's field, the fixed fields and the fields
// taken from tok.
func (s HeaderScheme) Credentials(tok *oauth2.Token) http.Header {
	h := make(http.Header, 1+len(s.Header)+len(s.FromExtra))
	for k, v := range s.Header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	for k, name := range s.FromExtra {
		if v, ok := tok.Extra(name).(string); ok && v != "" {
			h.Set(k, v)
		}
	}
	v := tok.AccessToken
	if s.Prefix != "" {
		v = s.Prefix + " " + v
	}
	h.Set(s.tokenHeader(), v)
	return h
}

// Refused calls IsRefused, or reports whether the status is 401.
func (s HeaderScheme) Refused(resp *http.Response) bool {
	if s.IsRefused != nil {
		return s.IsRefused(resp)
	}
	return resp.StatusCode == http.StatusUnauthorized
}

// Format prints the scheme with the names of its fixed fields only.
func (s HeaderScheme) Format(f fmt.State, verb rune) {
	names := make([]string, 0, len(s.Header))
	for k := range s.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(f, "loginauth.HeaderScheme{Prefix:%q TokenHeader:%q Header:%q(values redacted) FromExtra:%v}", s.Prefix, s.TokenHeader, names, s.FromExtra)
}

// PeekBody reads at most limit bytes of resp.Body for a [Scheme] to
// inspect, and replaces resp.Body with a body that yields the same bytes,
// so that the caller receives the response untouched. It reports false,
// reading nothing, when the declared length exceeds limit; and false when
// the body turns out longer than limit or fails to read, in which case
// the returned bytes are the part read so far.
//
// A body compressed with gzip (Content-Encoding gzip), which
// [http.Transport] leaves encoded when the request asked for an encoding
// itself, is inspected decoded, limit bytes of it at most; the caller
// still gets the compressed bytes. Other encodings are inspected as they
// come.
func PeekBody(resp *http.Response, limit int64) ([]byte, bool) {
	if resp.Body == nil || resp.Body == http.NoBody || limit <= 0 {
		return nil, resp.Body == nil || resp.Body == http.NoBody
	}
	if resp.ContentLength > limit {
		return nil, false
	}
	var b []byte
	ok := peek.Judge(resp, int(min(limit, math.MaxInt32)), func(body *peek.Body) bool {
		var err error
		b, err = io.ReadAll(body.Reader())
		return err == nil
	})
	return b, ok
}
