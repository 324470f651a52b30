package xpay_test

import (
	"testing"

	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/xpay/xpaytest"
)

// TestConformance runs the suite that every provider passes against its
// fake, with this provider's own registry entry.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, xpaytest.Provider)
}
