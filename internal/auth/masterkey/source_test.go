package masterkey_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/auth/masterkey"
)

func TestSourceFromEnv(t *testing.T) {
	env := map[string]string{
		"API_KEY": "sk-env", "API_KEY_PARAM_NAME": "/p", "API_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:s",
		"OPENAI_API_KEY": "ignored", "AWS_REGION": "eu-west-1",
	}
	got := masterkey.SourceFromEnv(func(k string) string { return env[k] })
	want := masterkey.Source{Key: "sk-env", ParamName: "/p", SecretARN: "arn:aws:secretsmanager:us-east-1:1:secret:s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
}

func TestSourceDescribe(t *testing.T) {
	tests := []struct {
		name           string
		src            masterkey.Source
		want           string
		wantConfigured bool
	}{
		{"nothing", masterkey.Source{Field: "f", Region: "us-east-1"}, "", false},
		{"key", masterkey.Source{Key: "sk-secret-value"}, "API_KEY", true},
		{"parameter", masterkey.Source{ParamName: "/outcrop/key"}, "ssm:/outcrop/key", true},
		{"secret", masterkey.Source{SecretARN: "arn:s"}, "secretsmanager:arn:s", true},
		{"parameter first", masterkey.Source{Key: "sk-secret-value", ParamName: "/p", SecretARN: "arn:s"}, "ssm:/p", true},
		{"secret before key", masterkey.Source{Key: "sk-secret-value", SecretARN: "arn:s"}, "secretsmanager:arn:s", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.src.Describe(); got != tt.want {
				t.Errorf("got Describe %q, want %q", got, tt.want)
			}
			if got := tt.src.Configured(); got != tt.wantConfigured {
				t.Errorf("got Configured %v, want %v", got, tt.wantConfigured)
			}
		})
	}
}
