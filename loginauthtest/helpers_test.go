package loginauthtest_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/loginauth/loginauth/loginauthtest"
	"github.com/matryer/is"
)

func TestClockAdvanceAndSet(t *testing.T) {
	is := is.New(t)
	var zero loginauthtest.Clock
	is.Equal(zero.Now(), loginauthtest.Epoch)
	c := loginauthtest.NewClock(time.Unix(100, 0))
	c.Advance(time.Minute)
	is.Equal(c.Now(), time.Unix(160, 0))
	c.Advance(-2 * time.Minute)
	is.Equal(c.Now(), time.Unix(40, 0))
	c.Set(time.Unix(7, 0))
	is.Equal(c.Now(), time.Unix(7, 0))
}

// recordingTB is a testing.TB that keeps its cleanups and errors, so that
// CheckLeaks can be seen failing.
type recordingTB struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recordingTB) Helper()                        {}
func (r *recordingTB) Cleanup(f func())               { r.cleanups = append(r.cleanups, f) }
func (r *recordingTB) Errorf(format string, a ...any) { r.errors = append(r.errors, format) }

func TestCheckLeaks(t *testing.T) {
	is := is.New(t)
	synctest.Test(t, func(t *testing.T) {
		rec := &recordingTB{TB: t}
		loginauthtest.CheckLeaks(rec)
		stop := make(chan struct{})
		go func() { <-stop }()
		rec.cleanups[0]() // waits 2 s of the bubble's clock, then reports
		close(stop)
		is.Equal(len(rec.errors), 1) // the goroutine left behind is reported

		rec = &recordingTB{TB: t}
		loginauthtest.CheckLeaks(rec)
		done := make(chan struct{})
		go func() { time.Sleep(time.Second); close(done) }()
		rec.cleanups[0]()
		<-done
		is.Equal(len(rec.errors), 0) // a goroutine that ends within the grace period is not
	})
}

func TestRoundTripperFunc(t *testing.T) {
	is := is.New(t)
	var n atomic.Int64
	rt := loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return nil, errors.New("no network")
	})
	_, err := get(t, rt, context.Background())
	is.Equal(err.Error(), "no network")
	is.Equal(n.Load(), int64(1))
}
