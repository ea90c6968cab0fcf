// Package openaicompat is the upstream client for OpenAI, Azure OpenAI and
// any server that speaks the OpenAI API (vLLM, Ollama, llama.cpp, LM
// Studio). They are dialects of one wire format: the dialect only decides
// the URL layout and the authentication header.
//
// The client is a relay. It forwards the client's own request body with
// only `model` (and, for streams, `stream_options.include_usage`) spliced
// in, and returns the upstream's bytes untouched in the responses' Raw
// fields, so fields Outcrop does not model pass both ways.
package openaicompat

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/outcrop/outcrop/internal/upstreamhttp"
)

// Dialect selects the URL layout and authentication of an upstream.
type Dialect string

// The dialects.
const (
	// DialectOpenAI is OpenAI and every OpenAI-compatible server: paths
	// under BaseURL (/chat/completions, /completions, /embeddings,
	// /models), `Authorization: Bearer` authentication.
	DialectOpenAI Dialect = "openai"
	// DialectAzure is Azure OpenAI's classic deployments API:
	// {BaseURL}/openai/deployments/{deployment}/chat/completions?api-version=...,
	// where the deployment is the request's model, and an `api-key` header.
	DialectAzure Dialect = "azure"
	// DialectAzureV1 is Azure OpenAI's v1 surface
	// (https://{resource}.openai.azure.com/openai/v1): OpenAI's paths and
	// body, the deployment name as `model`, and an `api-key` header.
	DialectAzureV1 Dialect = "azure-v1"
)

// DefaultResponseHeaderTimeout is used when Config.ResponseHeaderTimeout is
// zero. A non-streaming answer's headers come only once the whole answer is
// generated, which takes minutes for long reasoning answers; ten minutes is
// the official OpenAI SDKs' default request timeout.
const DefaultResponseHeaderTimeout = 10 * time.Minute

// Config configures a Client. The zero value of each optional field means
// its documented default.
type Config struct {
	// Name identifies the upstream in errors and logs, e.g. "openai".
	Name string
	// Dialect is the URL layout and authentication; default DialectOpenAI.
	Dialect Dialect
	// BaseURL is where the API lives. DialectOpenAI:
	// "https://api.openai.com/v1" or e.g. "http://localhost:8000/v1" for
	// vLLM. DialectAzure: "https://{resource}.openai.azure.com".
	// DialectAzureV1: "https://{resource}.openai.azure.com/openai/v1".
	// Required; a trailing slash is ignored.
	BaseURL string
	// APIKey is sent as `Authorization: Bearer <key>` (DialectOpenAI) or as
	// `api-key: <key>` (the Azure dialects). Empty: no authentication
	// header, as local servers need.
	APIKey string
	// APIVersion is the `api-version` query parameter, e.g.
	// "2024-10-21". Required for DialectAzure; for DialectAzureV1 it is
	// sent only when set (e.g. "preview"); ignored for DialectOpenAI.
	APIVersion string
	// Headers are extra headers sent with every request, e.g.
	// OpenAI-Organization or OpenAI-Project.
	Headers map[string]string
	// Timeout caps a whole request, a stream included, from sending to the
	// last byte read. Zero: no cap (the client's context still applies).
	Timeout time.Duration
	// ResponseHeaderTimeout caps the wait for the response headers, i.e.
	// for the whole answer when not streaming and for the first event when
	// streaming. Zero: DefaultResponseHeaderTimeout; negative: no cap.
	ResponseHeaderTimeout time.Duration
	// Transport sends the requests. Nil: upstreamhttp.Default, shared by
	// every Client made with a nil Transport. A custom
	// one must, per the http.RoundTripper contract, not modify the request:
	// its header map is shared between requests.
	Transport http.RoundTripper
}

// endpoint names an API operation; its path depends on the dialect.
type endpoint string

const (
	endpointChat       endpoint = "chat/completions"
	endpointCompletion endpoint = "completions"
	endpointEmbeddings endpoint = "embeddings"
	endpointModels     endpoint = "models"
)

// validate checks cfg and fills defaults in place.
func (cfg *Config) validate() error {
	var errs []error
	if cfg.Dialect == "" {
		cfg.Dialect = DialectOpenAI
	}
	switch cfg.Dialect {
	case DialectOpenAI, DialectAzureV1:
	case DialectAzure:
		if cfg.APIVersion == "" {
			errs = append(errs, errors.New("api version is required for the azure dialect"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown dialect %q (want %q, %q or %q)", cfg.Dialect, DialectOpenAI, DialectAzure, DialectAzureV1))
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base url %q must be an absolute http or https URL", cfg.BaseURL))
	}
	if cfg.ResponseHeaderTimeout == 0 {
		cfg.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	if cfg.Transport == nil {
		cfg.Transport = upstreamhttp.Default()
	}
	if len(errs) > 0 {
		return fmt.Errorf("openaicompat %s: %w", cfg.Name, errors.Join(errs...))
	}
	return nil
}

// url returns the URL of op. deployment is the Azure deployment (the
// request's model), used by DialectAzure only.
func (cfg *Config) url(op endpoint, deployment string) string {
	switch cfg.Dialect {
	case DialectAzure:
		path := "/openai/" + string(op)
		if op != endpointModels {
			path = "/openai/deployments/" + url.PathEscape(deployment) + "/" + string(op)
		}
		return cfg.BaseURL + path + "?api-version=" + url.QueryEscape(cfg.APIVersion)
	case DialectAzureV1:
		if cfg.APIVersion != "" {
			return cfg.BaseURL + "/" + string(op) + "?api-version=" + url.QueryEscape(cfg.APIVersion)
		}
	}
	return cfg.BaseURL + "/" + string(op)
}

// headers returns the request headers for JSON requests and for streams.
func (cfg *Config) headers() (plain, stream http.Header) {
	plain = make(http.Header, len(cfg.Headers)+2)
	for k, v := range cfg.Headers {
		plain.Set(k, v)
	}
	plain.Set("Content-Type", "application/json")
	switch {
	case cfg.APIKey == "":
	case cfg.Dialect == DialectOpenAI:
		plain.Set("Authorization", "Bearer "+cfg.APIKey)
	default:
		plain.Set("Api-Key", cfg.APIKey)
	}
	stream = plain.Clone()
	stream.Set("Accept", "text/event-stream")
	plain.Set("Accept", "application/json")
	return plain, stream
}
