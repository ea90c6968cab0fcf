// Package awssecretstest is an emulator of the two AWS secret stores the
// master key can come from, for tests: an httptest server answering SSM
// Parameter Store's GetParameter and Secrets Manager's GetSecretValue over
// their real protocol, AWS JSON 1.1 (POST /, Content-Type
// application/x-amz-json-1.1, X-Amz-Target AmazonSSM.GetParameter or
// secretsmanager.GetSecretValue), independent of the client in front of it.
//
// One server speaks both services, so a single AWS_ENDPOINT_URL can point
// an SDK at it; each request must be SigV4-signed with the fixed test
// credentials (AccessKeyID, SecretAccessKey) for the server's region and
// for the signing name of the service its target belongs to ("ssm" or
// "secretsmanager"). The signature itself is recomputed and compared, as
// AWS does. Answers are the services' own: success bodies with ARNs,
// versions and epoch-seconds dates, and the errors ParameterNotFound,
// ResourceNotFoundException, AccessDeniedException and the front door's
// signature errors, all HTTP 400. A SecureString asked for without
// WithDecryption comes back as ciphertext (EncryptedValue), never as its
// plain value.
//
// The emulator records every request it receives (Requests).
package awssecretstest

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
)

// Recorded is one request the emulator received, accepted or not.
type Recorded struct {
	// Target is the X-Amz-Target header, e.g. TargetGetParameter.
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
	ts      *httptest.Server
	opts    options
	started time.Time

	mu       sync.Mutex
	requests []Recorded
	nextID   uint64
}

// maxRequestBody caps what the emulator reads of a request; both
// operations take a few hundred bytes.
const maxRequestBody = 1 << 20

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("awssecretstest: %v", err)
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
	s.started = s.opts.now()
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
// for AWS_ENDPOINT_URL or a client's BaseEndpoint.
func (s *Server) URL() string { return s.ts.URL }

// Region is the region requests must be signed for and ARNs name.
func (s *Server) Region() string { return s.opts.region }

// Requests returns a copy of what the emulator received so far, in order.
// A request is recorded before its answer is written, so everything a
// client got an answer for is there.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Recorded(nil), s.requests...)
}

// Env returns the environment an SDK needs to reach the emulator:
// AWS_ENDPOINT_URL, AWS_REGION and the first accepted credentials.
func (s *Server) Env() map[string]string {
	env := map[string]string{"AWS_ENDPOINT_URL": s.URL(), "AWS_REGION": s.opts.region}
	if len(s.opts.creds) > 0 {
		c := s.opts.creds[0]
		env["AWS_ACCESS_KEY_ID"] = c.AccessKeyID
		env["AWS_SECRET_ACCESS_KEY"] = c.SecretAccessKey
		if c.SessionToken != "" {
			env["AWS_SESSION_TOKEN"] = c.SessionToken
		}
	}
	return env
}

// AWSConfig returns an SDK configuration aimed at the emulator: its URL as
// BaseEndpoint, its region and the first accepted credentials, for
// ssm.NewFromConfig and secretsmanager.NewFromConfig.
func (s *Server) AWSConfig() aws.Config {
	var c Credentials
	if len(s.opts.creds) > 0 {
		c = s.opts.creds[0]
	}
	return aws.Config{
		Region:       s.opts.region,
		Credentials:  c.Provider(),
		BaseEndpoint: aws.String(s.URL()),
	}
}

// serve checks and answers one request. The checks run in AWS's order:
// the front door (signature) first, then the protocol (target, content
// type, body), then the operation.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	rec := Recorded{Target: r.Header.Get("X-Amz-Target"), Header: r.Header.Clone(), Body: body}
	op, known := lookupOperation(rec.Target)
	scope, e := s.authenticate(r, body, op.service)
	rec.Service, rec.Region, rec.AccessKeyID = scope.Service, scope.Region, scope.AccessKeyID
	var a answer
	switch {
	case e != nil:
		a = e.answer()
	case r.Method != http.MethodPost || r.URL.Path != "/" || !known || !isJSON11(r.Header.Get("Content-Type")):
		a = errUnknownOperation().answer()
	default:
		a = op.handle(s, body)
	}
	s.reply(w, &rec, a)
}

// reply records rec with its answer, then writes the answer.
func (s *Server) reply(w http.ResponseWriter, rec *Recorded, a answer) {
	s.mu.Lock()
	s.nextID++
	rec.RequestID = fmt.Sprintf("0e5c3a1f-0000-4000-8000-%012d", s.nextID)
	rec.Status, rec.ErrorCode = a.status, a.code
	s.requests = append(s.requests, *rec)
	s.mu.Unlock()

	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", rec.RequestID)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// answer is a response ready to write.
type answer struct {
	status int
	code   string // __type of an error, "" on success
	body   []byte
}
