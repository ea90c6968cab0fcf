package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/sse"
)

// openStream sends a streaming request and returns once a 2xx status came.
func (c *Client) openStream(ctx context.Context, op endpoint, model string, body []byte, includeUsage bool) (*eventStream, error) {
	u, err := c.urlFor(op, model)
	if err != nil {
		return nil, err
	}
	cl := c.newCall(ctx)
	resp, err := c.do(cl, http.MethodPost, u, body, true) //nolint:bodyclose // the event stream owns the body and closes it in Close
	if err != nil {
		return nil, err
	}
	return newEventStream(c, cl, resp.Body, resp.Header, includeUsage), nil
}

// eventStream reads an upstream's SSE answer one `data:` event at a time.
// It runs no goroutine: each Recv reads from the response body.
type eventStream struct {
	c      *Client
	cl     *call
	body   io.ReadCloser
	rd     *sse.Reader
	header http.Header
	// includeUsage is what the client asked; the upstream was asked for
	// usage regardless.
	includeUsage bool
	// err is sticky: io.EOF after [DONE], or the failure.
	err error
	// finishSeen is set once a chunk carried a finish_reason: the answer
	// is complete, and a clean end of the body without [DONE] (older
	// llama.cpp servers) ends the stream normally rather than as a 502.
	finishSeen bool
	// finished is set at [DONE]; Close may then drain the body.
	finished  atomic.Bool
	closed    atomic.Bool
	closeOnce sync.Once
}

func newEventStream(c *Client, cl *call, body io.ReadCloser, header http.Header, includeUsage bool) *eventStream {
	return &eventStream{c: c, cl: cl, body: body, rd: sse.NewReader(body), header: header, includeUsage: includeUsage}
}

// Close releases the upstream request. It may be called at any time, from
// any goroutine, more than once; a Recv blocked in a read returns.
func (s *eventStream) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.finished.Load() {
			s.drain()
		}
		s.cl.release()
		_ = s.body.Close()
	})
	return nil
}

// drainTimeout bounds the wait, after [DONE], for the end of the response.
const drainTimeout = 100 * time.Millisecond

// drain reads what follows [DONE] (normally nothing but the end of the
// chunked body, which may not have arrived yet) so that the transport can
// reuse the connection: an HTTP/1 body closed before its end costs the
// connection. The wait is bounded for servers that linger after [DONE].
func (s *eventStream) drain() {
	t := time.AfterFunc(drainTimeout, func() { s.cl.cancel(errDrain) })
	defer t.Stop()
	var buf [512]byte
	for n := 0; n < 8; n++ {
		if _, err := s.body.Read(buf[:]); err != nil {
			return
		}
	}
}

var errDrain = errors.New("stream not ended after [DONE]")

// ErrStreamClosed is returned by Recv on a stream closed by its caller.
var ErrStreamClosed = errors.New("stream closed")

var done = []byte("[DONE]")

// next returns the next chunk: its JSON, owned by the caller, and the usage
// it reports. At [DONE] it returns io.EOF; a stream cut before [DONE] or an
// error event returns an error, and releases the stream at once.
func (s *eventStream) next() ([]byte, *openai.Usage, error) {
	if s.err != nil {
		return nil, nil, s.err
	}
	raw, usage, err := s.read()
	if errors.Is(err, io.EOF) {
		// Clean end: Close drains and releases.
		s.err = err
		s.finished.Store(true)
		return nil, nil, err
	}
	if err != nil {
		if s.closed.Load() {
			// The read failed because the caller closed the stream.
			err = fmt.Errorf("openaicompat %s: %w", s.c.cfg.Name, ErrStreamClosed)
		}
		s.err = err
		_ = s.Close()
		return nil, nil, err
	}
	return raw, usage, nil
}

func (s *eventStream) read() ([]byte, *openai.Usage, error) {
	for {
		ev, err := s.rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) && s.finishSeen {
				return nil, nil, io.EOF
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, s.c.fail(s.cl, fmt.Errorf("stream ended before [DONE]: %w", err))
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, done) {
			return nil, nil, io.EOF
		}
		if ev.Name == "error" {
			return nil, nil, s.eventError(data)
		}
		if !s.finishSeen && bytes.Contains(data, finishReasonSet) {
			s.finishSeen = true
		}
		return s.chunk(data)
	}
}

// finishReasonSet matches a finish_reason with a string value. Inside a
// JSON string every quote is escaped, so these bytes only occur as a key
// and its value.
var finishReasonSet = []byte(`"finish_reason":"`)

// chunk copies an event's JSON (the reader reuses its buffer), decodes its
// usage and, when the client did not ask for usage, drops `"usage":null` so
// the chunk reads as OpenAI sends it without include_usage.
func (s *eventStream) chunk(data []byte) ([]byte, *openai.Usage, error) {
	var usage, errm jsonx.Member
	var hasUsage, hasErr, objectError bool
	err := jsonx.Members(data, func(m jsonx.Member) bool {
		switch string(m.Key) {
		case "usage":
			usage, hasUsage = m, true
		case "error":
			errm, hasErr = m, true
		case "object":
			objectError = string(m.Value(data)) == `"error"`
		}
		return true
	})
	if err != nil {
		return nil, nil, s.c.invalid(fmt.Errorf("stream event: %w", err))
	}
	if (hasErr && !bytes.Equal(errm.Value(data), jsonNull)) || objectError {
		return nil, nil, s.eventError(data)
	}
	if !hasUsage {
		return bytes.Clone(data), nil, nil
	}
	v := usage.Value(data)
	if bytes.Equal(v, jsonNull) {
		if s.includeUsage {
			return bytes.Clone(data), nil, nil
		}
		raw, err := jsonx.Delete(data, "usage")
		if err != nil {
			return nil, nil, s.c.invalid(err)
		}
		return raw, nil, nil
	}
	u, err := usageValue(v)
	if err != nil {
		return nil, nil, s.c.invalid(err)
	}
	return bytes.Clone(data), u, nil
}

// eventError turns an error event into an *provider.UpstreamError. OpenAI
// sends `data: {"error":{...}}`; vLLM and others send the same or a bare
// `{"object":"error","message":...}`. The status is 502 (the upstream
// failed after accepting the request) unless the error's code is an HTTP
// status, as vLLM and Azure write it.
func (s *eventStream) eventError(data []byte) error {
	if m, ok, _ := jsonx.Find(data, "error"); !ok || bytes.Equal(m.Value(data), jsonNull) {
		// A bare error object: give it its envelope.
		data = append(append([]byte(`{"error":`), data...), '}')
	}
	status := http.StatusBadGateway
	var env struct {
		Error *openai.ErrorBody `json:"error"`
	}
	if json.Unmarshal(data, &env) == nil && env.Error != nil && env.Error.Code != nil {
		if n, err := strconv.Atoi(*env.Error.Code); err == nil && n >= 400 && n <= 599 {
			status = n
		}
	}
	return fmt.Errorf("openaicompat %s: %w", s.c.cfg.Name, provider.FromHTTP(status, s.header, data))
}

// chatStream is a provider.ChatStream over an eventStream.
type chatStream struct{ *eventStream }

// Recv returns the next chunk, io.EOF after [DONE].
func (s *chatStream) Recv() (*openai.ChatCompletionChunk, error) {
	raw, usage, err := s.next()
	if err != nil {
		return nil, err
	}
	return &openai.ChatCompletionChunk{Raw: raw, Usage: usage}, nil
}

// completionStream is a provider.CompletionStream over an eventStream.
type completionStream struct{ *eventStream }

// Recv returns the next chunk, io.EOF after [DONE].
func (s *completionStream) Recv() (*openai.CompletionResponse, error) {
	raw, usage, err := s.next()
	if err != nil {
		return nil, err
	}
	return &openai.CompletionResponse{Raw: raw, Usage: usage}, nil
}
