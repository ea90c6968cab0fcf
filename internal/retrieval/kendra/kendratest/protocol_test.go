package kendratest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kendra"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
	"github.com/outcrop/outcrop/internal/retrieval/kendra/kendratest"
)

func goodRequest(at time.Time) awstest.Call {
	return awstest.Call{
		Method: http.MethodPost, Path: "/", Target: kendratest.TargetRetrieve,
		ContentType: "application/x-amz-json-1.1",
		Body:        `{"IndexId":"` + kendratest.IndexID + `","QueryText":"refunds"}`,
		Sign:        &awstest.Signing{Credentials: kendratest.DefaultCredentials(), Service: "kendra", Region: "us-east-1", At: at},
	}
}

// TestFrontDoor sends hand-made requests, signed wrongly or not at all,
// or off the protocol, and checks the answers and the recording.
func TestFrontDoor(t *testing.T) {
	now := time.Now()
	good := goodRequest(now)
	with := func(f func(*awstest.Call)) awstest.Call {
		r := goodRequest(now)
		f(&r)
		return r
	}
	tests := []struct {
		name     string
		req      awstest.Call
		wantCode string
		wantMsg  string
	}{
		{"good", good, "", ""},
		{"unsigned", with(func(r *awstest.Call) { r.Sign = nil }), "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", with(func(r *awstest.Call) { r.Sign.Credentials.SecretAccessKey = "wrong" }), "InvalidSignatureException", "signature we calculated does not match"},
		{"unknown key", with(func(r *awstest.Call) { r.Sign.Credentials.AccessKeyID = "AKIDOTHER" }), "UnrecognizedClientException", "security token included in the request is invalid"},
		{"signed for another service", with(func(r *awstest.Call) { r.Sign.Service = "dynamodb" }), "InvalidSignatureException", "Credential should be scoped to correct service: 'kendra'. "},
		{"signed for another region", with(func(r *awstest.Call) { r.Sign.Region = "eu-west-1" }), "InvalidSignatureException", "not 'eu-west-1'"},
		{"expired", with(func(r *awstest.Call) { r.Sign.At = now.Add(-10 * time.Minute) }), "InvalidSignatureException", "Signature expired"},
		{"unknown target", with(func(r *awstest.Call) { r.Target = "AWSKendraFrontendService.Query" }), kendratest.CodeUnknownOperation, ""},
		{"wrong content type", with(func(r *awstest.Call) { r.ContentType = "application/json" }), kendratest.CodeUnknownOperation, ""},
		{"wrong path", with(func(r *awstest.Call) { r.Path = "/retrieve" }), kendratest.CodeUnknownOperation, ""},
		{"not JSON", with(func(r *awstest.Call) { r.Body = `[1]` }), kendratest.CodeSerialization, ""},
		{
			"no members", with(func(r *awstest.Call) { r.Body = `{}` }), kendratest.CodeValidation,
			"2 validation errors detected: Value null at 'indexId' failed to satisfy constraint: Member must not be null; Value null at 'queryText'",
		},
		{"leaf without key", with(func(r *awstest.Call) {
			r.Body = `{"IndexId":"` + kendratest.IndexID + `","QueryText":"x","AttributeFilter":{"EqualsTo":{"Value":{"StringValue":"v"}}}}`
		}), kendratest.CodeValidation, "Value null at 'attributeFilter.equalsTo.key'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := kendratest.New(t, kendratest.WithClock(func() time.Time { return now }))
			status, typ, msg := send(t, s, tt.req)
			wantStatus := http.StatusBadRequest
			if tt.wantCode == "" {
				wantStatus = http.StatusOK
			}
			if status != wantStatus || typ != tt.wantCode || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", status, typ, msg, wantStatus, tt.wantCode, tt.wantMsg)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].ErrorCode != tt.wantCode || reqs[0].Target != tt.req.Target || string(reqs[0].Body) != tt.req.Body {
				t.Fatalf("got records %+v, want one for %s answered %q", reqs, tt.req.Target, tt.wantCode)
			}
		})
	}
}

// TestRecordsSDKRequests checks what the emulator records of an SDK call.
func TestRecordsSDKRequests(t *testing.T) {
	s := kendratest.New(t, kendratest.WithRegion("eu-west-1"), kendratest.WithDocuments(fixtures()...))
	if _, err := retrieve(context.Background(), client(s, 1), "refunds", func(in *kendra.RetrieveInput) { in.PageSize = aws.Int32(5) }); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d records, want 1", len(reqs))
	}
	r := reqs[0]
	got := []string{r.Target, r.Service, r.Region, r.AccessKeyID, r.Header.Get("Content-Type"), r.ErrorCode}
	want := []string{kendratest.TargetRetrieve, "kendra", "eu-west-1", kendratest.AccessKeyID, "application/x-amz-json-1.1", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("got body %s: %v", r.Body, err)
	}
	if diff := cmp.Diff(map[string]any{"IndexId": kendratest.IndexID, "QueryText": "refunds", "PageSize": 5.0}, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// send makes req and returns the status, __type and message answered.
func send(t *testing.T, s *kendratest.Server, req awstest.Call) (status int, typ, msg string) {
	t.Helper()
	a := req.Send(t, s.URL())
	if ct := a.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("got Content-Type %q, want application/x-amz-json-1.1", ct)
	}
	return a.Status, a.Type, a.Message + a.CapitalMessage
}
