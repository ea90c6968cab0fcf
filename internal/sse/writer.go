// Package sse writes and reads Server-Sent Events as OpenAI streams use
// them: `data: <json>` events separated by blank lines, ending with
// `data: [DONE]`.
package sse

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Writer writes events to an HTTP response, flushing after each one so no
// token waits in a buffer. With a heartbeat it also writes a comment line
// whenever the stream has been silent that long, so that proxies and load
// balancers with idle timeouts (60 s on AWS ALB by default) do not cut a
// stream while a model thinks. Its methods are safe to call while the
// heartbeat runs, but not from several goroutines at once.
type Writer struct {
	w  http.ResponseWriter
	rc *http.ResponseController

	mu      sync.Mutex // serialises writes with the heartbeat timer
	started bool
	stopped bool
	every   time.Duration
	timer   *time.Timer
}

// NewWriter returns a Writer on w. Headers are sent with the first event.
// A positive heartbeat starts the silence timer once headers are sent; Stop
// must then be called before the handler returns.
func NewWriter(w http.ResponseWriter, heartbeat time.Duration) *Writer {
	return &Writer{w: w, rc: http.NewResponseController(w), every: heartbeat}
}

// Started reports whether headers have been sent.
func (s *Writer) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
	done       = []byte("data: [DONE]\n\n")
	ping       = []byte(": ping\n\n")
)

// Data writes one event whose data is b (one line of JSON) and flushes.
func (s *Writer) Data(b []byte) error { return s.write(dataPrefix, b, eventEnd) }

// JSON marshals v and writes it as one event.
func (s *Writer) JSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Data(b)
}

// Done writes the terminating `data: [DONE]` event and flushes.
func (s *Writer) Done() error { return s.write(done) }

// Stop ends the heartbeat. After it returns the Writer never touches the
// response again from another goroutine. It may be called more than once.
func (s *Writer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
}

// write sends the header on first use, then parts, then flushes, and
// restarts the silence timer.
func (s *Writer) write(parts ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.start()
	}
	for _, p := range parts {
		if _, err := s.w.Write(p); err != nil {
			return err
		}
	}
	if err := s.rc.Flush(); err != nil {
		return err
	}
	if s.timer != nil {
		s.timer.Reset(s.every)
	}
	return nil
}

// start sends the response headers of an event stream. s.mu is held.
func (s *Writer) start() {
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// Tell nginx-style proxies in front of Outcrop not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	if s.every > 0 && !s.stopped {
		s.timer = time.AfterFunc(s.every, s.heartbeat)
	}
}

// heartbeat runs on the timer's goroutine after a silence.
func (s *Writer) heartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	if _, err := s.w.Write(ping); err != nil {
		return
	}
	if s.rc.Flush() == nil {
		s.timer.Reset(s.every)
	}
}
