package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreLoadState compares only the exported, user-visible fields.
var ignoreLoadState = cmpopts.IgnoreUnexported(Config{})

func TestLoadFull(t *testing.T) {
	tc := readCase(t, "testdata/full.txtar")
	got, err := Parse(tc.yaml, tc.getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	want := &Config{
		Server: Server{
			Addr:              "0.0.0.0:9090",
			MaxBodyBytes:      1 << 20,
			ShutdownGrace:     Duration(45 * time.Second),
			ReadHeaderTimeout: Duration(5 * time.Second),
			IdleTimeout:       Duration(2 * time.Minute),
			Heartbeat:         Duration(15 * time.Second),
			UpstreamClient:    "fasthttp",
			HTTPServer:        "fasthttp",
		},
		Log: Log{
			Format:    "text",
			Level:     "debug", // OUTCROP_LOG_LEVEL beats the file's "warn"
			File:      "/var/log/outcrop/outcrop.log",
			MaxSizeMB: 50,
			MaxFiles:  3,
		},
		Demo: Demo{Enabled: DemoOn, TokenDelay: Duration(5 * time.Millisecond)},
		Bedrock: Bedrock{
			Enabled:                      BedrockOn,
			Region:                       "us-west-2", // the file beats AWS_REGION
			Endpoint:                     "https://vpce-1.bedrock-runtime.us-west-2.vpce.amazonaws.com",
			ControlEndpoint:              "https://vpce-2.bedrock.us-west-2.vpce.amazonaws.com",
			APIKey:                       "bedrock-test-key",
			Profile:                      "prod",
			CrossRegionInference:         ptr(false),
			ApplicationInferenceProfiles: ptr(false),
			DefaultModel:                 "us.anthropic.claude-3-7-sonnet-20250219-v1:0", // DEFAULT_MODEL beats the file
			DefaultEmbeddingModel:        "cohere.embed-multilingual-v3",
			Allow:                        []string{"anthropic.*", "*.anthropic.*"},
			Deny:                         []string{"*:200k"},
			RefreshInterval:              Duration(time.Hour),
			GuardrailID:                  "abc123xyz",
			GuardrailVersion:             "DRAFT",
			GuardrailTrace:               "enabled",
			GuardrailStreamMode:          "async",
			PromptCaching:                CachingOn,
			UnsupportedParams:            UnsupportedIgnore,
			ModelsInfo: []BedrockModelInfo{{
				Prefix: "acme.chat-1", Kind: "chat", System: ptr(true), Vision: ptr(true), Documents: ptr(false),
				Tools: ptr(true), ToolChoice: ptr(false), PromptCaching: ptr(false), ToolCaching: ptr(false),
				ExclusiveSampling: ptr(true), NoAssistantPrefill: ptr(true), StructuredOutput: ptr(true),
				Reasoning: "effort", ContextWindow: 128000, MaxOutputTokens: 8192, DefaultMaxTokens: 2048,
			}},
		},
		Upstreams: []Upstream{
			{
				Name:    "openai",
				Type:    TypeOpenAI,
				BaseURL: DefaultOpenAIBaseURL,
				APIKey:  "sk-test-openai",
				Headers: map[string]Secret{"OpenAI-Organization": "org-123"},
				Timeout: Duration(10 * time.Minute),
			},
			{
				Name:       "azure",
				Type:       TypeAzure,
				BaseURL:    "https://my-resource.openai.azure.com",
				APIKey:     "azure-test-key",
				APIVersion: "2024-10-21",
			},
			{
				Name:    "azure-v1",
				Type:    TypeAzureV1,
				BaseURL: "https://my-resource.openai.azure.com/openai/v1",
				APIKey:  "azure-test-key",
			},
			{Name: "ollama", Type: TypeOpenAICompatible, BaseURL: "http://localhost:11434/v1"},
			{
				Name:                "bedrock-eu",
				Type:                TypeBedrock,
				Region:              "eu-central-1",
				Endpoint:            "https://bedrock-runtime.eu-central-1.amazonaws.com",
				APIKey:              "bedrock-test-key",
				Profile:             "eu",
				GuardrailID:         "xyz789",
				GuardrailVersion:    "2",
				GuardrailTrace:      "disabled",
				GuardrailStreamMode: "sync",
				Timeout:             Duration(5 * time.Minute),
			},
		},
		Models: []Model{
			{
				Name:    "gpt-4o",
				OwnedBy: "azure",
				Aliases: []string{"gpt4o"},
				Deployments: []Deployment{
					{Upstream: "azure", Model: "gpt-4o-prod"},
					{Upstream: "openai", Model: "gpt-4o"},
				},
			},
			{
				Name:        "gpt-4o-mini",
				OwnedBy:     "outcrop",
				Deployments: []Deployment{{Upstream: "azure-v1", Model: "gpt-4o-mini-eu"}},
			},
			{
				Name:        "llama3",
				OwnedBy:     "ollama",
				Deployments: []Deployment{{Upstream: "ollama", Model: "llama3.1:8b"}},
			},
			{
				Name:    "claude",
				OwnedBy: "bedrock-eu",
				Deployments: []Deployment{{
					Upstream: "bedrock-eu", Model: "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
					GuardrailID: "arn:aws:bedrock:eu-central-1:123456789012:guardrail/strict1", GuardrailVersion: "7",
					GuardrailTrace: "enabled_full", GuardrailStreamMode: "sync",
				}},
			},
		},
		Aliases: map[string]string{"fast": "gpt-4o-mini", "local": "llama3"},
		Auth:    Auth{MasterKey: "master-test-key", Required: "true", KeyRefresh: Duration(500 * time.Millisecond)},
		Storage: Storage{
			DatabaseURL: "postgres://outcrop@db.internal:5432/outcrop", DataDir: "/var/lib/outcrop",
			LedgerBatch: 1000, LedgerInterval: Duration(2 * time.Second),
		},
		Limits: Limits{
			RedisURL: "redis://cache.internal:6379/0", RedisPrefix: "gw1:", LeaseTTL: Duration(15 * time.Minute),
			OutputTokenEstimate: 2048,
			Models:              map[string]RateLimit{"gpt-4o": {RPM: 600, TPM: 400000, Concurrency: 50}},
		},
		Prices: map[string]Price{"llama3.1:8b": {Input: 0.1, Output: 0.2, CacheRead: 0.01, CacheWrite: 0.125}},
		CORS:   CORS{AllowedOrigins: []string{"https://app.example.com"}},
		Retrieval: Retrieval{
			EmbeddingModel: "titan-embed",
			Stores: []RetrievalStore{
				{
					Name: "docs", Type: StoreLocal, TopK: 5, MinScore: 0.2, Path: "/srv/docs.idx", Metric: "cosine",
					ChunkTokens: 300, ChunkOverlap: 30, Reload: DefaultIndexReload,
				},
				{
					Name: "wiki", Type: StoreKendra, TopK: 4, IndexID: "0a1b2c3d-4e5f", Region: "eu-west-1",
					AttributeFilter: map[string]any{"EqualsTo": map[string]any{"Key": "_language_code", "Value": map[string]any{"StringValue": "en"}}},
				},
				{
					Name: "kb", Type: StoreBedrockKB, TopK: 4, KnowledgeBaseID: "KB12345678", SearchType: "HYBRID",
					Filter: map[string]any{"equals": map[string]any{"key": "team", "value": "docs"}},
				},
			},
			Models: []RetrievalModel{{Name: "docs-claude", Model: "claude-sonnet", Store: "docs", Insert: "user"}},
			Context: ContextSource{
				KeyPrefix: "ctx:", TTL: Duration(time.Hour),
				DynamoDB: DynamoDBSource{Table: "contexts", KeyAttribute: "user_id", KeyType: "S", ContextAttribute: "context"},
			},
		},
		Native:         Native{ChatModel: "claude-sonnet", PromptModels: []string{"claude-sonnet", "gpt-4o"}, PromptTimeout: Duration(30 * time.Second)},
		EmbeddingCache: EmbeddingCache{Backend: "memory", MaxBytes: 1048576, TTL: DefaultEmbedCacheTTL},
	}
	if diff := cmp.Diff(want, got, ignoreLoadState); diff != "" {
		t.Errorf("Parse(full.txtar) (-want +got):\n%s", diff)
	}
}

func TestDefault(t *testing.T) {
	want := &Config{
		Server: Server{
			Addr:              "127.0.0.1:8080",
			MaxBodyBytes:      10485760,
			ShutdownGrace:     Duration(30 * time.Second),
			ReadHeaderTimeout: Duration(10 * time.Second),
			IdleTimeout:       Duration(120 * time.Second),
			Heartbeat:         Duration(15 * time.Second),
			UpstreamClient:    "fasthttp",
			HTTPServer:        "fasthttp",
		},
		Log:  Log{Format: "json", Level: "info", MaxSizeMB: 20, MaxFiles: 5},
		Demo: Demo{Enabled: DemoAuto, TokenDelay: Duration(20 * time.Millisecond)},
		Bedrock: Bedrock{
			Enabled:                      BedrockAuto,
			CrossRegionInference:         ptr(true),
			ApplicationInferenceProfiles: ptr(true),
			RefreshInterval:              Duration(10 * time.Minute),
			PromptCaching:                CachingAuto,
			UnsupportedParams:            UnsupportedReject,
		},
		Auth:    Auth{Required: "auto", KeyRefresh: Duration(250 * time.Millisecond)},
		Storage: Storage{DataDir: "outcrop-data", LedgerBatch: 500, LedgerInterval: Duration(time.Second)},
		Limits:  Limits{RedisPrefix: "outcrop:", LeaseTTL: Duration(10 * time.Minute), OutputTokenEstimate: 4096},
		Retrieval: Retrieval{Context: ContextSource{
			KeyPrefix: "context:", TTL: Duration(10 * time.Minute),
			DynamoDB: DynamoDBSource{KeyAttribute: "id", KeyType: "S", ContextAttribute: "context"},
		}},
		Native:         Native{PromptTimeout: Duration(time.Minute)},
		EmbeddingCache: EmbeddingCache{Backend: "auto", MaxBytes: 64 << 20, TTL: Duration(24 * time.Hour)},
	}
	if diff := cmp.Diff(want, Default(), ignoreLoadState); diff != "" {
		t.Errorf("Default() (-want +got):\n%s", diff)
	}
	loaded, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, loaded, ignoreLoadState); diff != "" {
		t.Errorf(`Load("", nil) (-want +got):\n%s`, diff)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "outcrop.yaml")
	if err := os.WriteFile(path, []byte("server:\n  addr: 127.0.0.1:1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Server.Addr, "127.0.0.1:1234"; got != want {
		t.Errorf("got addr %q, want %q", got, want)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v, want an error wrapping fs.ErrNotExist", err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("serve:\n  addr: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad, nil)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `line 1: unknown key "serve"`) {
		t.Errorf("unknown key: got %v, want an error naming the file, the line and the key", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	file := []byte("server:\n  addr: 127.0.0.1:1\n  max_body_bytes: 5\nlog:\n  file: from-file.log\n")
	tests := []struct {
		name string
		env  map[string]string
		want func(*Config)
	}{
		{name: "none", want: func(c *Config) {}},
		{name: "empty values are ignored", env: map[string]string{EnvAddr: "", EnvLogFile: ""}, want: func(c *Config) {}},
		{name: "addr", env: map[string]string{EnvAddr: "0.0.0.0:80"}, want: func(c *Config) { c.Server.Addr = "0.0.0.0:80" }},
		{name: "max body", env: map[string]string{EnvMaxBodyBytes: "2048"}, want: func(c *Config) { c.Server.MaxBodyBytes = 2048 }},
		{name: "log format", env: map[string]string{EnvLogFormat: "text"}, want: func(c *Config) { c.Log.Format = "text" }},
		{name: "log level", env: map[string]string{EnvLogLevel: "error"}, want: func(c *Config) { c.Log.Level = "error" }},
		{name: "log file", env: map[string]string{EnvLogFile: "/tmp/x.log"}, want: func(c *Config) { c.Log.File = "/tmp/x.log" }},
		{name: "demo", env: map[string]string{EnvDemo: "false"}, want: func(c *Config) { c.Demo.Enabled = DemoOff }},
		{
			name: "token delay", env: map[string]string{EnvDemoTokenDelay: "1ms"},
			want: func(c *Config) { c.Demo.TokenDelay = Duration(time.Millisecond) },
		},
		{
			name: "zero max body means default", env: map[string]string{EnvMaxBodyBytes: "0"},
			want: func(c *Config) { c.Server.MaxBodyBytes = DefaultMaxBodyBytes },
		},
		{name: "bedrock", env: map[string]string{EnvBedrock: "false"}, want: func(c *Config) { c.Bedrock.Enabled = BedrockOff }},
		{name: "aws region", env: map[string]string{EnvAWSRegion: "eu-west-1"}, want: func(c *Config) { c.Bedrock.Region = "eu-west-1" }},
		{
			name: "aws default region", env: map[string]string{EnvAWSDefaultRegion: "eu-west-3"},
			want: func(c *Config) { c.Bedrock.Region = "eu-west-3" },
		},
		{
			name: "AWS_REGION before AWS_DEFAULT_REGION", env: map[string]string{EnvAWSRegion: "eu-west-1", EnvAWSDefaultRegion: "eu-west-3"},
			want: func(c *Config) { c.Bedrock.Region = "eu-west-1" },
		},
		{
			name: "default models", env: map[string]string{EnvDefaultModel: "m1", EnvDefaultEmbeddingModel: "e1", EnvAWSRegion: "us-east-1"},
			want: func(c *Config) {
				c.Bedrock.DefaultModel, c.Bedrock.DefaultEmbeddingModel, c.Bedrock.Region = "m1", "e1", "us-east-1"
			},
		},
		{
			name: "switches off, any case", env: map[string]string{EnvCrossRegionInference: "False", EnvApplicationInferenceProfiles: "0"},
			want: func(c *Config) {
				c.Bedrock.CrossRegionInference, c.Bedrock.ApplicationInferenceProfiles = ptr(false), ptr(false)
			},
		},
		{
			name: "switches on", env: map[string]string{EnvCrossRegionInference: "TRUE", EnvApplicationInferenceProfiles: " yes "},
			want: func(c *Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := Parse(file, nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.want(want)
			got, err := Parse(file, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, ignoreLoadState); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "B_2": "beta"}
	tests := []struct {
		in, want string
		msgs     []string
	}{
		{in: "", want: ""},
		{in: "plain", want: "plain"},
		{in: "${A}", want: "alpha"},
		{in: "x-${A}-${B_2}-y", want: "x-alpha-beta-y"},
		{in: "pa$$word$", want: "pa$$word$"},
		{in: "$A", want: "$A"},
		{in: "$${A}", want: "${A}"},
		{in: "a$${A}${A}", want: "a${A}alpha"},
		{in: "${MISSING}", want: "", msgs: []string{"environment variable MISSING is not set"}},
		{in: "${A", want: "", msgs: []string{`unterminated "${" (write "$${" for a literal "${")`}},
		{in: "k${}", want: "k", msgs: []string{`invalid environment reference: "${" must be followed by a name of letters, digits and _ and a "}" (write "$${" for a literal "${")`}},
		{in: "${1A}", want: "", msgs: []string{`invalid environment reference: "${" must be followed by a name of letters, digits and _ and a "}" (write "$${" for a literal "${")`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msgs := expand(tt.in, func(k string) string { return env[k] })
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if diff := cmp.Diff(tt.msgs, msgs); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpandOnlyReferenceFields checks that ${VAR} is expanded in secrets
// and base_url but taken literally elsewhere.
func TestExpandOnlyReferenceFields(t *testing.T) {
	yaml := []byte(`
upstreams:
  - name: u
    type: openai-compatible
    base_url: http://${HOST}/v1
    api_key: ${KEY}
    headers: {X-Token: "Bearer ${KEY}"}
models:
  - name: "${HOST}"
    deployments: [{upstream: u}]
`)
	env := map[string]string{"HOST": "example.com", "KEY": "s3cret"}
	c, err := Parse(yaml, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	u := c.Upstreams[0]
	got := []string{u.BaseURL, u.APIKey.Value(), u.Headers["X-Token"].Value(), c.Models[0].Name}
	want := []string{"http://example.com/v1", "s3cret", "Bearer s3cret", "${HOST}"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDemoEnabled(t *testing.T) {
	oneModel := []Model{{Name: "m", Deployments: []Deployment{{Upstream: "u"}}}}
	tests := []struct {
		mode   DemoMode
		models []Model
		want   bool
	}{
		{mode: "", want: true},
		{mode: DemoAuto, want: true},
		{mode: DemoAuto, models: oneModel, want: false},
		{mode: DemoOn, models: oneModel, want: true},
		{mode: DemoOff, want: false},
	}
	for _, tt := range tests {
		c := &Config{Demo: Demo{Enabled: tt.mode}, Models: tt.models}
		if got := c.DemoEnabled(); got != tt.want {
			t.Errorf("mode %q with %d models: got %v, want %v", tt.mode, len(tt.models), got, tt.want)
		}
	}
}

// TestBedrockRegionFromFile checks that a region in the file wins over
// the ambient AWS_REGION, and that other bedrock variables win over the
// file like OUTCROP_* ones do.
func TestBedrockRegionFromFile(t *testing.T) {
	file := []byte("bedrock:\n  region: eu-central-1\n  default_model: from-file\n  cross_region_inference: true\n")
	env := map[string]string{EnvAWSRegion: "us-east-1", EnvDefaultModel: "from-env", EnvCrossRegionInference: "false"}
	c, err := Parse(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Bedrock.Region, c.Bedrock.DefaultModel, c.Bedrock.CrossRegion()}
	want := []any{"eu-central-1", "from-env", false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBedrockEnabled(t *testing.T) {
	oneModel := []Model{{Name: "m", Deployments: []Deployment{{Upstream: "u"}}}}
	tests := []struct {
		name        string
		bedrock     Bedrock
		demo        DemoMode
		models      []Model
		wantBedrock bool
		wantDemo    bool
	}{
		{name: "nothing: the demo", wantDemo: true},
		{name: "auto with a region", bedrock: Bedrock{Region: "us-east-1"}, wantBedrock: true},
		{name: "auto with a region and models", bedrock: Bedrock{Region: "us-east-1"}, models: oneModel},
		{name: "auto without a region", bedrock: Bedrock{Enabled: BedrockAuto}, wantDemo: true},
		{name: "on without models", bedrock: Bedrock{Enabled: BedrockOn}, wantBedrock: true},
		{name: "on with models", bedrock: Bedrock{Enabled: BedrockOn}, models: oneModel, wantBedrock: true},
		{name: "off with a region", bedrock: Bedrock{Enabled: BedrockOff, Region: "us-east-1"}, wantDemo: true},
		{name: "demo on too", bedrock: Bedrock{Region: "us-east-1"}, demo: DemoOn, wantBedrock: true, wantDemo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Bedrock: tt.bedrock, Demo: Demo{Enabled: tt.demo}, Models: tt.models}
			if got := c.BedrockEnabled(); got != tt.wantBedrock {
				t.Errorf("BedrockEnabled: got %v, want %v", got, tt.wantBedrock)
			}
			if got := c.DemoEnabled(); got != tt.wantDemo {
				t.Errorf("DemoEnabled: got %v, want %v", got, tt.wantDemo)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Duration
	}{{"0", 0}, {"1m30s", Duration(90 * time.Second)}, {"20ms", Duration(20 * time.Millisecond)}, {"-1s", Duration(-time.Second)}} {
		got, err := parseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	var d Duration
	if err := d.UnmarshalText([]byte("2s")); err != nil || d != Duration(2*time.Second) {
		t.Errorf("UnmarshalText(2s): got %v, %v", d, err)
	}
	if b, _ := Duration(90 * time.Second).MarshalText(); string(b) != "1m30s" {
		t.Errorf("MarshalText: got %q, want %q", b, "1m30s")
	}
	if got := Duration(time.Second).Std(); got != time.Second {
		t.Errorf("Std: got %v, want 1s", got)
	}
}
