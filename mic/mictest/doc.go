// Package mictest provides a fake Telenor Connexion Managed IoT Cloud (MIC)
// REST API for tests, in the manner of [net/http/httptest].
//
// The fake serves the whole API under the stack path "/prod", so
// [Server.BaseURL] (URL + "/prod") is what a client uses as its base URL:
//
//	POST {base}/auth/login          x-api-key; {"userName","password"} → user, credentials, permissions
//	POST {base}/auth/refresh        x-api-key; {"refreshToken"} → the same shape, a new token and refresh token
//	GET  {base}/users/{userName}    Authorization: <token>, identityId, x-api-key → the user record
//	GET  {base}/metadata/manifest   no auth → {ApiKey, IotEndpoint, IotEndpointATS, IdentityPool, UserPool, Region}
//	GET  {base}/manifest/?hostname= discovery → {ApiGatewayRootUrl, StackName, Region, ...} or {}
//
// The discovery manifest, like the real one, lives on another stack; here it
// is served by the same fake at [Server.ManifestURL]. For [AppHostname] it
// names this server: ApiGatewayRootUrl + "/" + StackName == BaseURL().
//
// Tokens are unsigned Cognito ID tokens (JWTs; [ParseIDToken] reads them)
// with token_use "id", an exp claim that is iat plus the lifetime (by
// default one hour, on the fake clock), and the sub, aud, iss, auth_time
// and cognito:username claims of a user pool. Every refresh answers with a
// new refresh token unless [Server.OmitRefreshToken] is set; the one sent
// stays valid unless [Server.RotateRefreshToken] is set; refresh tokens
// last 30 days. [Server.ReceivedRefreshTokens] lists the refresh tokens
// the fake was sent. The default account is [Username] / [Password] with
// [APIKey]; [Server.AddUser] adds more.
//
// The authenticated endpoint refuses a request as API Gateway with a
// Cognito authorizer does, checking the token first: a missing, unknown or
// revoked token (a "Bearer " scheme included) → 401
// {"message":"Unauthorized"}; an expired token → 401 {"message":"The
// incoming token has expired"}; then a missing or wrong API key → 403
// {"message":"Forbidden"}; then a missing or wrong identityId → 403
// {"message":"Forbidden"}. The order and the 401s are inferred from API
// Gateway; MIC documents the expired-token message, a 403 for a wrong API
// key and a 403 for a missing header. Business errors carry message, messageKey,
// messageParams and property, wrapped as [Server.ErrorWrapper] says: in an
// errorMessage object, a message object, or, as on MIC's older
// direct-Lambda route, JSON inside an errorMessage string.
//
// Clock, token lifetime, revocation, counters and login faults come from
// the embedded [loginauthtest.Server]; faults also apply to the refresh
// endpoint.
//
//	srv := mictest.NewServer()
//	defer srv.Close()
//	req, _ := http.NewRequest("POST", srv.BaseURL()+"/auth/login",
//		strings.NewReader(`{"userName":"alice","password":"s3cret-pass"}`))
//	req.Header.Set("x-api-key", mictest.APIKey)
//	req.Header.Set("Content-Type", "application/json")
//	resp, err := http.DefaultClient.Do(req)
package mictest
