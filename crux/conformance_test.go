package crux_test

import (
	"testing"

	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/internal/sourcetest"
)

// TestConformance runs the suite that every provider passes against its
// fake, with this provider's own registry entry.
func TestConformance(t *testing.T) {
	sourcetest.Run(t, cruxtest.Provider)
}
