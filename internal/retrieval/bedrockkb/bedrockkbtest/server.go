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
// The emulator records every request it receives (Requests). It runs on
// awstest.Server, which it embeds.
package bedrockkbtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/outcrop/outcrop/internal/awstest"
)

// Recorded is one request the emulator received, accepted or not: what
// awstest records (ErrorCode is the code of the error answered) and the
// knowledge base the path names.
type Recorded struct {
	awstest.Recorded
	// KnowledgeBaseID is the path's knowledge base, unescaped; empty off
	// the route.
	KnowledgeBaseID string
}

// Server is a running emulator. Its URL is the value for
// AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME or a client's BaseEndpoint; its
// AWSConfig is for bedrockagentruntime.NewFromConfig; Fail queues
// failures, each answering one Retrieve that passed authentication and
// validation.
type Server struct {
	*awstest.Server
	kbs map[string][]Document
}

// New starts an emulator for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return awstest.New(t, "bedrockkbtest", func() (*Server, error) { return Start(opts...) })
}

// Start starts an emulator outside a test; the caller must Close it.
func Start(opts ...Option) (*Server, error) {
	o := awstest.Apply(defaultOptions(), opts...)
	s := &Server{kbs: o.kbs}
	var err error
	s.Server, err = awstest.Start(o.Options, awstest.Spec{
		Protocol: awstest.RESTJSON, RequestIDPrefix: "b7e5c3a1", Handler: s.serve,
		FailureMessages: map[string]string{CodeThrottling: MsgThrottling, CodeAccessDenied: MsgAccessDenied},
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Requests returns a copy of what the emulator received so far, in order.
// A request is recorded before its answer is written.
func (s *Server) Requests() []Recorded {
	recs := s.Server.Requests()
	out := make([]Recorded, len(recs))
	for i, r := range recs {
		id, _ := route(r.Method, r.Path)
		out[i] = Recorded{Recorded: r, KnowledgeBaseID: id}
	}
	return out
}

// serve answers one request: the front door (signature) first, then the
// route, then the operation.
func (s *Server) serve(r *awstest.Request) awstest.Answer {
	id, routed := route(r.HTTP.Method, r.HTTP.URL.EscapedPath())
	switch e := r.Authenticate(Service); {
	case e != nil:
		return (&apiError{Code: e.Code, Message: e.Message}).answer()
	case !routed:
		return (&apiError{Code: CodeUnknownOperation, Message: "The requested operation is not recognized by the service."}).answer()
	}
	return s.retrieve(r, id)
}

// route matches POST /knowledgebases/{knowledgeBaseId}/retrieve on the
// escaped path, as the SDK builds it (the ID percent-encoded), and returns
// the unescaped ID.
func route(method, path string) (string, bool) {
	parts := strings.Split(path, "/")
	if method != http.MethodPost || len(parts) != 4 || parts[0] != "" || parts[1] != "knowledgebases" || parts[3] != "retrieve" {
		return "", false
	}
	id, err := url.PathUnescape(parts[2])
	if err != nil {
		return "", false
	}
	return id, true
}
