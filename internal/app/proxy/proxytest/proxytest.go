// Package proxytest helps the tests of the proxy and of the command that
// runs it send what an http.Client never sends: dot-segments as they are,
// a Host of any name or none, a body that stops short.
package proxytest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// Raw writes req, a whole HTTP/1 request as bytes, on a new connection
// to the server at base ("http://host:port"), and returns the status and
// the body of the response.
func Raw(t testing.TB, base, req string) (status int, body string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
