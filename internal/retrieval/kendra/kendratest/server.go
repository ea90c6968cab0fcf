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
// The emulator records every request it receives (Requests). It runs on
// awstest.Server, which it embeds.
package kendratest

import (
	"sync/atomic"
	"testing"

	"github.com/outcrop/outcrop/internal/awstest"
)

// TargetRetrieve is the X-Amz-Target of Retrieve: the model's targetPrefix
// and the operation name.
const TargetRetrieve = "AWSKendraFrontendService.Retrieve"

// Recorded is one request the emulator received, accepted or not; its
// Target is the X-Amz-Target, e.g. TargetRetrieve, and its ErrorCode the
// __type of the error answered.
type Recorded = awstest.Recorded

// Server is a running emulator. Its URL is the value for
// AWS_ENDPOINT_URL_KENDRA or a client's BaseEndpoint; its AWSConfig is for
// kendra.NewFromConfig; Fail queues failures, each answering one Retrieve
// that passed authentication and validation.
type Server struct {
	*awstest.Server
	indexes map[string][]Document
	queries atomic.Uint64 // QueryIds handed out
}

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return awstest.New(t, "kendratest", func() (*Server, error) { return Start(opts...) })
}

// Start starts an emulator outside a test; the caller must Close it.
func Start(opts ...Option) (*Server, error) {
	o := awstest.Apply(defaultOptions(), opts...)
	s := &Server{indexes: o.indexes}
	var err error
	s.Server, err = awstest.Start(o.Options, awstest.Spec{
		Protocol: awstest.JSON11, RequestIDPrefix: "5e7c1d2a", Handler: s.serve,
		FailureMessages: map[string]string{CodeThrottling: MsgThrottling, CodeAccessDenied: MsgAccessDenied},
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// serve answers one request, in AWS's order: the front door (signature)
// first, then the protocol (target, content type), then the operation.
func (s *Server) serve(r *awstest.Request) awstest.Answer {
	if e := r.Authenticate(Service); e != nil {
		return (&apiError{Code: e.Code, Message: e.Message}).answer()
	}
	if !r.IsJSON11() || r.HTTP.Header.Get("X-Amz-Target") != TargetRetrieve {
		return (&apiError{Code: CodeUnknownOperation}).answer()
	}
	return s.retrieve(r)
}
