package awstest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
)

// echo is a handler that authenticates for "kendra", then answers a
// queued failure or 200 with the body it got.
func echo(r *awstest.Request) awstest.Answer {
	if e := r.Authenticate("kendra"); e != nil {
		return awstest.JSONError(http.StatusBadRequest, e.Code, e.Message, false)
	}
	if f, ok := r.Failure(); ok {
		a := awstest.JSONError(http.StatusTooManyRequests, f.Code, f.Message, false)
		a.ErrorType = f.Code + ":ns"
		return a
	}
	return awstest.Answer{Status: http.StatusOK, Body: r.Body}
}

func start(t *testing.T, protocol awstest.Protocol, opts awstest.Options) *awstest.Server {
	t.Helper()
	return awstest.New(t, "echo", func() (*awstest.Server, error) {
		return awstest.Start(opts, awstest.Spec{
			Protocol: protocol, RequestIDPrefix: "0a1b2c3d", Handler: echo,
			FailureMessages: map[string]string{"ThrottlingException": "Rate exceeded"},
		})
	})
}

func post(t *testing.T, s *awstest.Server, body string, sg *awstest.Signing) awstest.Reply {
	t.Helper()
	return awstest.Call{Path: "/x?y=1", ContentType: awstest.ContentTypeJSON11, Target: "Svc.Op", Body: body, Sign: sg}.Send(t, s.URL())
}

// TestServerRecordsAndFails checks the recording, the request IDs, the
// queued failures (default messages filled in) and the raw
// x-amzn-ErrorType header.
func TestServerRecordsAndFails(t *testing.T) {
	now := time.Now()
	opts := awstest.DefaultOptions("eu-west-1", longTerm())
	opts.Failures = awstest.Repeat(1, awstest.Failure{Code: "ThrottlingException"})
	s := start(t, awstest.RESTJSON, opts)
	s.Fail(awstest.Failure{Code: "Other"}, awstest.Failure{Code: "Third", Message: "named"})
	sg := &awstest.Signing{Credentials: longTerm(), Service: "kendra", Region: "eu-west-1", At: now}

	var types, messages []string
	for range 4 {
		a := post(t, s, `{"q":1}`, sg)
		messages = append(messages, a.Message)
		if ct := a.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("got Content-Type %q, want application/json", ct)
		}
		types = append(types, a.Header.Get("X-Amzn-ErrorType"))
	}
	if diff := cmp.Diff([]string{"ThrottlingException:ns", "Other:ns", "Third:ns", ""}, types); diff != "" {
		t.Errorf("error types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Rate exceeded", "Other", "named", ""}, messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	reqs := s.Requests()
	if len(reqs) != 4 {
		t.Fatalf("got %d records, want 4", len(reqs))
	}
	r := reqs[0]
	got := []string{r.Method, r.Path, r.Target, r.Service, r.Region, r.AccessKeyID, string(r.Body), r.ErrorCode, r.RequestID}
	want := []string{"POST", "/x", "Svc.Op", "kendra", "eu-west-1", "AKIDTEST", `{"q":1}`, "ThrottlingException", "0a1b2c3d-0000-4000-8000-000000000001"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first record (-want +got):\n%s", diff)
	}
	if reqs[0].Status != http.StatusTooManyRequests || reqs[3].Status != http.StatusOK || reqs[3].RequestID != "0a1b2c3d-0000-4000-8000-000000000004" {
		t.Errorf("got records %+v, want 429 first and 200 with the fourth ID last", reqs)
	}
}

// TestServerFailureMessages checks what Request.Failure fills in.
func TestServerFailureMessages(t *testing.T) {
	messages := make(chan string, 4) // what the handler saw, handed over safely
	s := awstest.New(t, "failures", func() (*awstest.Server, error) {
		return awstest.Start(awstest.Options{NoAuth: true}, awstest.Spec{
			FailureMessages: map[string]string{"ThrottlingException": "Rate exceeded"},
			Handler: func(r *awstest.Request) awstest.Answer {
				f, ok := r.Failure()
				messages <- f.Message
				if !ok {
					return awstest.Answer{Status: http.StatusOK}
				}
				return awstest.JSONError(http.StatusBadRequest, f.Code, f.Message, true)
			},
		})
	})
	s.Fail(awstest.Failure{Code: "ThrottlingException"}, awstest.Failure{Code: "Quota"}, awstest.Failure{Code: "ThrottlingException", Message: "own"})
	var got, sent []string
	for range 4 {
		a := post(t, s, "{}", nil)
		got = append(got, <-messages)
		sent = append(sent, a.Type+" "+a.CapitalMessage)
	}
	if diff := cmp.Diff([]string{"Rate exceeded", "Quota", "own", ""}, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ThrottlingException Rate exceeded", "Quota Quota", "ThrottlingException own", " "}, sent); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// TestServerAuthenticates checks the front door's refusals through
// Request.Authenticate, the JSON protocol's trailing space, and NoAuth.
func TestServerAuthenticates(t *testing.T) {
	now := time.Now()
	good := awstest.Signing{Credentials: longTerm(), Service: "kendra", Region: "us-east-1", At: now}
	other := good
	other.Service = "ssm"
	tests := []struct {
		name     string
		protocol awstest.Protocol
		noAuth   bool
		sign     *awstest.Signing
		wantType string
		wantMsg  string
	}{
		{"good", awstest.JSON11, false, &good, "", ""},
		{"unsigned", awstest.JSON11, false, nil, awstest.CodeMissingAuthenticationToken, awstest.MsgMissingAuthenticationToken},
		{"wrong service, JSON", awstest.JSON11, false, &other, awstest.CodeInvalidSignature, "Credential should be scoped to correct service: 'kendra'. "},
		{"wrong service, REST-JSON", awstest.RESTJSON, false, &other, awstest.CodeInvalidSignature, "Credential should be scoped to correct service: 'kendra'."},
		{"unsigned without auth", awstest.JSON11, true, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := awstest.DefaultOptions("us-east-1", longTerm())
			opts.NoAuth = tt.noAuth
			a := post(t, start(t, tt.protocol, opts), "{}", tt.sign)
			if a.Type != tt.wantType || a.Message != tt.wantMsg {
				t.Errorf("got %d %s %q, want %s %q", a.Status, a.Type, a.Message, tt.wantType, tt.wantMsg)
			}
		})
	}
}

// TestServerClientSettings checks AWSConfig and Env name the server and
// its first credentials.
func TestServerClientSettings(t *testing.T) {
	opts := awstest.DefaultOptions("ap-south-1", temporary())
	opts.Credentials = append(opts.Credentials, longTerm())
	s := start(t, awstest.JSON11, opts)
	cfg := s.AWSConfig()
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "ap-south-1" || aws.ToString(cfg.BaseEndpoint) != s.URL() || creds.AccessKeyID != temporary().AccessKeyID || s.Region() != "ap-south-1" {
		t.Errorf("got %+v with %+v, want the server's URL, region and first credentials", cfg, creds)
	}
	want := map[string]string{
		"AWS_ENDPOINT_URL": s.URL(), "AWS_REGION": "ap-south-1", "AWS_ACCESS_KEY_ID": "ASIATEST",
		"AWS_SECRET_ACCESS_KEY": "temporary/secret", "AWS_SESSION_TOKEN": "session-token",
	}
	if diff := cmp.Diff(want, s.Env()); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
}

// TestIsJSON11 checks what counts as an AWS JSON 1.1 call.
func TestIsJSON11(t *testing.T) {
	tests := []struct {
		name, method, path, contentType string
		want                            bool
	}{
		{"call", http.MethodPost, "/", "application/x-amz-json-1.1", true},
		{"with parameters", http.MethodPost, "/", "application/x-amz-json-1.1; charset=utf-8", true},
		{"GET", http.MethodGet, "/", "application/x-amz-json-1.1", false},
		{"other path", http.MethodPost, "/retrieve", "application/x-amz-json-1.1", false},
		{"plain JSON", http.MethodPost, "/", "application/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(chan bool, 1) // the handler's verdict, handed over safely
			s := awstest.New(t, "json11", func() (*awstest.Server, error) {
				return awstest.Start(awstest.Options{NoAuth: true}, awstest.Spec{Handler: func(r *awstest.Request) awstest.Answer {
					seen <- r.IsJSON11()
					return awstest.Answer{Status: http.StatusOK}
				}})
			})
			awstest.Call{Method: tt.method, Path: tt.path, ContentType: tt.contentType, Body: "{}"}.Send(t, s.URL())
			if got := <-seen; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
