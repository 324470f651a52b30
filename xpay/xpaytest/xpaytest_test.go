package xpaytest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/loginauth/loginauth/xpay/xpaytest"
	"github.com/matryer/is"
)

// do posts body to srv and returns the status and the decoded JSON body.
func do(t *testing.T, srv *xpaytest.Server, path, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return resp.StatusCode, m
}

const aliceLogin = `{"username":"` + xpaytest.Username + `","secretKey":"` + xpaytest.SecretKey + `","isAPI":true}`

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func login(t *testing.T, srv *xpaytest.Server) string {
	t.Helper()
	status, m := do(t, srv, xpaytest.AuthenticatePath, aliceLogin, nil)
	if status != 200 || m["success"] == nil {
		t.Fatalf("login: %d %v", status, m)
	}
	return m["success"].(map[string]any)["data"].(map[string]any)["access_token"].(string)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestAuthenticate(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	clock := loginauthtest.NewClock(time.Unix(1_783_074_277, 0))
	srv.SetNow(clock.Now)

	status, m := do(t, srv, xpaytest.AuthenticatePath, aliceLogin, nil)
	is.Equal(status, 200)
	is.True(uuidRE.MatchString(m["uuid"].(string))) // a UUID v4
	ok := m["success"].(map[string]any)
	is.Equal(ok["message"], xpaytest.MsgAuthenticated)
	data := ok["data"].(map[string]any)
	is.Equal(data["success"], true)
	is.Equal(data["user"].(map[string]any)["username"], xpaytest.Username)
	is.True(regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(data["ticket"].(string)))
	tok := data["access_token"].(string)
	is.True(srv.Valid(tok))

	// expiresAt, the exp claim and the enforced expiry agree
	expiresAt := time.UnixMilli(int64(data["expiresAt"].(float64)))
	is.Equal(expiresAt, clock.Now().Add(xpaytest.DefaultLifetime)) // the lifetime from the login
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	is.NoErr(err)
	var claims struct{ Exp int64 }
	is.NoErr(json.Unmarshal(payload, &claims))
	is.Equal(time.Unix(claims.Exp, 0), expiresAt.Truncate(time.Second)) // exp is in whole seconds
	clock.Set(expiresAt.Add(-time.Millisecond))
	is.True(srv.Valid(tok)) // valid until expiresAt, to the millisecond
	clock.Set(expiresAt)
	is.True(!srv.Valid(tok)) // expired at expiresAt
	srv.SetNow(nil)

	status, m = do(t, srv, xpaytest.AuthenticatePath,
		`{"username":"`+xpaytest.Username+`","secretKey":"`+xpaytest.SecretKey+`","isAPI":"true"}`,
		map[string]string{"uuid": "f8623092-a59a-4ceb-bc75-18e59815d5df"})
	is.Equal(status, 200)
	is.True(m["success"] != nil)                                // isAPI as a string
	is.Equal(m["uuid"], "f8623092-a59a-4ceb-bc75-18e59815d5df") // the uuid header is echoed

	status, m = do(t, srv, xpaytest.AuthenticatePath, `{"username":"alice@example.test","secretKey":"nope","isAPI":true}`, nil)
	is.Equal(status, 200) // business errors are HTTP 200
	e := m["error"].(map[string]any)
	is.Equal(e["message"], xpaytest.MsgInvalidCredentials)
	is.Equal(e["data"], map[string]any{"invalid": true})
	is.True(uuidRE.MatchString(e["tag"].(string)))
	is.True(uuidRE.MatchString(m["uuid"].(string)))

	for _, isAPI := range []string{``, `,"isAPI":false`, `,"isAPI":"yes"`} {
		status, m = do(t, srv, xpaytest.AuthenticatePath, `{"username":"alice@example.test","secretKey":"test-secret-key"`+isAPI+`}`, nil)
		is.Equal(status, 200)
		is.Equal(m["error"].(map[string]any)["message"], xpaytest.MsgInvalidRequest) // isAPI must be true
	}
	status, _ = do(t, srv, xpaytest.AuthenticatePath, `{"username":`, nil)
	is.Equal(status, 400) // not JSON: a protocol error

	srv.AddUser("bob@example.test", "bob-key")
	status, m = do(t, srv, xpaytest.AuthenticatePath, `{"username":"bob@example.test","secretKey":"bob-key","isAPI":true}`, nil)
	is.Equal(status, 200)
	is.True(m["success"] != nil)
	is.Equal(srv.Logins(), int64(8))
}

// TestExpiresAtMilliseconds logs in at a time with milliseconds:
// expiresAt keeps them, as xPay's samples (…7510) do.
func TestExpiresAtMilliseconds(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	now := time.UnixMilli(1783074277510)
	srv.SetNow(func() time.Time { return now })
	_, m := do(t, srv, xpaytest.AuthenticatePath, aliceLogin, nil)
	data := m["success"].(map[string]any)["data"].(map[string]any)
	is.Equal(int64(data["expiresAt"].(float64)), now.Add(xpaytest.DefaultLifetime).UnixMilli()) // not rounded to the second
}

func TestBills(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	h := bearer(login(t, srv))
	h["uuid"] = "38e27ab0-d331-4c63-8f24-e1603739511d"

	status, m := do(t, srv, xpaytest.BillsSavePath, `{"amount":"2500000","tag":"cart","expireInMinutes":"15","reference":"66bb8c4dbb18e67"}`, h)
	is.Equal(status, 200)
	is.Equal(m["uuid"], h["uuid"]) // echoed
	ok := m["success"].(map[string]any)
	is.Equal(ok["message"], xpaytest.MsgBillCreated)
	bill := ok["data"].(map[string]any)
	is.Equal(bill["billRef"], "66bb8c4dbb18e67")
	is.Equal(bill["billAmount"], 2500000.0)
	is.Equal(bill["username"], xpaytest.Username)
	is.Equal(bill["until"].(float64)-bill["createdAt"].(float64), 15*60e3)
	is.True(uuidRE.MatchString(bill["uuid"].(string)))

	status, m = do(t, srv, xpaytest.BillsViewPath, `{"reference":"66bb8c4dbb18e67"}`, h)
	is.Equal(status, 200)
	is.Equal(m["success"].(map[string]any)["message"], xpaytest.MsgBillFound)
	is.Equal(m["success"].(map[string]any)["data"], bill) // the bill saved

	status, m = do(t, srv, xpaytest.BillsSavePath, `{"amount":1000000}`, h)
	is.Equal(status, 200)
	is.True(m["success"].(map[string]any)["data"].(map[string]any)["billRef"] != "") // a reference is made up

	businessError := func(path, body, msg string) {
		t.Helper()
		status, m := do(t, srv, path, body, h)
		is.Equal(status, 200) // business errors are HTTP 200
		is.Equal(m["error"].(map[string]any)["message"], msg)
	}
	businessError(xpaytest.BillsSavePath, `{"amount":"2500000","reference":"66bb8c4dbb18e67"}`, xpaytest.MsgInvalidRequest) // reference reused
	businessError(xpaytest.BillsSavePath, `{"amount":"-1"}`, xpaytest.MsgInvalidRequest)
	businessError(xpaytest.BillsSavePath, `{"amount":"ten"}`, xpaytest.MsgInvalidRequest)
	businessError(xpaytest.BillsViewPath, `{"reference":"nope"}`, xpaytest.MsgBillNotFound)
	srv.AddUser("bob@example.test", "bob-key")
	_, m = do(t, srv, xpaytest.AuthenticatePath, `{"username":"bob@example.test","secretKey":"bob-key","isAPI":true}`, nil)
	bob := bearer(m["success"].(map[string]any)["data"].(map[string]any)["access_token"].(string))
	status, m = do(t, srv, xpaytest.BillsViewPath, `{"reference":"66bb8c4dbb18e67"}`, bob)
	is.Equal(status, 200)
	is.Equal(m["error"].(map[string]any)["message"], xpaytest.MsgBillNotFound) // alice's bill, not bob's

	srv.BusinessError = "destination token account is closed"
	businessError(xpaytest.BillsSavePath, `{"amount":"1"}`, srv.BusinessError)
	businessError(xpaytest.BillsViewPath, `{"reference":"66bb8c4dbb18e67"}`, srv.BusinessError)
	is.Equal(srv.Requests(), int64(10))
	is.Equal(srv.Refused(), int64(0))
}

func TestUUIDInSuccess(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	srv.UUIDInSuccess = true
	id := map[string]string{"uuid": "f8623092-a59a-4ceb-bc75-18e59815d5df"}
	_, m := do(t, srv, xpaytest.AuthenticatePath, aliceLogin, id)
	is.Equal(m["success"].(map[string]any)["uuid"], id["uuid"]) // inside success, as on the authenticate page
	_, top := m["uuid"]
	is.True(!top)
	_, m = do(t, srv, xpaytest.AuthenticatePath, `{"username":"alice@example.test","secretKey":"nope","isAPI":true}`, id)
	is.Equal(m["uuid"], id["uuid"]) // an error keeps it at the top level
}

func TestRefusals(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()
	tok := login(t, srv)

	refused := func(header map[string]string, wantStatus int, msg string) {
		t.Helper()
		for _, path := range []string{xpaytest.BillsSavePath, xpaytest.BillsViewPath} {
			status, m := do(t, srv, path, `{"amount":"1","reference":"r"}`, header)
			is.Equal(status, wantStatus)
			e := m["error"].(map[string]any)
			is.Equal(e["message"], msg)
			is.Equal(e["data"], map[string]any{}) // nothing but the message says why
		}
	}
	refused(nil, 200, xpaytest.MsgTokenMissing)
	refused(map[string]string{"Authorization": tok}, 200, xpaytest.MsgTokenMissing) // no scheme
	refused(map[string]string{"Authorization": "bearer " + tok}, 200, xpaytest.MsgTokenMissing)
	refused(bearer("nonsense"), 200, xpaytest.MsgTokenInvalid)
	srv.RefuseWith401 = true
	refused(bearer("nonsense"), 401, xpaytest.MsgTokenInvalid)
	srv.RefuseWith401 = false

	srv.Advance(xpaytest.DefaultLifetime)
	refused(bearer(tok), 200, xpaytest.MsgTokenExpired)
	srv.RefuseWith401 = true
	refused(bearer(tok), 401, xpaytest.MsgTokenExpired)
	srv.RefuseWith401 = false

	tok = login(t, srv)
	srv.RevokeAll()
	refused(bearer(tok), 200, xpaytest.MsgTokenRevoked)
	status, _ := do(t, srv, xpaytest.BillsSavePath, `{"amount":"1"}`, bearer(login(t, srv)))
	is.Equal(status, 200)
	is.Equal(srv.Requests(), int64(1))
	is.Equal(srv.Refused(), int64(16))
}

func TestFaults(t *testing.T) {
	is := is.New(t)
	srv := xpaytest.NewServer()
	defer srv.Close()

	srv.SetFault(loginauthtest.FaultNoToken)
	status, m := do(t, srv, xpaytest.AuthenticatePath, aliceLogin, nil)
	is.Equal(status, 200)
	data := m["success"].(map[string]any)["data"].(map[string]any)
	_, has := data["access_token"]
	is.True(!has) // no token
	is.Equal(data["success"], true)

	srv.SetFault(loginauthtest.FaultBadCredentials)
	status, m = do(t, srv, xpaytest.AuthenticatePath, aliceLogin, nil)
	is.Equal(status, 200)
	is.Equal(m["error"].(map[string]any)["message"], xpaytest.MsgInvalidCredentials)

	srv.SetFault(loginauthtest.FaultHuge)
	srv.SetHugeSize(10_000)
	resp, err := srv.Client().Post(srv.URL+xpaytest.AuthenticatePath, "application/json", strings.NewReader(aliceLogin))
	is.NoErr(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	is.Equal(len(b), 10_000)

	srv.SetFault(loginauthtest.NoFault)
	login(t, srv)
	is.Equal(srv.Logins(), int64(4))
}

// TestProviderFailed checks the entry's check of xPay's error envelope,
// which the command's call uses: an error inside HTTP 200 fails.
func TestProviderFailed(t *testing.T) {
	is := is.New(t)
	failed := xpaytest.Provider.Failed
	is.True(failed(200, []byte(`{"error":{"message":"no"},"uuid":"u"}`)))    // an error inside 200
	is.True(!failed(200, []byte(`{"success":{"message":"ok"},"uuid":"u"}`))) // a success
	is.True(!failed(200, []byte(`not json`)))                                // the status decides
}
