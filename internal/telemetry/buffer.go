package telemetry

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Log buffering: under load, records are gathered and written out in
// chunks instead of one write system call each (the access log writes a
// record per request, and its write was a tenth of a logged request's
// cost); a quiet logger still writes each record at once.
const (
	// flushDelay is the longest a record waits in the buffer.
	flushDelay = 100 * time.Millisecond
	// bufferSize is the most the buffer holds before it is written out.
	bufferSize = 32 << 10
)

// bufferedWriter writes records to w, gathering those that come within
// flushDelay of the last write and writing them out together when the
// delay has passed, when the buffer is full, or on Flush. Each Write
// must be whole records (slog handlers write one record per call), so
// every write to w is too. Errors of a delayed write have no caller to
// go to and are dropped with the records, as slog drops a handler's
// write errors. It is safe for concurrent use.
type bufferedWriter struct {
	w   io.Writer
	now func() time.Time

	mu      sync.Mutex
	buf     []byte
	last    time.Time // of the last write to w
	timer   *time.Timer
	pending bool // the timer is set
	closed  bool
}

func newBufferedWriter(w io.Writer) *bufferedWriter {
	b := &bufferedWriter{w: w, now: time.Now}
	b.timer = time.AfterFunc(time.Hour, b.timed)
	b.timer.Stop()
	return b
}

// Write writes p at once when the buffer is empty and nothing was
// written in the last flushDelay, and otherwise buffers it.
func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p) // after Close, nothing is gathered
	}
	now := b.now()
	if len(b.buf) == 0 && now.Sub(b.last) >= flushDelay {
		b.last = now
		return b.w.Write(p)
	}
	if len(b.buf)+len(p) > bufferSize {
		b.flushLocked()
		if len(p) > bufferSize {
			b.last = now
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	if !b.pending {
		b.pending = true
		b.timer.Reset(flushDelay)
	}
	return len(p), nil
}

// Flush writes out what the buffer holds.
func (b *bufferedWriter) Flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

// Close flushes and stops buffering: later writes go straight to w.
func (b *bufferedWriter) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	b.timer.Stop()
	return nil
}

func (b *bufferedWriter) timed() {
	b.mu.Lock()
	b.pending = false
	b.flushLocked()
	b.mu.Unlock()
}

func (b *bufferedWriter) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	_, _ = b.w.Write(b.buf)
	b.last = b.now()
	if cap(b.buf) > 2*bufferSize {
		b.buf = nil // one huge record does not stay allocated
	} else {
		b.buf = b.buf[:0]
	}
}

// flushingHandler writes a record at Warn or above out at once, with
// everything buffered before it: an operator who sees a warning sees
// what led to it, and an error logged on the way to exiting is not lost
// with a crash. plainJSON is set on the logger's own handler when it is
// a JSONHandler without options: it then also takes lines the access
// log encoded itself (middleware.JSONLineHandler).
type flushingHandler struct {
	slog.Handler
	w         *bufferedWriter
	plainJSON bool
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.w.Flush()
	}
	return err
}

// WithAttrs and WithGroup make handlers whose records carry more than
// the caller's attributes, so they are not plain.
func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithAttrs(attrs), w: h.w}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithGroup(name), w: h.w}
}

// PlainJSON reports whether lines written with WriteJSONLine are what
// the handler itself writes.
func (h flushingHandler) PlainJSON() bool { return h.plainJSON }

// WriteJSONLine writes a whole record the caller encoded, as Handle
// would have: buffered, and out at once from Warn on. Like the
// JSONHandler's own write, it is one Write of the whole line.
func (h flushingHandler) WriteJSONLine(level slog.Level, line []byte) error {
	_, err := h.w.Write(line)
	if level >= slog.LevelWarn {
		h.w.Flush()
	}
	return err
}

// flushCloser flushes the buffer, then closes what the log was written
// to (for standard error: nothing).
type flushCloser struct {
	w    *bufferedWriter
	next io.Closer
}

func (c flushCloser) Close() error {
	_ = c.w.Close()
	return c.next.Close()
}
