package masterkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/auth/masterkey"
	"github.com/outcrop/outcrop/internal/auth/masterkey/awssecretstest"
)

// The values the fixtures hold. None may appear in an error.
const (
	ssmKey       = "sk-from-ssm-7f3a"
	stringKey    = "sk-from-string-param-2c4e"
	secretKey    = "sk-from-secret-91c2"
	otherKey     = "sk-other-field-55ab"
	wrongField   = "sk-wrong-field-0d1e"
	notJSON      = "sk-not-json-8b8b"
	jsonString   = "sk-json-string-6f01"
	nestedValue  = "sk-nested-value-3e3e"
	binaryValue  = "sk-binary-only-a7a7"
	plainKey     = "sk-plain-env-key-1234"
	deniedSSM    = "sk-denied-ssm-9999"
	deniedSecret = "sk-denied-secret-8888"
)

// secretValues lists every value the fixtures hold.
func secretValues() []string {
	return []string{
		ssmKey, stringKey, secretKey, otherKey, wrongField, notJSON, jsonString,
		nestedValue, binaryValue, plainKey, deniedSSM, deniedSecret,
	}
}

func fixtures() []awssecretstest.Option {
	return []awssecretstest.Option{
		awssecretstest.WithParameters(
			awssecretstest.Parameter{Name: "/outcrop/master", Value: ssmKey},
			awssecretstest.Parameter{Name: "plain-param", Value: stringKey, Type: awssecretstest.TypeString},
			awssecretstest.Parameter{Name: "/outcrop/blank", Value: "  "},
			awssecretstest.Parameter{Name: "/outcrop/denied", Value: deniedSSM},
		),
		awssecretstest.WithSecrets(
			awssecretstest.Secret{Name: "outcrop/master", String: `{"api_key":"` + secretKey + `","other":"` + otherKey + `"}`},
			awssecretstest.Secret{Name: "outcrop/no-field", String: `{"key":"` + wrongField + `"}`},
			awssecretstest.Secret{Name: "outcrop/not-json", String: notJSON},
			awssecretstest.Secret{Name: "outcrop/json-string", String: `"` + jsonString + `"`},
			awssecretstest.Secret{Name: "outcrop/nested", String: `{"api_key":{"v":"` + nestedValue + `"}}`},
			awssecretstest.Secret{Name: "outcrop/empty-field", String: `{"api_key":""}`},
			awssecretstest.Secret{Name: "outcrop/null-field", String: `{"api_key":null}`},
			awssecretstest.Secret{Name: "outcrop/null", String: `null`},
			awssecretstest.Secret{Name: "outcrop/binary", Binary: []byte(binaryValue)},
			awssecretstest.Secret{Name: "outcrop/denied", String: `{"api_key":"` + deniedSecret + `"}`},
		),
		awssecretstest.WithDenied("/outcrop/denied", "outcrop/denied"),
	}
}

// testEnv returns the getenv for Load: the emulator's environment with
// extra laid over it (an empty value unsets). The SDK's own chain reads
// the process environment, so the credentials and region go there too,
// and everything else that could steer it elsewhere (profiles, shared
// files, IMDS, endpoints) is cleared: endpoints reach Load only through
// getenv.
func testEnv(t *testing.T, s *awssecretstest.Server, extra map[string]string) func(string) string {
	t.Helper()
	env := s.Env()
	for k, v := range extra {
		env[k] = v
	}
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": env["AWS_SECRET_ACCESS_KEY"],
		"AWS_REGION": env["AWS_REGION"], "AWS_DEFAULT_REGION": "", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_SSM": "",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": "", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
	} {
		t.Setenv(k, v)
	}
	return func(k string) string { return env[k] }
}

// TestLoad reads each source end to end through the real SDK clients
// against the emulator.
func TestLoad(t *testing.T) {
	tests := []struct {
		name        string
		src         masterkey.Source
		env         map[string]string
		want        string
		wantErr     error    // a sentinel errors.Is must find
		wantCode    string   // an AWS error code errors.As must find
		wantInErr   []string // pieces of the error text
		wantTargets []string // what the emulator received, in order
	}{
		{
			name: "ssm SecureString decrypted", src: masterkey.Source{ParamName: "/outcrop/master"},
			want: ssmKey, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "ssm by ARN", src: masterkey.Source{ParamName: awssecretstest.ParameterARN("us-east-1", "/outcrop/master")},
			want: ssmKey, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "ssm String parameter", src: masterkey.Source{ParamName: "plain-param"},
			want: stringKey, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "secret by name", src: masterkey.Source{SecretARN: "outcrop/master"},
			want: secretKey, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "secret by ARN", src: masterkey.Source{SecretARN: awssecretstest.SecretARN("us-east-1", "outcrop/master")},
			want: secretKey, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "secret field override", src: masterkey.Source{SecretARN: "outcrop/master", Field: "other"},
			want: otherKey, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{name: "plain key", src: masterkey.Source{Key: plainKey}, want: plainKey},
		{
			name: "precedence: parameter over secret and key",
			src:  masterkey.Source{Key: plainKey, ParamName: "/outcrop/master", SecretARN: "outcrop/master"},
			want: ssmKey, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "precedence: secret over key", src: masterkey.Source{Key: plainKey, SecretARN: "outcrop/master"},
			want: secretKey, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name:     "precedence: a failing parameter does not fall back",
			src:      masterkey.Source{Key: plainKey, ParamName: "/missing", SecretARN: "outcrop/master"},
			wantCode: "ParameterNotFound", wantInErr: []string{"ssm:/missing"}, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "missing parameter", src: masterkey.Source{ParamName: "/missing"}, wantCode: "ParameterNotFound",
			wantInErr:   []string{"master key from ssm:/missing", "Parameter /missing not found."},
			wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "parameter access denied", src: masterkey.Source{ParamName: "/outcrop/denied"}, wantCode: "AccessDeniedException",
			wantInErr: []string{"ssm:/outcrop/denied", "ssm:GetParameter"}, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "blank parameter", src: masterkey.Source{ParamName: "/outcrop/blank"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"ssm:/outcrop/blank", "empty"}, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "missing secret", src: masterkey.Source{SecretARN: "outcrop/missing"}, wantCode: "ResourceNotFoundException",
			wantInErr:   []string{"master key from secretsmanager:outcrop/missing", awssecretstest.MsgSecretNotFound},
			wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "secret access denied", src: masterkey.Source{SecretARN: "outcrop/denied"}, wantCode: "AccessDeniedException",
			wantInErr: []string{"secretsmanager:outcrop/denied"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "secret without api_key", src: masterkey.Source{SecretARN: "outcrop/no-field"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"secretsmanager:outcrop/no-field", `no field "api_key"`}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "secret without the overridden field", src: masterkey.Source{SecretARN: "outcrop/master", Field: "absent"},
			wantErr: masterkey.ErrInvalid, wantInErr: []string{`no field "absent"`}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "SecretString not JSON", src: masterkey.Source{SecretARN: "outcrop/not-json"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"not a JSON object"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "SecretString a JSON string", src: masterkey.Source{SecretARN: "outcrop/json-string"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"not a JSON object"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "SecretString null", src: masterkey.Source{SecretARN: "outcrop/null"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"not a JSON object"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "api_key not a string", src: masterkey.Source{SecretARN: "outcrop/nested"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{`field "api_key" of SecretString is not a string`}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "api_key empty", src: masterkey.Source{SecretARN: "outcrop/empty-field"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"empty"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "api_key null", src: masterkey.Source{SecretARN: "outcrop/null-field"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"empty"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{
			name: "SecretBinary only", src: masterkey.Source{SecretARN: "outcrop/binary"}, wantErr: masterkey.ErrInvalid,
			wantInErr: []string{"no SecretString"}, wantTargets: []string{awssecretstest.TargetGetSecretValue},
		},
		{name: "blank key", src: masterkey.Source{Key: " \t"}, wantErr: masterkey.ErrInvalid, wantInErr: []string{"master key from API_KEY"}},
		{name: "nothing configured", src: masterkey.Source{}, wantErr: masterkey.ErrNotConfigured},
		{
			name: "source region overrides AWS_REGION", src: masterkey.Source{ParamName: "/outcrop/master", Region: "eu-west-1"},
			wantCode: "InvalidSignatureException", wantInErr: []string{"not 'eu-west-1'"},
			wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "AWS_DEFAULT_REGION when AWS_REGION is unset", src: masterkey.Source{ParamName: "/outcrop/master"},
			env:  map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-1"},
			want: ssmKey, wantTargets: []string{awssecretstest.TargetGetParameter},
		},
		{
			name: "no region", src: masterkey.Source{ParamName: "/outcrop/master"}, env: map[string]string{"AWS_REGION": ""},
			wantInErr: []string{"no AWS region"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := awssecretstest.New(t, fixtures()...)
			got, err := masterkey.Load(context.Background(), tt.src, testEnv(t, s, tt.env))
			checkErr(t, err, tt.wantErr, tt.wantCode, tt.wantInErr)
			if got != tt.want {
				t.Errorf("got key %q, want %q", got, tt.want)
			}
			var targets []string
			for _, r := range s.Requests() {
				targets = append(targets, r.Target)
				checkDecryption(t, r)
			}
			if diff := cmp.Diff(tt.wantTargets, targets); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// checkErr checks err against a test case's expectations, and that it
// quotes no fixture value.
func checkErr(t *testing.T, err, wantErr error, wantCode string, wantInErr []string) {
	t.Helper()
	if wantErr == nil && wantCode == "" && len(wantInErr) == 0 {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want one")
	}
	if wantErr != nil && !errors.Is(err, wantErr) {
		t.Errorf("got error %v, want one wrapping %v", err, wantErr)
	}
	var api smithy.APIError
	if wantCode != "" && (!errors.As(err, &api) || api.ErrorCode() != wantCode) {
		t.Errorf("got error %v, want one wrapping AWS error %s", err, wantCode)
	}
	for _, piece := range wantInErr {
		if !strings.Contains(err.Error(), piece) {
			t.Errorf("got error %q, want it to contain %q", err, piece)
		}
	}
	for _, v := range secretValues() {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error %q reveals the secret value %q", err, v)
		}
	}
}

// checkDecryption checks a GetParameter request asked for the plain value:
// without WithDecryption SSM answers a SecureString's ciphertext.
func checkDecryption(t *testing.T, r awssecretstest.Recorded) {
	t.Helper()
	if r.Target != awssecretstest.TargetGetParameter {
		return
	}
	var body struct{ WithDecryption *bool }
	if err := json.Unmarshal(r.Body, &body); err != nil || body.WithDecryption == nil || !*body.WithDecryption {
		t.Errorf("got GetParameter body %s, want WithDecryption true", r.Body)
	}
}

// TestLoadEndpointPrecedence checks a service's own endpoint variable wins
// over AWS_ENDPOINT_URL, and that the other service's is ignored.
func TestLoadEndpointPrecedence(t *testing.T) {
	const generalKey, specificKey = "sk-general-endpoint", "sk-specific-endpoint"
	serve := func(t *testing.T, key string) *awssecretstest.Server {
		t.Helper()
		return awssecretstest.New(t,
			awssecretstest.WithParameters(awssecretstest.Parameter{Name: "/k", Value: key}),
			awssecretstest.WithSecrets(awssecretstest.Secret{Name: "k", String: `{"api_key":"` + key + `"}`}))
	}
	tests := []struct {
		name     string
		src      masterkey.Source
		specific string // the variable pointed at the specific server, "" for none
		want     string
	}{
		{"ssm: AWS_ENDPOINT_URL_SSM over AWS_ENDPOINT_URL", masterkey.Source{ParamName: "/k"}, "AWS_ENDPOINT_URL_SSM", specificKey},
		{"secrets manager: AWS_ENDPOINT_URL_SECRETS_MANAGER over AWS_ENDPOINT_URL", masterkey.Source{SecretARN: "k"}, "AWS_ENDPOINT_URL_SECRETS_MANAGER", specificKey},
		{"ssm: the secrets manager variable is not its own", masterkey.Source{ParamName: "/k"}, "AWS_ENDPOINT_URL_SECRETS_MANAGER", generalKey},
		{"secrets manager: the ssm variable is not its own", masterkey.Source{SecretARN: "k"}, "AWS_ENDPOINT_URL_SSM", generalKey},
		{"AWS_ENDPOINT_URL alone", masterkey.Source{SecretARN: "k"}, "", generalKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			general, specific := serve(t, generalKey), serve(t, specificKey)
			env := map[string]string{"AWS_ENDPOINT_URL": general.URL()}
			if tt.specific != "" {
				env[tt.specific] = specific.URL()
			}
			got, err := masterkey.Load(context.Background(), tt.src, testEnv(t, general, env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got != tt.want {
				t.Errorf("got key %q, want %q", got, tt.want)
			}
			wantGeneral, wantSpecific := 1, 0
			if tt.want == specificKey {
				wantGeneral, wantSpecific = 0, 1
			}
			if g, s := len(general.Requests()), len(specific.Requests()); g != wantGeneral || s != wantSpecific {
				t.Errorf("got %d requests to AWS_ENDPOINT_URL and %d to the other, want %d and %d", g, s, wantGeneral, wantSpecific)
			}
		})
	}
}

// TestLoadRetries checks a throttled read is retried, as the SDK's
// standard retry policy says, and that an answer that is not the
// operation's JSON fails without quoting it.
func TestLoadRetries(t *testing.T) {
	tests := []struct {
		name    string
		src     masterkey.Source
		failure string
		want    string
		target  string
	}{
		{"ssm throttled", masterkey.Source{ParamName: "/outcrop/master"}, "ThrottlingException", ssmKey, awssecretstest.TargetGetParameter},
		{"secret throttled", masterkey.Source{SecretARN: "outcrop/master"}, "TooManyRequestsException", secretKey, awssecretstest.TargetGetSecretValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := awssecretstest.New(t, append(fixtures(), awssecretstest.WithFailures(awssecretstest.Failure{Code: tt.failure}))...)
			got, err := masterkey.Load(context.Background(), tt.src, testEnv(t, s, nil))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got != tt.want {
				t.Errorf("got key %q, want %q", got, tt.want)
			}
			var targets []string
			for _, r := range s.Requests() {
				targets = append(targets, r.Target)
			}
			if diff := cmp.Diff([]string{tt.target, tt.target}, targets); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
