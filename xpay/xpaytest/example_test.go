package xpaytest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/loginauth/loginauth/xpay/xpaytest"
)

func ExampleNewServer() {
	srv := xpaytest.NewServer()
	defer srv.Close()

	authenticate := func(secretKey string) (status, token, errMsg string) {
		resp, err := http.Post(srv.URL+xpaytest.AuthenticatePath, "application/json",
			strings.NewReader(`{"username":"alice@example.test","secretKey":"`+secretKey+`","isAPI":true}`))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var body struct {
			Success *struct {
				Data struct {
					AccessToken string `json:"access_token"`
				}
			}
			Error *struct{ Message string }
		}
		json.NewDecoder(resp.Body).Decode(&body)
		if body.Error != nil {
			return resp.Status, "", body.Error.Message
		}
		return resp.Status, body.Success.Data.AccessToken, ""
	}

	status, _, msg := authenticate("wrong")
	fmt.Printf("%s error: %q\n", status, msg)
	status, token, _ := authenticate(xpaytest.SecretKey)
	fmt.Println(status, "token:", token != "")

	req, _ := http.NewRequest("POST", srv.URL+xpaytest.BillsSavePath, strings.NewReader(`{"amount":"2500000","reference":"66bb8c4dbb18e67"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("uuid", "38e27ab0-d331-4c63-8f24-e1603739511d")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var body struct {
		Success struct {
			Message string
			Data    struct{ BillRef string }
		}
		UUID string
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	fmt.Println(resp.Status, body.Success.Message, body.Success.Data.BillRef, "uuid:", body.UUID)
	fmt.Println("logins:", srv.Logins(), "requests:", srv.Requests())
	// Output:
	// 200 OK error: "invalid credentials"
	// 200 OK token: true
	// 200 OK bill created 66bb8c4dbb18e67 uuid: 38e27ab0-d331-4c63-8f24-e1603739511d
	// logins: 2 requests: 1
}
