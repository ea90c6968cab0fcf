package bedrocktest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/auth/bearer"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

func converseWith(t *testing.T, c *bedrockruntime.Client) error {
	t.Helper()
	_, err := c.Converse(ctx(t), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userMessage("hi")}})
	return err
}

func TestSigV4(t *testing.T) {
	s := bedrocktest.New(t)
	creds := func(c bedrocktest.Credentials) func(*bedrockruntime.Options) {
		return func(o *bedrockruntime.Options) { o.Credentials = c.Provider() }
	}
	tests := []struct {
		name string
		opt  func(*bedrockruntime.Options)
		code string // "" for success
	}{
		{"long-term credentials", creds(bedrocktest.LongTermCredentials()), ""},
		{"session token", creds(bedrocktest.TemporaryCredentials()), ""},
		{"wrong secret", creds(bedrocktest.Credentials{AccessKeyID: bedrocktest.AccessKeyID, SecretAccessKey: "wrong"}), bedrocktest.CodeInvalidSignature},
		{"unknown key", creds(bedrocktest.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: bedrocktest.SecretAccessKey}), bedrocktest.CodeUnrecognizedClient},
		{"temporary key without token", creds(bedrocktest.Credentials{AccessKeyID: bedrocktest.TempAccessKeyID, SecretAccessKey: bedrocktest.TempSecretAccessKey}), bedrocktest.CodeUnrecognizedClient},
		{"wrong token", creds(bedrocktest.Credentials{AccessKeyID: bedrocktest.TempAccessKeyID, SecretAccessKey: bedrocktest.TempSecretAccessKey, SessionToken: "other"}), bedrocktest.CodeUnrecognizedClient},
		{"wrong region", func(o *bedrockruntime.Options) { o.Region = "us-west-2" }, bedrocktest.CodeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := converseWith(t, runtimeClient(s, tt.opt))
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			code, status := apiError(t, err)
			if code != tt.code || status != http.StatusForbidden {
				t.Errorf("got %s %d, want %s 403", code, status, tt.code)
			}
		})
	}
	var r bedrocktest.Recorded
	for _, rec := range s.Requests() {
		if rec.AccessKeyID == bedrocktest.TempAccessKeyID && rec.Header.Get("X-Amz-Security-Token") == bedrocktest.SessionToken {
			r = rec
		}
	}
	if r.Auth != bedrocktest.AuthSigV4 {
		t.Errorf("no recorded request with the session token")
	}
}

func TestUnsigned(t *testing.T) {
	s := bedrocktest.New(t)
	resp, data, err := post(t, s, "converse", haiku, streamBody)
	if err != nil {
		t.Fatal(err)
	}
	want := bedrocktest.CodeMissingAuthenticationToken + ":http://internal.amazon.com/coral/com.amazon.coral.service/"
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != want || string(data) != `{"message":"Missing Authentication Token"}` {
		t.Errorf("got %d %v %s", resp.StatusCode, resp.Header, data)
	}
	if r := s.Requests()[0]; r.Auth != bedrocktest.AuthNone {
		t.Errorf("recorded auth %s, want none", r.Auth)
	}
}

func TestBadSignatureMessage(t *testing.T) {
	s := bedrocktest.New(t)
	err := converseWith(t, runtimeClient(s, func(o *bedrockruntime.Options) {
		o.Credentials = bedrocktest.Credentials{AccessKeyID: bedrocktest.AccessKeyID, SecretAccessKey: "wrong"}.Provider()
	}))
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorMessage() != bedrocktest.MsgBadSignature {
		t.Errorf("got %v, want %q", err, bedrocktest.MsgBadSignature)
	}
}

func TestClockSkew(t *testing.T) {
	tests := []struct {
		name string
		skew time.Duration
		ok   bool
	}{
		{"within five minutes", 4 * time.Minute, true},
		{"client behind", 6 * time.Minute, false},
		{"client ahead", -6 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bedrocktest.New(t, bedrocktest.WithClock(func() time.Time { return time.Now().Add(tt.skew) }))
			// Disable the SDK's clock-skew correction so that it signs
			// with its own clock on every attempt.
			err := converseWith(t, runtimeClient(s, func(o *bedrockruntime.Options) { o.Retryer = aws.NopRetryer{} }))
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if code, status := apiError(t, err); code != bedrocktest.CodeInvalidSignature || status != http.StatusForbidden {
				t.Errorf("got %s %d, want InvalidSignatureException 403", code, status)
			}
		})
	}
}

func TestControlPlaneSigV4(t *testing.T) {
	s := bedrocktest.New(t)
	_, err := controlClient(s, func(o *bedrock.Options) {
		o.Credentials = bedrocktest.Credentials{AccessKeyID: bedrocktest.AccessKeyID, SecretAccessKey: "wrong"}.Provider()
	}).ListInferenceProfiles(ctx(t), nil)
	if code, status := apiError(t, err); code != bedrocktest.CodeInvalidSignature || status != http.StatusForbidden {
		t.Errorf("got %s %d, want InvalidSignatureException 403", code, status)
	}
	if _, err := controlClient(s).ListInferenceProfiles(ctx(t), nil); err != nil {
		t.Errorf("right secret refused: %v", err)
	}
}

func bearerOption(s *bedrocktest.Server, token string) func(*bedrockruntime.Options) {
	return func(o *bedrockruntime.Options) {
		o.HTTPClient = s.Client()
		o.BearerAuthTokenProvider = bearer.TokenProviderFunc(func(context.Context) (bearer.Token, error) {
			return bearer.Token{Value: token}, nil
		})
		o.AuthSchemePreference = []string{"httpBearerAuth"}
	}
}

func TestBearerToken(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithTLS())
	if err := converseWith(t, runtimeClient(s, bearerOption(s, bedrocktest.BearerToken))); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.Auth != bedrocktest.AuthBearer || r.Header.Get("Authorization") != "Bearer "+bedrocktest.BearerToken || r.Header.Get("X-Amz-Date") != "" {
		t.Errorf("recorded auth %s, headers %v", r.Auth, r.Header)
	}
	err := converseWith(t, runtimeClient(s, bearerOption(s, "not-a-key")))
	if code, status := apiError(t, err); code != bedrocktest.CodeAccessDenied || status != http.StatusForbidden {
		t.Errorf("wrong key: got %s %d, want AccessDeniedException 403", code, status)
	}
}

func TestBearerTokenFromEnvironment(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithTLS(), bedrocktest.WithBearerTokens("env-key"))
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "env-key")
	c := runtimeClient(s, func(o *bedrockruntime.Options) { o.HTTPClient = s.Client() })
	out, err := c.ConverseStream(ctx(t), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: []types.Message{userMessage("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := streamEvents(t, out); err != nil {
		t.Fatal(err)
	}
	if r := s.Requests()[0]; r.Auth != bedrocktest.AuthBearer || r.Header.Get("Authorization") != "Bearer env-key" {
		t.Errorf("recorded auth %s %q", r.Auth, r.Header.Get("Authorization"))
	}
}
