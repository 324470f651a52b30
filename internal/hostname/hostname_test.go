package hostname_test

import (
	"testing"

	"github.com/loginauth/loginauth/internal/hostname"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":             true,
		"LocalHost":             true,
		"localhost.":            true,
		"127.0.0.1":             true,
		"127.1.2.3":             true,
		"::1":                   true,
		"api.localhost":         false, // resolved through DNS like any name
		"API.LOCALHOST":         false,
		"localhost.evil":        false,
		"notlocalhost":          false,
		"localhost.localdomain": false,
		"128.0.0.1":             false,
		"::2":                   false,
		"0x7f.1":                false, // not an IP literal to net.ParseIP
		"":                      false,
	} {
		if got := hostname.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v; want %v", host, got, want)
		}
	}
}
