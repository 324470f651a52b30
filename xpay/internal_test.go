package xpay

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
)

// TestDefaultRefusedStreams gives DefaultRefused a 200 whose body the
// server is still sending: only its start has arrived. DefaultRefused
// decides from that start without waiting for the rest, and the caller
// then reads the whole body, byte for byte.
func TestDefaultRefusedStreams(t *testing.T) {
	for _, tt := range []struct{ name, start string }{
		{"success", `{"success":{"message":"bill found","data":{"uuid":"3e5a9989-fd28-4884-9283-a1cafb259aef",`},
		{"uuid first", `{"uuid":"38e27ab0-d331-4c63-8f24-e1603739511d","success":{"message":"Done","data":[`},
		{"business error", `{"error":{"message":"destination token account is closed","data":{`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				is := is.New(t)
				rest := strings.Repeat(`{"txID":"b0c7264802344f60a7dc5103b5e3ee8d"},`, 1000) + `{}]}}`
				pr, pw := io.Pipe()
				defer pr.Close() // on failure too, so that the writer ends
				more := make(chan struct{})
				go func() {
					pw.Write([]byte(tt.start))
					<-more
					pw.Write([]byte(rest))
					pw.Close()
				}()
				resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: pr, ContentLength: -1}
				done := make(chan bool, 1)
				go func() { done <- DefaultRefused(resp) }()

				var refused, waited bool
				select {
				case refused = <-done:
					close(more)
				case <-time.After(time.Minute): // at once, in the bubble, if DefaultRefused blocks
					waited = true
					close(more)
					refused = <-done
				}
				is.True(!waited) // decided before the rest of the body was sent
				is.True(!refused)
				b, err := io.ReadAll(resp.Body)
				is.NoErr(err)
				is.Equal(string(b), tt.start+rest) // the whole body, byte for byte
				is.NoErr(resp.Body.Close())
			})
		})
	}
}
