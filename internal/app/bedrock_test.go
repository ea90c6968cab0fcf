package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/bedrock"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/provider/bedrock/discovery"
)

const (
	haikuID   = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet4ID = "anthropic.claude-sonnet-4-20250514-v1:0"
	sonnet37  = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
)

// setAWSEnv points the process environment at srv the way a user points
// Outcrop at AWS: a region, static credentials and an endpoint override.
// The AWS SDK's credentials chain reads the process environment, so the
// test sets it (and cannot run in parallel); shared files and instance
// metadata are switched off so that the machine's own AWS setup cannot
// interfere.
func setAWSEnv(t *testing.T, srv *bedrocktest.Server, extra map[string]string) {
	t.Helper()
	env := map[string]string{
		"AWS_REGION":                  srv.Region(),
		"AWS_ACCESS_KEY_ID":           bedrocktest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       bedrocktest.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_ENDPOINT_URL":            srv.URL(),
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_BEARER_TOKEN_BEDROCK":    "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"OUTCROP_CONFIG":              "",
		"OUTCROP_ADDR":                "127.0.0.1:0",
		"OUTCROP_DEMO":                "",
		"OUTCROP_BEDROCK":             "",
		"DEFAULT_MODEL":               "",
		"DEFAULT_EMBEDDING_MODEL":     "",
	}
	for k, v := range extra {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// logLines is an io.Writer that hands each complete JSON log line to a
// channel, so a test can wait for one.
type logLines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan map[string]any
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadBytes('\n')
		if err != nil {
			l.buf.Write(line) // an incomplete line waits for the rest
			return len(p), nil
		}
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil {
			select {
			case l.lines <- rec:
			default:
			}
		}
	}
}

// waitFor returns the first log record with msg, or fails the test if
// the command ends first.
func (l *logLines) waitFor(t *testing.T, msg string, done <-chan error) map[string]any {
	t.Helper()
	for {
		select {
		case rec := <-l.lines:
			if rec["msg"] == msg {
				return rec
			}
		case err := <-done:
			t.Fatalf("serve ended (%v) before logging %q", err, msg)
		}
	}
}

// TestServeBedrockFromEnvOnly boots `outcrop serve` with no file and only
// environment variables, as bedrock-access-gateway is deployed, and checks
// the models it lists and that requests reach Bedrock.
func TestServeBedrockFromEnvOnly(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	setAWSEnv(t, srv, map[string]string{"DEFAULT_MODEL": haikuID})
	t.Setenv("OUTCROP_DATA_DIR", t.TempDir())
	logs := &logLines{lines: make(chan map[string]any, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"serve"}, Env{Getenv: os.Getenv, Stdout: io.Discard, Stderr: logs}) }()
	discovered := logs.waitFor(t, "serving bedrock models", done)
	base := "http://" + logs.waitFor(t, "outcrop listening", done)["addr"].(string)
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}()
	if n, _ := discovered["count"].(float64); n < 30 {
		t.Errorf("startup log: got %v models discovered, want the emulator's catalogue", discovered["count"])
	}

	for _, prefix := range []string{"/v1", "/api/v1"} {
		models := listModels(t, base+prefix+"/models")
		for _, want := range []string{
			haikuID, sonnet4ID, sonnet37, "global." + sonnet4ID, "cohere.embed-multilingual-v3",
			"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + bedrocktest.AppProfileHaiku,
		} {
			if models[want] != bedrockOwner {
				t.Errorf("%s/models: %q has owner %q, want it listed as %q", prefix, want, models[want], bedrockOwner)
			}
		}
		if _, ok := models["demo-chat"]; ok {
			t.Errorf("%s/models lists the demo next to Bedrock", prefix)
		}
	}

	tests := []struct {
		model, wantTarget string
	}{
		{model: haikuID, wantTarget: haikuID},
		{model: sonnet37, wantTarget: sonnet37},
		// Served only through a profile: sent to the region's one.
		{model: sonnet4ID, wantTarget: "us." + sonnet4ID},
		// Unknown: DEFAULT_MODEL answers.
		{model: "gpt-4o", wantTarget: haikuID},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			resp := postJSON(t, base+"/v1/chat/completions",
				`{"model":"`+tt.model+`","messages":[{"role":"user","content":"Hello Bedrock"}]}`)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d: %s", resp.StatusCode, body)
			}
			var got struct {
				Model   string `json:"model"`
				Choices []struct {
					Message struct{ Content string } `json:"message"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.Model != tt.model || len(got.Choices) != 1 || got.Choices[0].Message.Content == "" {
				t.Errorf("got %s", body)
			}
			rec := lastConverse(t, srv)
			if rec.ModelID != tt.wantTarget {
				t.Errorf("Bedrock got model %q, want %q", rec.ModelID, tt.wantTarget)
			}
			if rec.Auth != bedrocktest.AuthSigV4 || rec.AccessKeyID != bedrocktest.AccessKeyID {
				t.Errorf("Bedrock got auth %q with key %q, want SigV4 with the environment's key", rec.Auth, rec.AccessKeyID)
			}
		})
	}

	resp := postJSON(t, base+"/v1/chat/completions",
		`{"model":"`+sonnet37+`","stream":true,"messages":[{"role":"user","content":"Hello stream"}]}`)
	events := readEvents(t, resp.Body)
	resp.Body.Close()
	if len(events) < 3 || events[len(events)-1] != "[DONE]" {
		t.Errorf("stream: got events %q", events)
	}
}

func listModels(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID      string `json:"id"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(list.Data))
	for _, m := range list.Data {
		out[m.ID] = m.OwnedBy
	}
	return out
}

func lastConverse(t *testing.T, srv *bedrocktest.Server) bedrocktest.Recorded {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Operation == bedrocktest.OpConverse || reqs[i].Operation == bedrocktest.OpConverseStream {
			return reqs[i]
		}
	}
	t.Fatal("Bedrock received no Converse request")
	return bedrocktest.Recorded{}
}

// TestBedrockDiscoveryRecovers starts with a failing first listing: the
// gateway serves its configured and default models, and swaps in the
// discovered ones once a refresh succeeds. Aliases of discovered models
// appear with them; the configured model keeps its name.
func TestBedrockDiscoveryRecovers(t *testing.T) {
	srv := bedrocktest.New(t)
	setAWSEnv(t, srv, nil)
	srv.Push(bedrocktest.Reply{
		Operation: bedrocktest.OpListFoundationModels,
		Error:     &bedrocktest.Error{Code: bedrocktest.CodeAccessDenied, Message: "not yet"},
	})
	cfg := config.Default()
	cfg.Bedrock.Enabled = config.BedrockOn
	cfg.Bedrock.Region = srv.Region()
	cfg.Bedrock.DefaultModel = sonnet37 // a profile, served even before discovery
	cfg.Bedrock.Deny = []string{"meta.*", "*.meta.*"}
	cfg.Upstreams = []config.Upstream{{Name: "eu", Type: config.TypeBedrock}}
	cfg.Models = []config.Model{{Name: haikuID, OwnedBy: "configured", Deployments: []config.Deployment{{Upstream: "eu"}}}}
	cfg.Aliases = map[string]string{"claude": sonnet4ID}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Storage.DataDir = t.TempDir()
	gw, err := BuildEnv(context.Background(), cfg, slog.New(slog.DiscardHandler), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close(context.Background()) })
	ts := httptest.NewServer(gw.Server)
	defer ts.Close()

	before := listModels(t, ts.URL+"/v1/models")
	if diff := cmp.Diff(map[string]string{haikuID: "configured", sonnet37: bedrockOwner}, before); diff != "" {
		t.Errorf("before discovery (-want +got):\n%s", diff)
	}
	if _, err := gw.discovery.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := listModels(t, ts.URL+"/v1/models")
	for name, owner := range map[string]string{haikuID: "configured", sonnet37: bedrockOwner, sonnet4ID: bedrockOwner, "claude": bedrockOwner} {
		if after[name] != owner {
			t.Errorf("after discovery: %q has owner %q, want %q", name, after[name], owner)
		}
	}
	for name := range after {
		if strings.Contains(name, "meta.") {
			t.Errorf("after discovery: denied model %q is listed", name)
		}
	}
	resp := postJSON(t, ts.URL+"/v1/chat/completions", `{"model":"claude","messages":[{"role":"user","content":"hi"}]}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("alias of a discovered model: got status %d", resp.StatusCode)
	}
	if got := lastConverse(t, srv).ModelID; got != "us."+sonnet4ID {
		t.Errorf("alias: Bedrock got model %q, want the profile of %s", got, sonnet4ID)
	}
}

// TestRouteSet checks how discovered models join the configured ones.
func TestRouteSet(t *testing.T) {
	client, err := bedrock.New(context.Background(), bedrock.Config{Name: "bedrock", Region: "us-east-1", APIKey: "k", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	configured := &provider.Route{Name: haikuID, OwnedBy: "mine", Deployments: []*provider.Deployment{{Name: "x", Model: "m", Provider: client}}}
	set := &routeSet{
		routes:   []*provider.Route{configured},
		aliases:  map[string]string{"fast": haikuID, "smart": sonnet4ID, "gone": "anthropic.claude-v2"},
		defaults: provider.Defaults{Chat: "fast", Embedding: "amazon.titan-embed-text-v2:0"},
		bedrock:  client,
		logger:   slog.New(slog.DiscardHandler),
	}
	snap := discovery.Build([]discovery.FoundationModel{
		{ID: haikuID, Kind: bedrock.KindChat, OnDemand: true},
		{ID: sonnet4ID, Kind: bedrock.KindChat, OnDemand: true},
	}, nil, nil, discovery.Options{Region: "us-east-1"})
	r, err := set.router(snap)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range r.Models() {
		names = append(names, m.ID+" "+m.OwnedBy)
	}
	want := []string{
		// The default embedding model is served though not discovered.
		"amazon.titan-embed-text-v2:0 bedrock",
		haikuID + " mine", // the configured route wins
		sonnet4ID + " bedrock",
		"fast mine",
		"smart bedrock",
		// "gone" names a model that is not served: left out.
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	if rt, err := r.LookupFor(provider.UseChat, "gpt-4o"); err != nil || rt != configured {
		t.Errorf("default chat model: got %v, %v; want the configured route (through alias fast)", rt, err)
	}
}

func TestBedrockCatalogFromConfig(t *testing.T) {
	yes, no := true, false
	cat := bedrockCatalog([]config.BedrockModelInfo{
		// A correction keeps what it does not set.
		{Prefix: "anthropic.claude-sonnet-4-5", MaxOutputTokens: 32_000, ExclusiveSampling: &no, StructuredOutput: &no},
		// A new family starts from nothing.
		{
			Prefix: "acme.chat-2", Tools: &yes, Reasoning: "effort", ContextWindow: 64_000, MaxOutputTokens: 2000,
			PromptCaching: &yes, ToolCaching: &yes, NoAssistantPrefill: &yes, StructuredOutput: &yes,
		},
		// A version of a known family inherits the family's row.
		{Prefix: "deepseek.r1-v2", Reasoning: "none"},
		{Prefix: "acme.embed", Kind: "embedding", Dimensions: 768},
	})
	tests := []struct {
		id   string
		want bedrock.ModelInfo
	}{
		{
			id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
			want: bedrock.ModelInfo{
				Prefix: "anthropic.claude-sonnet-4-5", Kind: bedrock.KindChat, System: true, Vision: true, Documents: true,
				Tools: true, ToolChoice: true, Reasoning: bedrock.ReasoningBudget, PromptCaching: true, ToolCaching: true,
				ContextWindow: 200_000, MaxOutputTokens: 32_000, DefaultMaxTokens: 4096,
			},
		},
		{
			id: "acme.chat-2-v1",
			want: bedrock.ModelInfo{
				Prefix: "acme.chat-2", Kind: bedrock.KindChat, Tools: true, Reasoning: bedrock.ReasoningEffort,
				PromptCaching: true, ToolCaching: true, NoAssistantPrefill: true, StructuredOutput: true,
				ContextWindow: 64_000, MaxOutputTokens: 2000, DefaultMaxTokens: 2000,
			},
		},
		{
			id: "deepseek.r1-v2:0",
			want: bedrock.ModelInfo{
				Prefix: "deepseek.r1-v2", Kind: bedrock.KindChat, System: true, Documents: true,
				ContextWindow: 128_000, MaxOutputTokens: 32_768, DefaultMaxTokens: 8192,
			},
		},
		{id: "acme.embed-v1", want: bedrock.ModelInfo{Prefix: "acme.embed", Kind: bedrock.KindEmbedding, Dimensions: 768}},
	}
	for _, tt := range tests {
		got, ok := cat.Lookup(tt.id)
		if !ok {
			t.Errorf("%s: not found", tt.id)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.id, diff)
		}
	}
	if got, _ := cat.Lookup("deepseek.r1-v1:0"); got.Reasoning != bedrock.ReasoningAlways {
		t.Errorf("the family row changed: got reasoning %q", got.Reasoning)
	}
	if !slices.ContainsFunc(cat.Entries(), func(m bedrock.ModelInfo) bool { return m.Prefix == "anthropic.claude-3-haiku" }) {
		t.Error("the built-in rows are gone")
	}
}
