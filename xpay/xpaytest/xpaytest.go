package xpaytest

import (
	"encoding/json"
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
	// BillsSavePath creates a bill, as xPay's documented endpoint does.
	BillsSavePath = "/client/bills/save"
	// BillsViewPath returns a bill by its reference, as xPay's documented
	// endpoint does.
	BillsViewPath = "/client/bills/view"
)

// Messages of the response envelopes.
const (
	// MsgAuthenticated is the message of a successful authentication.
	MsgAuthenticated = "Authenticated"
	// MsgInvalidCredentials refuses a wrong user name or secret key.
	MsgInvalidCredentials = "invalid credentials"
	// MsgInvalidRequest refuses a body that is not JSON or holds a bad
	// field (isAPI not true, a bad amount, a reused reference); data
	// names the field.
	MsgInvalidRequest = "invalid request"
	// MsgBillCreated is the message of a bill created by [BillsSavePath].
	MsgBillCreated = "bill created"
	// MsgBillFound is the message of a bill found by [BillsViewPath].
	MsgBillFound = "bill found"
	// MsgBillNotFound is the business error of [BillsViewPath] for an
	// unknown reference.
	MsgBillNotFound = "bill not found"
	// MsgTokenMissing refuses a request without "Authorization: Bearer ...".
	MsgTokenMissing = "jwt must be provided"
	// MsgTokenInvalid refuses a token that was never issued.
	MsgTokenInvalid = "invalid token"
	// MsgTokenExpired refuses an expired token.
	MsgTokenExpired = "jwt expired"
	// MsgTokenRevoked refuses a revoked token.
	MsgTokenRevoked = "The token has been revoked."
)

// Server is a fake xPay API. Create it with [NewServer]; set its exported
// fields before making requests, not while requests are in flight.
type Server struct {
	*loginauthtest.Server

	// RefuseWith401 makes the protected endpoints refuse a missing,
	// invalid, expired or revoked token with HTTP 401 instead of HTTP
	// 200; the body is the same error envelope.
	RefuseWith401 bool

	// UUIDInSuccess puts the uuid of a success answer inside the
	// "success" object, as the sample of xPay's authenticate page does,
	// instead of at the top level, as its other samples do.
	UUIDInSuccess bool

	// BusinessError, when not empty, makes the protected endpoints answer
	// every request whose token is valid with HTTP 200 and an error envelope
	// holding this message, as xPay answers a business error.
	BusinessError string

	mu    sync.Mutex                // protects users and bills
	users map[string]string         // secret key by user name
	bills map[string]map[string]any // by user name and reference
}

// NewServer starts and returns a fake xPay API with the default account.
// The caller should call Close when finished.
func NewServer() *Server {
	s := &Server{users: map[string]string{Username: SecretKey}, bills: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+AuthenticatePath, s.authenticate)
	mux.HandleFunc("POST "+BillsSavePath, s.protected(s.saveBill))
	mux.HandleFunc("POST "+BillsViewPath, s.protected(s.viewBill))
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

func (s *Server) success(w http.ResponseWriter, r *http.Request, msg string, data any) {
	ok := map[string]any{"message": msg, "data": data}
	v := map[string]any{"success": ok}
	if s.UUIDInSuccess {
		ok["uuid"] = requestUUID(r)
	} else {
		v["uuid"] = requestUUID(r)
	}
	loginauthtest.WriteJSON(w, http.StatusOK, v)
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
	exp := s.Now().Add(s.Lifetime()).Truncate(time.Millisecond) // expiresAt, in milliseconds
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
	s.success(w, r, MsgAuthenticated, data)
}

// protected wraps the handler of an endpoint that needs a bearer token: a
// missing, unknown, expired or revoked token is refused with the message
// of a Node JWT middleware; with [Server.BusinessError] set, a request
// with a valid token gets that business error.
func (s *Server) protected(h func(w http.ResponseWriter, r *http.Request, username string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
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
			case errors.Is(err, loginauthtest.ErrTokenRevoked):
				msg = MsgTokenRevoked
			}
			failure(w, r, status, msg, map[string]any{})
			return
		}
		if s.BusinessError != "" {
			failure(w, r, http.StatusOK, s.BusinessError, map[string]any{})
			return
		}
		h(w, r, username)
	}
}

// saveBill serves POST /client/bills/save: {"amount": "<USD × 10⁶>", "tag",
// "expireInMinutes", "reference", "useLightning"} → the bill. A bill
// without a reference gets a random one; a reference is never reused.
func (s *Server) saveBill(w http.ResponseWriter, r *http.Request, username string) {
	var in struct {
		Amount          json.Number `json:"amount"`
		Tag             string      `json:"tag"`
		ExpireInMinutes json.Number `json:"expireInMinutes"`
		Reference       string      `json:"reference"`
	}
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		failure(w, r, http.StatusOK, MsgInvalidRequest, map[string]any{"body": "invalid JSON"})
		return
	}
	amount, err := in.Amount.Int64()
	if err != nil || amount <= 0 {
		failure(w, r, http.StatusOK, MsgInvalidRequest, map[string]any{"amount": "must be a positive integer"})
		return
	}
	minutes, err := in.ExpireInMinutes.Int64()
	if err != nil || minutes <= 0 {
		minutes = 30
	}
	if in.Reference == "" {
		in.Reference = loginauthtest.RandomHex(8)
	}
	now := s.Now()
	bill := map[string]any{
		"uuid": loginauthtest.RandomUUID(), "username": username, "wallet": loginauthtest.RandomUUID(),
		"hex": "", "address": "", "createdAt": now.UnixMilli(), "billRef": in.Reference,
		"billAmount": amount, "paidAmount": 0, "testnet": false, "tag": in.Tag,
		"starting": now.Add(-time.Minute).UnixMilli(), "until": now.Add(time.Duration(minutes) * time.Minute).UnixMilli(),
		"closed": false, "canceled": false, "cooldown": 0, "txs": []any{},
	}
	key := username + "\x00" + in.Reference
	s.mu.Lock()
	_, used := s.bills[key]
	if !used {
		s.bills[key] = bill
	}
	s.mu.Unlock()
	if used {
		failure(w, r, http.StatusOK, MsgInvalidRequest, map[string]any{"reference": "already used"})
		return
	}
	s.success(w, r, MsgBillCreated, bill)
}

// viewBill serves POST /client/bills/view: {"reference"} → the caller's
// bill with that reference.
func (s *Server) viewBill(w http.ResponseWriter, r *http.Request, username string) {
	var in struct {
		Reference string `json:"reference"`
	}
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		failure(w, r, http.StatusOK, MsgInvalidRequest, map[string]any{"body": "invalid JSON"})
		return
	}
	s.mu.Lock()
	bill, ok := s.bills[username+"\x00"+in.Reference]
	s.mu.Unlock()
	if !ok {
		failure(w, r, http.StatusOK, MsgBillNotFound, map[string]any{"reference": in.Reference})
		return
	}
	s.success(w, r, MsgBillFound, bill)
}
