package awssecretstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/outcrop/outcrop/internal/auth/masterkey/awssecretstest"
	"github.com/outcrop/outcrop/internal/awstest"
)

// The fixtures' dates, with milliseconds: the protocol's precision.
func modified() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC) }
func created() time.Time  { return time.Date(2024, 11, 2, 17, 0, 0, 125_000_000, time.UTC) }

func newServer(t *testing.T, opts ...awssecretstest.Option) *awssecretstest.Server {
	t.Helper()
	base := []awssecretstest.Option{
		awssecretstest.WithParameters(
			awssecretstest.Parameter{Name: "/outcrop/api-key", Value: "sk-param-plain", Version: 3, LastModified: modified()},
			awssecretstest.Parameter{Name: "plain", Value: "not-secret", Type: awssecretstest.TypeString},
		),
		awssecretstest.WithSecrets(
			awssecretstest.Secret{Name: "outcrop/master", String: `{"api_key":"sk-secret-plain"}`, VersionID: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", Created: created()},
			awssecretstest.Secret{Name: "outcrop/binary", Binary: []byte{0, 1, 2, 0xff}},
		),
	}
	return awssecretstest.New(t, append(base, opts...)...)
}

// TestSDKParsesGetParameter shows the official SSM client decoding what
// the emulator serves, with and without decryption.
func TestSDKParsesGetParameter(t *testing.T) {
	s := newServer(t)
	client := ssm.NewFromConfig(s.AWSConfig())
	arn := awssecretstest.ParameterARN(awssecretstest.Region, "/outcrop/api-key")
	tests := []struct {
		name    string
		id      string
		decrypt bool
		want    ssmtypes.Parameter
	}{
		{"decrypted by name", "/outcrop/api-key", true, ssmtypes.Parameter{
			ARN: aws.String(arn), DataType: aws.String("text"), LastModifiedDate: aws.Time(modified()),
			Name: aws.String("/outcrop/api-key"), Type: ssmtypes.ParameterTypeSecureString,
			Value: aws.String("sk-param-plain"), Version: 3,
		}},
		{"decrypted by ARN", arn, true, ssmtypes.Parameter{
			ARN: aws.String(arn), DataType: aws.String("text"), LastModifiedDate: aws.Time(modified()),
			Name: aws.String("/outcrop/api-key"), Type: ssmtypes.ParameterTypeSecureString,
			Value: aws.String("sk-param-plain"), Version: 3,
		}},
		{"encrypted without decryption", "/outcrop/api-key", false, ssmtypes.Parameter{
			ARN: aws.String(arn), DataType: aws.String("text"), LastModifiedDate: aws.Time(modified()),
			Name: aws.String("/outcrop/api-key"), Type: ssmtypes.ParameterTypeSecureString,
			Value: aws.String(awssecretstest.EncryptedValue("/outcrop/api-key", 3)), Version: 3,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.GetParameter(context.Background(), &ssm.GetParameterInput{
				Name: aws.String(tt.id), WithDecryption: aws.Bool(tt.decrypt),
			})
			if err != nil {
				t.Fatalf("GetParameter: %v", err)
			}
			if diff := cmp.Diff(tt.want, *out.Parameter, cmpopts.IgnoreUnexported(ssmtypes.Parameter{})); diff != "" {
				t.Errorf("parameter (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEncryptedValueHidesValue checks the ciphertext stand-in neither
// carries nor depends on the plain value.
func TestEncryptedValueHidesValue(t *testing.T) {
	got := awssecretstest.EncryptedValue("/outcrop/api-key", 3)
	if strings.Contains(got, "sk-param-plain") || !strings.HasPrefix(got, "AQICAH") {
		t.Errorf("got %q, want KMS-shaped base64 without the value", got)
	}
	if again := awssecretstest.EncryptedValue("/outcrop/api-key", 4); again == got {
		t.Errorf("got the same ciphertext %q for versions 3 and 4, want different", got)
	}
}

// TestSDKParsesGetSecretValue shows the official Secrets Manager client
// decoding what the emulator serves.
func TestSDKParsesGetSecretValue(t *testing.T) {
	s := newServer(t)
	client := secretsmanager.NewFromConfig(s.AWSConfig())
	arn := awssecretstest.SecretARN(awssecretstest.Region, "outcrop/master")
	want := secretsmanager.GetSecretValueOutput{
		ARN: aws.String(arn), CreatedDate: aws.Time(created()), Name: aws.String("outcrop/master"),
		SecretString: aws.String(`{"api_key":"sk-secret-plain"}`),
		VersionId:    aws.String("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"), VersionStages: []string{"AWSCURRENT"},
	}
	partial, _, _ := strings.Cut(arn, "outcrop/master-")
	for _, id := range []string{"outcrop/master", arn, partial + "outcrop/master"} {
		t.Run(id, func(t *testing.T) {
			out, err := client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
			if err != nil {
				t.Fatalf("GetSecretValue: %v", err)
			}
			opts := cmp.Options{
				cmpopts.IgnoreFields(secretsmanager.GetSecretValueOutput{}, "ResultMetadata"),
				cmpopts.IgnoreUnexported(secretsmanager.GetSecretValueOutput{}),
			}
			if diff := cmp.Diff(want, *out, opts); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("binary", func(t *testing.T) {
		out, err := client.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("outcrop/binary")})
		if err != nil {
			t.Fatalf("GetSecretValue: %v", err)
		}
		if out.SecretString != nil || !bytes.Equal(out.SecretBinary, []byte{0, 1, 2, 0xff}) {
			t.Errorf("got SecretString %v, SecretBinary %v; want nil, [0 1 2 255]", out.SecretString, out.SecretBinary)
		}
		if out.VersionId == nil || len(*out.VersionId) != 36 {
			t.Errorf("got VersionId %v, want a derived UUID", out.VersionId)
		}
	})
}

// TestSDKParsesErrors shows the SDK clients mapping the emulator's errors
// to their typed errors, with the services' messages.
func TestSDKParsesErrors(t *testing.T) {
	s := newServer(t, awssecretstest.WithDenied("/denied", "outcrop/master"))
	ssmClient := ssm.NewFromConfig(s.AWSConfig())
	smClient := secretsmanager.NewFromConfig(s.AWSConfig())
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantMsg  string
		typed    func(error) bool
	}{
		{"parameter not found", func() error {
			_, err := ssmClient.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing"), WithDecryption: aws.Bool(true)})
			return err
		}, "ParameterNotFound", "Parameter /missing not found.", func(err error) bool {
			var e *ssmtypes.ParameterNotFound
			return errors.As(err, &e)
		}},
		{"parameter denied", func() error {
			_, err := ssmClient.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/denied")})
			return err
		}, "AccessDeniedException", "ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/denied", nil},
		{"secret not found", func() error {
			_, err := smClient.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
			return err
		}, "ResourceNotFoundException", awssecretstest.MsgSecretNotFound, func(err error) bool {
			var e *smtypes.ResourceNotFoundException
			return errors.As(err, &e)
		}},
		{"secret stage not found", func() error {
			_, err := smClient.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("outcrop/binary"), VersionStage: aws.String("AWSPREVIOUS")})
			return err
		}, "ResourceNotFoundException", "staging label: AWSPREVIOUS", nil},
		{"secret denied", func() error {
			_, err := smClient.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("outcrop/master")})
			return err
		}, "AccessDeniedException", "secretsmanager:GetSecretValue on resource: outcrop/master", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			awstest.CheckAPIError(t, err, tt.wantCode, tt.wantMsg, http.StatusBadRequest)
			if tt.typed != nil && !tt.typed(err) {
				t.Errorf("got %T, want the SDK's modelled error type", err)
			}
		})
	}
}

// TestRefusesBadSignatures sends requests signed wrongly, or not at all,
// and checks the front door's answers and the recording.
func TestRefusesBadSignatures(t *testing.T) {
	now := time.Now()
	good := awssecretstest.DefaultCredentials()
	tests := []struct {
		name     string
		target   string
		sign     *awstest.Signing // nil: unsigned
		wantCode string
		wantMsg  string
	}{
		{"unsigned", awssecretstest.TargetGetParameter, nil, awssecretstest.CodeMissingAuthenticationToken, awssecretstest.MsgMissingAuthenticationToken},
		{
			"wrong secret", awssecretstest.TargetGetParameter, &awstest.Signing{Credentials: awssecretstest.Credentials{AccessKeyID: good.AccessKeyID, SecretAccessKey: "wrong"}, Service: "ssm", Region: "us-east-1", At: now},
			awssecretstest.CodeInvalidSignature, awssecretstest.MsgInvalidSignature,
		},
		{
			"unknown key", awssecretstest.TargetGetParameter, &awstest.Signing{Credentials: awssecretstest.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "x"}, Service: "ssm", Region: "us-east-1", At: now},
			awssecretstest.CodeUnrecognizedClient, awssecretstest.MsgUnrecognizedClient,
		},
		{
			"ssm signed for secretsmanager", awssecretstest.TargetGetParameter, &awstest.Signing{Credentials: good, Service: "secretsmanager", Region: "us-east-1", At: now},
			awssecretstest.CodeInvalidSignature, "Credential should be scoped to correct service: 'ssm'.",
		},
		{
			"secretsmanager signed for ssm", awssecretstest.TargetGetSecretValue, &awstest.Signing{Credentials: good, Service: "ssm", Region: "us-east-1", At: now},
			awssecretstest.CodeInvalidSignature, "Credential should be scoped to correct service: 'secretsmanager'.",
		},
		{
			"wrong region", awssecretstest.TargetGetParameter, &awstest.Signing{Credentials: good, Service: "ssm", Region: "eu-west-1", At: now},
			awssecretstest.CodeInvalidSignature, "Credential should be scoped to a valid region, not 'eu-west-1'.",
		},
		{
			"expired", awssecretstest.TargetGetParameter, &awstest.Signing{Credentials: good, Service: "ssm", Region: "us-east-1", At: now.Add(-10 * time.Minute)},
			awssecretstest.CodeInvalidSignature, "Signature expired",
		},
		{
			"unknown target", "AmazonSSM.PutParameter", &awstest.Signing{Credentials: good, Service: "ssm", Region: "us-east-1", At: now},
			awssecretstest.CodeUnknownOperation, "",
		},
		{"good", awssecretstest.TargetGetParameter, &awstest.Signing{Credentials: good, Service: "ssm", Region: "us-east-1", At: now}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, awssecretstest.WithClock(func() time.Time { return now }))
			body := `{"Name":"/outcrop/api-key","WithDecryption":true}`
			if tt.target == awssecretstest.TargetGetSecretValue {
				body = `{"SecretId":"outcrop/master"}`
			}
			status, typ, msg := post(t, s, tt.target, body, tt.sign)
			wantStatus := http.StatusBadRequest
			if tt.wantCode == "" {
				wantStatus = http.StatusOK
			}
			if status != wantStatus || typ != tt.wantCode || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", status, typ, msg, wantStatus, tt.wantCode, tt.wantMsg)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].ErrorCode != tt.wantCode || reqs[0].Target != tt.target || reqs[0].Body == nil {
				t.Fatalf("got records %+v, want one for %s answered %q", reqs, tt.target, tt.wantCode)
			}
		})
	}
}

// TestRefusesWrongContentType checks the protocol is AWS JSON 1.1.
func TestRefusesWrongContentType(t *testing.T) {
	s := newServer(t)
	c := call(awssecretstest.TargetGetParameter, `{"Name":"plain"}`, &awstest.Signing{
		Credentials: awssecretstest.DefaultCredentials(), Service: "ssm", Region: "us-east-1", At: time.Now(),
	})
	c.ContentType = "application/json"
	if a := c.Send(t, s.URL()); a.Status != http.StatusBadRequest || a.Type != awssecretstest.CodeUnknownOperation {
		t.Errorf("got %d %s, want 400 %s", a.Status, a.Type, awssecretstest.CodeUnknownOperation)
	}
}

// TestQueuedFailures checks that queued failures answer, in order, the
// requests that pass the front door and the protocol's checks, each with
// its service's spelling of the message member, and that the operations
// answer again after them.
func TestQueuedFailures(t *testing.T) {
	s := newServer(t, awssecretstest.WithFailures(awssecretstest.Failure{Code: "ThrottlingException", Message: "Rate exceeded"}))
	s.Fail(awssecretstest.Failure{Code: "InternalServiceError"})
	ssmSigning := &awstest.Signing{Credentials: awssecretstest.DefaultCredentials(), Service: "ssm", Region: "us-east-1", At: time.Now()}
	smSigning := &awstest.Signing{Credentials: awssecretstest.DefaultCredentials(), Service: "secretsmanager", Region: "us-east-1", At: time.Now()}
	const param, secret = `{"Name":"plain"}`, `{"SecretId":"outcrop/master"}`
	tests := []struct {
		name                      string
		call                      awstest.Call
		status                    int
		typ, message, capitalized string // the body's __type, "message" and "Message"
	}{
		{
			"unsigned, refused first", call(awssecretstest.TargetGetParameter, param, nil), 400,
			awssecretstest.CodeMissingAuthenticationToken, awssecretstest.MsgMissingAuthenticationToken, "",
		},
		{"first failure", call(awssecretstest.TargetGetParameter, param, ssmSigning), 400, "ThrottlingException", "Rate exceeded", ""},
		{
			"second failure, its code as message", call(awssecretstest.TargetGetSecretValue, secret, smSigning), 400,
			"InternalServiceError", "", "InternalServiceError",
		},
		{"answered again", call(awssecretstest.TargetGetParameter, param, ssmSigning), 200, "", "", ""},
	}
	for _, tt := range tests {
		a := tt.call.Send(t, s.URL())
		if a.Status != tt.status || a.Type != tt.typ || a.Message != tt.message || a.CapitalMessage != tt.capitalized {
			t.Errorf("%s: got %d %s %q %q, want %d %s %q %q", tt.name, a.Status, a.Type, a.Message, a.CapitalMessage,
				tt.status, tt.typ, tt.message, tt.capitalized)
		}
	}
}

// TestRecordsSDKRequests checks what the emulator records of an SDK call,
// and the defaults of an unscripted parameter.
func TestRecordsSDKRequests(t *testing.T) {
	start := time.Now().Truncate(time.Millisecond)
	s := newServer(t, awssecretstest.WithClock(func() time.Time { return start }))
	client := ssm.NewFromConfig(s.AWSConfig())
	out, err := client.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("plain")})
	if err != nil {
		t.Fatalf("GetParameter: %v", err)
	}
	if p := out.Parameter; p.Version != 1 || !p.LastModifiedDate.Equal(start) || aws.ToString(p.Value) != "not-secret" {
		t.Errorf("got version %d, modified %v, value %q; want 1, %v, \"not-secret\"", p.Version, p.LastModifiedDate, aws.ToString(p.Value), start)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d records, want 1", len(reqs))
	}
	r := reqs[0]
	got := []string{r.Target, r.Service, r.Region, r.AccessKeyID, r.Header.Get("Content-Type"), r.ErrorCode}
	want := []string{awssecretstest.TargetGetParameter, "ssm", "us-east-1", awssecretstest.AccessKeyID, "application/x-amz-json-1.1", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil || body["Name"] != "plain" {
		t.Errorf("got body %s, want Name plain", r.Body)
	}
}

// post sends body to target, signed by sg (unsigned when nil), and
// returns the status, __type and message of the answer.
func post(t *testing.T, s *awssecretstest.Server, target, body string, sg *awstest.Signing) (status int, typ, msg string) {
	t.Helper()
	a := call(target, body, sg).Send(t, s.URL())
	return a.Status, a.Type, a.Message + a.CapitalMessage
}

// call is an AWS JSON 1.1 call of target with body, signed by sg
// (unsigned when nil).
func call(target, body string, sg *awstest.Signing) awstest.Call {
	return awstest.Call{ContentType: "application/x-amz-json-1.1", Target: target, Body: body, Sign: sg}
}
