package kendratest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kendra"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/retrieval/kendra/kendratest"
)

// signing is how a hand-made request is signed.
type signing struct {
	creds           kendratest.Credentials
	service, region string
	at              time.Time
}

// request is a hand-made request to the emulator.
type request struct {
	method, path, target, contentType, body string
	sign                                    *signing // nil: unsigned
}

func goodRequest(at time.Time) request {
	return request{
		method: http.MethodPost, path: "/", target: kendratest.TargetRetrieve,
		contentType: "application/x-amz-json-1.1",
		body:        `{"IndexId":"` + kendratest.IndexID + `","QueryText":"refunds"}`,
		sign:        &signing{creds: kendratest.DefaultCredentials(), service: "kendra", region: "us-east-1", at: at},
	}
}

// TestFrontDoor sends hand-made requests, signed wrongly or not at all,
// or off the protocol, and checks the answers and the recording.
func TestFrontDoor(t *testing.T) {
	now := time.Now()
	good := goodRequest(now)
	with := func(f func(*request)) request {
		r := goodRequest(now)
		f(&r)
		return r
	}
	tests := []struct {
		name     string
		req      request
		wantCode string
		wantMsg  string
	}{
		{"good", good, "", ""},
		{"unsigned", with(func(r *request) { r.sign = nil }), "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"wrong secret", with(func(r *request) { r.sign.creds.SecretAccessKey = "wrong" }), "InvalidSignatureException", "signature we calculated does not match"},
		{"unknown key", with(func(r *request) { r.sign.creds.AccessKeyID = "AKIDOTHER" }), "UnrecognizedClientException", "security token included in the request is invalid"},
		{"signed for another service", with(func(r *request) { r.sign.service = "dynamodb" }), "InvalidSignatureException", "Credential should be scoped to correct service: 'kendra'. "},
		{"signed for another region", with(func(r *request) { r.sign.region = "eu-west-1" }), "InvalidSignatureException", "not 'eu-west-1'"},
		{"expired", with(func(r *request) { r.sign.at = now.Add(-10 * time.Minute) }), "InvalidSignatureException", "Signature expired"},
		{"unknown target", with(func(r *request) { r.target = "AWSKendraFrontendService.Query" }), kendratest.CodeUnknownOperation, ""},
		{"wrong content type", with(func(r *request) { r.contentType = "application/json" }), kendratest.CodeUnknownOperation, ""},
		{"wrong path", with(func(r *request) { r.path = "/retrieve" }), kendratest.CodeUnknownOperation, ""},
		{"not JSON", with(func(r *request) { r.body = `[1]` }), kendratest.CodeSerialization, ""},
		{
			"no members", with(func(r *request) { r.body = `{}` }), kendratest.CodeValidation,
			"2 validation errors detected: Value null at 'indexId' failed to satisfy constraint: Member must not be null; Value null at 'queryText'",
		},
		{"leaf without key", with(func(r *request) {
			r.body = `{"IndexId":"` + kendratest.IndexID + `","QueryText":"x","AttributeFilter":{"EqualsTo":{"Value":{"StringValue":"v"}}}}`
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
			if len(reqs) != 1 || reqs[0].ErrorCode != tt.wantCode || reqs[0].Target != tt.req.target || string(reqs[0].Body) != tt.req.body {
				t.Fatalf("got records %+v, want one for %s answered %q", reqs, tt.req.target, tt.wantCode)
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
func send(t *testing.T, s *kendratest.Server, req request) (status int, typ, msg string) {
	t.Helper()
	r, err := http.NewRequest(req.method, s.URL()+req.path, strings.NewReader(req.body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", req.contentType)
	r.Header.Set("X-Amz-Target", req.target)
	if sg := req.sign; sg != nil {
		sum := sha256.Sum256([]byte(req.body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{
			AccessKeyID: sg.creds.AccessKeyID, SecretAccessKey: sg.creds.SecretAccessKey,
		}, r, hex.EncodeToString(sum[:]), sg.service, sg.region, sg.at)
		if err != nil {
			t.Fatalf("sign: %v", err)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("got Content-Type %q, want application/x-amz-json-1.1", ct)
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
		Capital string `json:"Message"`
	}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("got error body %s, want JSON: %v", b, err)
		}
	}
	return resp.StatusCode, e.Type, e.Message + e.Capital
}
