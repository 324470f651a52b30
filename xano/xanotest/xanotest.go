package xanotest

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
)

// The default account and the fake's fixed settings.
const (
	// Email is the e-mail address of the default account.
	Email = "alice@example.test"
	// Password is the password of the default account.
	Password = "s3cret-pass"
	// Name is the name of the default account.
	Name = "Alice"
	// Group is the API group the fake serves: BaseURL is URL + "/api:" + Group.
	Group = "test"
	// DefaultLifetime is the lifetime of tokens, as in Xano's default
	// login template (86400 s).
	DefaultLifetime = 24 * time.Hour
)

// Error codes of Xano's error bodies.
const (
	// CodeAccessDenied answers wrong credentials and a signup with an
	// e-mail already in use (403).
	CodeAccessDenied = "ERROR_CODE_ACCESS_DENIED"
	// CodeUnauthorized answers a missing, unknown, expired or revoked
	// token (401).
	CodeUnauthorized = "ERROR_CODE_UNAUTHORIZED"
	// CodeInputError answers a missing or malformed input (400).
	CodeInputError = "ERROR_CODE_INPUT_ERROR"
	// CodePermissionDenied denies an operation to the holder of a valid
	// token (403); see [Server.RequestError].
	CodePermissionDenied = "ERROR_CODE_PERMISSION_DENIED"
	// CodeBadRequest answers a request that an endpoint's own checks
	// refuse (400).
	CodeBadRequest = "ERROR_CODE_BAD_REQUEST"
	// CodeFatal answers a failure inside an endpoint (500), and a
	// precondition given no error type, such as the "Invalid
	// Credentials." check of a login endpoint built that way.
	CodeFatal = "ERROR_FATAL"
)

// Error is an error answer of Xano: its status, and the body
// {"code", "message", "payload"}.
type Error struct {
	Status  int
	Code    string
	Message string // may be empty, as Xano sends it
	Payload any    // nil is sent as null; Xano sends "" for a precondition
}

// Header fields that carry the token in place of Authorization.
const (
	// AuthorizationHeader carries "Bearer <authToken>" in place of
	// Authorization: the fake reads it when a request has no
	// Authorization, or when AuthorizationOnlyHeader is "true".
	AuthorizationHeader = "X-Xano-Authorization"
	// AuthorizationOnlyHeader, set to "true" (the value the clients seen
	// send), makes the fake read the token from AuthorizationHeader only
	// and ignore Authorization, which a proxy in front of Xano may use
	// for itself. It is a flag: a token in it is not read.
	AuthorizationOnlyHeader = "X-Xano-Authorization-Only"
)

// Messages of the 401 answers of /auth/me.
const (
	// MsgMissingToken answers a request whose header field read for the
	// token (see [AuthorizationHeader]) is missing or not of the Bearer
	// scheme.
	MsgMissingToken = "Authentication required."
	// MsgInvalidToken answers an unknown or revoked token.
	MsgInvalidToken = "Invalid token."
	// MsgExpiredToken answers an expired token.
	MsgExpiredToken = "Token has expired."
)

// Server is a fake Xano API group. Create it with [NewServer]; set its
// exported fields before making requests, not while requests are in
// flight.
type Server struct {
	*loginauthtest.Server

	// TokenField names the field of the login and signup answers that
	// holds the token, as a project's own login endpoint may: "authToken"
	// when empty, as in Xano's templates; projects also use "auth_token"
	// and "token".
	TokenField string

	// InvalidCredentials answers a login with wrong credentials (and
	// [loginauthtest.FaultBadCredentials]). A zero Status means 403
	// ERROR_CODE_ACCESS_DENIED "Invalid Credentials."; projects also
	// answer with an empty message, or 500 ERROR_FATAL.
	InvalidCredentials Error

	// TopLevelParam puts the param of an ERROR_CODE_INPUT_ERROR answer at
	// the top level of the body, {"code","message","param"}, in place of
	// under payload, as some Xano answers do.
	TopLevelParam bool

	// RequestError, when its Status is set, is the answer of the
	// protected endpoints to a request whose token they accept, as an
	// endpoint's own check would answer: 403 ERROR_CODE_PERMISSION_DENIED,
	// 400 ERROR_CODE_BAD_REQUEST, 500 ERROR_FATAL. The token stays valid.
	RequestError Error

	mu     sync.Mutex       // protects users and lastID
	users  map[string]*user // by e-mail
	lastID int
}

type user struct {
	id                    int
	name, email, password string
	createdAt             int64 // Unix milliseconds, as Xano's timestamps
}

// NewServer starts and returns a fake Xano API group with the default
// account. The caller should call Close when finished.
func NewServer() *Server {
	s := &Server{users: make(map[string]*user)}
	mux := http.NewServeMux()
	base := "/api:" + Group
	mux.HandleFunc("POST "+base+"/auth/login", s.login)
	mux.HandleFunc("POST "+base+"/auth/signup", s.signup)
	mux.HandleFunc("GET "+base+"/auth/me", s.me)
	s.Server = loginauthtest.NewUnstartedServer(mux)
	s.SetLifetime(DefaultLifetime)
	s.AddUser(Name, Email, Password)
	s.Start()
	return s
}

// BaseURL returns the base URL of the API group: URL + "/api:" + Group.
func (s *Server) BaseURL() string { return s.URL + "/api:" + Group }

// AddUser adds an account, or replaces the name and password of the account
// with that e-mail, and returns its id.
func (s *Server) AddUser(name, email, password string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _ := s.addLocked(name, email, password, true)
	return u.id
}

// addLocked adds an account; an existing one is updated when replace, or
// reported with added false.
func (s *Server) addLocked(name, email, password string, replace bool) (u user, added bool) {
	if old, ok := s.users[email]; ok {
		if replace {
			old.name, old.password = name, password
		}
		return *old, false
	}
	s.lastID++
	n := &user{id: s.lastID, name: name, email: email, password: password, createdAt: s.Now().UnixMilli()}
	s.users[email] = n
	return *n, true
}

func (s *Server) lookup(email string) (user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[email]
	if !ok {
		return user{}, false
	}
	return *u, true
}

func (u user) record() map[string]any {
	return map[string]any{"id": u.id, "created_at": u.createdAt, "name": u.name, "email": u.email}
}

// xanoError answers Xano's error body.
func xanoError(w http.ResponseWriter, status int, code, msg string, payload any) {
	loginauthtest.WriteJSON(w, status, map[string]any{"code": code, "message": msg, "payload": payload})
}

// write answers e.
func (e Error) write(w http.ResponseWriter) {
	xanoError(w, e.Status, e.Code, e.Message, e.Payload)
}

// inputError answers a missing or malformed param, under payload or at
// the top level as TopLevelParam says.
func (s *Server) inputError(w http.ResponseWriter, msg, param string) {
	if s.TopLevelParam {
		loginauthtest.WriteJSON(w, http.StatusBadRequest, map[string]any{"code": CodeInputError, "message": msg, "param": param})
		return
	}
	xanoError(w, http.StatusBadRequest, CodeInputError, msg, map[string]string{"param": param})
}

// readInput decodes the body into the named string fields and answers a
// missing one as Xano does. It reports false when it has answered.
func (s *Server) readInput(w http.ResponseWriter, r *http.Request, names ...string) (map[string]string, bool) {
	var in map[string]any
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		xanoError(w, http.StatusBadRequest, CodeInputError, "Unable to parse JSON body.", nil)
		return nil, false
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		v, _ := in[n].(string)
		if v == "" {
			s.inputError(w, "Missing param: "+n, n)
			return nil, false
		}
		out[n] = v
	}
	return out, true
}

// answerToken answers a login or signup with a new token for u, in the
// field that TokenField names.
func (s *Server) answerToken(w http.ResponseWriter, u user) {
	field := s.TokenField
	if field == "" {
		field = "authToken"
	}
	loginauthtest.WriteJSON(w, http.StatusOK, map[string]string{field: s.token(u)})
}

// token mints an opaque JWE-like token for u and registers it.
func (s *Server) token(u user) string {
	enc := base64.RawURLEncoding
	t := strings.Join([]string{
		enc.EncodeToString([]byte(`{"alg":"A256KW","enc":"A256CBC-HS512","zip":"DEF"}`)),
		enc.EncodeToString(loginauthtest.RandomBytes(40)), // encrypted key
		enc.EncodeToString(loginauthtest.RandomBytes(16)), // initialization vector
		enc.EncodeToString(loginauthtest.RandomBytes(96)), // ciphertext
		enc.EncodeToString(loginauthtest.RandomBytes(32)), // authentication tag
	}, ".")
	s.Issue(t, u.email, s.Now().Add(s.Lifetime()))
	return t
}

// invalidCredentials answers wrong credentials as InvalidCredentials says.
func (s *Server) invalidCredentials(w http.ResponseWriter) {
	if s.InvalidCredentials.Status != 0 {
		s.InvalidCredentials.write(w)
		return
	}
	xanoError(w, http.StatusForbidden, CodeAccessDenied, "Invalid Credentials.", nil)
}

// login serves POST /auth/login.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f, handled := s.BeginLogin(w, r)
	if handled {
		return
	}
	in, ok := s.readInput(w, r, "email", "password")
	if !ok {
		return
	}
	u, ok := s.lookup(in["email"])
	if !ok || u.password != in["password"] || f == loginauthtest.FaultBadCredentials {
		s.invalidCredentials(w)
		return
	}
	if f == loginauthtest.FaultNoToken {
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{"user": u.record()})
		return
	}
	s.answerToken(w, u)
}

// signup serves POST /auth/signup.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	f, handled := s.BeginLogin(w, r)
	if handled {
		return
	}
	in, ok := s.readInput(w, r, "name", "email", "password")
	if !ok {
		return
	}
	if f == loginauthtest.FaultBadCredentials {
		s.invalidCredentials(w)
		return
	}
	s.mu.Lock()
	u, added := s.addLocked(in["name"], in["email"], in["password"], false)
	s.mu.Unlock()
	if !added {
		xanoError(w, http.StatusForbidden, CodeAccessDenied, "This account is already in use.", nil)
		return
	}
	if f == loginauthtest.FaultNoToken {
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{"user": u.record()})
		return
	}
	s.answerToken(w, u)
}

// bearer returns the token of r, or "": Authorization carries it, unless
// it is missing or AuthorizationOnlyHeader is "true", when
// AuthorizationHeader does.
func bearer(r *http.Request) string {
	v := r.Header.Get("Authorization")
	if v == "" || r.Header.Get(AuthorizationOnlyHeader) == "true" {
		v = r.Header.Get(AuthorizationHeader)
	}
	token, ok := strings.CutPrefix(v, "Bearer ")
	if !ok {
		return ""
	}
	return token
}

// me serves GET /auth/me.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	email, err := s.Authorize(bearer(r))
	switch {
	case errors.Is(err, loginauthtest.ErrNoToken):
		xanoError(w, http.StatusUnauthorized, CodeUnauthorized, MsgMissingToken, nil)
		return
	case errors.Is(err, loginauthtest.ErrTokenExpired):
		xanoError(w, http.StatusUnauthorized, CodeUnauthorized, MsgExpiredToken, nil)
		return
	case err != nil:
		xanoError(w, http.StatusUnauthorized, CodeUnauthorized, MsgInvalidToken, nil)
		return
	}
	if s.RequestError.Status != 0 {
		s.RequestError.write(w)
		return
	}
	u, _ := s.lookup(email)
	loginauthtest.WriteJSON(w, http.StatusOK, u.record())
}
