// Package peek reads the start of a response body to judge the response,
// as far as the judgement needs and never past a limit, and then hands
// the body back to the caller byte for byte.
//
// It is the one streaming reader behind every refusal check that looks
// into a body: [loginauth.PeekBody], the xpay provider's DefaultRefused and
// the rules of jsonlogin descriptions. A judge reads through [Body.Reader],
// as many times as it likes, each time from the first byte: the bytes
// come from the original body only once, as the readers first ask for
// them. A judge that stops early, such as one that knows a success from
// the first key of a JSON object, leaves the rest of a streamed body
// unread, so it never waits for it.
package peek

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Limit is the most of a body that the refusal checks read: a refusal is
// short.
const Limit = 16 << 10

// ErrTooLong is the error of a [Body.Reader] that has yielded the limit:
// the body goes on, or is declared longer than the limit.
var ErrTooLong = errors.New("peek: the body is longer than the peek")

// Body is the start of a response body, as far as its readers have read.
type Body struct {
	src   io.Reader // the original body; nil when there is nothing to read
	buf   []byte    // every byte read from src so far
	err   error     // the error that ended src, io.EOF included
	limit int
}

// Judge calls judge with the start of resp.Body, at most limit bytes of
// it, and returns its verdict. When judge has read anything, resp.Body is
// then replaced with a body that yields the original bytes, those read
// first, and the original's error if reading it failed; closing it
// closes the original.
//
// A body that is absent or [http.NoBody] reads as empty. Of a body whose
// declared length exceeds limit nothing is read: its readers fail with
// [ErrTooLong] at once.
//
// A body that the server compressed with gzip (Content-Encoding gzip,
// which an [http.Transport] leaves encoded when the request asked for it
// itself) is judged decoded, at most limit bytes of it, from at most
// 2 × limit + 4 KiB of the encoded body; the caller still gets the
// encoded bytes.
func Judge(resp *http.Response, limit int, judge func(*Body) bool) bool {
	b := &Body{limit: limit}
	var gz *gunzip
	switch {
	case resp.Body == nil || resp.Body == http.NoBody:
		b.err = io.EOF
	case resp.ContentLength > int64(limit):
		b.err = ErrTooLong
	case gzipped(resp.Header):
		gz = &gunzip{raw: raw{r: resp.Body, max: rawLimit(limit)}}
		b.src = gz
	default:
		b.src = resp.Body
	}
	verdict := judge(b)
	read, err := b.buf, b.err
	if gz != nil {
		read, err = gz.raw.buf, gz.raw.err
	}
	if b.src != nil && (len(read) > 0 || err != nil) {
		rest := &sticky{r: resp.Body, err: err}
		resp.Body = &body{Reader: io.MultiReader(bytes.NewReader(read), rest), Closer: resp.Body}
	}
	return verdict
}

// rawLimit is the most of a gzipped body that [Judge] reads to decode at
// most limit bytes of it: enough for a body that does not compress, and
// a bound on one that decodes to nothing, such as a stream of empty
// blocks.
func rawLimit(limit int) int { return 2*limit + 4<<10 }

// gzipped reports whether a response's body is encoded with gzip alone.
func gzipped(h http.Header) bool {
	ce := h.Values("Content-Encoding")
	if len(ce) != 1 {
		return false
	}
	v := strings.TrimSpace(ce[0])
	return strings.EqualFold(v, "gzip") || strings.EqualFold(v, "x-gzip")
}

// gunzip decodes a gzipped body for a judge. It starts decoding at its
// first Read, so that a judge that reads nothing waits for nothing.
type gunzip struct {
	raw raw
	zr  *gzip.Reader
	err error // of the gzip header
}

func (g *gunzip) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		g.zr, g.err = gzip.NewReader(&g.raw)
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.zr.Read(p)
}

// raw reads at most max bytes of a body and keeps them, with the error
// that reading the body met.
type raw struct {
	r   io.Reader
	max int
	buf []byte
	err error // the body's own, io.EOF included
}

// errRawLimit is the error of a raw body past its limit: the body itself
// goes on.
var errRawLimit = errors.New("peek: the encoded body is longer than the peek")

func (r *raw) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(r.buf) >= r.max {
		return 0, errRawLimit
	}
	p = p[:min(len(p), r.max-len(r.buf))]
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	r.err = err
	return n, err
}

// Whole returns a Body that holds all of b, already read, for judging an
// answer whose body was read whole.
func Whole(b []byte) *Body {
	return &Body{buf: b, err: io.EOF, limit: len(b)}
}

// Reader returns a reader of the body from its first byte. It yields at
// most the limit, then fails with [ErrTooLong] if the body goes on; it
// fails with the original body's error where that failed.
func (b *Body) Reader() io.Reader { return &reader{b: b} }

// fill reads more of the original body into b.buf: up to want bytes, and
// one byte past the limit at most, so as to know that the body goes on.
// It reads no more than want, so that a judge that reads little waits
// for little.
func (b *Body) fill(want int) {
	if b.src == nil {
		b.err = io.EOF
		return
	}
	want = min(want, b.limit+1-len(b.buf))
	b.buf = slices.Grow(b.buf, want)
	n, err := b.src.Read(b.buf[len(b.buf) : len(b.buf)+want])
	b.buf = b.buf[:len(b.buf)+n]
	if err != nil {
		b.err = err
	}
}

// reader is a [Body.Reader].
type reader struct {
	b   *Body
	off int
}

func (r *reader) Read(p []byte) (int, error) {
	b := r.b
	for r.off == len(b.buf) && b.err == nil && len(b.buf) <= b.limit {
		if len(p) == 0 {
			return 0, nil
		}
		b.fill(len(p))
	}
	if end := min(len(b.buf), b.limit); r.off < end {
		n := copy(p, b.buf[r.off:end])
		r.off += n
		return n, nil
	}
	if len(b.buf) > b.limit {
		return 0, ErrTooLong
	}
	return 0, b.err
}

// body is a response body whose start was read by [Judge].
type body struct {
	io.Reader
	io.Closer
}

// sticky reads r until the error err that reading it already met.
type sticky struct {
	r   io.Reader
	err error
}

func (s *sticky) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	return s.r.Read(p)
}

// Object reads a JSON object member by member.
type Object struct {
	dec *json.Decoder
	ok  bool // the object is well-formed so far
}

// OpenObject starts reading the JSON object at the start of r: its
// opening brace. Its methods report false when r holds something else.
func OpenObject(r io.Reader) *Object {
	dec := json.NewDecoder(r)
	t, err := dec.Token()
	return &Object{dec: dec, ok: err == nil && t == json.Delim('{')}
}

// FirstOf reads the object's members up to the first whose name is one
// of names, skipping the others, and returns that name. It reads nothing
// of that member's value: [Object.Value] reads it. ok is false when the
// object ends, or stops being well-formed, first.
func (o *Object) FirstOf(names ...string) (name string, ok bool) {
	for o.ok && o.dec.More() {
		t, err := o.dec.Token()
		key, _ := t.(string)
		if err != nil {
			break
		}
		if slices.Contains(names, key) {
			return key, true
		}
		if _, ok := o.Value(); !ok {
			break
		}
	}
	o.ok = false
	return "", false
}

// Value reads the value of the member whose name [Object.FirstOf] returned,
// whole.
func (o *Object) Value() (json.RawMessage, bool) {
	var v json.RawMessage
	if !o.ok || o.dec.Decode(&v) != nil {
		o.ok = false
		return nil, false
	}
	return v, true
}

// Object opens the value of the member whose name [Object.FirstOf]
// returned as an object, to read it member by member on the same
// stream; [Object.End] of the member must come before the outer one's.
// The member's methods report false when its value is not an object.
func (o *Object) Object() *Object {
	t, err := o.dec.Token()
	o.ok = o.ok && err == nil && t == json.Delim('{')
	return &Object{dec: o.dec, ok: o.ok}
}

// End reads the object's remaining members and its closing brace, and
// reports whether the whole object is well-formed.
func (o *Object) End() bool {
	for o.ok && o.dec.More() {
		if _, err := o.dec.Token(); err != nil {
			o.ok = false
		} else {
			o.Value()
		}
	}
	if !o.ok {
		return false
	}
	t, err := o.dec.Token()
	o.ok = err == nil && t == json.Delim('}')
	return o.ok
}

// Text reads the body as text, ASCII white space trimmed at both ends,
// when it is at most max bytes long once trimmed. It stops reading as
// soon as the text is longer: it then returns the first max+1 bytes or
// more of the trimmed text, and whole is false. So it reads at most max
// bytes of text and the white space around them, and one byte more.
// whole is false too when the body fails or exceeds the peek, and text
// is then what was read.
func Text(r io.Reader, max int) (text string, whole bool) {
	var (
		t   []byte // the text from its first byte that is not white space
		end int    // the length of t without its trailing white space
	)
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf[:min(len(buf), 1+max-end)])
		for _, c := range buf[:n] {
			if !isSpace(c) {
				t = append(t, c)
				end = len(t)
			} else if len(t) > 0 {
				t = append(t, c)
			}
		}
		switch {
		case end > max:
			return string(t[:end]), false
		case err == io.EOF:
			return string(t[:end]), true
		case err != nil:
			return string(t[:end]), false
		}
	}
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
