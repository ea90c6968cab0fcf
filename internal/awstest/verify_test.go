package awstest_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
)

// signedAt is when test requests are signed.
func signedAt() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) }

func longTerm() awstest.Credentials {
	return awstest.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "long/term/secret"}
}

func temporary() awstest.Credentials {
	return awstest.Credentials{AccessKeyID: "ASIATEST", SecretAccessKey: "temporary/secret", SessionToken: "session-token"}
}

const testBody = `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`

// signing is how a test request is signed.
type signing struct {
	creds           awstest.Credentials
	service, region string
	at              time.Time
}

func goodSigning() signing {
	return signing{creds: longTerm(), service: "bedrock", region: "us-east-1", at: signedAt()}
}

func options() awstest.VerifyOptions {
	return awstest.VerifyOptions{
		Credentials: []awstest.Credentials{longTerm(), temporary()},
		Region:      "us-east-1",
		Services:    []string{"bedrock", "kendra"},
		Now:         func() time.Time { return signedAt().Add(time.Minute) },
	}
}

// signed returns a request signed by the SDK's signer as the emulator's
// handler sees it: written to the wire and read back.
func signed(t *testing.T, sg signing) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		"http://127.0.0.1:8080/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Target", "AWSKendraFrontendService.Query")
	sum := sha256.Sum256([]byte(testBody))
	c, err := sg.creds.Provider().Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := v4.NewSigner().SignHTTP(t.Context(), c, req, hex.EncodeToString(sum[:]), sg.service, sg.region, sg.at); err != nil {
		t.Fatalf("sign: %v", err)
	}
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	got, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	return got.WithContext(t.Context())
}

func TestVerifyAccepts(t *testing.T) {
	tests := []struct {
		name  string
		sign  signing
		opts  func(*awstest.VerifyOptions)
		creds awstest.Credentials
	}{
		{"long-term credentials", goodSigning(), nil, longTerm()},
		{"session token", signing{creds: temporary(), service: "bedrock", region: "us-east-1", at: signedAt()}, nil, temporary()},
		{"second service", signing{creds: longTerm(), service: "kendra", region: "us-east-1", at: signedAt()}, nil, longTerm()},
		{"clock behind within skew", goodSigning(), func(o *awstest.VerifyOptions) {
			o.Now = func() time.Time { return signedAt().Add(-awstest.MaxSkew) }
		}, longTerm()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := options()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			id, err := awstest.Verify(signed(t, tt.sign), []byte(testBody), opts)
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if id.Credentials != tt.creds || id.Authorization.Service != tt.sign.service || !id.Time.Equal(signedAt()) {
				t.Errorf("got identity %+v, want %s signed for %s at %v", id, tt.creds.AccessKeyID, tt.sign.service, signedAt())
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	tests := []struct {
		name   string
		sign   signing
		tamper func(r *http.Request, body *[]byte, o *awstest.VerifyOptions)
		want   error
		code   string
	}{
		{"tampered body", goodSigning(), func(_ *http.Request, b *[]byte, _ *awstest.VerifyOptions) {
			*b = []byte(strings.Replace(string(*b), "hi", "ho", 1))
		}, awstest.ErrSignature, awstest.CodeInvalidSignature},
		{"tampered signed header", goodSigning(), func(r *http.Request, _ *[]byte, _ *awstest.VerifyOptions) {
			r.Header.Set("X-Amz-Target", "AWSKendraFrontendService.Retrieve")
		}, awstest.ErrSignature, awstest.CodeInvalidSignature},
		{"tampered path", goodSigning(), func(r *http.Request, _ *[]byte, _ *awstest.VerifyOptions) {
			r.URL.Path, r.URL.RawPath = "/model/other/converse", ""
		}, awstest.ErrSignature, awstest.CodeInvalidSignature},
		{"wrong secret", signing{creds: awstest.Credentials{AccessKeyID: longTerm().AccessKeyID, SecretAccessKey: "wrong"}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.ErrSignature, awstest.CodeInvalidSignature},
		{"unknown key", signing{creds: awstest.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "x"}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.ErrUnknownKey, awstest.CodeUnrecognizedClient},
		{"missing session token", signing{creds: awstest.Credentials{AccessKeyID: temporary().AccessKeyID, SecretAccessKey: temporary().SecretAccessKey}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.ErrSessionToken, awstest.CodeUnrecognizedClient},
		{"wrong session token", signing{creds: awstest.Credentials{AccessKeyID: temporary().AccessKeyID, SecretAccessKey: temporary().SecretAccessKey, SessionToken: "other"}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.ErrSessionToken, awstest.CodeUnrecognizedClient},
		{"token for a long-term key", signing{creds: awstest.Credentials{AccessKeyID: longTerm().AccessKeyID, SecretAccessKey: longTerm().SecretAccessKey, SessionToken: "t"}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.ErrSessionToken, awstest.CodeUnrecognizedClient},
		{"wrong service", signing{creds: longTerm(), service: "ssm", region: "us-east-1", at: signedAt()}, nil, awstest.ErrService, awstest.CodeInvalidSignature},
		{"no services accepted", goodSigning(), func(_ *http.Request, _ *[]byte, o *awstest.VerifyOptions) { o.Services = nil }, awstest.ErrService, awstest.CodeInvalidSignature},
		{"wrong region", signing{creds: longTerm(), service: "bedrock", region: "eu-west-1", at: signedAt()}, nil, awstest.ErrRegion, awstest.CodeInvalidSignature},
		{"clock ahead past skew", goodSigning(), func(_ *http.Request, _ *[]byte, o *awstest.VerifyOptions) {
			o.Now = func() time.Time { return signedAt().Add(awstest.MaxSkew + time.Second) }
		}, awstest.ErrExpired, awstest.CodeInvalidSignature},
		{"clock behind past skew", goodSigning(), func(_ *http.Request, _ *[]byte, o *awstest.VerifyOptions) {
			o.Now = func() time.Time { return signedAt().Add(-awstest.MaxSkew - time.Second) }
		}, awstest.ErrNotYetCurrent, awstest.CodeInvalidSignature},
		{"no X-Amz-Date", goodSigning(), func(r *http.Request, _ *[]byte, _ *awstest.VerifyOptions) {
			r.Header.Del("X-Amz-Date")
		}, awstest.ErrNoDate, awstest.CodeIncompleteSignature},
		{"X-Amz-Date on another day", goodSigning(), func(r *http.Request, _ *[]byte, _ *awstest.VerifyOptions) {
			r.Header.Set("X-Amz-Date", signedAt().AddDate(0, 0, 1).Format("20060102T150405Z"))
		}, awstest.ErrScopeDate, awstest.CodeInvalidSignature},
		{"no Authorization", goodSigning(), func(r *http.Request, _ *[]byte, _ *awstest.VerifyOptions) {
			r.Header.Del("Authorization")
		}, awstest.ErrMissing, awstest.CodeMissingAuthenticationToken},
		{"malformed Authorization", goodSigning(), func(r *http.Request, _ *[]byte, _ *awstest.VerifyOptions) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST")
		}, awstest.ErrMalformed, awstest.CodeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body, opts := signed(t, tt.sign), []byte(testBody), options()
			if tt.tamper != nil {
				tt.tamper(r, &body, &opts)
			}
			id, err := awstest.Verify(r, body, opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var e *awstest.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Errorf("got %#v, want an *Error with code %s", err, tt.code)
			}
			if diff := cmp.Diff(awstest.Identity{}, id); diff != "" {
				t.Errorf("identity of a refused request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifyMessages checks the words of the refusals that name the
// request's values; emulator tests match on them.
func TestVerifyMessages(t *testing.T) {
	tests := []struct {
		name   string
		sign   signing
		tamper func(r *http.Request, o *awstest.VerifyOptions)
		want   string
	}{
		{"wrong secret", signing{creds: awstest.Credentials{AccessKeyID: longTerm().AccessKeyID, SecretAccessKey: "wrong"}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.MsgInvalidSignature},
		{"unknown key", signing{creds: awstest.Credentials{AccessKeyID: "AKIDOTHER"}, service: "bedrock", region: "us-east-1", at: signedAt()}, nil, awstest.MsgUnrecognizedClient},
		{"wrong region", signing{creds: longTerm(), service: "bedrock", region: "eu-west-1", at: signedAt()}, nil, "Credential should be scoped to a valid region, not 'eu-west-1'."},
		{"wrong service names the first", signing{creds: longTerm(), service: "ssm", region: "us-east-1", at: signedAt()}, nil, "Credential should be scoped to correct service: 'bedrock'."},
		{"expired", goodSigning(), func(_ *http.Request, o *awstest.VerifyOptions) {
			o.Now = func() time.Time { return time.Date(2025, 3, 4, 5, 12, 0, 0, time.UTC) }
		}, "Signature expired: 20250304T050607Z is now earlier than 20250304T050700Z (20250304T051200Z - 5 min.)"},
		{"not yet current", goodSigning(), func(_ *http.Request, o *awstest.VerifyOptions) {
			o.Now = func() time.Time { return time.Date(2025, 3, 4, 5, 0, 0, 0, time.UTC) }
		}, "Signature not yet current: 20250304T050607Z is still later than 20250304T050500Z (20250304T050000Z + 5 min.)"},
		{"scope date", goodSigning(), func(r *http.Request, _ *awstest.VerifyOptions) {
			r.Header.Set("X-Amz-Date", "20250305T050607Z")
		}, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20250304' != '20250305', from '20250305T050607Z'."},
		{"no date", goodSigning(), func(r *http.Request, _ *awstest.VerifyOptions) {
			r.Header.Del("X-Amz-Date")
		}, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."},
		{"not SigV4", goodSigning(), func(r *http.Request, _ *awstest.VerifyOptions) {
			r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		}, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=Basic"},
		{"no header", goodSigning(), func(r *http.Request, _ *awstest.VerifyOptions) {
			r.Header.Del("Authorization")
		}, awstest.MsgMissingAuthenticationToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, opts := signed(t, tt.sign), options()
			if tt.tamper != nil {
				tt.tamper(r, &opts)
			}
			_, err := awstest.Verify(r, []byte(testBody), opts)
			if e := awstest.Refusal(err); e == nil || e.Message != tt.want {
				t.Errorf("got %v, want message %q", err, tt.want)
			}
		})
	}
}

func TestRefusal(t *testing.T) {
	if e := awstest.Refusal(nil); e != nil {
		t.Errorf("got %v for nil, want nil", e)
	}
	other := errors.New("boom")
	e := awstest.Refusal(other)
	if e == nil || !errors.Is(e, other) || e.Code != awstest.CodeInvalidSignature {
		t.Errorf("got %#v, want an InvalidSignatureException wrapping %v", e, other)
	}
	_, err := awstest.ParseAuthorization("")
	if e := awstest.Refusal(err); e == nil || !errors.Is(e, awstest.ErrMissing) {
		t.Errorf("got %#v, want the *Error wrapping ErrMissing", e)
	}
}
