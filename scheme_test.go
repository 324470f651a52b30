package loginauth

import (
	"io"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestPeekBodyKeepsBody(t *testing.T) {
	is := is.New(t)
	resp := respond(200, `{"a":1}`)
	b, ok := PeekBody(resp, 100)
	is.True(ok)
	is.Equal(string(b), `{"a":1}`)
	rest, _ := io.ReadAll(resp.Body)
	is.Equal(string(rest), `{"a":1}`) // the caller still reads the whole body

	long := strings.Repeat("x", 300)
	resp = respond(200, long)
	_, ok = PeekBody(resp, 100)
	is.True(!ok) // too long to judge
	rest, _ = io.ReadAll(resp.Body)
	is.Equal(string(rest), long) // and still whole

	resp = respond(200, long)
	resp.ContentLength = 300
	b, ok = PeekBody(resp, 100)
	is.True(!ok && b == nil) // a declared length over the limit is not read at all
}
