// Package kendratest is an emulator of Amazon Kendra's Retrieve for tests:
// an httptest server speaking AWS JSON 1.1 as Kendra does (POST /,
// Content-Type application/x-amz-json-1.1, X-Amz-Target
// AWSKendraFrontendService.Retrieve), independent of the client in front
// of it.
//
// Every request must be SigV4-signed for the server's region and the
// signing name "kendra", with the test credentials; the signature is
// recomputed and compared as AWS does (internal/awstest). The request is
// then validated the way Kendra's model says (IndexId of 36 characters,
// QueryText required, PageSize and PageNumber at least 1, an
// AttributeFilter with one operation per object, at most 2 levels deep and
// 10 to a list) and answered from the index's documents: each document is
// one passage, scored by how many of the query's words it contains, which
// sets its confidence bucket. AttributeFilter is evaluated (EqualsTo,
// ContainsAny, ContainsAll, GreaterThan[OrEquals], LessThan[OrEquals],
// AndAllFilters, OrAllFilters, NotFilter). Errors have Kendra's shape,
// {"__type":"...","Message":"..."} with status 400 (500 for
// InternalServerException); an unknown index is ResourceNotFoundException,
// an unknown target UnknownOperationException. Failures (throttling,
// access denied, ...) can be queued.
//
// The emulator records every request it receives (Requests).
package kendratest

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/outcrop/outcrop/internal/awstest"
)

// TargetRetrieve is the X-Amz-Target of Retrieve: the model's targetPrefix
// and the operation name.
const TargetRetrieve = "AWSKendraFrontendService.Retrieve"

// contentType is the media type of AWS JSON 1.1 requests and answers.
const contentType = "application/x-amz-json-1.1"

// maxRequestBody caps what the emulator reads of a request.
const maxRequestBody = 1 << 20

// Recorded is one request the emulator received, accepted or not.
type Recorded struct {
	// Target is the X-Amz-Target header, e.g. TargetRetrieve.
	Target string
	// Service and Region are the signing name and region of the SigV4
	// credential scope, empty when the request was not signed.
	Service string
	Region  string
	// AccessKeyID is the SigV4 access key ID, empty when unsigned.
	AccessKeyID string
	Header      http.Header
	Body        []byte
	// Status is the HTTP status answered; ErrorCode the __type of the
	// error answered, empty on success.
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
		t.Fatalf("kendratest: %v", err)
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
// for AWS_ENDPOINT_URL_KENDRA or a client's BaseEndpoint.
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
// kendra.NewFromConfig.
func (s *Server) AWSConfig() aws.Config {
	var c Credentials
	if len(s.opts.creds) > 0 {
		c = s.opts.creds[0]
	}
	return aws.Config{Region: s.opts.region, Credentials: c.Provider(), BaseEndpoint: aws.String(s.URL())}
}

// serve checks and answers one request, in AWS's order: the front door
// (signature) first, then the protocol (target, content type), then the
// operation.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	rec := Recorded{Target: r.Header.Get("X-Amz-Target"), Header: r.Header.Clone(), Body: body}
	scope, e := s.authenticate(r, body)
	rec.Service, rec.Region, rec.AccessKeyID = scope.Service, scope.Region, scope.AccessKeyID
	var a answer
	switch {
	case e != nil:
		a = e.answer()
	case r.Method != http.MethodPost || r.URL.Path != "/" || rec.Target != TargetRetrieve || !isJSON11(r.Header.Get("Content-Type")):
		a = (&apiError{Code: CodeUnknownOperation}).answer()
	default:
		a = s.retrieve(body)
	}
	s.reply(w, &rec, a)
}

// authenticate checks r's SigV4 signature the way AWS's front door does,
// returning the parsed Authorization header (zero when it does not parse)
// and the error to answer with, or nil.
func (s *Server) authenticate(r *http.Request, body []byte) (awstest.Authorization, *apiError) {
	a, _ := awstest.ParseAuthorization(r.Header.Get("Authorization")) // for the record; Verify reports its errors
	if s.opts.noAuth {
		return a, nil
	}
	_, err := awstest.Verify(r, body, awstest.VerifyOptions{
		Credentials: s.opts.creds, Region: s.opts.region, Services: []string{Service}, Now: s.opts.now,
	})
	e := awstest.Refusal(err)
	if e == nil {
		return a, nil
	}
	msg := e.Message
	if errors.Is(e, awstest.ErrRegion) || errors.Is(e, awstest.ErrService) {
		// The JSON services' front door ends these two with a space
		// (awssecretstest, recorded from SSM and Secrets Manager).
		msg += " "
	}
	return a, &apiError{Code: e.Code, Message: msg}
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
	rec.RequestID = fmt.Sprintf("5e7c1d2a-0000-4000-8000-%012d", s.nextID)
	rec.Status, rec.ErrorCode = a.status, a.code
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()

	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", rec.RequestID)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// isJSON11 reports whether a Content-Type header names AWS JSON 1.1.
func isJSON11(header string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && mt == contentType
}

// answer is a response ready to write.
type answer struct {
	status int
	code   string // __type of an error, "" on success
	body   []byte
}
