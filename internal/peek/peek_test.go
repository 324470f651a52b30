package peek

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matryer/is"
)

// TestJudgeHandsBackMidStream stops judging a body that the server is
// still sending, after its first member: the judge returns without
// waiting for the rest, and the caller reads the whole body, byte for
// byte, once it comes.
func TestJudgeHandsBackMidStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		is := is.New(t)
		start, rest := `{"success":{"data":[`, `1,2,3]}}`
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(start))
			time.Sleep(3 * time.Second)
			pw.Write([]byte(rest))
			pw.Close()
		}()
		resp := &http.Response{StatusCode: 200, Body: pr, ContentLength: -1}
		begin := time.Now()
		name := ""
		Judge(resp, Limit, func(b *Body) bool {
			name, _ = OpenObject(b.Reader()).FirstOf("success", "error")
			return false
		})
		is.Equal(name, "success")
		is.Equal(time.Since(begin), time.Duration(0)) // decided without waiting
		got, err := io.ReadAll(resp.Body)
		is.NoErr(err)
		is.Equal(string(got), start+rest)
		is.Equal(time.Since(begin), 3*time.Second)
	})
}

// TestReadersShareTheBody reads the body with two readers, each from the
// first byte, and the original only once.
func TestReadersShareTheBody(t *testing.T) {
	is := is.New(t)
	src := &counting{r: strings.NewReader("hello, world")}
	resp := &http.Response{Body: io.NopCloser(src), ContentLength: -1}
	Judge(resp, Limit, func(b *Body) bool {
		first := make([]byte, 5)
		_, err := io.ReadFull(b.Reader(), first)
		is.NoErr(err)
		is.Equal(string(first), "hello")
		all, err := io.ReadAll(b.Reader())
		is.NoErr(err)
		is.Equal(string(all), "hello, world")
		return false
	})
	is.Equal(src.n, len("hello, world")) // each byte read once
	got, _ := io.ReadAll(resp.Body)
	is.Equal(string(got), "hello, world")
}

// TestLimit checks that a reader yields the limit and then ErrTooLong,
// having read one byte past it; that a body of exactly the limit is read
// whole; and that a body declared longer is not read at all.
func TestLimit(t *testing.T) {
	is := is.New(t)
	for _, tc := range []struct {
		body     string
		declared bool
		read     int
		err      error
	}{
		{"0123456789", false, 8 + 1, ErrTooLong},
		{"01234567", false, 8, nil},
		{"0123456789", true, 0, ErrTooLong},
	} {
		src := &counting{r: strings.NewReader(tc.body)}
		resp := &http.Response{Body: io.NopCloser(src), ContentLength: -1}
		if tc.declared {
			resp.ContentLength = int64(len(tc.body))
		}
		var got []byte
		var err error
		Judge(resp, 8, func(b *Body) bool { got, err = io.ReadAll(b.Reader()); return false })
		is.Equal(err, tc.err)
		is.Equal(src.n, tc.read)
		is.Equal(string(got), tc.body[:min(len(tc.body), 8, tc.read)])
		all, _ := io.ReadAll(resp.Body)
		is.Equal(string(all), tc.body) // handed back whole
	}
}

// TestJudgeKeepsTheError hands back a body whose reading failed while it
// was judged: the caller reads what came, then the same error.
func TestJudgeKeepsTheError(t *testing.T) {
	is := is.New(t)
	boom := errors.New("connection reset")
	resp := &http.Response{Body: io.NopCloser(io.MultiReader(strings.NewReader("Fai"), &failOnce{boom})), ContentLength: -1}
	var whole bool
	Judge(resp, Limit, func(b *Body) bool { _, whole = Text(b.Reader(), 6); return false })
	is.True(!whole)
	got, err := io.ReadAll(resp.Body)
	is.Equal(string(got), "Fai")
	is.Equal(err, boom)
}

// TestObject reads members in order, nested objects on the same stream,
// and checks that the whole object is well-formed.
func TestObject(t *testing.T) {
	is := is.New(t)
	o := OpenObject(strings.NewReader(`{"uuid": "u", "error": {"tag": 1, "message": "m", "message": "n"}, "x": [1]}`))
	name, ok := o.FirstOf("success", "error")
	is.True(ok)
	is.Equal(name, "error")
	e := o.Object()
	_, ok = e.FirstOf("message")
	is.True(ok)
	v, ok := e.Value()
	is.True(ok)
	is.Equal(string(v), `"m"`) // the first
	is.True(e.End())
	is.True(o.End())

	for _, bad := range []string{`{"a": 1`, `{"a": 1,}`, `[]`, `{"a" 1}`, ``} {
		o := OpenObject(strings.NewReader(bad))
		_, ok := o.FirstOf("b")
		is.True(!ok)
		is.True(!o.End())
	}
	is.True(!OpenObject(strings.NewReader(`{"a": 1`)).End())
	o = OpenObject(strings.NewReader(`{"a": 1}`))
	o.FirstOf("a")
	is.True(!o.Object().End()) // 1 is not an object
}

// TestText reads the text trimmed, and no more than it must.
func TestText(t *testing.T) {
	is := is.New(t)
	for _, tc := range []struct {
		body  string
		max   int
		text  string
		whole bool
	}{
		{" \r\n Ok.\n\n", 6, "Ok.", true},
		{"", 6, "", true},
		{"Fails. More", 6, "Fails. M", false},
		{"Fails.\t\t\t\tM", 6, "Fails.\t\t\t\tM", false},
		{"a b", 3, "a b", true},
	} {
		text, whole := Text(strings.NewReader(tc.body), tc.max)
		is.Equal(text, tc.text)
		is.Equal(whole, tc.whole)
	}
}

// counting counts the bytes read from r.
type counting struct {
	r io.Reader
	n int
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// failOnce fails with err once, then reports io.EOF.
type failOnce struct{ err error }

func (f *failOnce) Read([]byte) (int, error) {
	err := f.err
	if err == nil {
		return 0, io.EOF
	}
	f.err = nil
	return 0, err
}

// gz is s compressed with gzip.
func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := io.WriteString(zw, s); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestJudgeDecodesGzip judges a gzipped body decoded, and hands the
// caller the gzipped bytes.
func TestJudgeDecodesGzip(t *testing.T) {
	is := is.New(t)
	for _, ce := range []string{"gzip", "x-gzip", "GZIP"} {
		raw := gz(t, `{"error":{"message":"Not authenticated","code":1}}`)
		resp := &http.Response{Header: http.Header{"Content-Encoding": {ce}}, Body: io.NopCloser(bytes.NewReader(raw)), ContentLength: int64(len(raw))}
		var seen string
		Judge(resp, Limit, func(b *Body) bool {
			seen, _ = Text(b.Reader(), Limit)
			return false
		})
		is.Equal(seen, `{"error":{"message":"Not authenticated","code":1}}`) // decoded for the judge
		got, err := io.ReadAll(resp.Body)
		is.NoErr(err)
		is.Equal(got, raw) // encoded for the caller
	}
}

// TestJudgeGzipUndecodable judges a body that says gzip and is not, and
// one with two encodings, as they come, and hands them back whole.
func TestJudgeGzipUndecodable(t *testing.T) {
	is := is.New(t)
	for _, tc := range []struct{ ce, body string }{
		{"gzip", "not gzip at all"},
		{"gzip, br", "two encodings"},
	} {
		resp := &http.Response{Header: http.Header{"Content-Encoding": {tc.ce}}, Body: io.NopCloser(strings.NewReader(tc.body)), ContentLength: -1}
		var err error
		Judge(resp, Limit, func(b *Body) bool {
			_, err = io.ReadAll(b.Reader())
			return false
		})
		is.Equal(err != nil, tc.ce == "gzip") // the judge learns that it could not decode
		got, err := io.ReadAll(resp.Body)
		is.NoErr(err)
		is.Equal(string(got), tc.body)
	}
}

// emptyBlocks is a gzip stream that never ends and decodes to nothing:
// a gzip header, then empty stored blocks, forever.
type emptyBlocks struct {
	head []byte
	n    int // bytes read
}

func (e *emptyBlocks) Read(p []byte) (int, error) {
	block := []byte{0x00, 0x00, 0x00, 0xff, 0xff} // not final, stored, length 0
	for i := range p {
		if e.n < len(e.head) {
			p[i] = e.head[e.n]
		} else {
			p[i] = block[(e.n-len(e.head))%len(block)]
		}
		e.n++
	}
	return len(p), nil
}

// TestJudgeGzipBounded judges a gzipped body that decodes to nothing
// however much of it is read: the judge stops at the bound of the encoded
// bytes, and the caller reads on from the first byte.
func TestJudgeGzipBounded(t *testing.T) {
	is := is.New(t)
	src := &emptyBlocks{head: gz(t, "")[:10]} // the 10-byte gzip header
	resp := &http.Response{Header: http.Header{"Content-Encoding": {"gzip"}}, Body: io.NopCloser(src), ContentLength: -1}
	var err error
	Judge(resp, Limit, func(b *Body) bool {
		_, err = io.ReadAll(b.Reader())
		return false
	})
	is.True(err != nil)               // no verdict from the body
	is.True(src.n <= rawLimit(Limit)) // bounded
	head := make([]byte, 10+5)
	_, err = io.ReadFull(resp.Body, head)
	is.NoErr(err)
	is.Equal(head[:10], src.head)                             // from the first byte
	is.Equal(head[10:], []byte{0x00, 0x00, 0x00, 0xff, 0xff}) // then the blocks
	more := make([]byte, 2*rawLimit(Limit))
	_, err = io.ReadFull(resp.Body, more)
	is.NoErr(err) // and on, past what was judged
}
