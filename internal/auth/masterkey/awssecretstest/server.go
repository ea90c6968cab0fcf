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
// plain value. Failures (throttling, ...) can be queued.
//
// The emulator records every request it receives (Requests). It runs on
// awstest.Server, which it embeds.
package awssecretstest

import (
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Recorded is one request the emulator received, accepted or not; its
// Target is the X-Amz-Target, e.g. TargetGetParameter, and its ErrorCode
// the __type of the error answered.
type Recorded = awstest.Recorded

// Server is a running emulator. Its URL is the value for AWS_ENDPOINT_URL
// or a client's BaseEndpoint; its AWSConfig is for ssm.NewFromConfig and
// secretsmanager.NewFromConfig; its Region is also the one ARNs name;
// Fail queues failures, each answering one request that passed
// authentication and the protocol's checks.
type Server struct {
	*awstest.Server
	opts    options
	started time.Time
}

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return awstest.New(t, "awssecretstest", func() (*Server, error) { return Start(opts...) })
}

// Start starts an emulator outside a test; the caller must Close it.
func Start(opts ...Option) (*Server, error) {
	s := &Server{opts: awstest.Apply(defaultOptions(), opts...)}
	s.started = s.opts.Now()
	var err error
	s.Server, err = awstest.Start(s.opts.Options, awstest.Spec{Protocol: awstest.JSON11, RequestIDPrefix: "0e5c3a1f", Handler: s.serve})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// serve answers one request. The checks run in AWS's order: the front
// door (signature) first, then the protocol (target, content type, body),
// then the operation.
func (s *Server) serve(r *awstest.Request) awstest.Answer {
	op, known := lookupOperation(r.HTTP.Header.Get("X-Amz-Target"))
	// The signing name is the target's service's; an unknown target
	// accepts either service's.
	services := []string{op.service}
	if !known {
		services = []string{ServiceSSM, ServiceSecretsManager}
	}
	if e := r.Authenticate(services...); e != nil {
		return (&apiError{Code: e.Code, Message: e.Message}).answer()
	}
	if !known || !r.IsJSON11() {
		return errUnknownOperation().answer()
	}
	if f, ok := r.Failure(); ok {
		return (&apiError{Code: f.Code, Message: f.Message, Capital: op.capital}).answer()
	}
	return op.handle(s, r.Body)
}
