package masterkey

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The SDK's service-specific endpoint variables: AWS_ENDPOINT_URL_ and the
// service ID in upper case with spaces as underscores
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
const (
	envEndpointSSM            = "AWS_ENDPOINT_URL_SSM"
	envEndpointSecretsManager = "AWS_ENDPOINT_URL_SECRETS_MANAGER"
	envEndpoint               = "AWS_ENDPOINT_URL"
	envIgnoreEndpoints        = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
)

// errNoRegion is returned when neither the Source, getenv nor the SDK's
// shared configuration names a region; the SDK would fail later with a
// less helpful message.
var errNoRegion = errors.New("no AWS region: set AWS_REGION or the source's region")

// awsConfig loads the SDK's default configuration, with the region and,
// when getenv supplies both parts, the static credentials from getenv, so
// a caller's environment wins over the process's.
func awsConfig(ctx context.Context, region string, getenv func(string) string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if r := firstSet(region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errNoRegion
	}
	return cfg, nil
}

// endpoint is the endpoint getenv configures for a service: its own
// variable, then AWS_ENDPOINT_URL; nil, leaving the SDK's own resolution
// in place, when neither is set or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
// true.
func endpoint(getenv func(string) string, serviceVar string) *string {
	if strings.EqualFold(getenv(envIgnoreEndpoints), "true") {
		return nil
	}
	if u := firstSet(getenv(serviceVar), getenv(envEndpoint)); u != "" {
		return &u
	}
	return nil
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
