package bedrockkb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentruntime/types"

	"github.com/outcrop/outcrop/internal/retrieval/awsretrieval"
)

// Defaults and limits of Config.
const (
	// DefaultTopK is how many chunks a query asks for by default.
	DefaultTopK = 5
	// MaxTopK is the most chunks Retrieve returns: numberOfResults is
	// 1..100 (KnowledgeBaseVectorSearchConfigurationNumberOfResultsInteger
	// in botocore's bedrock-agent-runtime model).
	MaxTopK = 100
	// DefaultMaxAttempts is the SDK's standard retryer's own default,
	// pinned so that AWS_MAX_ATTEMPTS cannot make a request wait longer.
	DefaultMaxAttempts = awsretrieval.DefaultMaxAttempts
)

// EnvEndpoint is the service's own endpoint variable, read through New's
// getenv before AWS_ENDPOINT_URL, with the AWS SDKs' meaning
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html;
// the others are awsretrieval's Env constants). The SDK ID is "Bedrock
// Agent Runtime", hence AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME (the SDK's
// endpoints.go reads the same name).
const EnvEndpoint = "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME"

// The search types of overrideSearchType (SearchType in the SDK's
// types/enums.go).
const (
	SearchHybrid   = "HYBRID"
	SearchSemantic = "SEMANTIC"
)

// Config configures a Retriever. Zero fields mean their documented
// default.
type Config struct {
	// KnowledgeBaseID is the knowledge base to search: up to 10 letters
	// and digits, e.g. "KB12345678". Required.
	KnowledgeBaseID string
	// Region is the knowledge base's AWS region, e.g. "us-west-2".
	// Default AWS_REGION, else AWS_DEFAULT_REGION, else the shared
	// profile's.
	Region string
	// Endpoint overrides the service's base URL, e.g.
	// "http://127.0.0.1:4566". Default AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME,
	// else AWS_ENDPOINT_URL (both ignored when
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the SDK's
	// resolution (https://bedrock-agent-runtime.<region>.amazonaws.com).
	Endpoint string
	// Profile is the shared-config profile for credentials and region.
	// Default: the SDK's (AWS_PROFILE, else "default").
	Profile string
	// TopK is how many chunks a query asks for when it names no TopK.
	// Default 5, at most 100.
	TopK int
	// Filter is sent with every query: a RetrievalFilter in its JSON wire
	// form, e.g. {"equals":{"key":"team","value":"docs"}} or
	// {"andAll":[{"in":{"key":"lang","value":["en","de"]}},{"greaterThan":{"key":"year","value":2020}}]}.
	// Unknown members are refused by New. Default: none.
	Filter json.RawMessage
	// SearchType is the overrideSearchType: "HYBRID" (vectors and text,
	// for OpenSearch Serverless stores with a text field) or "SEMANTIC".
	// Default "": the knowledge base decides.
	SearchType string
	// Credentials sign the requests. Default: the SDK's default chain.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests. Default: the SDK's.
	HTTPClient *http.Client
	// MaxAttempts bounds the SDK's standard retryer: attempts per query,
	// the first included (1 turns retries off). Default 3.
	MaxAttempts int
}

// knowledgeBaseIDPattern is the knowledgeBaseId URI member of Retrieve:
// pattern [0-9a-zA-Z]+, at most 10 characters (Bedrock API reference).
var knowledgeBaseIDPattern = regexp.MustCompile(`^[0-9a-zA-Z]{1,10}$`)

// Validate checks c without building a client (New does it too),
// reporting every problem at once: a malformed ID, an out-of-range size,
// an endpoint that is no URL, a filter with an unknown member.
func (c Config) Validate() error {
	_, err := c.validate()
	return err
}

// validate checks c and returns the filter to send, or every problem at
// once.
func (c Config) validate() (types.RetrievalFilter, error) {
	var errs []error
	if !knowledgeBaseIDPattern.MatchString(c.KnowledgeBaseID) {
		errs = append(errs, fmt.Errorf("bedrockkb config: KnowledgeBaseID %q is not a knowledge base ID (1 to 10 letters and digits)", c.KnowledgeBaseID))
	}
	if c.TopK < 0 || c.TopK > MaxTopK {
		errs = append(errs, fmt.Errorf("bedrockkb config: TopK %d is not 1 to %d (0 for the default)", c.TopK, MaxTopK))
	}
	errs = append(errs, c.client().Problems("bedrockkb config")...)
	switch c.SearchType {
	case "", SearchHybrid, SearchSemantic:
	default:
		errs = append(errs, fmt.Errorf("bedrockkb config: SearchType %q is not %s or %s", c.SearchType, SearchHybrid, SearchSemantic))
	}
	filter, err := parseFilter(c.Filter)
	if err != nil {
		errs = append(errs, fmt.Errorf("bedrockkb config: %w", err))
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
