package xano_test

import (
	"testing"

	"github.com/loginauth/loginauth/internal/sourcetest"
	"github.com/loginauth/loginauth/xano/xanotest"
)

// TestConformance runs the suite that every provider passes against its
// fake, with this provider's own registry entry.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, xanotest.Provider)
}
