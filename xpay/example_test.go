package xpay_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/xpay"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

func ExampleNewSource() {
	srv := xpaytest.NewServer() // a fake xPay API; normally xpay.ProductionURL
	defer srv.Close()

	src := xpay.NewSource(xpay.Config{BaseURL: srv.URL, Username: xpaytest.Username, SecretKey: xpaytest.SecretKey})
	client := &http.Client{Transport: loginauth.NewTransport(src, nil)}

	// A revoked token is refused with HTTP 200 and an error envelope; the
	// Transport authenticates again and re-sends the request.
	src.Token()
	srv.RevokeAll()

	resp, err := client.Post(srv.URL+xpay.BillsSavePath, "application/json",
		strings.NewReader(`{"amount":"2500000","reference":"66bb8c4dbb18e67"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var v struct {
		Success struct {
			Message string
			Data    struct{ BillRef string }
		}
	}
	json.NewDecoder(resp.Body).Decode(&v)
	fmt.Println(resp.Status, v.Success.Message, v.Success.Data.BillRef)
	fmt.Println("logins:", srv.Logins(), "refused:", srv.Refused())
	// Output:
	// 200 OK bill created 66bb8c4dbb18e67
	// logins: 2 refused: 1
}
