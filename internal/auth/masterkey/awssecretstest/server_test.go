package awssecretstest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/outcrop/outcrop/internal/auth/masterkey/awssecretstest"
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
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("got error %v, want a smithy.APIError", err)
			}
			if api.ErrorCode() != tt.wantCode || !strings.Contains(api.ErrorMessage(), tt.wantMsg) {
				t.Errorf("got %s %q, want %s containing %q", api.ErrorCode(), api.ErrorMessage(), tt.wantCode, tt.wantMsg)
			}
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
		sign     *signing // nil: unsigned
		wantCode string
		wantMsg  string
	}{
		{"unsigned", awssecretstest.TargetGetParameter, nil, awssecretstest.CodeMissingAuthenticationToken, awssecretstest.MsgMissingAuthenticationToken},
		{
			"wrong secret", awssecretstest.TargetGetParameter, &signing{creds: awssecretstest.Credentials{AccessKeyID: good.AccessKeyID, SecretAccessKey: "wrong"}, service: "ssm", region: "us-east-1", at: now},
			awssecretstest.CodeInvalidSignature, awssecretstest.MsgInvalidSignature,
		},
		{
			"unknown key", awssecretstest.TargetGetParameter, &signing{creds: awssecretstest.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "x"}, service: "ssm", region: "us-east-1", at: now},
			awssecretstest.CodeUnrecognizedClient, awssecretstest.MsgUnrecognizedClient,
		},
		{
			"ssm signed for secretsmanager", awssecretstest.TargetGetParameter, &signing{creds: good, service: "secretsmanager", region: "us-east-1", at: now},
			awssecretstest.CodeInvalidSignature, "Credential should be scoped to correct service: 'ssm'.",
		},
		{
			"secretsmanager signed for ssm", awssecretstest.TargetGetSecretValue, &signing{creds: good, service: "ssm", region: "us-east-1", at: now},
			awssecretstest.CodeInvalidSignature, "Credential should be scoped to correct service: 'secretsmanager'.",
		},
		{
			"wrong region", awssecretstest.TargetGetParameter, &signing{creds: good, service: "ssm", region: "eu-west-1", at: now},
			awssecretstest.CodeInvalidSignature, "Credential should be scoped to a valid region, not 'eu-west-1'.",
		},
		{
			"expired", awssecretstest.TargetGetParameter, &signing{creds: good, service: "ssm", region: "us-east-1", at: now.Add(-10 * time.Minute)},
			awssecretstest.CodeInvalidSignature, "Signature expired",
		},
		{
			"unknown target", "AmazonSSM.PutParameter", &signing{creds: good, service: "ssm", region: "us-east-1", at: now},
			awssecretstest.CodeUnknownOperation, "",
		},
		{"good", awssecretstest.TargetGetParameter, &signing{creds: good, service: "ssm", region: "us-east-1", at: now}, "", ""},
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
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(`{"Name":"plain"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Target", awssecretstest.TargetGetParameter)
	sign(t, req, `{"Name":"plain"}`, signing{creds: awssecretstest.DefaultCredentials(), service: "ssm", region: "us-east-1", at: time.Now()})
	status, typ, _ := do(t, req)
	if status != http.StatusBadRequest || typ != awssecretstest.CodeUnknownOperation {
		t.Errorf("got %d %s, want 400 %s", status, typ, awssecretstest.CodeUnknownOperation)
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

// signing is how a hand-made request is signed.
type signing struct {
	creds           awssecretstest.Credentials
	service, region string
	at              time.Time
}

// post sends body to target, signed by sg (unsigned when nil), and
// returns the status, __type and message of the answer.
func post(t *testing.T, s *awssecretstest.Server, target, body string, sg *signing) (status int, typ, msg string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if sg != nil {
		sign(t, req, body, *sg)
	}
	return do(t, req)
}

func sign(t *testing.T, req *http.Request, body string, sg signing) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{
		AccessKeyID: sg.creds.AccessKeyID, SecretAccessKey: sg.creds.SecretAccessKey,
	}, req, hex.EncodeToString(sum[:]), sg.service, sg.region, sg.at)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
}

func do(t *testing.T, req *http.Request) (status int, typ, msg string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
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
