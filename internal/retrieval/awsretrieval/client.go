// Package awsretrieval holds what the retrievers backed by AWS services
// (kendra, bedrockkb) share around their SDK clients: the AWS
// configuration loaded with the region, endpoint and retry settings taken
// from their config and getenv, the checks of a query, and the Error a
// service's refusal becomes, the query redacted from it. Each retriever
// keeps its own request, response and filter mapping.
package awsretrieval

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/outcrop/outcrop/internal/awsclient"
)

// DefaultMaxAttempts is the SDK's standard retryer's own default, pinned
// so that AWS_MAX_ATTEMPTS cannot make a request wait longer.
const DefaultMaxAttempts = 3

// Environment variables read through Load's getenv, with the AWS SDKs'
// meaning (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
// A service's own endpoint variable is its Service.EndpointEnv.
const (
	EnvEndpointAll              = "AWS_ENDPOINT_URL"
	EnvIgnoreConfiguredEndpoint = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	EnvRegion                   = "AWS_REGION"
	EnvDefaultRegion            = "AWS_DEFAULT_REGION"
)

// ErrNoRegion is returned by Load, wrapped, when no region is configured
// anywhere; the SDK would fail later with a less helpful message.
var ErrNoRegion = errors.New("no AWS region: set Region or AWS_REGION")

// Service is the AWS service a retriever calls.
type Service struct {
	// Name leads every message, e.g. "kendra" or "bedrock knowledge
	// base".
	Name string
	// EndpointEnv is the service's own endpoint variable:
	// AWS_ENDPOINT_URL_ and its SDK ID in upper case with underscores,
	// e.g. "AWS_ENDPOINT_URL_KENDRA" (the SDK's endpoints.go reads the
	// same name).
	EndpointEnv string
}

// Config is the part of a retriever's configuration its SDK client is
// built from. Zero fields mean their documented default.
type Config struct {
	// Region is the service's AWS region, e.g. "eu-west-1". Default
	// AWS_REGION, else AWS_DEFAULT_REGION, else the shared profile's.
	Region string
	// Endpoint overrides the service's base URL, e.g.
	// "http://127.0.0.1:4566". Default the Service's EndpointEnv, else
	// AWS_ENDPOINT_URL (both ignored when
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the SDK's
	// resolution.
	Endpoint string
	// Profile is the shared-config profile for credentials and region.
	// Default: the SDK's (AWS_PROFILE, else "default").
	Profile string
	// Credentials sign the requests. Default: the SDK's default chain.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests. Default: the SDK's.
	HTTPClient *http.Client
	// MaxAttempts bounds the SDK's standard retryer: attempts per call,
	// the first included (1 turns retries off). Default 3.
	MaxAttempts int
}

// Problems returns what is wrong with c, each error led by prefix (e.g.
// "kendra config"): a negative MaxAttempts, an Endpoint that is no
// http(s) URL. A good c has none.
func (c Config) Problems(prefix string) []error {
	var errs []error
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("%s: MaxAttempts %d is negative", prefix, c.MaxAttempts))
	}
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: Endpoint %q is not an http(s) URL", prefix, c.Endpoint))
		}
	}
	return errs
}

// Client is what Load resolved for a service's client.
type Client struct {
	// AWS is the SDK configuration to build the client from: the region
	// checked, and the HTTP client, the attempts and the SDK's logging
	// (off) set.
	AWS aws.Config
	// Endpoint is the base URL to set on the client's options, nil for
	// the SDK's resolution. It goes on the options rather than in AWS,
	// where the service's NewFromConfig would let the process's
	// AWS_ENDPOINT_URL_<SERVICE> override it.
	Endpoint *string
}

// Load loads the SDK's configuration for the service as c and getenv say:
// the region, profile and credentials come from c, then getenv
// (AWS_REGION, AWS_DEFAULT_REGION and the endpoint variables), then the
// SDK's default chain (environment, shared files, SSO, web identity,
// container and instance roles). It calls nothing. A nil getenv reads
// nothing.
func (s Service) Load(ctx context.Context, c Config, getenv func(string) string) (Client, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var opts []func(*config.LoadOptions) error
	if r := firstSet(c.Region, getenv(EnvRegion), getenv(EnvDefaultRegion)); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(c.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Client{}, fmt.Errorf("%s: load AWS configuration: %w", s.Name, err)
	}
	if awsCfg.Region == "" {
		return Client{}, fmt.Errorf("%s: %w", s.Name, ErrNoRegion)
	}
	// Set on the loaded configuration rather than passed to
	// LoadDefaultConfig, which refuses a plain *http.Client when
	// AWS_CA_BUNDLE is set.
	if c.HTTPClient != nil {
		awsCfg.HTTPClient = c.HTTPClient
	}
	awsCfg.HTTPClient = awsclient.HTTP(awsCfg.HTTPClient)
	awsCfg.RetryMaxAttempts = c.MaxAttempts
	if awsCfg.RetryMaxAttempts == 0 {
		awsCfg.RetryMaxAttempts = DefaultMaxAttempts
	}
	// Request and response bodies carry the user's query and the
	// passages: never let the SDK log them.
	awsCfg.ClientLogMode = 0
	out := Client{AWS: awsCfg}
	if e := s.endpoint(c.Endpoint, getenv); e != "" {
		out.Endpoint = aws.String(e)
	}
	return out, nil
}

// endpoint returns the override, else the SDK's endpoint variables read
// through getenv, else "" for the SDK's own resolution (which also reads
// the process environment and the shared config's services section).
func (s Service) endpoint(override string, getenv func(string) string) string {
	if v := strings.TrimSpace(override); v != "" {
		return v
	}
	if strings.EqualFold(strings.TrimSpace(getenv(EnvIgnoreConfiguredEndpoint)), "true") {
		return ""
	}
	return firstSet(strings.TrimSpace(getenv(s.EndpointEnv)), strings.TrimSpace(getenv(EnvEndpointAll)))
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
