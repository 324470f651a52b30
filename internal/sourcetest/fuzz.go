package sourcetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/loginauth/loginauth"
	"github.com/loginauth/loginauth/loginauthtest"
)

// The credentials of fuzzed Sources: none appears in the seeds, so an
// error that shows one made it up from what the Source sent.
const (
	FuzzPassword = "fuzz-Passw0rd-91f3"
	FuzzAPIKey   = "fuzz-ApiKey-7c2e0d"
	FuzzRefresh  = "fuzz-Refresh-0d8b5a"
)

// FuzzOptions are the Options of a fuzzed Source: no backoff, so that
// nothing outlives the input.
var FuzzOptions = loginauth.Options{MinBackoff: -1}

// Answer is a captured or fuzzed HTTP answer.
type Answer struct {
	Status int
	CT     string
	Body   []byte
}

// Capture sends a JSON request to a fake through rt (its in-memory
// transport) and returns its answer.
func Capture(f *testing.F, rt http.RoundTripper, method, url string, header http.Header, body string) Answer {
	f.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		f.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		f.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.Fatal(err)
	}
	return Answer{resp.StatusCode, resp.Header.Get("Content-Type"), b}
}

// fuzzFaults are the faults whose answers seed the login targets.
var fuzzFaults = []loginauthtest.Fault{
	loginauthtest.NoFault, loginauthtest.Fault500, loginauthtest.FaultHTML502,
	loginauthtest.FaultMalformedJSON, loginauthtest.FaultEmptyBody,
	loginauthtest.FaultNoToken, loginauthtest.FaultBadCredentials,
}

// SeedFaults captures the answer of a fake's login (or refresh) at url to
// each fault that has a body.
func SeedFaults(f *testing.F, fake Fake, url string, header http.Header, body string) []Answer {
	f.Helper()
	var out []Answer
	for _, fault := range fuzzFaults {
		fake.SetFault(fault)
		out = append(out, Capture(f, fake.Transport(), http.MethodPost, url, header, body))
	}
	fake.SetFault(loginauthtest.NoFault)
	return out
}

// AddSeeds adds the answers to f's seed corpus, and a few by hand: JWTs
// whose exp is absurd, an odd status, no type.
func AddSeeds(f *testing.F, answers []Answer) {
	for _, a := range answers {
		f.Add(a.Status, a.CT, a.Body)
	}
	f.Add(200, "", []byte(`{"credentials":{"token":"a.eyJleHAiOi0xfQ.c"},"authToken":"a.eyJleHAiOjFlMzAwfQ.c","auth_token":"x","success":{"data":{"access_token":"x","expiresAt":1e300}}}`))
	f.Add(299, "application/problem+json", []byte(`{"message":{"message":{"message":"deep"}},"detail":["x"],"error":{"message":7}}`))
	f.Add(418, "text/plain", []byte("\x00\xff"))
}

// Answering returns a transport that answers every request with status,
// ct and body, and requests to the paths ending in a key of other with
// its answer. A status outside 100..599 is sent as 200.
func Answering(status int, ct string, body []byte, other map[string]Answer) http.RoundTripper {
	if status < 100 || status > 599 {
		status = http.StatusOK
	}
	return loginauthtest.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		a := Answer{status, ct, body}
		for suffix, o := range other {
			if strings.HasSuffix(r.URL.Path, suffix) {
				a = o
			}
		}
		h := http.Header{}
		if a.CT != "" {
			h.Set("Content-Type", a.CT)
		}
		return &http.Response{
			Status:     fmt.Sprintf("%d %s", a.Status, http.StatusText(a.Status)),
			StatusCode: a.Status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, Body: io.NopCloser(bytes.NewReader(a.Body)), ContentLength: int64(len(a.Body)), Request: r,
		}, nil
	})
}

// Strings returns every string of the JSON value body, keys included,
// and those of the JSON values that such strings hold, to depth 2. A
// body that is not JSON has none.
func Strings(body []byte) []string { return appendStrings(nil, body, 0) }

func appendStrings(out []string, body []byte, depth int) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if depth > 2 || dec.Decode(&v) != nil {
		return out
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
			if s := strings.TrimSpace(v); strings.HasPrefix(s, "{") {
				out = appendStrings(out, []byte(s), depth+1)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				out = append(out, k)
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// Echoed reports whether the answer holds s itself: in its bytes, or in
// a JSON string or key once unescaped. An error may quote what the
// provider said, but must never add a credential of its own.
func Echoed(body []byte, s string) bool {
	if bytes.Contains(body, []byte(s)) {
		return true
	}
	for _, x := range Strings(body) {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// CheckLogin checks the outcome of a login that got body: a token or an
// error, never both or neither; an error that starts with prefix and
// shows none of secrets that the answer did not hold; a token that has
// not expired already.
func CheckLogin(t *testing.T, prefix string, tok *oauth2.Token, err error, body []byte, secrets ...string) {
	t.Helper()
	switch {
	case err == nil && tok == nil:
		t.Fatal("neither a token nor an error")
	case err != nil && tok != nil:
		t.Fatalf("both a token and an error: %v", err)
	case err != nil:
		if !strings.HasPrefix(err.Error(), prefix) {
			t.Fatalf("error %q does not start with %q", err, prefix)
		}
		out := Print(err)
		for _, s := range secrets {
			if strings.Contains(out, s) && !Echoed(body, s) {
				t.Fatalf("the error shows a secret that the answer did not hold: %s", out)
			}
		}
	case tok.AccessToken == "":
		t.Fatal("a token without an access token")
	case !tok.Expiry.After(time.Now()):
		t.Fatalf("a token that expired already, at %v", tok.Expiry)
	}
}

// FuzzLogin is a login target: a fresh Source per input, made by
// source, whose login gets the fuzzed answer; its outcome is checked
// with CheckLogin against "<name>: login failed" and secrets.
func FuzzLogin(f *testing.F, name string, seeds []Answer, source func(hc *http.Client) *loginauth.Source, secrets ...string) {
	AddSeeds(f, seeds)
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		src := source(&http.Client{Transport: Answering(status, ct, body, nil)})
		tok, err := src.Token()
		CheckLogin(t, name+": login failed", tok, err, body, secrets...)
	})
}

// CountingBody is a response body that counts what is read of it, and
// records whether it was closed.
type CountingBody struct {
	R      io.Reader
	N      int
	Closed bool
}

// Read reads from R.
func (b *CountingBody) Read(p []byte) (int, error) { n, err := b.R.Read(p); b.N += n; return n, err }

// Close records the call.
func (b *CountingBody) Close() error { b.Closed = true; return nil }

// Refusal is what [CheckRefused] sent and saw.
type Refusal struct {
	Refused bool   // the verdict
	Status  int    // the status sent
	Body    []byte // the body sent, padded
	Read    int    // how many bytes the check read
	Length  int64  // the declared Content-Length, or -1
}

// CheckRefused checks a Scheme's refusal check on a fuzzed response: it
// reads at most its 16 KiB peek, nothing of a body declared longer, and
// leaves the body byte for byte for the caller, closing the original when
// the caller closes it; a 401 is a refusal. body is padded with pad
// newlines, declared when declared is set; a status outside 100..599 is
// sent as 200.
func CheckRefused(t *testing.T, refused func(*http.Response) bool, status int, ct string, body []byte, pad uint16, declared bool) Refusal {
	t.Helper()
	if status < 100 || status > 599 {
		status = http.StatusOK
	}
	body = append(body, bytes.Repeat([]byte{'\n'}, int(pad))...) // still JSON, perhaps too long
	rc := &CountingBody{R: bytes.NewReader(body)}
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: rc, ContentLength: -1}
	if ct != "" {
		resp.Header.Set("Content-Type", ct)
	}
	if declared {
		resp.ContentLength = int64(len(body))
	}
	got := refused(resp)
	read := rc.N
	if read > 16<<10+1 {
		t.Fatalf("the refusal check read %d bytes", read)
	}
	if declared && len(body) > 16<<10 && read != 0 {
		t.Fatalf("the refusal check read %d bytes of a body declared too long", read)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(rest, body) {
		t.Fatalf("the caller read %d bytes (%v); want the %d sent", len(rest), err, len(body))
	}
	resp.Body.Close()
	if !rc.Closed {
		t.Fatal("closing the body did not close the original")
	}
	if status == http.StatusUnauthorized && !got {
		t.Fatal("a 401 is not a refusal")
	}
	return Refusal{Refused: got, Status: status, Body: body, Read: read, Length: resp.ContentLength}
}
