// Package bedrocktest is a wire-exact emulator of Amazon Bedrock for tests:
// an httptest server speaking Bedrock Runtime's and the Bedrock control
// plane's real protocol (shared/docs/wire.md §0-§5), independent of the
// client it stands in front of.
//
// Served, with the paths and status codes of the real service:
//   - Runtime: POST /model/{modelId}/converse, /converse-stream, /invoke,
//     /invoke-with-response-stream and /count-tokens. Streams are binary
//     event-stream frames (flushed one by one, with Bedrock's "p"
//     padding).
//   - Control plane: GET /foundation-models, /foundation-models/{id},
//     /inference-profiles (paginated) and /inference-profiles/{id}.
//
// Every request must be SigV4-signed with the fixed test credentials
// (AccessKeyID and SecretAccessKey, or the temporary set with
// SessionToken) for Region and Service, or carry `Authorization: Bearer
// BearerToken`; others get AWS's 403s. Answers are deterministic canned
// ones unless scripted with Reply values: full bodies, event lists,
// errors before the stream, exceptions, error frames, cut, truncated or
// corrupt frames mid-stream, latency. The emulator records what it
// receives and reports requests whose client went away.
package bedrocktest

import (
	crand "crypto/rand"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Recorded is one request the emulator received.
type Recorded struct {
	// Operation is the operation the path names (OpConverse, ...), empty
	// for an unknown path.
	Operation string
	Method    string
	// Path is the escaped path as sent, e.g.
	// "/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse".
	Path     string
	RawQuery string
	// ModelID is the model or profile identifier in the path, decoded.
	ModelID string
	Header  http.Header
	Body    []byte
	// Auth is the kind of credentials the request carried, whether or not
	// they were accepted; AccessKeyID is the SigV4 key ID.
	Auth        AuthKind
	AccessKeyID string
	// RequestID is the x-amzn-RequestId the emulator answered with.
	RequestID string
}

// Server is a running emulator.
type Server struct {
	ts   *httptest.Server
	opts options
	quit chan struct{}

	arrived  chan Recorded
	canceled chan Recorded
	nCancel  atomic.Int64

	// padMu guards pad, the source of padding lengths.
	padMu sync.Mutex
	pad   *rand.Rand

	mu       sync.Mutex
	requests []Recorded
	queue    []Reply
	closed   bool
}

// notifyBuffer is the capacity of the Arrivals and Canceled channels;
// notifications beyond it are dropped rather than block the emulator.
const notifyBuffer = 256

// maxRequestBody caps what the emulator reads of a request (Bedrock's own
// limit is 25 MB).
const maxRequestBody = 32 << 20

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("bedrocktest: %v", err)
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
	}
	for _, o := range opts {
		o(&s.opts)
	}
	s.pad = rand.New(rand.NewPCG(s.opts.seed, s.opts.seed^0x9e3779b97f4a7c15))
	s.fillCatalog()
	s.queue = append(s.queue, s.opts.replies...)
	ln, err := net.Listen("tcp", s.opts.addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.ts = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.mux()}}
	if s.opts.tls {
		s.ts.EnableHTTP2 = true
		s.ts.StartTLS()
	} else {
		s.ts.Start()
	}
	return s, nil
}

// fillCatalog applies the catalogue defaults and fills in missing ARNs.
func (s *Server) fillCatalog() {
	if s.opts.models == nil {
		s.opts.models = DefaultModels()
	}
	if s.opts.profiles == nil {
		s.opts.profiles = DefaultProfiles(s.opts.region)
	}
	if s.opts.appProfiles {
		s.opts.profiles = append(s.opts.profiles, DefaultApplicationProfiles(s.opts.region)...)
	}
	for i, p := range s.opts.profiles {
		switch {
		case p.ARN != "":
		case p.Type == ProfileApplication:
			s.opts.profiles[i].ARN = ApplicationProfileARN(s.opts.region, p.ID)
		default:
			s.opts.profiles[i].ARN = ProfileARN(s.opts.region, p.ID)
		}
	}
}

// mux routes on Go 1.22 patterns: they match the escaped path segment by
// segment, so a model ID holding %2F (an ARN) stays one segment, and
// PathValue returns it decoded.
func (s *Server) mux() *http.ServeMux {
	m := http.NewServeMux()
	for pattern, op := range map[string]string{
		"POST /model/{id}/converse":                    OpConverse,
		"POST /model/{id}/converse-stream":             OpConverseStream,
		"POST /model/{id}/invoke":                      OpInvokeModel,
		"POST /model/{id}/invoke-with-response-stream": OpInvokeModelWithResponseStream,
		"POST /model/{id}/count-tokens":                OpCountTokens,
		"GET /foundation-models":                       OpListFoundationModels,
		"GET /foundation-models/{id}":                  OpGetFoundationModel,
		"GET /inference-profiles":                      OpListInferenceProfiles,
		"GET /inference-profiles/{id}":                 OpGetInferenceProfile,
		"/":                                            "",
	} {
		m.Handle(pattern, s.handler(op))
	}
	return m
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

// URL is the server's root, e.g. "http://127.0.0.1:4567": the endpoint
// (BaseEndpoint) of both the runtime and the control plane.
func (s *Server) URL() string { return s.ts.URL }

// Client returns an HTTP client that trusts the server (WithTLS).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Region is the region requests must be signed for.
func (s *Server) Region() string { return s.opts.region }

// Models returns the foundation-model catalogue.
func (s *Server) Models() []FoundationModel { return append([]FoundationModel(nil), s.opts.models...) }

// Profiles returns the inference-profile catalogue, ARNs filled in.
func (s *Server) Profiles() []InferenceProfile {
	return append([]InferenceProfile(nil), s.opts.profiles...)
}

// Requests returns what the emulator received so far, in order.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Arrivals reports each request as soon as it is read, before it is
// answered: a test can wait on it to act while a request is in flight.
func (s *Server) Arrivals() <-chan Recorded { return s.arrived }

// Canceled reports each request whose client went away before the
// emulator finished answering (e.g. a gateway cancelling its upstream
// call when its own client disconnected). The emulator notices while it
// waits (latency, EventDelay, Event.Delay) or when a write fails.
func (s *Server) Canceled() <-chan Recorded { return s.canceled }

// CanceledCount is the number of requests reported on Canceled.
func (s *Server) CanceledCount() int { return int(s.nCancel.Load()) }

// Push queues replies for the next requests, after those already queued.
func (s *Server) Push(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// handler serves every request the same way: read the whole body, record
// it, check its credentials, then answer for op.
func (s *Server) handler(op string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the whole body before answering: answering while the
		// client still writes lets Go's transport cut the response
		// (issue 3's known trap).
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		if err != nil {
			return
		}
		rec := s.newRecord(r, op, body)
		// AWS spells the header this way; set the key raw.
		w.Header()["x-amzn-RequestId"] = []string{rec.RequestID}
		s.record(rec)
		resp := s.respond(r, op, rec.ModelID, body)
		if s.write(w, r, resp) == canceled {
			s.nCancel.Add(1)
			notify(s.canceled, rec)
		}
	})
}

func (s *Server) newRecord(r *http.Request, op string, body []byte) Recorded {
	kind, akid := authKind(r)
	return Recorded{
		Operation: op, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		ModelID: r.PathValue("id"), Header: r.Header.Clone(), Body: body,
		Auth: kind, AccessKeyID: akid, RequestID: newRequestID(),
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

// respond decides the answer: credentials first, then the operation.
func (s *Server) respond(r *http.Request, op, id string, body []byte) *response {
	if e := s.authenticate(r, body); e != nil {
		return s.errorResponse(e)
	}
	switch {
	case op == "":
		return s.errorResponse(&Error{Code: CodeUnknownOperation, Message: "Unknown operation " + r.Method + " " + r.URL.EscapedPath()})
	case isRuntime(op):
		return s.runtime(r, op, id, body)
	}
	return s.control(r, op, id)
}

// next is the reply to a control-plane request: the first queued reply
// that applies to op, else the default reply if it applies, else the zero
// Reply.
func (s *Server) next(op string) Reply {
	if rep, ok := s.take(op); ok {
		return rep
	}
	return s.fallback(op)
}

// take removes and returns the first queued reply that applies to op.
func (s *Server) take(op string) (Reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rep := range s.queue {
		if applies(rep, op) {
			s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
			return rep, true
		}
	}
	return Reply{}, false
}

// fallback is the default reply if it applies to op, else the zero Reply.
func (s *Server) fallback(op string) Reply {
	if s.opts.fallback != nil && applies(*s.opts.fallback, op) {
		return *s.opts.fallback
	}
	return Reply{}
}

func applies(rep Reply, op string) bool {
	if rep.Operation == "" {
		return isRuntime(op)
	}
	return rep.Operation == op
}

func (s *Server) errorResponse(e *Error) *response { return errorResponse(e, s.opts.errorForm) }

// padding returns the "p" value of the next event: a prefix of
// padAlphabet of random length, as Bedrock sends.
func (s *Server) padding() string {
	if s.opts.noPadding {
		return ""
	}
	s.padMu.Lock()
	n := 1 + s.pad.IntN(len(padAlphabet))
	s.padMu.Unlock()
	return padAlphabet[:n]
}

// newRequestID returns a random UUID (version 4), like Bedrock's request
// IDs.
func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
