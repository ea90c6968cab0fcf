package bedrocktest

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/smithy-go/eventstream"
)

// ContentTypeEventStream is the Content-Type of a stream answer.
const ContentTypeEventStream = "application/vnd.amazon.eventstream"

// response is a decided answer, ready to write.
type response struct {
	status int
	header http.Header
	// body is a whole non-stream body (or raw stream bytes).
	body []byte
	// stream marks an event-stream answer made of events.
	stream     bool
	events     []Event
	fault      *Fault
	eventDelay time.Duration
	// latency is waited before the header, on top of the server's.
	latency time.Duration
}

// jsonResponse is a 200 answer with a JSON body.
func jsonResponse(body []byte) *response {
	return &response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

// streamResponse is a 200 event-stream answer.
func streamResponse(events []Event) *response {
	return &response{
		status: http.StatusOK, header: http.Header{"Content-Type": {ContentTypeEventStream}},
		stream: true, events: events,
	}
}

// scripted returns the answer rep dictates on its own (an error or a raw
// body), or nil when the canned answer is to be built.
func (s *Server) scripted(rep Reply, streamOp bool) *response {
	switch {
	case rep.Error != nil:
		return s.errorResponse(rep.Error)
	case rep.Body != nil:
		ct := "application/json"
		if streamOp {
			ct = ContentTypeEventStream
		}
		status := rep.Status
		if status == 0 {
			status = http.StatusOK
		}
		return &response{status: status, header: http.Header{"Content-Type": {ct}}, body: rep.Body}
	}
	return nil
}

// finish applies rep's delays, fault and headers to resp.
func finish(resp *response, rep Reply) *response {
	resp.latency = rep.Latency
	resp.eventDelay = rep.EventDelay
	resp.fault = rep.Fault
	for k, v := range rep.Header {
		resp.header[k] = v
	}
	return resp
}

// outcome is how writing an answer ended.
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

// write sends resp, waiting and breaking as it says.
func (s *Server) write(w http.ResponseWriter, r *http.Request, resp *response) outcome {
	if o := s.wait(r.Context(), s.opts.headerLatency+resp.latency); o != finished {
		return o
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.stream {
		w.WriteHeader(resp.status)
		return s.writeEvents(w, r, resp)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if _, err := w.Write(resp.body); err != nil {
		return writeFailed(r)
	}
	return finished
}

// writeEvents writes the frames of resp one by one, flushing each.
func (s *Server) writeEvents(w http.ResponseWriter, r *http.Request, resp *response) outcome {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return writeFailed(r)
	}
	enc := eventstream.NewEncoder()
	for i, ev := range resp.events {
		if resp.fault != nil && i == resp.fault.After {
			return s.fault(w, r, rc, enc, resp.fault, &ev)
		}
		delay := ev.Delay
		if i > 0 {
			delay += resp.eventDelay
		}
		if o := s.wait(r.Context(), delay); o != finished {
			return o
		}
		if o := s.writeFrame(w, r, rc, enc, ev); o != finished {
			return o
		}
	}
	if resp.fault != nil && resp.fault.After >= len(resp.events) {
		return s.fault(w, r, rc, enc, resp.fault, nil)
	}
	return finished
}

// writeFrame encodes and sends one frame, cutting the connection after
// half of it when the event says so.
func (s *Server) writeFrame(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, enc *eventstream.Encoder, ev Event) outcome {
	frame, err := encodeFrame(enc, ev, s.padding)
	if err != nil {
		panic(err) // a scripted payload that is not a JSON object: a broken test
	}
	if ev.Truncate {
		frame = frame[:len(frame)/2]
	}
	if _, err := w.Write(frame); err != nil {
		return writeFailed(r)
	}
	if err := rc.Flush(); err != nil {
		return writeFailed(r)
	}
	if ev.Truncate {
		return hangUp(rc)
	}
	return finished
}

// fault breaks the stream: a last exception or error frame, or a broken
// next frame (next is nil past the end of the events).
func (s *Server) fault(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, enc *eventstream.Encoder, f *Fault, next *Event) outcome {
	if f.Event != nil {
		return s.writeFrame(w, r, rc, enc, *f.Event)
	}
	if next == nil || f.Break == BreakCut {
		return hangUp(rc)
	}
	ev := *next
	ev.Truncate = f.Break == BreakTruncate
	ev.Corrupt = f.Break == BreakCorrupt
	return s.writeFrame(w, r, rc, enc, ev)
}

// hangUp closes the connection under the response, without the chunked
// terminator, as when an upstream dies.
func hangUp(rc *http.ResponseController) outcome {
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
	return cut
}

func writeFailed(r *http.Request) outcome {
	if r.Context().Err() != nil {
		return canceled
	}
	return finished
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
