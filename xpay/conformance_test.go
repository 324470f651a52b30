package xpay_test

import (
	"testing"

	"github.com/loginauth/loginauth/internal/sourcetest"
)

// TestConformance runs the suite that every provider passes against its
// fake; internal/sourcetest describes this provider to it.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Lookup("xpay"))
}
