package openaicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider/openaicompat/openaitest"
)

// aliased returns the recorded request body with its model renamed, as a
// client of the gateway would send it under a public alias.
func aliased(t *testing.T, body []byte, model string) string {
	t.Helper()
	old := `"model": "` + model + `"`
	if !bytes.Contains(body, []byte(old)) {
		t.Fatalf("recorded body has no %s", old)
	}
	return strings.Replace(string(body), old, `"model": "my-alias"`, 1)
}

func TestRelayReplaysExactly(t *testing.T) {
	tests := []struct {
		cassette string
		dialect  Dialect
		model    string
		call     func(c *Client, raw string, model string) ([]byte, *openai.Usage, error)
	}{
		{"chat-basic", DialectOpenAI, "gpt-5-nano", chat},
		{"chat-tools", DialectOpenAI, "gpt-5-nano", chat},
		{"azure-chat-basic", DialectAzure, "gpt-5-nano", chat},
		{"completion-basic", DialectOpenAI, "babbage-002", completion},
		{"embeddings-base64", DialectOpenAI, "text-embedding-3-small", embeddings},
		{"embeddings-dimensions", DialectOpenAI, "text-embedding-3-small", embeddings},
	}
	for _, tt := range tests {
		t.Run(tt.cassette, func(t *testing.T) {
			cas := openaitest.MustCassette(t, tt.cassette)
			s := openaitest.New(t, openaitest.WithCassette(cas))
			rec := cas.Interactions[0]
			raw := aliased(t, rec.Request.Body, tt.model)

			got, usage, err := tt.call(newClient(t, s, tt.dialect), raw, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, rec.Response.Body) {
				t.Errorf("Raw differs from the recorded body:\n got %q\nwant %q", got, rec.Response.Body)
			}
			var want struct{ Usage *openai.Usage }
			if err := json.Unmarshal(rec.Response.Body, &want); err != nil {
				t.Fatal(err)
			}
			if want.Usage == nil || !cmp.Equal(usage, want.Usage) {
				t.Errorf("usage %+v, want %+v", usage, want.Usage)
			}

			sent := s.Requests()[0]
			wantBody := string(rec.Request.Body)
			if tt.dialect == DialectAzure {
				// The deployment is in the path; the body is left alone.
				wantBody = raw
			}
			if string(sent.Body) != wantBody {
				t.Errorf("upstream got body\n%s\nwant the recorded one with only the model changed:\n%s", sent.Body, wantBody)
			}
		})
	}
}

func chat(c *Client, raw, model string) ([]byte, *openai.Usage, error) {
	req := new(openai.ChatCompletionRequest)
	if err := json.Unmarshal([]byte(raw), req); err != nil {
		return nil, nil, err
	}
	req.Raw, req.Model = []byte(raw), model
	resp, err := c.ChatCompletion(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	return resp.Raw, resp.Usage, nil
}

func completion(c *Client, raw, model string) ([]byte, *openai.Usage, error) {
	req := new(openai.CompletionRequest)
	if err := json.Unmarshal([]byte(raw), req); err != nil {
		return nil, nil, err
	}
	req.Raw, req.Model = []byte(raw), model
	resp, err := c.Completion(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	return resp.Raw, resp.Usage, nil
}

func embeddings(c *Client, raw, model string) ([]byte, *openai.Usage, error) {
	req := new(openai.EmbeddingRequest)
	if err := json.Unmarshal([]byte(raw), req); err != nil {
		return nil, nil, err
	}
	req.Raw, req.Model = []byte(raw), model
	resp, err := c.Embeddings(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	return resp.Raw, resp.Usage, nil
}

func TestRelayForwardsUnknownFields(t *testing.T) {
	s := openaitest.New(t)
	raw := `{"model":"alias","messages":[{"role":"user","content":"hi","x_part":{"a":[1,2.50,"\u00e9"]}}],` +
		`"prompt_cache_key":"k1","verbosity":"low","x_vendor":{"nested":{"deep":true}},"seed":  42}`
	_, err := newClient(t, s, DialectOpenAI).ChatCompletion(context.Background(), chatRequest(t, raw, "gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(raw, `"model":"alias"`, `"model":"gpt-4o"`, 1)
	if got := string(s.Requests()[0].Body); got != want {
		t.Errorf("upstream got\n%s\nwant\n%s", got, want)
	}
}

func TestRelayWithoutRaw(t *testing.T) {
	s := openaitest.New(t)
	req := &openai.ChatCompletionRequest{Model: "gpt-4o", Messages: []openai.Message{{Role: "user", Content: openai.TextContent("hi")}}}
	resp, err := newClient(t, s, DialectOpenAI).ChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Usage == nil || !json.Valid(resp.Raw) {
		t.Errorf("response %s: want JSON with usage", resp.Raw)
	}
	want := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`
	if got := string(s.Requests()[0].Body); got != want {
		t.Errorf("upstream got %s, want %s", got, want)
	}
}

func TestDialectRequests(t *testing.T) {
	tests := []struct {
		name       string
		dialect    Dialect
		mod        func(*Config)
		wantPath   string
		wantQuery  string
		wantHeader http.Header
		noHeader   []string
		wantModel  string
	}{
		{
			name: "openai", dialect: DialectOpenAI,
			mod:        func(c *Config) { c.Headers = map[string]string{"OpenAI-Organization": "org-1"} },
			wantPath:   "/v1/chat/completions",
			wantHeader: http.Header{"Authorization": {"Bearer key"}, "Openai-Organization": {"org-1"}, "Content-Type": {"application/json"}},
			noHeader:   []string{"Api-Key"},
			wantModel:  "upstream-model",
		},
		{
			name: "openai without key", dialect: DialectOpenAI,
			mod:       func(c *Config) { c.APIKey = "" },
			wantPath:  "/v1/chat/completions",
			noHeader:  []string{"Api-Key", "Authorization"},
			wantModel: "upstream-model",
		},
		{
			name: "azure classic", dialect: DialectAzure,
			wantPath:   "/openai/deployments/upstream-model/chat/completions",
			wantQuery:  "api-version=2024-12-01-preview",
			wantHeader: http.Header{"Api-Key": {"key"}},
			noHeader:   []string{"Authorization"},
			wantModel:  "alias",
		},
		{
			name: "azure v1", dialect: DialectAzureV1,
			wantPath:   "/openai/v1/chat/completions",
			wantHeader: http.Header{"Api-Key": {"key"}},
			noHeader:   []string{"Authorization"},
			wantModel:  "upstream-model",
		},
		{
			name: "azure v1 with api-version", dialect: DialectAzureV1,
			mod:        func(c *Config) { c.APIVersion = "preview" },
			wantPath:   "/openai/v1/chat/completions",
			wantQuery:  "api-version=preview",
			wantHeader: http.Header{"Api-Key": {"key"}},
			wantModel:  "upstream-model",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.New(t, openaitest.WithAPIKey("key"))
			mods := []func(*Config){}
			if tt.mod != nil {
				mods = append(mods, tt.mod)
			}
			c := newClient(t, s, tt.dialect, mods...)
			_, err := c.ChatCompletion(context.Background(), chatRequest(t, `{"model":"alias","messages":[{"role":"user","content":"hi"}]}`, "upstream-model"))
			if tt.wantHeader == nil && err == nil {
				t.Fatal("request without a key succeeded against an emulator requiring one")
			}
			if tt.wantHeader != nil && err != nil {
				t.Fatal(err)
			}
			got := s.Requests()[0]
			if got.Path != tt.wantPath || got.RawQuery != tt.wantQuery {
				t.Errorf("request to %s?%s, want %s?%s", got.Path, got.RawQuery, tt.wantPath, tt.wantQuery)
			}
			for k, v := range tt.wantHeader {
				if !cmp.Equal(got.Header.Values(k), v) {
					t.Errorf("header %s = %q, want %q", k, got.Header.Values(k), v)
				}
			}
			for _, k := range tt.noHeader {
				if v := got.Header.Get(k); v != "" {
					t.Errorf("header %s = %q, want none", k, v)
				}
			}
			var body struct{ Model string }
			_ = json.Unmarshal(got.Body, &body)
			if body.Model != tt.wantModel {
				t.Errorf("body model %q, want %q", body.Model, tt.wantModel)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name        string
		dialect     Dialect
		opt         openaitest.Option
		status      int
		code, param string
		retryAfter  time.Duration
		requestID   string
		// relayed: the upstream's body is kept for the client.
		relayed bool
		message string
	}{
		{
			name: "400 unsupported_parameter", opt: openaitest.WithCassette(openaitest.MustCassette(t, "chat-bad-request")),
			status: 400, code: "unsupported_parameter", param: "max_tokens", relayed: true,
			requestID: "req_13d9b359dc234adc87be3833cacab1c6",
		},
		{
			name: "404 model_not_found", opt: openaitest.WithCassette(openaitest.MustCassette(t, "chat-unknown-model")),
			status: 404, code: "model_not_found", relayed: true,
		},
		{
			name: "429 with Retry-After", opt: openaitest.WithDefault(openaitest.RateLimited(7 * time.Second)),
			status: 429, code: "rate_limit_exceeded", retryAfter: 7 * time.Second, relayed: true, requestID: "req_emu_00000001",
		},
		{
			name: "azure 429 numeric code", dialect: DialectAzure, opt: openaitest.WithDefault(openaitest.AzureRateLimited(3 * time.Second)),
			status: 429, code: "429", retryAfter: 3 * time.Second, relayed: true,
		},
		{
			name: "azure 404 deployment", dialect: DialectAzure, opt: openaitest.WithDeployments("other"),
			status: 404, code: "DeploymentNotFound", relayed: true,
		},
		{
			name: "502 not JSON", opt: openaitest.WithDefault(openaitest.RawReply(502, "text/html", []byte("<html>bad gateway</html>"))),
			status: 502, message: "<html>bad gateway</html>",
		},
		{
			name: "401 wrong key", opt: openaitest.WithAPIKey("other"),
			status: 401, code: "invalid_api_key", relayed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openaitest.New(t, tt.opt)
			if tt.dialect == "" {
				tt.dialect = DialectOpenAI
			}
			c := newClient(t, s, tt.dialect)
			_, err := c.ChatCompletion(context.Background(), chatRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":0}`, "gpt-5-nano"))
			ue := upstreamError(t, err)
			if ue.Status != tt.status || ue.Err.Code != tt.code || ue.Err.Param != tt.param || ue.RetryAfter != tt.retryAfter {
				t.Errorf("got status %d code %q param %q retry %v; want %d %q %q %v",
					ue.Status, ue.Err.Code, ue.Err.Param, ue.RetryAfter, tt.status, tt.code, tt.param, tt.retryAfter)
			}
			if tt.requestID != "" && ue.RequestID != tt.requestID {
				t.Errorf("request ID %q, want %q", ue.RequestID, tt.requestID)
			}
			if ue.RequestID == "" {
				t.Errorf("no request ID")
			}
			if tt.relayed != (ue.Body != nil) {
				t.Errorf("relayed body %q, want relayed = %v", ue.Body, tt.relayed)
			}
			if tt.message != "" && !strings.Contains(ue.Err.Message, tt.message) {
				t.Errorf("message %q, want it to contain %q", ue.Err.Message, tt.message)
			}
		})
	}
}

func TestErrorBodyIsRecorded(t *testing.T) {
	cas := openaitest.MustCassette(t, "chat-bad-request")
	s := openaitest.New(t, openaitest.WithCassette(cas))
	raw := string(cas.Interactions[0].Request.Body)
	_, err := newClient(t, s, DialectOpenAI).ChatCompletion(context.Background(), chatRequest(t, raw, "gpt-5-nano"))
	ue := upstreamError(t, err)
	if want := bytes.TrimSpace(cas.Interactions[0].Response.Body); !bytes.Equal(ue.Body, want) {
		t.Errorf("error body %q, want the recorded %q", ue.Body, want)
	}
}

func TestModelsAndPing(t *testing.T) {
	s := openaitest.New(t, openaitest.WithModels("a", "b"), openaitest.WithAPIKey("key"))
	for _, d := range []Dialect{DialectOpenAI, DialectAzureV1} {
		models, err := newClient(t, s, d).Models(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(models) != 2 || models[0].ID != "a" || models[1].ID != "b" {
			t.Errorf("%s: models %+v, want a and b", d, models)
		}
	}
	if _, err := newClient(t, s, DialectAzure).Models(context.Background()); err == nil {
		t.Errorf("azure classic Models: no error, want ErrModelsNotSupported")
	}
	for _, d := range []Dialect{DialectOpenAI, DialectAzure, DialectAzureV1} {
		if err := newClient(t, s, d).Ping(context.Background()); err != nil {
			t.Errorf("%s: Ping: %v", d, err)
		}
	}
	got := s.Requests()
	if p := got[len(got)-2]; p.Path != "/openai/models" || p.RawQuery != "api-version=2024-12-01-preview" {
		t.Errorf("azure classic ping went to %s?%s, want /openai/models?api-version=...", p.Path, p.RawQuery)
	}
	bad := newClient(t, s, DialectOpenAI, func(c *Config) { c.APIKey = "wrong" })
	if err := bad.Ping(context.Background()); upstreamError(t, err).Status != 401 {
		t.Errorf("Ping with a wrong key: %v, want 401", err)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"openai", Config{BaseURL: "https://api.openai.com/v1"}, true},
		{"trailing slash", Config{BaseURL: "http://localhost:8000/v1/"}, true},
		{"no base", Config{}, false},
		{"relative base", Config{BaseURL: "api.openai.com/v1"}, false},
		{"azure without version", Config{Dialect: DialectAzure, BaseURL: "https://r.openai.azure.com"}, false},
		{"azure", Config{Dialect: DialectAzure, BaseURL: "https://r.openai.azure.com", APIVersion: "2024-10-21"}, true},
		{"unknown dialect", Config{Dialect: "anthropic", BaseURL: "https://x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if (err == nil) != tt.ok {
				t.Errorf("New error %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

func TestURLs(t *testing.T) {
	tests := []struct {
		cfg   Config
		op    endpoint
		model string
		want  string
	}{
		{Config{BaseURL: "http://h/v1/"}, endpointChat, "m", "http://h/v1/chat/completions"},
		{Config{BaseURL: "http://h/v1"}, endpointModels, "", "http://h/v1/models"},
		{
			Config{Dialect: DialectAzure, BaseURL: "https://r.openai.azure.com", APIVersion: "2024-10-21"},
			endpointEmbeddings, "my dep",
			"https://r.openai.azure.com/openai/deployments/my%20dep/embeddings?api-version=2024-10-21",
		},
		{Config{Dialect: DialectAzure, BaseURL: "https://r.openai.azure.com", APIVersion: "v"}, endpointModels, "", "https://r.openai.azure.com/openai/models?api-version=v"},
		{Config{Dialect: DialectAzureV1, BaseURL: "https://r.openai.azure.com/openai/v1"}, endpointCompletion, "m", "https://r.openai.azure.com/openai/v1/completions"},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.urlFor(tt.op, tt.model); err != nil || got.String() != tt.want {
			t.Errorf("url %s %q = %s, want %s", tt.op, tt.model, got, tt.want)
		}
	}
}
