// Package openaitest is an emulator of the OpenAI and Azure OpenAI APIs for
// tests: an httptest server that gives deterministic canned answers in the
// exact OpenAI shapes, replays recorded traffic byte for byte, injects
// failures (error statuses, latency, slow or cut streams, mid-stream error
// events) and records what it received.
//
// Surfaces served:
//   - OpenAI: /v1/chat/completions, /v1/completions, /v1/embeddings,
//     /v1/models and /v1/models/{model}, with `Authorization: Bearer`.
//   - Azure classic: /openai/deployments/{deployment}/{operation}?api-version=...
//     and /openai/models?api-version=..., with an `api-key` header.
//   - Azure v1: /openai/v1/{operation}, with an `api-key` header.
//
// It is a normal package so that the tests of every package (and a
// conformance runner outside `go test`) can use it.
package openaitest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Recorded is one request the emulator received.
type Recorded struct {
	Method string
	// Path is the request path, unescaped.
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// Server is a running emulator.
type Server struct {
	ts   *httptest.Server
	opts options
	seq  atomic.Int64
	quit chan struct{}

	arrived  chan Recorded
	canceled chan Recorded
	nCancel  atomic.Int64

	mu       sync.Mutex
	requests []Recorded
	queue    []Reply
	used     map[*Interaction]bool
	closed   bool
}

// notifyBuffer is the capacity of the Arrivals and Canceled channels;
// notifications beyond it are dropped rather than block the emulator.
const notifyBuffer = 256

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("openaitest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts an emulator outside a test; the caller must Close it.
func Start(opts ...Option) (*Server, error) {
	s := &Server{
		opts:     defaultOptions(),
		quit:     make(chan struct{}),
		arrived:  make(chan Recorded, notifyBuffer),
		canceled: make(chan Recorded, notifyBuffer),
		used:     map[*Interaction]bool{},
	}
	for _, o := range opts {
		o(&s.opts)
	}
	s.queue = append(s.queue, s.opts.replies...)
	ln, err := net.Listen("tcp", s.opts.addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.ts = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.serveHTTP)}}
	if s.opts.tls {
		s.ts.EnableHTTP2 = true
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s, nil
}

// Close stops the emulator: waiting answers are abandoned, and Close
// returns once every handler has. It may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.quit)
	s.mu.Unlock()
	s.ts.Close()
}

// URL is the server's root, e.g. "http://127.0.0.1:4567": the base URL of
// the Azure classic dialect.
func (s *Server) URL() string { return s.ts.URL }

// OpenAIBase is the base URL of the OpenAI dialect, URL()+"/v1".
func (s *Server) OpenAIBase() string { return s.ts.URL + "/v1" }

// AzureV1Base is the base URL of Azure's v1 surface, URL()+"/openai/v1".
func (s *Server) AzureV1Base() string { return s.ts.URL + "/openai/v1" }

// Client returns an HTTP client that trusts the server (WithTLS).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Requests returns what the emulator received so far, in order.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Arrivals reports each request as soon as it is read, before it is
// answered: a test can wait on it to act while a request is in flight.
func (s *Server) Arrivals() <-chan Recorded { return s.arrived }

// Canceled reports each request whose client went away before the emulator
// finished answering, e.g. because a gateway cancelled the upstream call
// when its own client disconnected. The emulator notices while it waits
// (Latency, ChunkDelay) or when a write fails.
func (s *Server) Canceled() <-chan Recorded { return s.canceled }

// CanceledCount is the number of requests reported on Canceled.
func (s *Server) CanceledCount() int { return int(s.nCancel.Load()) }

// Push queues replies for the next requests, after those already queued.
func (s *Server) Push(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// maxRequestBody caps what the emulator reads of a request.
const maxRequestBody = 64 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// Read the whole body before answering: a Go server that answers while
	// the body streams in can cut its own response (Go issue 40747).
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		return
	}
	rec := Recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	s.record(rec)
	rt := parseRoute(r, s.seq.Add(1))
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_emu_%08d", rt.seq))
	if rt.surface != surfaceOpenAI {
		w.Header().Set("Apim-Request-Id", fmt.Sprintf("00000000-0000-0000-0000-%012d", rt.seq))
	}
	rep := s.respond(r, rt, body)
	if s.writeReply(w, r, rep) == canceled {
		s.nCancel.Add(1)
		notify(s.canceled, rec)
	}
}

func (s *Server) record(rec Recorded) {
	if !s.opts.noRecord {
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}
	notify(s.arrived, rec)
}

func notify(ch chan Recorded, rec Recorded) {
	select {
	case ch <- rec:
	default:
	}
}

// respond decides the reply: checks first (auth, Azure's api-version and
// deployment), then a queued reply, a cassette, the default reply, and
// the canned answer for whatever they leave open.
func (s *Server) respond(r *http.Request, rt route, body []byte) Reply {
	if rep, failed := s.check(r, rt); failed {
		return rep
	}
	rep := s.scripted(r)
	switch {
	case rep.Body != nil:
		return rep
	case rep.Status != 0:
		return rep.over(statusReply(rt.surface, rep.Status))
	}
	return rep.over(s.canned(rt, body))
}

// scripted returns the next queued reply, else a cassette's, else the
// default reply; the zero Reply when none applies.
func (s *Server) scripted(r *http.Request) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) > 0 {
		rep := s.queue[0]
		s.queue = s.queue[1:]
		return rep
	}
	if it := s.matchLocked(r.Method, r.URL.Path); it != nil {
		return it.Reply()
	}
	if s.opts.fallback != nil {
		return *s.opts.fallback
	}
	return Reply{}
}

// matchLocked finds the cassette interaction for method and path: the
// first one not yet replayed, else the last one that matches.
func (s *Server) matchLocked(method, path string) *Interaction {
	var last *Interaction
	for _, c := range s.opts.cassettes {
		for i := range c.Interactions {
			it := &c.Interactions[i]
			if it.Request.Method != method || it.path() != path {
				continue
			}
			if !s.used[it] {
				s.used[it] = true
				return it
			}
			last = it
		}
	}
	return last
}
