package cruxtest

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/loginauth/loginauth/loginauthtest"
)

// The default account and the fake's fixed settings.
const (
	// Username is the user name of the default account.
	Username = "alice"
	// Password is the password of the default account.
	Password = "s3cret-pass"
	// DefaultLifetime is the lifetime of tokens, as documented.
	DefaultLifetime = 2 * time.Hour
)

// The paths the fake serves.
const (
	// LoginPath is the login endpoint of the current release.
	LoginPath = "/timp/organizations/user-login/"
	// LoginPathV1 is the login endpoint of v1, served the same way.
	LoginPathV1 = "/organizations/user-login/"
	// PermissionsPath is the protected endpoint: the caller's permissions.
	PermissionsPath = "/timp/organizations/permissions/"
)

// Messages of the {"detail": ...} error bodies, Django REST Framework's.
const (
	// MsgInvalidCredentials answers a wrong user name or password (401).
	MsgInvalidCredentials = "Invalid username/password."
	// MsgNoCredentials answers a request whose Authorization field is
	// absent, empty, or of another scheme than Token (401).
	MsgNoCredentials = "Authentication credentials were not provided."
	// MsgHeaderNoToken answers "Authorization: Token" without a token (401).
	MsgHeaderNoToken = "Invalid token header. No credentials provided."
	// MsgHeaderSpaces answers an Authorization field of more than two
	// parts, such as "Token a b" (401).
	MsgHeaderSpaces = "Invalid token header. Token string should not contain spaces."
	// MsgHeaderInvalid answers a token that is not UTF-8 (401).
	MsgHeaderInvalid = "Invalid token header. Token string should not contain invalid characters."
	// MsgInvalidToken answers an unknown, expired or revoked token (401).
	MsgInvalidToken = "Invalid token."
	// MsgRequired is the message of a missing field (400).
	MsgRequired = "This field is required."
	// MsgBlank is the message of an empty field (400).
	MsgBlank = "This field may not be blank."
)

// Server is a fake Crux API. Create it with [NewServer].
type Server struct {
	*loginauthtest.Server

	mu    sync.Mutex // protects users
	users map[string]*user
}

type user struct {
	username, password              string
	orgUUID, userUUID, retailerUUID string
}

// NewServer starts and returns a fake Crux API with the default account.
// The caller should call Close when finished.
func NewServer() *Server {
	s := &Server{users: make(map[string]*user)}
	s.AddUser(Username, Password)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+LoginPath+"{$}", s.login)
	mux.HandleFunc("POST "+LoginPathV1+"{$}", s.login)
	mux.HandleFunc("GET "+PermissionsPath+"{$}", s.permissions)
	mux.HandleFunc("POST "+PermissionsPath+"{$}", s.permissions)
	for _, p := range []string{LoginPath, LoginPathV1, PermissionsPath} {
		// Without the trailing slash: 404, not the redirect of ServeMux.
		mux.HandleFunc(strings.TrimSuffix(p, "/"), notFound)
	}
	s.Server = loginauthtest.NewUnstartedServer(mux)
	s.SetLifetime(DefaultLifetime)
	s.Start()
	return s
}

// AddUser adds an account of a retailer organization, or replaces the
// password of an existing one.
func (s *Server) AddUser(username, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[username]; ok {
		u.password = password
		return
	}
	s.users[username] = &user{
		username: username, password: password,
		orgUUID:      loginauthtest.RandomUUID(),
		userUUID:     loginauthtest.RandomUUID(),
		retailerUUID: loginauthtest.RandomUUID(),
	}
}

func (s *Server) lookup(username string) (user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		return user{}, false
	}
	return *u, true
}

func (u user) permissionAssignments() map[string]any {
	return map[string]any{"RETAILER": []string{"view_products", "view_orders"}}
}

func detail(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	loginauthtest.WriteJSON(w, status, map[string]string{"detail": msg})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	detail(w, http.StatusNotFound, "Not found.")
}

// login serves POST /timp/organizations/user-login/.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f, handled := s.BeginLogin(w, r)
	if handled {
		return
	}
	in, ok := readJSON(w, r)
	if !ok {
		return
	}
	username, _ := in["username"].(string)
	password, _ := in["password"].(string)
	problems := map[string][]string{}
	for name, v := range map[string]string{"username": username, "password": password} {
		if _, ok := in[name]; !ok {
			problems[name] = []string{MsgRequired}
		} else if v == "" {
			problems[name] = []string{MsgBlank}
		}
	}
	if len(problems) > 0 {
		loginauthtest.WriteJSON(w, http.StatusBadRequest, problems)
		return
	}
	u, ok := s.lookup(username)
	if !ok || u.password != password || f == loginauthtest.FaultBadCredentials {
		detail(w, http.StatusUnauthorized, MsgInvalidCredentials)
		return
	}
	body := map[string]any{
		"org_uuid":               u.orgUUID,
		"user_uuid":              u.userUUID,
		"retailer_uuid":          u.retailerUUID,
		"supplier_uuid":          nil,
		"org_type":               "RETAILER",
		"permission_assignments": u.permissionAssignments(),
	}
	if f != loginauthtest.FaultNoToken {
		token := loginauthtest.RandomHex(40)
		s.Issue(token, u.username, s.Now().Add(s.Lifetime()))
		body["auth_token"] = token
	}
	loginauthtest.WriteJSON(w, http.StatusOK, body)
}

// permissions serves GET (and POST) /timp/organizations/permissions/.
// As in Django REST Framework, the credentials are checked before the
// body is read.
func (s *Server) permissions(w http.ResponseWriter, r *http.Request) {
	username, msg := s.authenticate(r)
	if msg != "" {
		detail(w, http.StatusUnauthorized, msg)
		return
	}
	if _, ok := readJSON(w, r); !ok {
		return
	}
	u, _ := s.lookup(username)
	loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"user_uuid":              u.userUUID,
		"org_uuid":               u.orgUUID,
		"org_type":               "RETAILER",
		"permission_assignments": u.permissionAssignments(),
	})
}

// authenticate does what Django REST Framework's TokenAuthentication does
// with the Authorization field, and returns the token's user, or the
// message of the 401 that refuses the request. The field is split on
// ASCII white space; a first part other than "Token", compared without
// regard to ASCII case, is another scheme, that is no credentials.
// Repeated fields are joined with commas first, as WSGI servers do.
func (s *Server) authenticate(r *http.Request) (username, msg string) {
	auth := strings.FieldsFunc(strings.Join(r.Header.Values("Authorization"), ","), isSpace)
	switch {
	case len(auth) == 0 || strings.Map(asciiLower, auth[0]) != "token":
		msg = MsgNoCredentials
	case len(auth) == 1:
		msg = MsgHeaderNoToken
	case len(auth) > 2:
		msg = MsgHeaderSpaces
	case !utf8.ValidString(auth[1]):
		msg = MsgHeaderInvalid
	}
	if msg != "" {
		s.CountRefused()
		return "", msg
	}
	username, err := s.Authorize(auth[1])
	if err != nil {
		return "", MsgInvalidToken
	}
	return username, ""
}

// asciiLower is Python's bytes.lower for one character: A-Z only.
func asciiLower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// isSpace reports whether r is white space to Python's bytes.split.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// readJSON reads the request body as Django REST Framework's JSONParser
// does, on every endpoint. An empty body is no data, whatever its
// Content-Type. A body whose Content-Type does not match
// application/json answers 415, one that is not a JSON object 400; ok
// is false when readJSON has answered. A body of unknown length (chunked)
// is read, as behind a proxy that buffers it; a bare WSGI server would
// hand DRF no body at all.
func readJSON(w http.ResponseWriter, r *http.Request) (in map[string]any, ok bool) {
	in = map[string]any{}
	if r.ContentLength == 0 {
		return in, true
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		detail(w, http.StatusUnsupportedMediaType, `Unsupported media type "`+ct+`" in request.`)
		return nil, false
	}
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		detail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
		return nil, false
	}
	return in, true
}

// isJSON reports whether DRF's JSONParser takes a body of Content-Type
// ct: its type and subtype are those of application/json or "*"; its
// parameters, such as charset, do not matter.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return false
	}
	typ, sub, _ := strings.Cut(mt, "/")
	return (typ == "application" || typ == "*") && (sub == "json" || sub == "*")
}
