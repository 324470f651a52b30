package proxy_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/loginauth/loginauth/crux"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/app/proxy"
)

// A client with no credentials calls a Crux API through the proxy, which
// logs in once and adds the token.
func Example() {
	api := cruxtest.NewServer()
	defer api.Close()
	src := crux.NewSource(crux.Config{BaseURL: api.URL, Username: cruxtest.Username, Password: cruxtest.Password})
	p, err := proxy.New(proxy.Config{Source: src, BaseURL: api.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := proxy.Listen(proxy.ListenConfig{Addr: "127.0.0.1:0"}, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve()
	defer srv.Shutdown(5 * time.Second)

	for range 3 {
		resp, err := http.Get(srv.URL() + cruxtest.PermissionsPath)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println("logins:", api.Logins())
	// Output:
	// 200 OK
	// 200 OK
	// 200 OK
	// logins: 1
}

// Beyond loopback, a proxy needs an inbound token and TLS.
func ExampleListenConfig_Check() {
	fmt.Println(proxy.ListenConfig{Addr: "0.0.0.0:8787"}.Check())
	fmt.Println(proxy.ListenConfig{Addr: "0.0.0.0:8787", InboundToken: true}.Check())
	fmt.Println(proxy.ListenConfig{Addr: "0.0.0.0:8787", InboundToken: true, CertFile: "cert.pem", KeyFile: "key.pem"}.Check())
	// Output:
	// proxy: listening on 0.0.0.0:8787, beyond loopback, needs an inbound token: without one, anyone who reaches the address uses the account (an open relay)
	// proxy: listening on 0.0.0.0:8787, beyond loopback, needs TLS (a certificate and a key): without it, the inbound token and the API's answers cross the network in clear text
	// <nil>
}
