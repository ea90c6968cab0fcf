package awstest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/outcrop/outcrop/internal/awsclient"
)

// maxRequestBody caps what a Server reads of a request; the emulated
// operations take a few kilobytes at most.
const maxRequestBody = 1 << 20

// Protocol is the wire protocol an emulator speaks: it sets the
// Content-Type of the answers and the wording of two front-door refusals.
type Protocol int

// The protocols of the emulated services.
const (
	// JSON11 is AWS JSON 1.1: POST / with X-Amz-Target, bodies in
	// application/x-amz-json-1.1 (Kendra, SSM, Secrets Manager).
	JSON11 Protocol = iota
	// RESTJSON is AWS REST-JSON: a route per operation, bodies in
	// application/json, error codes in X-Amzn-ErrorType (Bedrock).
	RESTJSON
)

// contentType is the media type of the protocol's answers.
func (p Protocol) contentType() string {
	if p == RESTJSON {
		return "application/json"
	}
	return ContentTypeJSON11
}

// Options are the settings every emulator takes, through its WithAddr,
// WithRegion, WithCredentials, WithoutAuth, WithClock and WithFailures.
// An emulator's own options embed them.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a free port).
	Addr string
	// Region is the region requests must be signed for, e.g. "us-east-1".
	Region string
	// Credentials are the identities accepted; none means every key is
	// unknown. Server.AWSConfig and Server.Env use the first.
	Credentials []Credentials
	// NoAuth accepts requests without checking their signature (Recorded
	// still says what they carried).
	NoAuth bool
	// Now is the clock SigV4 dates are checked against (±MaxSkew);
	// default time.Now.
	Now func() time.Time
	// Failures are queued when the server starts, before those of
	// Server.Fail.
	Failures []Failure
}

// DefaultOptions returns the options an emulator starts from: a free port
// on 127.0.0.1, region, the one identity creds, and time.Now.
func DefaultOptions(region string, creds Credentials) Options {
	return Options{Addr: "127.0.0.1:0", Region: region, Credentials: []Credentials{creds}, Now: time.Now}
}

// Apply returns o with opts applied in order, for an emulator's Start.
func Apply[T any, O ~func(*T)](o T, opts ...O) T {
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Spec is what an emulator tells Start about the service it emulates.
type Spec struct {
	// Protocol is the service's wire protocol.
	Protocol Protocol
	// RequestIDPrefix is the first group of the UUID-shaped
	// x-amzn-RequestId of every answer, 8 hex digits, e.g. "5e7c1d2a", so
	// that a test can tell the emulators' IDs apart.
	RequestIDPrefix string
	// FailureMessages are the messages of queued failures that name none,
	// by code (Request.Failure); a code not listed is its own message.
	FailureMessages map[string]string
	// Handler answers every request the server reads.
	Handler func(*Request) Answer
}

// Recorded is one request an emulator received, accepted or not.
type Recorded struct {
	// Method and Path are the request line's, Path as sent (escaped).
	Method string
	Path   string
	// Target is the X-Amz-Target header (AWS JSON operations), e.g.
	// "AWSKendraFrontendService.Retrieve".
	Target string
	// Service and Region are the signing name and region of the SigV4
	// credential scope, empty when the request was not signed.
	Service string
	Region  string
	// AccessKeyID is the SigV4 access key ID, empty when unsigned.
	AccessKeyID string
	// Header and Body are the request's.
	Header http.Header
	Body   []byte
	// Status is the HTTP status answered; ErrorCode the code of the error
	// answered, empty on success.
	Status    int
	ErrorCode string
	// RequestID is the x-amzn-RequestId answered.
	RequestID string
}

// Answer is a response ready to write.
type Answer struct {
	// Status is the HTTP status.
	Status int
	// Code is the error code answered, "" on success; it is recorded, and
	// sent only as the body and ErrorType say.
	Code string
	// ErrorType, when set, is sent as the x-amzn-ErrorType header, as
	// REST-JSON services send their error codes.
	ErrorType string
	// Body is the answer's body, in the protocol's Content-Type.
	Body []byte
}

// Server is the HTTP side of an emulator: an httptest server that reads
// each request, records it, has the emulator's Handler answer it and
// writes the answer with a request ID. It holds the failures queued for
// the handler. Emulators embed it, so that its methods are theirs.
type Server struct {
	ts   *httptest.Server
	opts Options
	spec Spec

	mu       sync.Mutex
	requests []Recorded
	failures []Failure
	nextID   uint64
}

// Start starts a server with opts answering through spec; the caller must
// Close it.
func Start(opts Options, spec Spec) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, spec: spec, failures: append([]Failure(nil), opts.Failures...)}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.ts = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	s.ts.Start()
	return s, nil
}

// New starts the emulator start returns for a test and closes it when the
// test ends; a failure to start fails the test, the message led by name.
func New[E interface{ Close() }](t testing.TB, name string, start func() (E, error)) E {
	t.Helper()
	e, err := start()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(e.Close)
	return e
}

// Close stops the server, waiting for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// URL is the server's base URL, e.g. "http://127.0.0.1:40123", the value
// for AWS_ENDPOINT_URL (or the service's own endpoint variable) or a
// client's BaseEndpoint.
func (s *Server) URL() string { return s.ts.URL }

// Region is the region requests must be signed for.
func (s *Server) Region() string { return s.opts.Region }

// Fail queues failures, after those queued already: each answers one
// request that reached the operation, in order, instead of its result.
func (s *Server) Fail(f ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f...)
}

// Requests returns a copy of what the server received so far, in order.
// A request is recorded before its answer is written, so everything a
// client got an answer for is there.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// AWSConfig returns an SDK configuration aimed at the server: its URL as
// BaseEndpoint, its region and the first accepted credentials, for the
// service client's NewFromConfig.
func (s *Server) AWSConfig() aws.Config {
	var c Credentials
	if len(s.opts.Credentials) > 0 {
		c = s.opts.Credentials[0]
	}
	return aws.Config{
		Region: s.opts.Region, Credentials: c.Provider(), BaseEndpoint: aws.String(s.URL()),
		HTTPClient: awsclient.HTTP(nil),
	}
}

// Env returns the environment an SDK needs to reach the server:
// AWS_ENDPOINT_URL, AWS_REGION and the first accepted credentials.
func (s *Server) Env() map[string]string {
	env := map[string]string{"AWS_ENDPOINT_URL": s.URL(), "AWS_REGION": s.opts.Region}
	if len(s.opts.Credentials) > 0 {
		c := s.opts.Credentials[0]
		env["AWS_ACCESS_KEY_ID"] = c.AccessKeyID
		env["AWS_SECRET_ACCESS_KEY"] = c.SecretAccessKey
		if c.SessionToken != "" {
			env["AWS_SESSION_TOKEN"] = c.SessionToken
		}
	}
	return env
}

// serve reads, records and answers one request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	a, _ := ParseAuthorization(r.Header.Get("Authorization")) // for the record; Authenticate reports its errors
	rec := Recorded{
		Method: r.Method, Path: r.URL.EscapedPath(), Target: r.Header.Get("X-Amz-Target"),
		Service: a.Service, Region: a.Region, AccessKeyID: a.AccessKeyID,
		Header: r.Header.Clone(), Body: body,
	}
	s.reply(w, &rec, s.spec.Handler(&Request{HTTP: r, Body: body, server: s}))
}

// reply records rec with its answer, then writes the answer.
func (s *Server) reply(w http.ResponseWriter, rec *Recorded, a Answer) {
	s.mu.Lock()
	s.nextID++
	rec.RequestID = fmt.Sprintf("%s-0000-4000-8000-%012d", s.spec.RequestIDPrefix, s.nextID)
	rec.Status, rec.ErrorCode = a.Status, a.Code
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()

	w.Header().Set("Content-Type", s.spec.Protocol.contentType())
	w.Header().Set("X-Amzn-Requestid", rec.RequestID)
	if a.ErrorType != "" {
		// AWS spells the header this way; set the key raw so that it goes
		// out as recorded from real Bedrock (shared/docs/wire.md §1.6).
		w.Header()["x-amzn-ErrorType"] = []string{a.ErrorType}
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
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
