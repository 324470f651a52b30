package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/matryer/is"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/crux/cruxtest"
	"github.com/loginauth/loginauth/loginauthtest"
)

func TestBufferedBytesCapped(t *testing.T) {
	// Stalled uploads, each one byte short of a body that is kept for a
	// re-send: no more than MaxBuffered bytes are held at once; the
	// others stream to the API.
	const replay, capacity, uploads = 1000, 2500, 8
	a := newAPI(t)
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		src := a.source(cruxtest.Password, memClient(a.handler), loginauth.Options{})
		p, err := New(Config{Source: src, BaseURL: a.front.URL, Transport: loginauthtest.HandlerTransport{Handler: a.handler},
			MaxReplay: replay, MaxBuffered: capacity})
		is.NoErr(err)
		c := memClient(p)
		var wg sync.WaitGroup
		var writers []*io.PipeWriter
		statuses := make(chan int, uploads)
		for range uploads {
			pr, pw := io.Pipe()
			writers = append(writers, pw)
			wg.Go(func() {
				req, _ := http.NewRequest("POST", "http://localhost/upload", pr)
				req.ContentLength = replay
				resp, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			})
			go pw.Write(bytes.Repeat([]byte("x"), replay-1))
		}
		synctest.Wait()
		is.True(p.buf.peak.Load() <= capacity)                               // never more than the cap held
		is.Equal(p.buf.used.Load(), int64(capacity/replay*replay))           // two bodies held
		is.Equal(p.Stats().OverBuffer, int64(uploads-capacity/replay))       // the others stream
		is.Equal(a.read.Load(), int64((uploads-capacity/replay)*(replay-1))) // and reached the API as they came
		for _, pw := range writers {
			pw.Write([]byte("x"))
			pw.Close()
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			is.Equal(s, http.StatusOK) // every upload answered
		}
		is.Equal(p.buf.used.Load(), int64(0))  // every byte given back
		is.True(p.buf.peak.Load() <= capacity) // never more than the cap held
	})
}

func TestBufferedBytesCappedConcurrently(t *testing.T) {
	// Many uploads at once, under -race: the counter never passes the cap.
	const replay, capacity, uploads = 1 << 10, 2 << 10, 64
	is := is.New(t)
	a := newAPI(t)
	p, err := New(Config{Source: a.source(cruxtest.Password, nil, loginauth.Options{}), BaseURL: a.front.URL, MaxReplay: replay, MaxBuffered: capacity})
	is.NoErr(err)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	s := srv.URL
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Go(func() {
			status, _ := do(t, "POST", s+"/upload", string(bytes.Repeat([]byte("x"), replay-i%7)), nil)
			if status != http.StatusOK {
				t.Errorf("upload: HTTP %d", status)
			}
		})
	}
	wg.Wait()
	is.True(p.buf.peak.Load() <= capacity) // never more than the cap held
	is.True(p.buf.peak.Load() > 0)         // but some were held
	is.Equal(p.buf.used.Load(), int64(0))  // and given back
}

func TestKeptBodyReturnsAfterLastReader(t *testing.T) {
	// A kept body's buffer is reused only once the handler and every
	// reader of it are done: a Transport may still read a body after
	// RoundTrip returns, until it closes it.
	is := is.New(t)
	k := &keptBody{buf: []byte("payout=1000")}
	k.refs.Store(1) // the handler's
	first, resent := k.open(), k.open()
	first.Close()
	first.Close()                     // twice: counted once
	k.release()                       // the handler is done
	is.Equal(k.refs.Load(), int32(1)) // the re-sent body is still open
	b, err := io.ReadAll(resent)
	is.NoErr(err)
	is.Equal(string(b), "payout=1000") // whole
	resent.Close()
	is.Equal(k.refs.Load(), int32(0)) // now the buffer may go back
	_, err = first.Read(make([]byte, 1))
	is.True(err != nil) // a closed reader reads nothing more
}

func TestAnswersCopiedWithPooledBuffers(t *testing.T) {
	// The ReverseProxy copies each answer with a pooled buffer: without
	// one, every answer allocates 32 KiB, most of a request's garbage.
	if raceEnabled {
		t.Skip("the race detector drops pooled buffers at random")
	}
	is := is.New(t)
	doc := bytes.Repeat([]byte("x"), 4<<10)
	const base = "https://api.example.test"
	p, err := New(Config{
		Source:      bearerSource(base),
		BaseURL:     base,
		AcceptHosts: []string{"example.com"}, // httptest.NewRequest's Host
		Transport: loginauthtest.HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(doc)
		})},
	})
	is.NoErr(err)
	get := func() {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
		is.Equal(w.Body.Len(), len(doc))
	}
	get() // the login, and a warm pool
	const n = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		get()
	}
	runtime.ReadMemStats(&after)
	perAnswer := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("%d bytes allocated per answer", perAnswer)
	is.True(perAnswer < 24<<10) // no copy buffer of 32 KiB each
}
