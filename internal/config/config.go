// Package config is Outcrop's configuration as plain data: a YAML file,
// OUTCROP_* environment overrides on top of it, and a separate Validate
// step that reports every problem at once, each with its field path.
//
// Nothing in this package has side effects: Load reads one file and calls
// the getenv function it is given, Validate only looks. The zero value of
// every field means its documented default, which ApplyDefaults (called by
// Load) fills in. docs/configuration.md is the user-facing reference.
package config

import "time"

// Defaults for the fields whose zero value stands for something else.
const (
	DefaultAddr              = "127.0.0.1:8080"
	DefaultMaxBodyBytes      = 10 << 20 // 10 MiB
	DefaultShutdownGrace     = Duration(30 * time.Second)
	DefaultReadHeaderTimeout = Duration(10 * time.Second)
	DefaultIdleTimeout       = Duration(120 * time.Second)
	DefaultHeartbeat         = Duration(15 * time.Second)
	DefaultLogFormat         = "json"
	DefaultLogLevel          = "info"
	DefaultLogMaxSizeMB      = 20
	DefaultLogMaxFiles       = 5
	DefaultDemoTokenDelay    = Duration(20 * time.Millisecond)
	DefaultOpenAIBaseURL     = "https://api.openai.com/v1"
)

// Config is the whole configuration.
type Config struct {
	// Server is the HTTP listener.
	Server Server `yaml:"server"`
	// Log is where and how Outcrop logs.
	Log Log `yaml:"log"`
	// Demo is the built-in demo upstream.
	Demo Demo `yaml:"demo"`
	// Bedrock is zero-config model discovery on Amazon Bedrock.
	Bedrock Bedrock `yaml:"bedrock"`
	// Upstreams are the named connections to model servers that models
	// refer to. Example: one "openai" upstream of type openai.
	Upstreams []Upstream `yaml:"upstreams"`
	// Models are the public model names clients ask for, each served by
	// one or more deployments on upstreams.
	Models []Model `yaml:"models"`
	// Aliases maps extra public names to model names, as an alternative to
	// per-model aliases. Example: {fast: gpt-4o-mini}. With Bedrock
	// discovery on, an alias may also name a discovered model.
	Aliases map[string]string `yaml:"aliases"`
	// ImageFetch is the download of http(s) image URLs for Bedrock
	// models (image_fetch.go). Off by default.
	ImageFetch ImageFetch `yaml:"image_fetch"`
	// Auth is who may call the gateway: the master key and whether keys
	// are required (access.go).
	Auth Auth `yaml:"auth"`
	// Storage is the database of virtual keys and the usage ledger.
	Storage Storage `yaml:"storage"`
	// Limits are the rate limits and budgets' shared state and the
	// per-model limits.
	Limits Limits `yaml:"limits"`
	// Prices add to or replace the shipped price table, by the model ID
	// an upstream knows. Example {"amazon.nova-pro-v1:0": {input: 0.8,
	// output: 3.2}}.
	Prices map[string]Price `yaml:"prices"`
	// CORS is which browser origins may call the API. Closed by default.
	CORS CORS `yaml:"cors"`
	// Retrieval is the stores, retrieval models and context source
	// (retrieval.go).
	Retrieval Retrieval `yaml:"retrieval"`
	// Native is the native API: /chat, /generate, /prompt, /process.
	Native Native `yaml:"native"`
	// EmbeddingCache caches embeddings of /chat and retrieval.
	EmbeddingCache EmbeddingCache `yaml:"embedding_cache"`

	// loadProblems are what Load found but could not store in a field (an
	// unset ${VAR}, an unparsable OUTCROP_* value). Validate reports them
	// with everything else, so a user sees all problems in one go.
	loadProblems Problems
	// envFields maps a field path to the OUTCROP_* variable that set it, so
	// that a bad value is reported under the name the user actually wrote.
	envFields map[string]string
}

// Server configures the HTTP listener.
type Server struct {
	// Addr is the host:port to listen on. Default "127.0.0.1:8080" (loopback
	// only); "0.0.0.0:8080" or ":8080" listens on every interface.
	// Environment: OUTCROP_ADDR.
	Addr string `yaml:"addr"`
	// MaxBodyBytes caps a request body, in bytes; larger requests get 413.
	// Default 10485760 (10 MiB). Environment: OUTCROP_MAX_BODY_BYTES.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownGrace is how long in-flight requests and streams may run
	// after SIGTERM before they are cut. Default 30s.
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	// ReadHeaderTimeout bounds reading a request's headers (slowloris
	// protection). Default 10s.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// IdleTimeout closes keep-alive connections idle this long.
	// Default 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// Heartbeat is the silence after which a stream gets an SSE comment
	// line (": ping"), which clients ignore, so that proxies and load
	// balancers with idle timeouts do not cut a stream while a model
	// thinks. Default 15s; at least 1s.
	Heartbeat Duration `yaml:"heartbeat"`
	// PprofAddr, when set, serves Go's profiler (net/http/pprof, under
	// /debug/pprof/) on this second listener, which must be loopback:
	// profiles show the process's internals. Setting it also samples
	// mutex contention and blocking (1 event in 100), which costs a
	// little CPU. Default "" (off). Environment: OUTCROP_PPROF_ADDR.
	PprofAddr string `yaml:"pprof_addr"`
	// UpstreamClient is the HTTP client of the upstream calls: "fasthttp"
	// (fasthttp's connection pools, HTTP/1.1; the default, about half the
	// CPU per call) or "net/http" (Go's transport, HTTP/2 over TLS where
	// the upstream offers it). Environment: OUTCROP_UPSTREAM_CLIENT.
	UpstreamClient string `yaml:"upstream_client"`
	// HTTPServer is the server of the gateway's own listener: "fasthttp"
	// (fasthttp's HTTP/1.1 server behind an adapter that keeps
	// client-disconnect cancellation and per-event flushing; the default)
	// or "net/http" (Go's server). Environment: OUTCROP_HTTP_SERVER.
	HTTPServer string `yaml:"http_server"`
}

// Log configures logging.
type Log struct {
	// Format is "json" (one object a line) or "text" (key=value).
	// Default "json". Environment: OUTCROP_LOG_FORMAT.
	Format string `yaml:"format"`
	// Level is the lowest level written: "debug", "info", "warn" or
	// "error". Default "info". Environment: OUTCROP_LOG_LEVEL.
	Level string `yaml:"level"`
	// File is a path to log to, relative to the working directory; its
	// directory is created if needed. Default "" (standard error).
	// Example "/var/log/outcrop/outcrop.log". Environment: OUTCROP_LOG_FILE.
	File string `yaml:"file"`
	// MaxSizeMB is the size in megabytes (MiB) at which File is rotated to
	// File.1. Default 20.
	MaxSizeMB int `yaml:"max_size_mb"`
	// MaxFiles is how many rotated files (File.1 ... File.N) are kept.
	// Default 5.
	MaxFiles int `yaml:"max_files"`
}

// Demo configures the built-in demo upstream, a deterministic fake model
// for trying Outcrop without any account.
type Demo struct {
	// Enabled is "auto" (serve the demo models only when no model is
	// configured), "true" or "false". Default "auto".
	// Environment: OUTCROP_DEMO.
	Enabled DemoMode `yaml:"enabled"`
	// TokenDelay is the pause between streamed demo tokens. Default 20ms;
	// "1ns" is as good as none. Environment: OUTCROP_DEMO_TOKEN_DELAY.
	TokenDelay Duration `yaml:"token_delay"`
}

// DemoMode says when the demo upstream is served.
type DemoMode string

// The values of DemoMode; the empty string means DemoAuto.
const (
	DemoAuto DemoMode = "auto"
	DemoOn   DemoMode = "true"
	DemoOff  DemoMode = "false"
)

// UpstreamType is the dialect an upstream speaks.
type UpstreamType string

// The upstream types; the empty string means TypeOpenAI.
const (
	// TypeOpenAI is api.openai.com: Bearer key, base URL defaults to
	// DefaultOpenAIBaseURL.
	TypeOpenAI UpstreamType = "openai"
	// TypeAzure is Azure OpenAI's classic data plane:
	// {base_url}/openai/deployments/{model}/...?api-version=..., "api-key"
	// header.
	TypeAzure UpstreamType = "azure"
	// TypeAzureV1 is Azure OpenAI's v1 surface, {resource}/openai/v1/,
	// OpenAI-shaped with the deployment name as the model, an "api-key"
	// header and no api-version unless one is set.
	TypeAzureV1 UpstreamType = "azure-v1"
	// TypeOpenAICompatible is any server speaking the OpenAI API (vLLM,
	// Ollama, LM Studio, llama.cpp, Bedrock's /openai/v1); the key is
	// optional.
	TypeOpenAICompatible UpstreamType = "openai-compatible"
	// TypeBedrock is Amazon Bedrock's Converse API, signed with SigV4
	// (the AWS default credentials chain) or sent with a Bedrock API key.
	TypeBedrock UpstreamType = "bedrock"
)

// Upstream is a named connection to a model server.
type Upstream struct {
	// Name identifies the upstream in deployments, logs and metrics.
	// Required, unique, no spaces. Example "openai".
	Name string `yaml:"name"`
	// Type is the dialect: "openai", "azure", "azure-v1",
	// "openai-compatible" or "bedrock". Default "openai".
	Type UpstreamType `yaml:"type"`
	// BaseURL is the API root that paths like /chat/completions are
	// appended to. Default "https://api.openai.com/v1" for type openai;
	// required for the others but bedrock, which takes Endpoint instead. Azure classic takes the resource endpoint
	// ("https://my-resource.openai.azure.com"), Azure v1 the v1 root
	// ("https://my-resource.openai.azure.com/openai/v1"). ${VAR}
	// references are expanded.
	BaseURL string `yaml:"base_url"`
	// APIKey is the upstream's key, preferably an environment reference
	// such as "${OPENAI_API_KEY}". Required for openai, azure and azure-v1;
	// optional for openai-compatible; for bedrock, a Bedrock API key sent
	// instead of a SigV4 signature (default AWS_BEARER_TOKEN_BEDROCK, else
	// SigV4 with the AWS default credentials chain). Never logged.
	APIKey Secret `yaml:"api_key"`
	// APIVersion is Azure's api-version query parameter: required for type
	// azure (example "2024-10-21"), optional for azure-v1 (sent only when
	// set, e.g. "preview" for preview features), rejected for the others.
	APIVersion string `yaml:"api_version"`
	// Headers are extra request headers sent upstream, such as
	// OpenAI-Organization. Values are treated as secrets (never logged,
	// ${VAR} expanded). Default none.
	Headers map[string]Secret `yaml:"headers"`
	// Timeout caps a whole upstream request, streaming included.
	// Default 0: no cap (a client disconnect still ends the request).
	// Example "10m".
	Timeout Duration `yaml:"timeout"`

	// Region is a bedrock upstream's AWS region. Default AWS_REGION, else
	// AWS_DEFAULT_REGION, else the shared profile's region.
	Region string `yaml:"region"`
	// Endpoint overrides a bedrock upstream's Bedrock Runtime URL (a VPC
	// endpoint, a proxy). Default AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else
	// AWS_ENDPOINT_URL, else the region's public endpoint. ${VAR}
	// references are expanded.
	Endpoint string `yaml:"endpoint"`
	// Profile is the AWS shared-config profile a bedrock upstream takes
	// its credentials from. Default the SDK's (AWS_PROFILE, else
	// "default").
	Profile string `yaml:"profile"`
	// GuardrailID and GuardrailVersion apply a Bedrock guardrail to every
	// request of a bedrock upstream; both or neither. Example "abc123xyz"
	// (or the guardrail's ARN) and "1" (or "DRAFT").
	GuardrailID      string `yaml:"guardrail_id"`
	GuardrailVersion string `yaml:"guardrail_version"`
	// GuardrailTrace and GuardrailStreamMode are the guardrail's trace
	// ("enabled", "enabled_full" or "disabled") and streaming mode ("sync"
	// or "async"); see the bedrock section's keys of the same names.
	GuardrailTrace      string `yaml:"guardrail_trace"`
	GuardrailStreamMode string `yaml:"guardrail_stream_mode"`
}

// Model is a public model name and the deployments that serve it.
type Model struct {
	// Name is the model name clients send. Required, unique, no spaces.
	// Example "gpt-4o".
	Name string `yaml:"name"`
	// OwnedBy is the owned_by shown in /v1/models. Default: the first
	// deployment's upstream name.
	OwnedBy string `yaml:"owned_by"`
	// Aliases are extra names for this model. Example [gpt4o].
	Aliases []string `yaml:"aliases"`
	// Deployments serve the model in order of preference: the first one
	// is tried first, the next ones only after a retryable failure.
	// At least one is required.
	Deployments []Deployment `yaml:"deployments"`
}

// Deployment is one place a model is served.
type Deployment struct {
	// Upstream is the name of an entry in upstreams. Required.
	Upstream string `yaml:"upstream"`
	// Model is the model ID the upstream knows (for Azure classic, the
	// deployment name). Default: the public model name.
	Model string `yaml:"model"`
	// GuardrailID, GuardrailVersion, GuardrailTrace and
	// GuardrailStreamMode apply a Bedrock guardrail to this model on a
	// bedrock upstream, instead of the upstream's (see Upstream). Default:
	// the upstream's.
	GuardrailID         string `yaml:"guardrail_id"`
	GuardrailVersion    string `yaml:"guardrail_version"`
	GuardrailTrace      string `yaml:"guardrail_trace"`
	GuardrailStreamMode string `yaml:"guardrail_stream_mode"`
}

// Default returns the configuration used when there is no file and no
// environment override: every default filled in, no upstream, no model
// (so the demo upstream is served).
func Default() *Config {
	c := &Config{}
	c.ApplyDefaults()
	return c
}

// ApplyDefaults replaces every zero field that has a default with that
// default. It is idempotent; Load calls it, and code that builds a Config
// by hand may too.
func (c *Config) ApplyDefaults() {
	setDefault(&c.Server.Addr, DefaultAddr)
	setDefault(&c.Server.UpstreamClient, "fasthttp")
	setDefault(&c.Server.HTTPServer, "fasthttp")
	setDefault(&c.Server.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&c.Server.ShutdownGrace, DefaultShutdownGrace)
	setDefault(&c.Server.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&c.Server.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.Server.Heartbeat, DefaultHeartbeat)
	setDefault(&c.Log.Format, DefaultLogFormat)
	setDefault(&c.Log.Level, DefaultLogLevel)
	setDefault(&c.Log.MaxSizeMB, DefaultLogMaxSizeMB)
	setDefault(&c.Log.MaxFiles, DefaultLogMaxFiles)
	setDefault(&c.Demo.Enabled, DemoAuto)
	setDefault(&c.Demo.TokenDelay, DefaultDemoTokenDelay)
	c.Bedrock.applyDefaults()
	c.applyAccessDefaults()
	c.applyRetrievalDefaults()
	for i := range c.Upstreams {
		u := &c.Upstreams[i]
		setDefault(&u.Type, TypeOpenAI)
		if u.Type == TypeOpenAI {
			setDefault(&u.BaseURL, DefaultOpenAIBaseURL)
		}
	}
	for i := range c.Models {
		m := &c.Models[i]
		for j := range m.Deployments {
			setDefault(&m.Deployments[j].Model, m.Name)
		}
		if len(m.Deployments) > 0 {
			setDefault(&m.OwnedBy, m.Deployments[0].Upstream)
		}
	}
}

// DemoEnabled reports whether the demo upstream should be served: always
// for "true", never for "false", and for "auto" only when no model is
// configured and Bedrock discovery is off, so a bare `outcrop serve`
// answers something.
func (c *Config) DemoEnabled() bool {
	switch c.Demo.Enabled {
	case DemoOn:
		return true
	case DemoOff:
		return false
	default:
		return len(c.Models) == 0 && !c.BedrockEnabled()
	}
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}
