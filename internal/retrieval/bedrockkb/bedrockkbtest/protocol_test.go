package bedrockkbtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb/bedrockkbtest"
)

func goodRequest(at time.Time) awstest.Call {
	return awstest.Call{
		Method: http.MethodPost, Path: "/knowledgebases/" + bedrockkbtest.KnowledgeBaseID + "/retrieve",
		ContentType: "application/json", Body: `{"retrievalQuery":{"text":"refunds"}}`,
		Sign: &awstest.Signing{Credentials: bedrockkbtest.DefaultCredentials(), Service: "bedrock", Region: "us-east-1", At: at},
	}
}

// TestFrontDoor sends hand-made requests, signed wrongly or not at all,
// or off the route, and checks the answers and the recording.
func TestFrontDoor(t *testing.T) {
	now := time.Now()
	with := func(f func(*awstest.Call)) awstest.Call {
		r := goodRequest(now)
		f(&r)
		return r
	}
	tests := []struct {
		name       string
		req        awstest.Call
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"good", goodRequest(now), 200, "", ""},
		{"unsigned", with(func(r *awstest.Call) { r.Sign = nil }), 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", with(func(r *awstest.Call) { r.Sign.Credentials.SecretAccessKey = "wrong" }), 403, "InvalidSignatureException", "signature we calculated does not match"},
		{"unknown key", with(func(r *awstest.Call) { r.Sign.Credentials.AccessKeyID = "AKIDOTHER" }), 403, "UnrecognizedClientException", "security token included in the request is invalid"},
		{"signed for the endpoint prefix", with(func(r *awstest.Call) { r.Sign.Service = "bedrock-agent-runtime" }), 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'."},
		{"signed for another region", with(func(r *awstest.Call) { r.Sign.Region = "eu-west-1" }), 403, "InvalidSignatureException", "not 'eu-west-1'"},
		{"GET", with(func(r *awstest.Call) { r.Method = http.MethodGet }), 404, bedrockkbtest.CodeUnknownOperation, ""},
		{"other path", with(func(r *awstest.Call) { r.Path = "/knowledgebases/KBTEST0001/search" }), 404, bedrockkbtest.CodeUnknownOperation, ""},
		{"RetrieveAndGenerate", with(func(r *awstest.Call) { r.Path = "/retrieveAndGenerate" }), 404, bedrockkbtest.CodeUnknownOperation, ""},
		{"not JSON", with(func(r *awstest.Call) { r.Body = `{"retrievalQuery":` }), 400, bedrockkbtest.CodeValidation, "Malformed input request"},
		{
			"no query", with(func(r *awstest.Call) { r.Body = `{}` }), 400, bedrockkbtest.CodeValidation,
			"1 validation error detected: Value null at 'retrievalQuery' failed to satisfy constraint: Member must not be null",
		},
		{"two filter members", with(func(r *awstest.Call) {
			r.Body = `{"retrievalQuery":{"text":"refunds"},"retrievalConfiguration":{"vectorSearchConfiguration":{"filter":{"equals":{"key":"a","value":1},"in":{"key":"a","value":[1]}}}}}`
		}), 400, bedrockkbtest.CodeValidation, "must set exactly one member, but sets 2"},
		{"filter without value", with(func(r *awstest.Call) {
			r.Body = `{"retrievalQuery":{"text":"refunds"},"retrievalConfiguration":{"vectorSearchConfiguration":{"filter":{"equals":{"key":"a"}}}}}`
		}), 400, bedrockkbtest.CodeValidation, "Value null at 'retrievalConfiguration.vectorSearchConfiguration.filter.equals.value'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bedrockkbtest.New(t, bedrockkbtest.WithClock(func() time.Time { return now }), bedrockkbtest.WithDocuments(fixtures()...))
			status, header, typ, msg := send(t, s, tt.req)
			if status != tt.wantStatus || typ != tt.wantCode || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", status, typ, msg, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
			if tt.wantCode != "" && !strings.HasPrefix(header, tt.wantCode+":http://internal.amazon.com/coral/") {
				t.Errorf("got X-Amzn-ErrorType %q, want %s with its namespace", header, tt.wantCode)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].ErrorCode != tt.wantCode || reqs[0].Path != tt.req.Path || string(reqs[0].Body) != tt.req.Body {
				t.Fatalf("got records %+v, want one for %s answered %q", reqs, tt.req.Path, tt.wantCode)
			}
		})
	}
}

// TestRecordsSDKRequests checks what the emulator records of an SDK call,
// and the body the SDK sends.
func TestRecordsSDKRequests(t *testing.T) {
	s := bedrockkbtest.New(t, bedrockkbtest.WithRegion("eu-central-1"), bedrockkbtest.WithDocuments(fixtures()...))
	_, err := retrieve(context.Background(), client(s, 1), "refunds", &types.KnowledgeBaseVectorSearchConfiguration{
		NumberOfResults: aws.Int32(3), OverrideSearchType: types.SearchTypeHybrid,
	})
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d records, want 1", len(reqs))
	}
	r := reqs[0]
	got := []string{r.Method, r.Path, r.KnowledgeBaseID, r.Service, r.Region, r.AccessKeyID, r.Header.Get("Content-Type"), r.ErrorCode}
	want := []string{"POST", "/knowledgebases/KBTEST0001/retrieve", "KBTEST0001", "bedrock", "eu-central-1", bedrockkbtest.AccessKeyID, "application/json", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	var body any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("got body %s: %v", r.Body, err)
	}
	wantBody := map[string]any{
		"retrievalQuery": map[string]any{"text": "refunds"},
		"retrievalConfiguration": map[string]any{"vectorSearchConfiguration": map[string]any{
			"numberOfResults": 3.0, "overrideSearchType": "HYBRID",
		}},
	}
	if diff := cmp.Diff(wantBody, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// send makes req and returns the status, X-Amzn-ErrorType, and the
// body's __type and message.
func send(t *testing.T, s *bedrockkbtest.Server, req awstest.Call) (status int, header, typ, msg string) {
	t.Helper()
	a := req.Send(t, s.URL())
	return a.Status, a.Header.Get("X-Amzn-ErrorType"), a.Type, a.Message
}
