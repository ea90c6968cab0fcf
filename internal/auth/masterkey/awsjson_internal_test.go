package masterkey

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestServiceEndpoint(t *testing.T) {
	tests := []struct {
		name   string
		svc    service
		region string
		env    map[string]string
		want   string // "" for an error
	}{
		{"ssm", serviceSSM, "us-east-1", nil, "https://ssm.us-east-1.amazonaws.com/"},
		{"secrets manager", serviceSecretsManager, "eu-west-3", nil, "https://secretsmanager.eu-west-3.amazonaws.com/"},
		{"china", serviceSSM, "cn-north-1", nil, "https://ssm.cn-north-1.amazonaws.com.cn/"},
		{"fips", serviceSecretsManager, "us-gov-west-1", map[string]string{envUseFIPS: "TRUE"}, "https://secretsmanager-fips.us-gov-west-1.amazonaws.com/"},
		{"fips off", serviceSSM, "us-east-2", map[string]string{envUseFIPS: "false"}, "https://ssm.us-east-2.amazonaws.com/"},
		{"configured", serviceSSM, "us-east-1", map[string]string{envEndpointSSM: "http://127.0.0.1:4566"}, "http://127.0.0.1:4566/"},
		{"configured with a path", serviceSSM, "", map[string]string{envEndpoint: "https://proxy.example/aws"}, "https://proxy.example/aws"},
		{"configured not a URL", serviceSSM, "us-east-1", map[string]string{envEndpoint: "proxy.example"}, ""},
		{"bad region", serviceSSM, "us-east-1.evil.example/", nil, ""},
		{"no region", serviceSSM, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := serviceEndpoint(tt.svc, tt.region, func(k string) string { return tt.env[k] })
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("got endpoint %s, want an error", u)
			case tt.want != "" && err != nil:
				t.Errorf("got error %v, want %s", err, tt.want)
			case tt.want != "" && u.String() != tt.want:
				t.Errorf("got endpoint %s, want %s", u, tt.want)
			}
		})
	}
}

func TestAnswerError(t *testing.T) {
	tests := []struct {
		name, header, body string
		status             int
		code, msg          string
	}{
		{"body type and message", "", `{"__type":"ParameterNotFound","message":"Parameter /x not found."}`, 400, "ParameterNotFound", "Parameter /x not found."},
		{"capital Message", "", `{"__type":"AccessDeniedException","Message":"denied"}`, 400, "AccessDeniedException", "denied"},
		{"namespaced", "", `{"__type":"com.amazon.coral.service#UnknownOperationException"}`, 400, "UnknownOperationException", ""},
		{"header wins", "ThrottlingException:http://internal.amazon.com/", `{"__type":"Other"}`, 400, "ThrottlingException", ""},
		{"not JSON", "", `<html>bad gateway</html>`, 502, "Bad Gateway", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"X-Amzn-Requestid": {"req-1"}}}
			if tt.header != "" {
				resp.Header.Set("X-Amzn-ErrorType", tt.header)
			}
			err := answerError(serviceSSM, "GetParameter", resp, []byte(tt.body))
			var e *apiError
			if !errors.As(err, &e) {
				t.Fatalf("got %T, want *apiError", err)
			}
			if e.ErrorCode() != tt.code || e.ErrorMessage() != tt.msg || e.HTTPStatusCode() != tt.status || e.requestID != "req-1" {
				t.Errorf("got code %q message %q status %d request %q, want %q %q %d req-1",
					e.ErrorCode(), e.ErrorMessage(), e.HTTPStatusCode(), e.requestID, tt.code, tt.msg, tt.status)
			}
		})
	}
}

// TestCallJSONMalformedAnswer checks a 200 answer that is not JSON fails
// without quoting any of it: it may hold the secret.
func TestCallJSONMalformedAnswer(t *testing.T) {
	const secret = "sk-malformed-4d4d"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			t.Errorf("got target %q, authorization %q", r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization"))
		}
		_, _ = w.Write([]byte(`{"SecretString": ` + secret))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	getenv := func(k string) string {
		if k == envEndpoint {
			return srv.URL
		}
		return ""
	}
	var out struct{ SecretString *string }
	err := callJSON(context.Background(), cfg, serviceSecretsManager, "GetSecretValue", getenv, struct{}{}, &out)
	if err == nil || !strings.Contains(err.Error(), "not the operation's JSON") {
		t.Fatalf("got error %v, want one saying the answer is not JSON", err)
	}
	if strings.Contains(err.Error(), "sk-") {
		t.Errorf("error %q quotes the answer", err)
	}
}
