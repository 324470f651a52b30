package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/matryer/is"
)

// openPTY returns the two ends of a new pseudo-terminal, closed when t
// ends, or skips t when the system has none.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlocking the pseudo-terminal: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("naming the pseudo-terminal: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// promptWriter is a stderr that reports when the prompt has been written.
type promptWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	prompt string
	seen   chan struct{}
	once   sync.Once
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.prompt) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *promptWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// echoOn reports whether the terminal tty echoes.
func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	tm, err := getTermios(tty.Fd())
	if err != nil {
		t.Fatal(err)
	}
	return tm.Lflag&syscall.ECHO != 0
}

func TestPasswordPrompt(t *testing.T) {
	is := is.New(t)
	f := startFake(t, "mic")
	master, tty := openPTY(t)
	is.True(isTerminal(tty.Fd())) // a pseudo-terminal is a terminal
	is.True(echoOn(t, tty))       // it echoes to begin with
	echoed := make(chan string)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO when tty closes
		echoed <- string(b)
	}()

	stderr := &promptWriter{prompt: "mic password for alice: ", seen: make(chan struct{})}
	var stdout bytes.Buffer
	env := f.account(t, t.TempDir()+"/cache", true)
	done := make(chan int)
	go func() {
		done <- Main(context.Background(), []string{"login", "mic"}, Env{Stdin: tty, Stdout: &stdout, Stderr: stderr, Getenv: func(k string) string { return env[k] }})
	}()
	select {
	case <-stderr.seen:
	case <-time.After(10 * time.Second):
		t.Fatalf("no prompt; stderr: %s", stderr)
	}
	is.True(!echoOn(t, tty)) // echo is off while the password is typed
	secret := f.env["MIC_PASSWORD"]
	io.WriteString(master, secret+"\n")
	is.Equal(<-done, 0)                                                    // stderr: stderr.String()
	is.True(strings.Contains(f.control(t, "GET", "stats"), `"logins":1,`)) // logged in
	is.True(echoOn(t, tty))                                                // echo is back on afterwards
	tty.Close()
	is.True(!strings.Contains(<-echoed, secret)) // the terminal never showed the password
	is.True(!strings.Contains(stderr.String(), secret))
}

func TestPasswordPromptInterrupted(t *testing.T) {
	is := is.New(t)
	f := startFake(t, "xano")
	_, tty := openPTY(t)
	stderr := &promptWriter{prompt: "xano password for alice@example.test: ", seen: make(chan struct{})}
	env := f.account(t, t.TempDir()+"/cache", true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"login", "xano"}, Env{Stdin: tty, Stdout: io.Discard, Stderr: stderr, Getenv: func(k string) string { return env[k] }})
	}()
	select {
	case <-stderr.seen:
	case <-time.After(10 * time.Second):
		t.Fatalf("no prompt; stderr: %s", stderr)
	}
	cancel()                                                               // as an interrupt does
	is.Equal(<-done, 130)                                                  // gives up, as shells expect of Ctrl-C
	is.True(echoOn(t, tty))                                                // with the echo back on
	is.True(!strings.Contains(stderr.String(), "context canceled"))        // silently
	is.True(strings.Contains(f.control(t, "GET", "stats"), `"logins":0,`)) // and never logged in
}

// waitPrompt waits until stderr holds s n times, then types line on the
// terminal's master end.
func waitPrompt(t *testing.T, stderr *promptWriter, master *os.File, s string, n int, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(stderr.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %q (%d); stderr: %s", s, n, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	io.WriteString(master, line+"\n")
}

// TestLoginAsksWhatIsMissing: on a terminal, login asks for the base URL
// and the user name that nothing gave, then the password; a refused
// password is asked for again, three times in all.
func TestLoginAsksWhatIsMissing(t *testing.T) {
	for _, right := range []bool{true, false} {
		t.Run(fmt.Sprint("third password right: ", right), func(t *testing.T) {
			is := is.New(t)
			f := startFake(t, "xano")
			master, tty := openPTY(t)
			stderr := &promptWriter{seen: make(chan struct{})}
			env := map[string]string{"LOGINAUTH_CACHE_DIR": t.TempDir() + "/cache"}
			done := make(chan int)
			go func() {
				done <- Main(context.Background(), []string{"login", "xano"}, Env{Stdin: tty, Stdout: io.Discard, Stderr: stderr, Getenv: func(k string) string { return env[k] }})
			}()
			waitPrompt(t, stderr, master, "xano base URL (", 1, f.env["XANO_BASE_URL"])
			waitPrompt(t, stderr, master, "xano email: ", 1, f.env["XANO_EMAIL"])
			pw := "xano password for " + f.env["XANO_EMAIL"] + ": "
			waitPrompt(t, stderr, master, pw, 1, "wrong-1")
			waitPrompt(t, stderr, master, pw, 2, "wrong-2")
			third := "wrong-3"
			if right {
				third = f.env["XANO_PASSWORD"]
			}
			waitPrompt(t, stderr, master, pw, 3, third)
			code := <-done
			is.True(strings.Contains(stderr.String(), "Try again (3 of 3)"))       // said
			is.True(strings.Contains(f.control(t, "GET", "stats"), `"logins":3,`)) // three tries, each a login
			if right {
				is.Equal(code, 0) // stderr
			} else {
				is.Equal(code, 1)                               // no fourth try
				is.Equal(strings.Count(stderr.String(), pw), 3) // asked three times only
			}
			is.True(!strings.Contains(stderr.String(), f.env["XANO_PASSWORD"]))
		})
	}
}
