package xpay

import (
	"strings"
	"testing"
)

// FuzzRefusesToken checks that a message refuses the token only whole
// (the same message after a word never does), and whatever its case and
// surrounding space.
func FuzzRefusesToken(f *testing.F) {
	for _, m := range tokenRefusals {
		f.Add(m)
	}
	f.Add("jwt audience invalid. expected: urn:xpay")
	f.Add("destination token account is closed")
	f.Fuzz(func(t *testing.T, msg string) {
		if refusesToken("destination " + msg) {
			t.Fatalf("%q refuses the token", "destination "+msg)
		}
		if up := strings.ToUpper(msg); strings.ToLower(up) == strings.ToLower(msg) && refusesToken(" "+up+"\t") != refusesToken(msg) {
			t.Fatalf("%q: case or surrounding space changed the verdict", msg)
		}
	})
}

// RefusesToken and PeekLimit are refusesToken and peekLimit, for
// FuzzXPayRefusalPeek in xpay_test.go, which checks DefaultRefused with
// sourcetest (a package that imports this one).
var RefusesToken = refusesToken

const PeekLimit = peekLimit
