package openaitest

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// outcome is how writing a reply ended.
type outcome int

const (
	finished outcome = iota
	// canceled: the client went away before the emulator finished.
	canceled
	// cut: the emulator broke the connection on purpose.
	cut
	// closing: the emulator is shutting down.
	closing
)

// writeReply writes rep to w, waiting and breaking as it says.
func (s *Server) writeReply(w http.ResponseWriter, r *http.Request, rep Reply) outcome {
	if o := s.wait(r.Context(), rep.Latency); o != finished {
		return o
	}
	h := w.Header()
	for k, v := range rep.Header {
		h[k] = v
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	if isSSE(h) {
		// The body is written in pieces; a recorded Content-Length would
		// not survive a fault.
		h.Del("Content-Length")
		w.WriteHeader(status)
		return s.writeEvents(w, r, rep)
	}
	if h.Get("Content-Type") == "" && len(rep.Body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.Body)))
	w.WriteHeader(status)
	if _, err := w.Write(rep.Body); err != nil && r.Context().Err() != nil {
		return canceled
	}
	return finished
}

func isSSE(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "text/event-stream")
}

// writeEvents writes an SSE body event by event, flushing each.
func (s *Server) writeEvents(w http.ResponseWriter, r *http.Request, rep Reply) outcome {
	rc := http.NewResponseController(w)
	events := splitEvents(rep.Body)
	for i, ev := range events {
		if rep.Fault != nil && i == rep.Fault.After {
			return s.fault(w, r, rc, rep.Fault, ev)
		}
		if i > 0 {
			if o := s.wait(r.Context(), rep.ChunkDelay); o != finished {
				return o
			}
		}
		if _, err := w.Write(ev); err != nil {
			return s.writeFailed(r)
		}
		if err := rc.Flush(); err != nil {
			return s.writeFailed(r)
		}
	}
	if rep.Fault != nil && rep.Fault.After >= len(events) {
		return s.fault(w, r, rc, rep.Fault, nil)
	}
	return finished
}

func (s *Server) writeFailed(r *http.Request) outcome {
	if r.Context().Err() != nil {
		return canceled
	}
	return finished
}

// fault breaks the stream: an error event and a clean end, or a cut.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, f *Fault, next []byte) outcome {
	if f.Event != nil {
		var b bytes.Buffer
		b.WriteString("data: ")
		b.Write(f.Event)
		b.WriteString("\n\n")
		if _, err := w.Write(b.Bytes()); err != nil {
			return s.writeFailed(r)
		}
		_ = rc.Flush()
		return finished
	}
	if f.Partial && len(next) > 1 {
		_, _ = w.Write(next[:len(next)/2])
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
	return cut
}

// wait sleeps for d unless the client goes away or the emulator closes.
func (s *Server) wait(ctx context.Context, d time.Duration) outcome {
	if d <= 0 {
		return finished
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return finished
	case <-ctx.Done():
		return canceled
	case <-s.quit:
		return closing
	}
}

// splitEvents splits an SSE body after each blank line ("\n\n" or
// "\r\n\r\n"); a trailing piece without one is kept as the last event.
func splitEvents(body []byte) [][]byte {
	var events [][]byte
	for len(body) > 0 {
		i := bytes.Index(body, []byte("\n\n"))
		j := bytes.Index(body, []byte("\r\n\r\n"))
		end := len(body)
		switch {
		case i >= 0 && (j < 0 || i < j):
			end = i + 2
		case j >= 0:
			end = j + 4
		}
		events = append(events, body[:end])
		body = body[end:]
	}
	return events
}
