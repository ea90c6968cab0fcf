// Package bedrockkbtest is an emulator of Amazon Bedrock Knowledge Bases'
// Retrieve (service bedrock-agent-runtime) for tests: an httptest server
// serving POST /knowledgebases/{knowledgeBaseId}/retrieve over REST-JSON
// as the official SDK calls it (the SDK's serializers.go and
// deserializers.go are the reference), independent of the client in front
// of it.
//
// Every request must be SigV4-signed for the server's region and the
// signing name "bedrock", with the test credentials; the signature is
// recomputed and compared as AWS does (internal/awstest). The request is
// then validated as the API constrains it (a knowledgeBaseId of 1 to 10
// letters and digits, retrievalQuery.text required, numberOfResults 1 to
// 100, overrideSearchType HYBRID or SEMANTIC, a filter that is a union of
// one member with andAll/orAll of at least 2) and answered from the
// knowledge base's documents: one chunk each, scored by the share of the
// query's words it contains, filtered by every RetrievalFilter operator,
// best first. Chunks carry the metadata Knowledge Bases add
// (x-amz-bedrock-kb-chunk-id, -data-source-id and, for S3, -source-uri).
// Errors have Bedrock's REST-JSON shape: the code in X-Amzn-ErrorType, the
// body {"message":"..."}, the modelled status (StatusOf). Failures
// (throttling, access denied, ...) can be queued.
//
// The emulator records every request it receives (Requests).
package bedrockkbtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/outcrop/outcrop/internal/awstest"
)

// maxRequestBody caps what the emulator reads of a request.
const maxRequestBody = 1 << 20

// Recorded is one request the emulator received, accepted or not.
type Recorded struct {
	// Method and Path are the request line's, Path as sent (escaped).
	Method string
	Path   string
	// KnowledgeBaseID is the path's knowledge base, unescaped; empty off
	// the route.
	KnowledgeBaseID string
	// Service and Region are the signing name and region of the SigV4
	// credential scope, empty when the request was not signed.
	Service string
	Region  string
	// AccessKeyID is the SigV4 access key ID, empty when unsigned.
	AccessKeyID string
	Header      http.Header
	Body        []byte
	// Status is the HTTP status answered; ErrorCode the code of the error
	// answered, empty on success.
	Status    int
	ErrorCode string
	// RequestID is the x-amzn-RequestId answered.
	RequestID string
}

// Server is a running emulator.
type Server struct {
	ts   *httptest.Server
	opts options

	mu       sync.Mutex
	requests []Recorded
	failures []Failure
	nextID   uint64
}

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("bedrockkbtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts an emulator outside a test; the caller must Close it.
func Start(opts ...Option) (*Server, error) {
	s := &Server{opts: defaultOptions()}
	for _, o := range opts {
		o(&s.opts)
	}
	s.failures = append(s.failures, s.opts.failures...)
	ln, err := net.Listen("tcp", s.opts.addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.ts = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	s.ts.Start()
	return s, nil
}

// Close stops the server, waiting for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// URL is the server's base URL, e.g. "http://127.0.0.1:40123", the value
// for AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME or a client's BaseEndpoint.
func (s *Server) URL() string { return s.ts.URL }

// Region is the region requests must be signed for.
func (s *Server) Region() string { return s.opts.region }

// Fail queues failures, after those queued already: each answers one
// Retrieve that passed authentication and validation.
func (s *Server) Fail(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f...)
}

// Requests returns a copy of what the emulator received so far, in order.
// A request is recorded before its answer is written.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// AWSConfig returns an SDK configuration aimed at the emulator: its URL as
// BaseEndpoint, its region and the first accepted credentials, for
// bedrockagentruntime.NewFromConfig.
func (s *Server) AWSConfig() aws.Config {
	var c Credentials
	if len(s.opts.creds) > 0 {
		c = s.opts.creds[0]
	}
	return aws.Config{Region: s.opts.region, Credentials: c.Provider(), BaseEndpoint: aws.String(s.URL())}
}

// serve checks and answers one request: the front door (signature) first,
// then the route, then the operation.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	rec := Recorded{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body}
	a, _ := awstest.ParseAuthorization(r.Header.Get("Authorization")) // for the record; Verify reports its errors
	rec.Service, rec.Region, rec.AccessKeyID = a.Service, a.Region, a.AccessKeyID
	id, routed := route(r)
	rec.KnowledgeBaseID = id
	var ans answer
	switch e := s.authenticate(r, body); {
	case e != nil:
		ans = e.answer()
	case !routed:
		ans = (&apiError{Code: CodeUnknownOperation, Message: "The requested operation is not recognized by the service."}).answer()
	default:
		ans = s.retrieve(id, body)
	}
	s.reply(w, &rec, ans)
}

// route matches POST /knowledgebases/{knowledgeBaseId}/retrieve on the
// escaped path, as the SDK builds it (the ID percent-encoded), and returns
// the unescaped ID.
func route(r *http.Request) (string, bool) {
	parts := strings.Split(r.URL.EscapedPath(), "/")
	if r.Method != http.MethodPost || len(parts) != 4 || parts[0] != "" || parts[1] != "knowledgebases" || parts[3] != "retrieve" {
		return "", false
	}
	id, err := url.PathUnescape(parts[2])
	if err != nil {
		return "", false
	}
	return id, true
}

// authenticate checks r's SigV4 signature the way AWS's front door does,
// returning the error to answer with, or nil.
func (s *Server) authenticate(r *http.Request, body []byte) *apiError {
	if s.opts.noAuth {
		return nil
	}
	_, err := awstest.Verify(r, body, awstest.VerifyOptions{
		Credentials: s.opts.creds, Region: s.opts.region, Services: []string{Service}, Now: s.opts.now,
	})
	if e := awstest.Refusal(err); e != nil {
		return &apiError{Code: e.Code, Message: e.Message}
	}
	return nil
}

// nextFailure pops the first queued failure.
func (s *Server) nextFailure() (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) == 0 {
		return Failure{}, false
	}
	f := s.failures[0]
	s.failures = s.failures[1:]
	return f, true
}

// reply records rec with its answer, then writes the answer.
func (s *Server) reply(w http.ResponseWriter, rec *Recorded, a answer) {
	s.mu.Lock()
	s.nextID++
	rec.RequestID = fmt.Sprintf("b7e5c3a1-0000-4000-8000-%012d", s.nextID)
	rec.Status, rec.ErrorCode = a.status, a.code
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Requestid", rec.RequestID)
	if a.errorType != "" {
		// AWS spells the header this way; set the key raw so that it goes
		// out as recorded from real Bedrock (shared/docs/wire.md §1.6).
		w.Header()["x-amzn-ErrorType"] = []string{a.errorType}
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// answer is a response ready to write.
type answer struct {
	status    int
	code      string // error code, "" on success
	errorType string // X-Amzn-ErrorType, "" on success
	body      []byte
}
