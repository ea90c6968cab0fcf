// Package sse writes and reads Server-Sent Events as OpenAI streams use
// them: `data: <json>` events separated by blank lines, ending with
// `data: [DONE]`.
package sse

import (
	"encoding/json"
	"net/http"
)

// Writer writes events to an HTTP response, flushing after each one so no
// token waits in a buffer.
type Writer struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

// NewWriter returns a Writer on w. Headers are sent with the first event.
func NewWriter(w http.ResponseWriter) *Writer {
	return &Writer{w: w, rc: http.NewResponseController(w)}
}

// Started reports whether headers have been sent.
func (s *Writer) Started() bool { return s.started }

// Start sends the response headers of an event stream. It is called by the
// first write if not before.
func (s *Writer) Start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// Tell nginx-style proxies in front of Outcrop not to buffer the stream.
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
}

var (
	dataPrefix = []byte("data: ")
	eventEnd   = []byte("\n\n")
	done       = []byte("data: [DONE]\n\n")
)

// Data writes one event whose data is b (one line of JSON) and flushes.
func (s *Writer) Data(b []byte) error {
	if err := s.write(dataPrefix, b, eventEnd); err != nil {
		return err
	}
	return s.Flush()
}

// JSON marshals v and writes it as one event.
func (s *Writer) JSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Data(b)
}

// Done writes the terminating `data: [DONE]` event and flushes.
func (s *Writer) Done() error {
	if err := s.write(done); err != nil {
		return err
	}
	return s.Flush()
}

// Comment writes a comment line, used as a heartbeat during long silences;
// clients ignore it.
func (s *Writer) Comment(text string) error {
	if err := s.write([]byte(": "), []byte(text), eventEnd); err != nil {
		return err
	}
	return s.Flush()
}

// Flush sends what was written to the client.
func (s *Writer) Flush() error {
	return s.rc.Flush()
}

func (s *Writer) write(parts ...[]byte) error {
	s.Start()
	for _, p := range parts {
		if _, err := s.w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
