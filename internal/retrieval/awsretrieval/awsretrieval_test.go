package awsretrieval_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/outcrop/outcrop/internal/awsclient"
	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval"
)

var kendra = awsretrieval.Service{Name: "kendra", EndpointEnv: "AWS_ENDPOINT_URL_KENDRA"}

// isolate hides the process's AWS settings from the SDK, so that only
// Config and getenv count.
func isolate(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_MAX_ATTEMPTS": "7",
	} {
		t.Setenv(k, v)
	}
}

// TestLoad checks the region's precedence and what Load sets on the
// configuration: the HTTP client (wrapped by awsclient), the attempts (AWS_MAX_ATTEMPTS
// overridden), logging off, and the endpoint.
func TestLoad(t *testing.T) {
	isolate(t)
	hc := &http.Client{}
	tests := []struct {
		name         string
		cfg          awsretrieval.Config
		env          map[string]string
		wantRegion   string
		wantAttempts int
		wantEndpoint string
	}{
		{"defaults from getenv", awsretrieval.Config{HTTPClient: hc}, map[string]string{"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://all"}, "eu-west-1", 3, "http://all"},
		{"AWS_REGION before AWS_DEFAULT_REGION", awsretrieval.Config{HTTPClient: hc}, map[string]string{"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-1"}, "us-west-2", 3, ""},
		{
			"config wins",
			awsretrieval.Config{Region: "ap-south-1", Endpoint: "http://mine", MaxAttempts: 1, HTTPClient: hc},
			map[string]string{"AWS_REGION": "us-west-2", "AWS_ENDPOINT_URL_KENDRA": "http://env"},
			"ap-south-1", 1, "http://mine",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kendra.Load(context.Background(), tt.cfg, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.AWS.Region != tt.wantRegion || c.AWS.RetryMaxAttempts != tt.wantAttempts || c.AWS.ClientLogMode != 0 || c.AWS.HTTPClient != awsclient.HTTP(hc) {
				t.Errorf("got region %q, attempts %d, log mode %v, HTTP client %v; want %q, %d, 0, %p wrapped",
					c.AWS.Region, c.AWS.RetryMaxAttempts, c.AWS.ClientLogMode, c.AWS.HTTPClient, tt.wantRegion, tt.wantAttempts, hc)
			}
			got := ""
			if c.Endpoint != nil {
				got = *c.Endpoint
			}
			if got != tt.wantEndpoint || c.AWS.BaseEndpoint != nil {
				t.Errorf("got endpoint %q (configuration's %v), want %q on the client only", got, c.AWS.BaseEndpoint, tt.wantEndpoint)
			}
		})
	}
}

// TestLoadWithoutRegion checks the refusal when no region is set
// anywhere, a nil getenv reading nothing.
func TestLoadWithoutRegion(t *testing.T) {
	isolate(t)
	_, err := kendra.Load(context.Background(), awsretrieval.Config{}, nil)
	if !errors.Is(err, awsretrieval.ErrNoRegion) || err.Error() != "kendra: no AWS region: set Region or AWS_REGION" {
		t.Errorf("got %v, want kendra's ErrNoRegion", err)
	}
}

// TestProblems checks the shared config checks, each led by the prefix.
func TestProblems(t *testing.T) {
	errs := awsretrieval.Config{MaxAttempts: -1, Endpoint: "localhost:4566"}.Problems("kendra config")
	want := []string{"kendra config: MaxAttempts -1 is negative", `kendra config: Endpoint "localhost:4566" is not an http(s) URL`}
	if len(errs) != len(want) {
		t.Fatalf("got %v, want %q", errs, want)
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("problem %d: got %q, want %q", i, err, want[i])
		}
	}
	for _, good := range []awsretrieval.Config{{}, {MaxAttempts: 1, Endpoint: "https://kendra.eu-west-1.amazonaws.com"}, {Endpoint: "http://127.0.0.1:4566"}} {
		if errs := good.Problems("kendra config"); errs != nil {
			t.Errorf("%+v: got %v, want none", good, errs)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "://x"} {
		if errs := (awsretrieval.Config{Endpoint: bad}).Problems("p"); len(errs) != 1 {
			t.Errorf("Endpoint %q: got %v, want one problem", bad, errs)
		}
	}
}

// TestLimit checks the size asked for and the queries refused.
func TestLimit(t *testing.T) {
	tests := []struct {
		name    string
		q       retrieval.Query
		want    int
		wantErr string
	}{
		{"default", retrieval.Query{Text: "refunds"}, 10, ""},
		{"top k", retrieval.Query{Text: "refunds", TopK: 3}, 3, ""},
		{"top k above the limit", retrieval.Query{Text: "refunds", TopK: 500}, 100, ""},
		{"empty", retrieval.Query{}, 0, "retrieval: bad query: kendra: empty query text"},
		{"blank", retrieval.Query{Text: " \n\t"}, 0, "retrieval: bad query: kendra: empty query text"},
		{"negative top k", retrieval.Query{Text: "refunds", TopK: -1}, 0, "retrieval: bad query: kendra: negative top_k -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kendra.Limit(tt.q, 10, 100)
			if tt.wantErr != "" {
				if !errors.Is(err, retrieval.ErrBadQuery) || err.Error() != tt.wantErr {
					t.Errorf("got %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// TestClassify checks a service's answer becomes an *Error with its
// status, code, request ID and redacted message, unwrapping to the SDK's
// error, and that other failures are wrapped.
func TestClassify(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down on 'parcel 4711'"}
	sdkErr := &smithy.OperationError{ServiceID: "kendra", OperationName: "Retrieve", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusTooManyRequests}}, Err: api},
		RequestID:     "req-1",
	}}
	err := kendra.Classify(sdkErr, "parcel 4711")
	var e *awsretrieval.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *awsretrieval.Error", err)
	}
	if e.Op != "kendra retrieve" || e.Status != 429 || e.Code != "ThrottlingException" || e.RequestID != "req-1" || e.Message != "slow down on '[query]'" {
		t.Errorf("got %+v, want kendra retrieve 429 ThrottlingException req-1 with the query redacted", e)
	}
	if want := "kendra retrieve: ThrottlingException (HTTP 429, request req-1): slow down on '[query]'"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	var inner *smithy.GenericAPIError
	if !errors.As(err, &inner) || inner != api {
		t.Errorf("got %v inside, want the SDK's error", inner)
	}

	wrapped := kendra.Classify(context.Canceled, "parcel 4711")
	if !errors.Is(wrapped, context.Canceled) || errors.As(wrapped, &e) || !strings.HasPrefix(wrapped.Error(), "kendra retrieve: ") {
		t.Errorf("got %v, want context.Canceled wrapped, no *Error", wrapped)
	}
}
