package mictest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
)

// The default account and the fake's fixed settings.
const (
	// APIKey is the API key every request but the manifests must carry in
	// the x-api-key header.
	APIKey = "test-api-key"
	// Username is the user name of the default account.
	Username = "alice"
	// Password is the password of the default account.
	Password = "s3cret-pass"
	// IdentityID is the identityId of the default account.
	IdentityID = "eu-west-1:00000000-0000-4000-8000-000000000001"
	// AppHostname is the application host name the discovery manifest
	// knows; any other host name gets {}.
	AppHostname = "app.example.test"
	// StackName is the stack the API is served under: BaseURL is
	// URL + "/" + StackName.
	StackName = "prod"
	// Region is the AWS region the manifests state.
	Region = "eu-west-1"
	// UserPool is the Cognito user pool the manifests name.
	UserPool = Region + "_mictest"
	// Issuer is the iss claim of the fake's tokens: the user pool's
	// Cognito issuer.
	Issuer = "https://cognito-idp." + Region + ".amazonaws.com/" + UserPool
	// ClientID is the aud claim of the fake's tokens: the Cognito app
	// client the web application logs in through.
	ClientID = "mictest0app0client00000000"
)

// Lifetimes of the fake's credentials.
const (
	// DefaultLifetime is the lifetime of access tokens, as documented.
	DefaultLifetime = 60 * time.Minute
	// DefaultRefreshLifetime is the lifetime of refresh tokens when
	// [Server.RefreshLifetime] is zero, as documented.
	DefaultRefreshLifetime = 30 * 24 * time.Hour
)

// Message keys of the business errors the fake answers.
const (
	// KeyInvalidLogin answers a wrong user name or password (401), and an
	// unknown, expired or revoked refresh token (401).
	KeyInvalidLogin = "INVALID_LOGIN"
	// KeyPropertyRequired answers a missing body property (400).
	KeyPropertyRequired = "PROPERTY_REQUIRED"
	// KeyUserNotFound answers GET /users/{userName} of an unknown user (404).
	KeyUserNotFound = "USER_NOT_FOUND"
	// KeyNotAuthorized answers GET /users/{userName} of another user (403).
	KeyNotAuthorized = "NOT_AUTHORIZED"
)

// Gateway messages, answered as {"message": ...}.
const (
	// MsgForbidden answers a missing or wrong x-api-key, and a missing
	// or wrong identityId (403).
	MsgForbidden = "Forbidden"
	// MsgExpired answers an expired token (401).
	MsgExpired = "The incoming token has expired"
	// MsgUnauthorized answers a missing, unknown or revoked token (401).
	MsgUnauthorized = "Unauthorized"
)

// Wrapper says how the fake wraps the object of a business error.
type Wrapper int

const (
	// WrapErrorMessage answers {"errorMessage": {"message": ..., "messageKey": ...}}.
	WrapErrorMessage Wrapper = iota
	// WrapMessage answers {"message": {"message": ..., "messageKey": ...}}.
	WrapMessage
	// WrapErrorMessageString answers {"errorMessage": "{\"message\": ...,
	// \"messageKey\": ...}"}: the object encoded as JSON inside a JSON
	// string, as MIC's older direct-Lambda route does. The status is the
	// same as with the other wrappers.
	WrapErrorMessageString
)

// Server is a fake MIC API. Create it with [NewServer]; set its exported
// fields before making requests, not while requests are in flight.
type Server struct {
	*loginauthtest.Server

	// ErrorWrapper says how business errors are wrapped. The zero value is
	// WrapErrorMessage.
	ErrorWrapper Wrapper

	// OmitRefreshToken makes /auth/refresh answer without a refreshToken,
	// so that a client must keep the one it has. By default every refresh
	// answer carries a new refresh token, as Telenor's own clients expect
	// (they store the refreshToken of each refresh answer), and the one
	// sent stays valid until it expires, as Cognito refresh tokens do.
	OmitRefreshToken bool

	// RotateRefreshToken makes /auth/refresh revoke the refresh token it
	// was sent when it answers with a new one, as Cognito does when
	// refresh-token rotation is turned on: a client that sends an old one
	// again is refused. Nothing says MIC does this; it is off by default.
	RotateRefreshToken bool

	// RefreshLifetime is the lifetime of refresh tokens issued from then
	// on; zero means DefaultRefreshLifetime.
	RefreshLifetime time.Duration

	mu       sync.Mutex // protects users, refresh and received
	users    map[string]*user
	refresh  map[string]*refreshToken
	received []string // the refresh tokens sent to /auth/refresh, in order
}

type user struct {
	userName, password, identityID string
	sub                            string // the Cognito user's id, the sub claim
	firstName, lastName, email     string
}

type refreshToken struct {
	userName string
	authTime time.Time // of the login that issued it: the auth_time claim
	expiry   time.Time
	revoked  bool
}

// NewServer starts and returns a fake MIC API with the default account.
// The caller should call Close when finished.
func NewServer() *Server {
	s := &Server{
		users:   make(map[string]*user),
		refresh: make(map[string]*refreshToken),
	}
	s.users[Username] = &user{
		userName: Username, password: Password, identityID: IdentityID,
		sub:       loginauthtest.RandomUUID(),
		firstName: "Alice", lastName: "Tester", email: "alice@example.test",
	}
	mux := http.NewServeMux()
	base := "/" + StackName
	mux.HandleFunc("POST "+base+"/auth/login", s.login)
	mux.HandleFunc("POST "+base+"/auth/refresh", s.refreshToken)
	mux.HandleFunc("GET "+base+"/users/{userName}", s.getUser)
	mux.HandleFunc("GET "+base+"/metadata/manifest", s.metadata)
	mux.HandleFunc("GET "+base+"/manifest/{$}", s.discovery)
	s.Server = loginauthtest.NewUnstartedServer(mux)
	s.SetLifetime(DefaultLifetime)
	s.Start()
	return s
}

// BaseURL returns the base URL of the API: URL + "/" + StackName.
func (s *Server) BaseURL() string { return s.URL + "/" + StackName }

// ManifestURL returns the URL of the discovery manifest, to which a client
// adds ?hostname=.
func (s *Server) ManifestURL() string { return s.BaseURL() + "/manifest/" }

// AddUser adds an account (or replaces the password of an existing one),
// with a random identityId.
func (s *Server) AddUser(userName, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userName]; ok {
		u.password = password
		return
	}
	s.users[userName] = &user{
		userName: userName, password: password,
		identityID: Region + ":" + loginauthtest.RandomUUID(),
		sub:        loginauthtest.RandomUUID(),
		firstName:  userName, lastName: "Tester", email: userName + "@example.test",
	}
}

// ReceivedRefreshTokens returns the refreshToken of every /auth/refresh
// request that had the API key and a JSON body, in the order received,
// valid or not.
func (s *Server) ReceivedRefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

// RevokeRefreshTokens revokes every refresh token issued so far, so that
// /auth/refresh refuses them. [loginauthtest.Server.RevokeAll] revokes the
// access tokens only.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.refresh {
		t.revoked = true
	}
}

func (s *Server) lookup(userName string) (user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userName]
	if !ok {
		return user{}, false
	}
	return *u, true
}

func (u user) record() map[string]any {
	return map[string]any{
		"userName":  u.userName,
		"roleName":  "User",
		"firstName": u.firstName,
		"lastName":  u.lastName,
		"email":     u.email,
	}
}

func gateway(w http.ResponseWriter, status int, msg string) {
	loginauthtest.WriteJSON(w, status, map[string]string{"message": msg})
}

// businessError answers a MIC business error, wrapped as s.ErrorWrapper says.
func (s *Server) businessError(w http.ResponseWriter, status int, key, msg, property string) {
	e := map[string]any{
		"message":       msg,
		"messageKey":    key,
		"messageParams": map[string]any{},
		"property":      nil,
	}
	if property != "" {
		e["property"] = property
		e["messageParams"] = map[string]any{"property": property}
	}
	switch s.ErrorWrapper {
	case WrapMessage:
		loginauthtest.WriteJSON(w, status, map[string]any{"message": e})
	case WrapErrorMessageString:
		b, err := json.Marshal(e)
		if err != nil {
			panic("mictest: " + err.Error())
		}
		loginauthtest.WriteJSON(w, status, map[string]any{"errorMessage": string(b)})
	default:
		loginauthtest.WriteJSON(w, status, map[string]any{"errorMessage": e})
	}
}

// issue mints a Cognito ID token for u, who logged in at authTime (zero
// for a login: now), and a refresh token when withRefresh. The token's
// exp is its iat plus the lifetime, both from one reading of the clock.
func (s *Server) issue(u user, authTime time.Time, withRefresh bool) (token, refresh string) {
	now := s.Now()
	iat := now.Truncate(time.Second)
	exp := iat.Add(s.Lifetime()).Truncate(time.Second) // as the exp claim says
	if authTime.IsZero() {
		authTime = iat
	}
	token = loginauthtest.JWT(exp, map[string]any{
		"sub":              u.sub,
		"aud":              ClientID,
		"iss":              Issuer,
		"token_use":        "id",
		"auth_time":        authTime.Unix(),
		"iat":              iat.Unix(),
		"jti":              loginauthtest.RandomUUID(),
		"cognito:username": u.userName,
		"email":            u.email,
		"email_verified":   true,
	})
	s.Issue(token, u.userName, exp)
	if !withRefresh {
		return token, ""
	}
	refresh = base64.RawURLEncoding.EncodeToString(loginauthtest.RandomBytes(48))
	life := s.RefreshLifetime
	if life <= 0 {
		life = DefaultRefreshLifetime
	}
	s.mu.Lock()
	s.refresh[refresh] = &refreshToken{userName: u.userName, authTime: authTime, expiry: now.Add(life)}
	s.mu.Unlock()
	return token, refresh
}

// IDToken holds the claims of the tokens the fake issues: Cognito ID
// tokens, as MIC's are.
type IDToken struct {
	Sub           string `json:"sub"`              // the Cognito user's id, the same in every token of a user
	Aud           string `json:"aud"`              // [ClientID]
	Iss           string `json:"iss"`              // [Issuer]
	TokenUse      string `json:"token_use"`        // "id"
	AuthTime      int64  `json:"auth_time"`        // when the user logged in, kept by refreshes
	Iat           int64  `json:"iat"`              // when the token was issued
	Exp           int64  `json:"exp"`              // Iat plus the lifetime
	Jti           string `json:"jti"`              // unique to the token
	Username      string `json:"cognito:username"` // the user name
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// ParseIDToken decodes the claims of a token the fake issued, without
// verifying its signature (which nothing can verify).
func ParseIDToken(token string) (IDToken, error) {
	var c IDToken
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("mictest: token is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, fmt.Errorf("mictest: token payload: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("mictest: token claims: %w", err)
	}
	return c, nil
}

func credentialsBody(u user, token, refresh string) map[string]any {
	creds := map[string]any{"identityId": u.identityID}
	if token != "" {
		creds["token"] = token
	}
	if refresh != "" {
		creds["refreshToken"] = refresh
	}
	return map[string]any{
		"user":        u.record(),
		"credentials": creds,
		"permissions": map[string]any{},
	}
}

// login serves POST /auth/login.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	f, handled := s.BeginLogin(w, r)
	if handled {
		return
	}
	if r.Header.Get("x-api-key") != APIKey {
		gateway(w, http.StatusForbidden, MsgForbidden)
		return
	}
	var in struct {
		UserName string `json:"userName"`
		Password string `json:"password"`
	}
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		gateway(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	switch {
	case in.UserName == "":
		s.businessError(w, http.StatusBadRequest, KeyPropertyRequired, "Property userName is required", "userName")
		return
	case in.Password == "":
		s.businessError(w, http.StatusBadRequest, KeyPropertyRequired, "Property password is required", "password")
		return
	}
	u, ok := s.lookup(in.UserName)
	if !ok || u.password != in.Password || f == loginauthtest.FaultBadCredentials {
		s.businessError(w, http.StatusUnauthorized, KeyInvalidLogin, "Invalid login", "")
		return
	}
	if f == loginauthtest.FaultNoToken {
		loginauthtest.WriteJSON(w, http.StatusOK, credentialsBody(u, "", ""))
		return
	}
	token, refresh := s.issue(u, time.Time{}, true)
	loginauthtest.WriteJSON(w, http.StatusOK, credentialsBody(u, token, refresh))
}

// refreshToken serves POST /auth/refresh.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) {
	f, handled := s.BeginRefresh(w, r)
	if handled {
		return
	}
	if r.Header.Get("x-api-key") != APIKey {
		gateway(w, http.StatusForbidden, MsgForbidden)
		return
	}
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := loginauthtest.ReadJSON(w, r, &in); err != nil {
		gateway(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	now := s.Now()
	s.mu.Lock()
	s.received = append(s.received, in.RefreshToken)
	rt, ok := s.refresh[in.RefreshToken]
	valid := ok && !rt.revoked && now.Before(rt.expiry) && f != loginauthtest.FaultBadCredentials
	renew := valid && !s.OmitRefreshToken && f != loginauthtest.FaultNoToken
	var u user
	var authTime time.Time
	if valid {
		u, authTime = *s.users[rt.userName], rt.authTime
		if renew && s.RotateRefreshToken {
			rt.revoked = true
		}
	}
	s.mu.Unlock()
	switch {
	case in.RefreshToken == "":
		s.businessError(w, http.StatusBadRequest, KeyPropertyRequired, "Property refreshToken is required", "refreshToken")
	case !valid:
		s.businessError(w, http.StatusUnauthorized, KeyInvalidLogin, "Invalid refresh token", "")
	case f == loginauthtest.FaultNoToken:
		loginauthtest.WriteJSON(w, http.StatusOK, credentialsBody(u, "", ""))
	default:
		token, refresh := s.issue(u, authTime, renew)
		loginauthtest.WriteJSON(w, http.StatusOK, credentialsBody(u, token, refresh))
	}
}

// authorize checks the credentials of a request to an authenticated
// endpoint as MIC's API Gateway does, and answers a refusal itself. The
// Cognito authorizer runs first: a missing, unknown or revoked token
// (a "Bearer " scheme included) → 401 {"message":"Unauthorized"}, an
// expired one → 401 {"message":"The incoming token has expired"}. Then
// the API key: missing or wrong → 403 {"message":"Forbidden"}. Then the
// API itself: a missing identityId, or another user's → 403
// {"message":"Forbidden"}, as MIC documents for a missing header.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (user, bool) {
	name, err := s.Check(r.Header.Get("Authorization"))
	switch {
	case errors.Is(err, loginauthtest.ErrTokenExpired):
		gateway(w, http.StatusUnauthorized, MsgExpired)
	case err != nil:
		gateway(w, http.StatusUnauthorized, MsgUnauthorized)
	case r.Header.Get("x-api-key") != APIKey:
		gateway(w, http.StatusForbidden, MsgForbidden)
	default:
		identity := r.Header.Get("identityId")
		if identity == "" {
			identity = r.URL.Query().Get("identityId") // for backwards compatibility
		}
		if caller, ok := s.lookup(name); ok && caller.identityID == identity {
			return caller, true
		}
		gateway(w, http.StatusForbidden, MsgForbidden)
	}
	s.CountRefused()
	return user{}, false
}

// getUser serves GET /users/{userName}: a user may read their own record.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	caller, ok := s.authorize(w, r)
	if !ok {
		return
	}
	s.CountRequest()
	target, ok := s.lookup(r.PathValue("userName"))
	switch {
	case !ok:
		s.businessError(w, http.StatusNotFound, KeyUserNotFound, "User not found", "")
	case target.userName != caller.userName:
		s.businessError(w, http.StatusForbidden, KeyNotAuthorized, "Not authorized", "")
	default:
		loginauthtest.WriteJSON(w, http.StatusOK, target.record())
	}
}

func (s *Server) manifest() map[string]any {
	return map[string]any{
		"IotEndpoint":    "mictest-ats.iot." + Region + ".amazonaws.com",
		"IotEndpointATS": "mictest-ats.iot." + Region + ".amazonaws.com",
		"IdentityPool":   Region + ":00000000-0000-4000-8000-0000000000aa",
		"UserPool":       UserPool,
		"Region":         Region,
	}
}

// metadata serves GET /metadata/manifest, which needs no credentials.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	m := s.manifest()
	m["ApiKey"] = APIKey
	loginauthtest.WriteJSON(w, http.StatusOK, m)
}

// discovery serves GET /manifest/?hostname=.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("hostname") != AppHostname {
		loginauthtest.WriteJSON(w, http.StatusOK, map[string]any{})
		return
	}
	m := s.manifest()
	m["ApiGatewayRootUrl"] = s.URL
	m["StackName"] = StackName
	loginauthtest.WriteJSON(w, http.StatusOK, m)
}
