package bedrock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/eventstream"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// ErrStreamClosed is returned by Recv on a stream closed by its caller.
var ErrStreamClosed = errors.New("stream closed")

// EventStream is an open application/vnd.amazon.eventstream response
// (wire.md §2), read one frame per Recv. No goroutine runs behind it.
type EventStream struct {
	t         *transport
	cl        *call
	body      io.ReadCloser
	rd        frameReader
	dec       *eventstream.Decoder
	buf       []byte // payload buffer, reused from frame to frame
	header    http.Header
	requestID string
	idle      *time.Timer
	err       error // sticky: io.EOF or the failure
	// peeked is the first event, read by peek before the stream was
	// handed out and returned by the first Recv.
	peeked    *Event
	closed    atomic.Bool
	closeOnce sync.Once
}

// frameReader counts the bytes read, so that an end of the body inside a
// frame is told from one between frames (the decoder reports both as
// io.EOF when the cut falls at a field boundary), and keeps the body's
// read error, so that a failed read is told from a frame the decoder
// rejected.
type frameReader struct {
	r   *bufio.Reader
	n   int64
	err error // the first read error other than io.EOF
}

func (f *frameReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && f.err == nil {
		f.err = err
	}
	return n, err
}

// initialPayloadBuffer fits the frames of a text stream (a delta is a few
// hundred bytes); larger payloads grow it once.
const initialPayloadBuffer = 1 << 10

// frameReadBuffer is the buffer under the decoder's small reads (the
// prelude, each header, the payload, the CRC). Over the gateway's
// upstream client the body below holds no buffer of its own (it decodes
// the chunks in this one), so each fill is a read of the connection; a
// few frames' worth is enough, and it is held for every open stream.
const frameReadBuffer = 1 << 10

func newEventStream(t *transport, cl *call, resp *http.Response) *EventStream {
	s := &EventStream{
		t:         t,
		cl:        cl,
		body:      resp.Body,
		rd:        frameReader{r: bufio.NewReaderSize(resp.Body, frameReadBuffer)},
		dec:       eventstream.NewDecoder(),
		buf:       make([]byte, 0, initialPayloadBuffer),
		header:    resp.Header,
		requestID: resp.Header.Get("X-Amzn-RequestId"),
	}
	if t.idleTimeout > 0 {
		s.idle = time.AfterFunc(t.idleTimeout, func() { cl.cancel(t.errIdle) })
	}
	return s
}

// Header returns the response headers.
func (s *EventStream) Header() http.Header { return s.header }

// RequestID returns Bedrock's request ID (x-amzn-RequestId).
func (s *EventStream) RequestID() string { return s.requestID }

// Recv returns the next event. Its Payload is valid until the next call to
// Recv. At the end of the stream, after a whole frame, Recv returns io.EOF;
// an exception or error frame comes back as a *provider.UpstreamError
// classified like an HTTP error; a cut or corrupt frame as a 502, and a
// stream silent for longer than the idle timeout as a 504. Any error,
// io.EOF included, is final and releases the stream.
func (s *EventStream) Recv() (Event, error) {
	if ev := s.peeked; ev != nil && !s.closed.Load() {
		s.peeked = nil
		return *ev, nil
	}
	if s.err != nil {
		return Event{}, s.err
	}
	if s.closed.Load() {
		return Event{}, s.t.wrap(ErrStreamClosed)
	}
	ev, err := s.next()
	if err == nil {
		return ev, nil
	}
	// The body was read to its end or failed: either way the call is over.
	s.err = err
	_ = s.Close()
	return Event{}, err
}

// peek reads the first frame ahead of the caller: an event is kept for
// the first Recv, a failure is returned here and by every Recv.
func (s *EventStream) peek() error {
	ev, err := s.Recv()
	if err != nil {
		return err
	}
	s.peeked = &ev
	return nil
}

// Close releases the stream and cancels the request if it is still
// running. It may be called at any time, from any goroutine, more than
// once; a Recv blocked in a read returns.
func (s *EventStream) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.idle != nil {
			s.idle.Stop()
		}
		s.cl.release()
		_ = s.body.Close()
	})
	return nil
}

func (s *EventStream) next() (Event, error) {
	msg, err := s.readFrame()
	if err != nil {
		return Event{}, err
	}
	switch typ := headerString(msg.Headers, eventstream.MessageTypeHeader); typ {
	case eventstream.EventMessageType:
		name := headerString(msg.Headers, eventstream.EventTypeHeader)
		if name == "" {
			return Event{}, s.malformed(errors.New("event frame without :event-type"))
		}
		return Event{Type: name, Payload: msg.Payload}, nil
	case eventstream.ExceptionMessageType:
		ue := exceptionError(headerString(msg.Headers, eventstream.ExceptionTypeHeader), msg.Payload, s.requestID)
		return Event{}, s.t.wrap(ue)
	case eventstream.ErrorMessageType:
		ue := frameError(headerString(msg.Headers, eventstream.ErrorCodeHeader),
			headerString(msg.Headers, eventstream.ErrorMessageHeader), s.requestID)
		return Event{}, s.t.wrap(ue)
	default:
		return Event{}, s.malformed(fmt.Errorf("frame of unknown :message-type %q", typ))
	}
}

// readFrame decodes the next frame into the reused payload buffer and
// restarts the idle timer.
func (s *EventStream) readFrame() (eventstream.Message, error) {
	start := s.rd.n
	msg, err := s.dec.Decode(&s.rd, s.buf)
	if err != nil {
		return eventstream.Message{}, s.readError(err, s.rd.n != start)
	}
	if cap(msg.Payload) > cap(s.buf) {
		s.buf = msg.Payload[:0] // keep the grown buffer
	}
	if s.idle != nil {
		s.idle.Reset(s.t.idleTimeout)
	}
	return msg, nil
}

// readError classifies a failure to decode a frame. inFrame says whether
// some of the frame had been read.
func (s *EventStream) readError(err error, inFrame bool) error {
	switch {
	case s.closed.Load():
		return s.t.wrap(ErrStreamClosed)
	case s.rd.err != nil:
		// The body failed: a reset connection, one of the call's limits,
		// the caller's cancellation.
		return s.t.fail(s.cl, s.rd.err)
	case errors.Is(err, io.EOF) && !inFrame:
		return io.EOF
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return s.t.fail(s.cl, fmt.Errorf("event stream cut inside a frame: %w", io.ErrUnexpectedEOF))
	}
	// The bytes arrived but are no frame: a checksum mismatch, an
	// impossible length, an unknown header type.
	return s.malformed(err)
}

// malformed is the 502 for a frame that cannot be a Bedrock event.
func (s *EventStream) malformed(err error) error {
	return s.t.wrap(&provider.UpstreamError{
		Status:    http.StatusBadGateway,
		Err:       &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "the upstream sent a malformed event stream"},
		RequestID: s.requestID,
		Cause:     err,
	})
}

// headerString returns a string header's value, "" when absent or not a
// string.
func headerString(hs eventstream.Headers, name string) string {
	v := hs.Get(name)
	if v == nil {
		return ""
	}
	if sv, ok := v.(eventstream.StringValue); ok {
		return string(sv)
	}
	return ""
}
