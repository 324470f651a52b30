package xpaytest

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
)

// The default account and the fake's fixed settings.
const (
	// Username is the user name (an e-mail address) of the default account.
	Username = "alice@example.test"
	// SecretKey is the secret key of the default account.
	SecretKey = "test-secret-key"
	// DefaultLifetime is the lifetime of access tokens.
	DefaultLifetime = time.Hour
)

// The paths the fake serves.
const (
	// AuthenticatePath is the login endpoint.
	AuthenticatePath = "/client/authenticate"
	// BalancePath is the protected endpoint: the caller's balance.
	BalancePath = "/client/balance"
)

// Messages of the response envelopes.
const (
	// MsgAuthenticated is the message of a successful authentication.
	MsgAuthenticated = "Authenticated"
	// MsgInvalidCredentials refuses a wrong user name or secret key.
	MsgInvalidCredentials = "invalid credentials"
	// MsgInvalidRequest refuses a body that is not JSON or whose isAPI is
	// not true.
	MsgInvalidRequest = "invalid request"
	// MsgTokenMissing refuses a request without "Authorization: Bearer ...".
	MsgTokenMissing = "jwt must be provided"
	// MsgTokenInvalid refuses an unknown or revoked token.
	MsgTokenInvalid = "invalid token"
	// MsgTokenExpired refuses an expired token.
	MsgTokenExpired = "jwt expired"
)

// Server is a fake xPay API. Create it with [NewServer]; set its exported
// fields before making requests, not while requests are in flight.
type Server struct {
	*loginauthtest.Server

	// RefuseWith401 makes the protected endpoints refuse a missing,
	// invalid or expired token with HTTP 401 instead of HTTP 200; the
	// body is the same error envelope.
	RefuseWith401 bool

	mu    sync.Mutex        // protects users
	users map[string]string // secret key by user name
}

// NewServer starts and returns a fake xPay API with the default account.
// The caller should call Close when finished.
func NewServer() *Server {
	s := &Server{users: map[string]string{Username: SecretKey}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AuthenticatePath, s.authenticate)
	mux.HandleFunc("POST "+BalancePath, s.balance)
	s.Server = loginauthtest.NewUnstartedServer(mux)
	s.SetLifetime(DefaultLifetime)
	s.Start()
	return s
}

// AddUser adds an account, or replaces the secret key of an existing one.
func (s *Server) AddUser(username, secretKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = secretKey
}

func (s *Server) secretKey(username string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.users[username]
	return k, ok
}

// requestUUID returns the request's uuid header, or a new UUID.
func requestUUID(r *http.Request) string {
	if id := r.Header.Get("uuid"); id != "" {
		return id
	}
	return loginauthtest.RandomUUID()
}

func success(w http.ResponseWriter, r *http.Request, msg string, data any) {
	loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{
		"success": map[string]any{"message": msg, "data": data},
		"uuid":    requestUUID(r),
	})
}

func failure(w http.ResponseWriter, r *http.Request, status int, msg string, data any) {
	loginauthtest.WriteJSON(w, status, map[string]any{
		"error": map[string]any{"message": msg, "data": data, "tag": loginauthtest.RandomUUID()},
		"uuid":  requestUUID(r),
	})
}

// authenticate serves POST /client/authenticate.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	f, handled := s.BeginLogin(w, r)
	if handled {
		return
	}
	var in struct {
		Username  string `json:"username"`
		SecretKey string `json:"secretKey"`
		IsAPI     any    `json:"isAPI"`
	}
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		failure(w, r, http.StatusBadRequest, MsgInvalidRequest, map[string]any{"body": "invalid JSON"})
		return
	}
	if in.IsAPI != true && in.IsAPI != "true" {
		failure(w, r, http.StatusOK, MsgInvalidRequest, map[string]any{"isAPI": "must be true"})
		return
	}
	key, ok := s.secretKey(in.Username)
	if !ok || in.Username == "" || key != in.SecretKey || f == loginauthtest.FaultBadCredentials {
		failure(w, r, http.StatusOK, MsgInvalidCredentials, map[string]any{"invalid": true})
		return
	}
	exp := s.Now().Add(s.Lifetime()).Truncate(time.Second) // as the exp claim says
	data := map[string]any{
		"success":   true,
		"expiresAt": exp.UnixMilli(),
		"user":      map[string]any{"username": in.Username, "scopes": []string{"tme_user"}, "isAPI": true},
		"ticket":    loginauthtest.RandomHex(32),
	}
	if f != loginauthtest.FaultNoToken {
		token := loginauthtest.JWT(exp, map[string]any{"username": in.Username, "iat": s.Now().Unix()})
		s.Issue(token, in.Username, exp)
		data["access_token"] = token
	}
	success(w, r, MsgAuthenticated, data)
}

// balance serves POST /client/balance.
func (s *Server) balance(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		token = ""
	}
	username, err := s.Authorize(token)
	if err != nil {
		status := http.StatusOK
		if s.RefuseWith401 {
			status = http.StatusUnauthorized
		}
		msg := MsgTokenInvalid
		switch {
		case errors.Is(err, loginauthtest.ErrNoToken):
			msg = MsgTokenMissing
		case errors.Is(err, loginauthtest.ErrTokenExpired):
			msg = MsgTokenExpired
		}
		failure(w, r, status, msg, map[string]any{"unauthorized": true})
		return
	}
	success(w, r, "Balance", map[string]any{"username": username, "balance": "100.00", "currency": "EUR"})
}
