// Package mictest provides a fake Telenor Connexion Managed IoT Cloud (MIC)
// REST API for tests, in the manner of [net/http/httptest].
//
// The fake serves the whole API under the stack path "/prod", so
// [Server.BaseURL] (URL + "/prod") is what a client uses as its base URL:
//
//	POST {base}/auth/login          x-api-key; {"userName","password"} → user, credentials, permissions
//	POST {base}/auth/refresh        x-api-key; {"refreshToken"} → the same shape, a new token
//	GET  {base}/users/{userName}    Authorization: <token>, identityId, x-api-key → the user record
//	GET  {base}/metadata/manifest   no auth → {ApiKey, IotEndpoint, IotEndpointATS, IdentityPool, UserPool, Region}
//	GET  {base}/manifest/?hostname= discovery → {ApiGatewayRootUrl, StackName, Region, ...} or {}
//
// The discovery manifest, like the real one, lives on another stack; here it
// is served by the same fake at [Server.ManifestURL]. For [AppHostname] it
// names this server: ApiGatewayRootUrl + "/" + StackName == BaseURL().
//
// Tokens are unsigned JWTs whose "exp" claim states their expiry (by
// default one hour after the login, on the fake clock); refresh tokens last
// 30 days. The default account is [Username] / [Password] with [APIKey];
// [Server.AddUser] adds more. Failures follow the documented wire format:
// a missing or wrong API key or a missing Authorization or identityId
// header → 403 {"message":"Forbidden"}; an expired token → 401
// {"message":"The incoming token has expired"}; an unknown or revoked token
// (a "Bearer " scheme included) → 401 {"message":"Unauthorized"}; business
// errors carry message, messageKey, messageParams and property, wrapped as
// [Server.ErrorWrapper] says.
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
