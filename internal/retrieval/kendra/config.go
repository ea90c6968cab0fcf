package kendra

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kendra/types"

	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval"
)

// Defaults and limits of Config.
const (
	// DefaultPageSize is Kendra's own default for Retrieve's PageSize.
	DefaultPageSize = 10
	// MaxPageSize is the most passages Retrieve returns: "If you ask for
	// more than 100 results, only 100 are returned"
	// (https://docs.aws.amazon.com/kendra/latest/APIReference/API_Retrieve.html).
	MaxPageSize = 100
	// DefaultMaxAttempts is the SDK's standard retryer's own default,
	// pinned so that AWS_MAX_ATTEMPTS cannot make a request wait longer.
	DefaultMaxAttempts = awsretrieval.DefaultMaxAttempts
)

// EnvEndpoint is Kendra's own endpoint variable, read through New's
// getenv before AWS_ENDPOINT_URL, with the AWS SDKs' meaning
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html;
// the others are awsretrieval's Env constants). The SDK ID of Kendra is
// "kendra", hence AWS_ENDPOINT_URL_KENDRA (the SDK's endpoints.go reads
// the same name).
const EnvEndpoint = "AWS_ENDPOINT_URL_KENDRA"

// Config configures a Retriever. Zero fields mean their documented
// default.
type Config struct {
	// IndexID is the Kendra index to search: 36 letters, digits and
	// hyphens, e.g. "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0". Required.
	IndexID string
	// Region is the index's AWS region, e.g. "eu-west-1". Default
	// AWS_REGION, else AWS_DEFAULT_REGION, else the shared profile's.
	Region string
	// Endpoint overrides Kendra's base URL, e.g. "http://127.0.0.1:4566".
	// Default AWS_ENDPOINT_URL_KENDRA, else AWS_ENDPOINT_URL (both ignored
	// when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the SDK's
	// resolution (https://kendra.<region>.amazonaws.com).
	Endpoint string
	// Profile is the shared-config profile for credentials and region.
	// Default: the SDK's (AWS_PROFILE, else "default").
	Profile string
	// PageSize is how many passages a query asks for when it names no
	// TopK. Default 10 (Kendra's), at most 100.
	PageSize int
	// AttributeFilter is sent with every query: a Kendra AttributeFilter
	// in its JSON wire form, e.g.
	// {"EqualsTo":{"Key":"_category","Value":{"StringValue":"faq"}}}.
	// DateValue takes epoch seconds (the wire form) or an RFC 3339 string.
	// Unknown members are refused by New. Default: none.
	AttributeFilter json.RawMessage
	// LanguageCode restricts results to documents in this language, e.g.
	// "es", by ANDing an EqualsTo on "_language_code" to AttributeFilter.
	// Default: none, and Kendra then searches English documents
	// (https://docs.aws.amazon.com/kendra/latest/dg/in-adding-languages.html).
	LanguageCode string
	// Credentials sign the requests. Default: the SDK's default chain.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests. Default: the SDK's.
	HTTPClient *http.Client
	// MaxAttempts bounds the SDK's standard retryer: attempts per query,
	// the first included (1 turns retries off). Default 3.
	MaxAttempts int
}

// indexIDPattern is the IndexId shape of the Kendra model: exactly 36
// characters, [a-zA-Z0-9][a-zA-Z0-9-]*.
var indexIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]{35}$`)

// languagePattern accepts Kendra's language codes ("en", "zh-TW", "pt").
var languagePattern = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,4})?$`)

// Validate checks c without building a client (New does it too),
// reporting every problem at once: a malformed ID, an out-of-range size,
// an endpoint that is no URL, a filter with an unknown member.
func (c Config) Validate() error {
	_, err := c.validate()
	return err
}

// validate checks c and returns the AttributeFilter to send (with the
// language filter folded in), or every problem at once.
func (c Config) validate() (*types.AttributeFilter, error) {
	var errs []error
	if !indexIDPattern.MatchString(c.IndexID) {
		errs = append(errs, fmt.Errorf("kendra config: IndexID %q is not a Kendra index ID (36 letters, digits and hyphens)", c.IndexID))
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		errs = append(errs, fmt.Errorf("kendra config: PageSize %d is not 1 to %d (0 for the default)", c.PageSize, MaxPageSize))
	}
	errs = append(errs, c.client().Problems("kendra config")...)
	if c.LanguageCode != "" && !languagePattern.MatchString(c.LanguageCode) {
		errs = append(errs, fmt.Errorf("kendra config: LanguageCode %q is not a language code such as \"en\" or \"zh-TW\"", c.LanguageCode))
	}
	filter, err := parseFilter(c.AttributeFilter)
	if err != nil {
		errs = append(errs, fmt.Errorf("kendra config: %w", err))
	}
	if c.LanguageCode != "" {
		filter = withLanguage(filter, c.LanguageCode)
	}
	if err == nil && filter != nil {
		if err := checkLimits(filter); err != nil {
			errs = append(errs, fmt.Errorf("kendra config: %w", err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return filter, nil
}

// client returns the settings the SDK client is built from.
func (c Config) client() awsretrieval.Config {
	return awsretrieval.Config{
		Region: c.Region, Endpoint: c.Endpoint, Profile: c.Profile,
		Credentials: c.Credentials, HTTPClient: c.HTTPClient, MaxAttempts: c.MaxAttempts,
	}
}
