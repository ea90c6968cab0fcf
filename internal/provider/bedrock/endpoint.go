package bedrock

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/outcrop/outcrop/internal/awsclient"
)

// Operation is a Bedrock Runtime operation, named by the last segment of
// its path: POST /model/{modelId}/{operation} (shared/docs/wire.md §1.1).
type Operation string

// The model operations of Bedrock Runtime.
const (
	OpConverse       Operation = "converse"
	OpConverseStream Operation = "converse-stream"
	OpInvoke         Operation = "invoke"
	OpInvokeStream   Operation = "invoke-with-response-stream"
	OpCountTokens    Operation = "count-tokens"
)

// Environment variables read for the region and the endpoint, with the
// AWS SDKs' meaning. AWS_ENDPOINT_URL_BEDROCK is not among them: it is the
// control plane's variable (service ID "Bedrock"); the runtime's service ID
// is "Bedrock Runtime".
const (
	EnvRegion                   = "AWS_REGION"
	EnvDefaultRegion            = "AWS_DEFAULT_REGION"
	EnvEndpointRuntime          = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
	EnvEndpoint                 = "AWS_ENDPOINT_URL"
	EnvIgnoreConfiguredEndpoint = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	EnvBearerToken              = "AWS_BEARER_TOKEN_BEDROCK"
)

// resolveRegion returns the configured region, else AWS_REGION, else
// AWS_DEFAULT_REGION; empty when none is set.
func resolveRegion(region string, getenv func(string) string) string {
	for _, v := range []string{region, getenv(EnvRegion), getenv(EnvDefaultRegion)} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// resolveEndpoint returns the base URL of Bedrock Runtime: the override,
// else the SDK's environment variables (the service-specific one first;
// both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the
// regional public endpoint.
func resolveEndpoint(override, region string, getenv func(string) string) (*url.URL, error) {
	raw := strings.TrimSpace(override)
	if raw == "" && !strings.EqualFold(strings.TrimSpace(getenv(EnvIgnoreConfiguredEndpoint)), "true") {
		raw = strings.TrimSpace(getenv(EnvEndpointRuntime))
		if raw == "" {
			raw = strings.TrimSpace(getenv(EnvEndpoint))
		}
	}
	if raw == "" {
		if region == "" {
			return nil, errors.New("region is required to find the endpoint (set it, or AWS_REGION)")
		}
		if !awsclient.ValidRegion(region) {
			return nil, fmt.Errorf("region %q is not a valid AWS region", region)
		}
		return defaultEndpoint(region), nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("endpoint %q must be an absolute http or https URL without query, fragment or user info", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// defaultEndpoint is the public regional endpoint. The China regions live
// under amazonaws.com.cn.
func defaultEndpoint(region string) *url.URL {
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return &url.URL{Scheme: "https", Host: "bedrock-runtime." + region + "." + domain}
}

// errBearerOverHTTP refuses to send an API key in clear text.
var errBearerOverHTTP = errors.New("an API key is only sent over https (plain http is allowed for loopback hosts only)")

// checkBearerEndpoint refuses plain http for bearer authentication, as the
// AWS SDK does ("bearer token with HTTP request requires HTTPS"), except to
// a loopback host, where nothing crosses the network: local emulators and
// proxies on the same machine.
func checkBearerEndpoint(u *url.URL) error {
	if u.Scheme == "https" || isLoopback(u.Hostname()) {
		return nil
	}
	return errBearerOverHTTP
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// modelURL returns the URL of op on modelID under base. The model ID is one
// path segment: everything but RFC 3986 unreserved characters is
// percent-encoded, so the `:` of versioned IDs becomes %3A and the `/` of
// ARNs %2F, as the AWS SDK sends them. RawPath carries that encoding (Path
// would let net/http re-escape it differently, and a decoded `/` would
// split the segment); the SigV4 signer reads the same escaped path.
func modelURL(base *url.URL, op Operation, modelID string) *url.URL {
	u := *base
	suffix := "/" + string(op)
	u.Path = base.Path + "/model/" + modelID + suffix
	u.RawPath = base.EscapedPath() + "/model/" + escapeSegment(modelID) + suffix
	return &u
}

// escapeSegment percent-encodes every byte of s but the RFC 3986
// unreserved characters (ALPHA, DIGIT, '-', '.', '_', '~').
func escapeSegment(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
