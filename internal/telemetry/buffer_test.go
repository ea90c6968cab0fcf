package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/middleware"
)

// writes records each Write it is given, safe for the timer's goroutine.
type writes struct {
	mu  sync.Mutex
	got []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, string(p))
	return len(p), nil
}

func (w *writes) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

// fakeClock is a bufferedWriter's clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestBuffer(t *testing.T) (*bufferedWriter, *writes, *fakeClock) {
	t.Helper()
	out := &writes{}
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	b := newBufferedWriter(out)
	b.now = clock.now
	t.Cleanup(func() { _ = b.Close() })
	return b, out, clock
}

func write(t *testing.T, w *bufferedWriter, s string) {
	t.Helper()
	if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
		t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
	}
}

// TestBufferedWriterGathers: a quiet writer writes at once; records that
// follow within the delay are gathered and written out together, in
// order, on Flush; after a quiet delay the next record is written at
// once again.
func TestBufferedWriterGathers(t *testing.T) {
	b, out, clock := newTestBuffer(t)
	write(t, b, "a\n")
	if diff := cmp.Diff([]string{"a\n"}, out.list()); diff != "" {
		t.Fatalf("after the first record (-want +got):\n%s", diff)
	}
	clock.t = clock.t.Add(flushDelay / 2)
	write(t, b, "b\n")
	write(t, b, "c\n")
	if diff := cmp.Diff([]string{"a\n"}, out.list()); diff != "" {
		t.Fatalf("records within the delay were written before a flush (-want +got):\n%s", diff)
	}
	b.Flush()
	if diff := cmp.Diff([]string{"a\n", "b\nc\n"}, out.list()); diff != "" {
		t.Fatalf("after Flush (-want +got):\n%s", diff)
	}
	clock.t = clock.t.Add(flushDelay)
	write(t, b, "d\n")
	if diff := cmp.Diff([]string{"a\n", "b\nc\n", "d\n"}, out.list()); diff != "" {
		t.Fatalf("after a quiet delay (-want +got):\n%s", diff)
	}
}

// TestBufferedWriterTimer: a gathered record is written out by the timer,
// without any further write or flush.
func TestBufferedWriterTimer(t *testing.T) {
	b, out, _ := newTestBuffer(t)
	write(t, b, "a\n")
	write(t, b, "b\n")
	deadline := time.Now().Add(10 * time.Second)
	for len(out.list()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("got writes %q 10 s after a gathered record; want it written within %v", out.list(), flushDelay)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if diff := cmp.Diff([]string{"a\n", "b\n"}, out.list()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// TestBufferedWriterFull: a record that would overflow the buffer sends
// the buffer out first; one larger than the buffer goes out whole, after
// what was gathered before it.
func TestBufferedWriterFull(t *testing.T) {
	b, out, _ := newTestBuffer(t)
	write(t, b, "first\n")
	line := strings.Repeat("x", 1023) + "\n"
	for range bufferSize / len(line) {
		write(t, b, line)
	}
	if got := len(out.list()); got != 1 {
		t.Fatalf("got %d writes with the buffer just full, want 1", got)
	}
	write(t, b, "over\n")
	got := out.list()
	if len(got) != 2 || len(got[1]) != bufferSize {
		t.Fatalf("after the record that overflows: %d writes, want 2, the second of %d bytes", len(got), bufferSize)
	}
	huge := strings.Repeat("y", 2*bufferSize) + "\n"
	write(t, b, huge)
	got = out.list()
	if diff := cmp.Diff([]string{"over\n", huge}, got[2:]); diff != "" {
		t.Errorf("a record larger than the buffer (-want +got):\n%s", diff)
	}
}

// TestBufferedWriterClose: Close writes out what is gathered, and later
// records are written at once.
func TestBufferedWriterClose(t *testing.T) {
	b, out, _ := newTestBuffer(t)
	write(t, b, "a\n")
	write(t, b, "b\n")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	write(t, b, "c\n")
	if diff := cmp.Diff([]string{"a\n", "b\n", "c\n"}, out.list()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// TestNewLoggerFlushesWarnings: an info record may wait in the buffer; a
// warning is written at once, after it.
func TestNewLoggerFlushesWarnings(t *testing.T) {
	log, out, closer := newJSONLogger(t)
	defer closer.Close()
	log.Info("i1")
	log.Info("i2") // gathered, unless 100 ms passed since i1
	log.With("k", "v").WithGroup("g").Warn("w")
	if diff := cmp.Diff([]string{"i1", "i2", "w"}, messages(t, strings.Join(out.list(), ""))); diff != "" {
		t.Errorf("messages written by the warning (-want +got):\n%s", diff)
	}
}

// TestNewLoggerConcurrent logs from many goroutines: after Close, every
// record is there once and whole.
func TestNewLoggerConcurrent(t *testing.T) {
	log, out, closer := newJSONLogger(t)
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				log.Info(fmt.Sprintf("g%d-%d", g, i), "pad", strings.Repeat("p", (g*each+i)%300))
			}
		})
	}
	wg.Wait()
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(strings.Join(out.list(), "")) {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if seen[rec.Msg] {
			t.Fatalf("record %s written twice", rec.Msg)
		}
		seen[rec.Msg] = true
	}
	if len(seen) != goroutines*each {
		t.Errorf("got %d records, want %d", len(seen), goroutines*each)
	}
}

// newJSONLogger is NewLogger's JSON logger on standard error, which is out.
func newJSONLogger(t *testing.T) (*slog.Logger, *writes, io.Closer) {
	t.Helper()
	out := &writes{}
	log, closer, err := NewLogger(config.Log{Format: "json"}, out)
	if err != nil {
		t.Fatal(err)
	}
	return log, out, closer
}

// The logger's handler takes the access log's own lines.
var _ middleware.JSONLineHandler = flushingHandler{}

// TestNewLoggerJSONLines: NewLogger's JSON handler is plain, and a line
// written to it is buffered like its own records and written out, after
// them, by a warning line; a handler with attributes or a group, and the
// text handler, are not plain.
func TestNewLoggerJSONLines(t *testing.T) {
	log, out, closer := newJSONLogger(t)
	defer closer.Close()
	h, ok := log.Handler().(middleware.JSONLineHandler)
	if !ok || !h.PlainJSON() {
		t.Fatalf("NewLogger's JSON handler %T: not a plain JSONLineHandler", log.Handler())
	}
	for _, derived := range []slog.Handler{log.With("k", "v").Handler(), log.WithGroup("g").Handler()} {
		if d, ok := derived.(middleware.JSONLineHandler); !ok || d.PlainJSON() {
			t.Errorf("%T from With or WithGroup: plain", derived)
		}
	}
	text, textCloser, err := NewLogger(config.Log{Format: "text"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer textCloser.Close()
	if th, ok := text.Handler().(middleware.JSONLineHandler); !ok || th.PlainJSON() {
		t.Errorf("text handler %T: plain JSON", text.Handler())
	}

	log.Info("i1")
	if err := h.WriteJSONLine(slog.LevelInfo, []byte(`{"msg":"l1"}`+"\n")); err != nil {
		t.Fatal(err)
	}
	if err := h.WriteJSONLine(slog.LevelError, []byte(`{"msg":"l2"}`+"\n")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"i1", "l1", "l2"}, messages(t, strings.Join(out.list(), ""))); diff != "" {
		t.Errorf("messages written by the error line (-want +got):\n%s", diff)
	}
}
