package cruxtest

import (
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

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

// Messages of the {"detail": ...} error bodies.
const (
	// MsgInvalidCredentials answers a wrong user name or password (401).
	MsgInvalidCredentials = "Invalid username/password."
	// MsgNoCredentials answers a request without an
	// "Authorization: Token ..." header (401).
	MsgNoCredentials = "Authentication credentials were not provided."
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
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		detail(w, http.StatusUnsupportedMediaType, `Unsupported media type "`+ct+`" in request.`)
		return
	}
	var in map[string]any
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		detail(w, http.StatusBadRequest, "JSON parse error - "+err.Error())
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
func (s *Server) permissions(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
	if !ok {
		s.CountRefused()
		detail(w, http.StatusUnauthorized, MsgNoCredentials)
		return
	}
	username, err := s.Authorize(token)
	if err != nil {
		detail(w, http.StatusUnauthorized, MsgInvalidToken)
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
