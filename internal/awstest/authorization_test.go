package awstest_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/awstest"
)

func TestParseAuthorization(t *testing.T) {
	const sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		header  string
		want    awstest.Authorization
		wantErr error
	}{
		{
			"SDK spelling", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250304/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + sig,
			awstest.Authorization{AccessKeyID: "AKIDTEST", Date: "20250304", Region: "us-east-1", Service: "bedrock", SignedHeaders: []string{"content-type", "host", "x-amz-date"}, Signature: sig},
			nil,
		},
		{
			"no spaces after commas", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250304/eu-west-1/ssm/aws4_request,SignedHeaders=host,Signature=" + sig,
			awstest.Authorization{AccessKeyID: "AKIDTEST", Date: "20250304", Region: "eu-west-1", Service: "ssm", SignedHeaders: []string{"host"}, Signature: sig},
			nil,
		},
		{"empty", "", awstest.Authorization{}, awstest.ErrMissing},
		{"bearer", "Bearer token", awstest.Authorization{}, awstest.ErrMalformed},
		{"short signature", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250304/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=abc", awstest.Authorization{}, awstest.ErrMalformed},
		{"no terminator", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250304/us-east-1/bedrock, SignedHeaders=host, Signature=" + sig, awstest.Authorization{}, awstest.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := awstest.ParseAuthorization(tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("authorization (-want +got):\n%s", diff)
			}
		})
	}
}
