package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
	"github.com/outcrop/outcrop/internal/testservice"
)

// The native API end to end: the gateway booted on loopback, in front of
// the Bedrock emulator or the demo upstream.

const anthropicPayload = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Tell me about rocks"}]}`

// ndjsonLine is one line of a streamed /chat answer.
type ndjsonLine struct {
	Text    string `json:"text"`
	IsFinal bool   `json:"is_final"`
	Usage   *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Model string          `json:"model"`
	Error json.RawMessage `json:"error"`
}

// readNDJSON reads a streamed answer line by line, checking that each line
// is one JSON object and that exactly the last one is final.
func readNDJSON(t *testing.T, resp *http.Response) []ndjsonLine {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("got Content-Type %q, want application/x-ndjson", ct)
	}
	var lines []ndjsonLine
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var l ndjsonLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not one JSON object: %v: %q", len(lines)+1, err, sc.Text())
		}
		if len(lines) > 0 && lines[len(lines)-1].IsFinal {
			t.Fatalf("a line after the final one: %q", sc.Text())
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 || !lines[len(lines)-1].IsFinal {
		t.Fatalf("the stream did not end with a final line: %+v", lines)
	}
	return lines
}

func TestNativeChatBedrock(t *testing.T) {
	srv := bedrocktest.New(t)
	base, logs := startBedrockGatewayWith(t, srv, map[string]string{}, func(c *config.Config) {
		c.Upstreams[0].GuardrailID, c.Upstreams[0].GuardrailVersion = "grnative1", "3"
	})
	status, h, body := call(t, "POST", base+"/chat", "", `{"model":"`+haikuID+`","payload":`+anthropicPayload+`}`)
	if status != http.StatusOK {
		t.Fatalf("got status %d: %s", status, body)
	}
	var got struct {
		Answer string `json:"answer"`
		Model  string `json:"model"`
		Usage  struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Answer == "" || got.Model != haikuID || got.Usage.CompletionTokens == 0 {
		t.Errorf("got %s, want an answer, the model and usage", body)
	}
	rec := lastRequest(t, srv)
	if rec.Operation != bedrocktest.OpInvokeModel || string(rec.Body) != anthropicPayload {
		t.Errorf("Bedrock got %s %s, want InvokeModel with the payload unchanged", rec.Operation, rec.Body)
	}
	if g, v := rec.Header.Get("X-Amzn-Bedrock-Guardrailidentifier"), rec.Header.Get("X-Amzn-Bedrock-Guardrailversion"); g != "grnative1" || v != "3" {
		t.Errorf("guardrail headers %q/%q, want the configured grnative1/3", g, v)
	}
	if line := accessLine(t, logs, h.Get("X-Request-Id")); line["route"] != "POST /chat" {
		t.Errorf("access log route %v, want POST /chat", line["route"])
	}

	// The same request streamed gives the same text, in lines.
	resp := postJSON(t, base+"/chat", `{"model":"`+haikuID+`","stream":true,"payload":`+anthropicPayload+`}`)
	lines := readNDJSON(t, resp)
	var text strings.Builder
	for _, l := range lines[:len(lines)-1] {
		if l.Text == "" || l.IsFinal {
			t.Errorf("a chunk line %+v, want text and is_final false", l)
		}
		text.WriteString(l.Text)
	}
	final := lines[len(lines)-1]
	if text.String() != got.Answer || final.Usage == nil || final.Usage.CompletionTokens == 0 || final.Model != haikuID {
		t.Errorf("streamed %q with final %+v, want %q and usage", text.String(), final, got.Answer)
	}
	if rec := lastRequest(t, srv); rec.Operation != bedrocktest.OpInvokeModelWithResponseStream || string(rec.Body) != anthropicPayload {
		t.Errorf("Bedrock got %s %s, want the stream operation with the payload unchanged", rec.Operation, rec.Body)
	}
}

func TestNativeChatErrors(t *testing.T) {
	base, _ := startGateway(t, demoConfig(time.Nanosecond))
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `{"payload":`, 400, "invalid_json"},
		{"not an object", `[1]`, 400, "invalid_json"},
		{"bad mode", `{"mode":"draw","payload":{}}`, 400, "invalid_value"},
		{"no payload", `{"model":"demo-chat"}`, 400, "missing_required_parameter"},
		{"payload not an object", `{"model":"demo-chat","payload":"hi"}`, 400, "invalid_type"},
		{"wrong type", `{"model":5,"payload":{}}`, 400, "invalid_type"},
		{"not Bedrock", `{"model":"demo-chat","payload":{"prompt":"x"}}`, 400, "unsupported_model"},
		{"unknown model", `{"model":"nope","payload":{"prompt":"x"}}`, 400, "model_not_found"},
		{"embed without text", `{"mode":"embed"}`, 400, "missing_required_parameter"},
		{"embed empty text", `{"mode":"embed","text":""}`, 400, "invalid_value"},
		{"embed stream", `{"mode":"embed","text":"a","stream":true}`, 400, "invalid_value"},
		{"embed bad dimensions", `{"mode":"embed","text":"a","payload":{"dimensions":0}}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := call(t, "POST", base+"/chat", "", tt.body)
			if status != tt.status {
				t.Fatalf("got status %d, want %d: %s", status, tt.status, body)
			}
			if _, code := errorCode(t, body); tt.code != "" && code != tt.code {
				t.Errorf("got code %q, want %q: %s", code, tt.code, body)
			}
		})
	}
}

func TestNativeEmbedCached(t *testing.T) {
	srv := bedrocktest.New(t)
	base, _ := startBedrockGatewayWith(t, srv, map[string]string{}, func(c *config.Config) {
		c.Models = append(c.Models, config.Model{Name: "titan", Deployments: []config.Deployment{{Upstream: "aws", Model: "amazon.titan-embed-text-v2:0"}}})
		c.Native.EmbeddingModel = "titan"
	})
	embed := func(body string) []float32 {
		t.Helper()
		status, _, b := call(t, "POST", base+"/chat", "", body)
		if status != http.StatusOK {
			t.Fatalf("got status %d: %s", status, b)
		}
		var got struct {
			Embedding  []float32 `json:"embedding"`
			Dimensions int       `json:"dimensions"`
			Model      string    `json:"model"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Dimensions != len(got.Embedding) || got.Model != "titan" {
			t.Fatalf("got %d dimensions for %d floats, model %q", got.Dimensions, len(got.Embedding), got.Model)
		}
		return got.Embedding
	}
	calls := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Operation == bedrocktest.OpInvokeModel {
				n++
			}
		}
		return n
	}
	first := embed(`{"mode":"embed","text":"granite and basalt"}`)
	if len(first) != 1024 || calls() != 1 {
		t.Fatalf("got %d floats after %d calls, want Titan v2's 1024 after 1", len(first), calls())
	}
	again := embed(`{"mode":"embed","text":"granite and basalt"}`)
	if !slices.Equal(first, again) || calls() != 1 {
		t.Errorf("the same text again made %d calls, want it served from the cache", calls())
	}
	small := embed(`{"mode":"embed","text":"granite and basalt","payload":{"dimensions":256}}`)
	if len(small) != 256 || calls() != 2 {
		t.Errorf("other dimensions: %d floats after %d calls, want 256 from a new call", len(small), calls())
	}
}

// TestPromptFanOut asks three models at once: the demo answers, one on a
// closed port fails, one on a slow Bedrock runs over the prompt timeout.
// The answer holds the first and reports the others; all failing is 502.
func TestPromptFanOut(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithHeaderLatency(3*time.Second))
	setAWSEnv(t, srv, map[string]string{"AWS_ENDPOINT_URL": ""})
	yaml := fmt.Sprintf(`
demo: {enabled: "true", token_delay: 1ns}
upstreams:
  - {name: dead, type: openai-compatible, base_url: "http://%s/v1"}
  - {name: aws, type: bedrock, region: %s, endpoint: %q}
models:
  - {name: dead-model, deployments: [{upstream: dead}]}
  - {name: slow, deployments: [{upstream: aws, model: %q}]}
native:
  prompt_models: [demo-chat, dead-model, slow]
  prompt_timeout: 1s
`, testservice.FreePort(t), srv.Region(), srv.URL(), haikuID)
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startGateway(t, cfg)

	start := time.Now()
	status, _, body := call(t, "POST", base+"/prompt", "", `{"prompt":"hello all"}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("took %v, want the slow model cut at its 1s timeout", took)
	}
	var got promptAnswerJSON
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Answers) != 1 || !strings.Contains(got.Answers["demo-chat"], "hello all") {
		t.Errorf("answers %v, want demo-chat's only", got.Answers)
	}
	if e := got.Errors["slow"]; !strings.Contains(e.Message, "did not answer within 1s") {
		t.Errorf("slow: got %+v, want the timeout", e)
	}
	if _, ok := got.Errors["dead-model"]; !ok || len(got.Errors) != 2 {
		t.Errorf("errors %+v, want dead-model and slow", got.Errors)
	}

	for _, path := range []string{"/prompt", "/process"} {
		status, _, body = call(t, "POST", base+path, "", `{"prompt":"hello","models":["dead-model","slow"]}`)
		if _, code := errorCode(t, body); status != http.StatusBadGateway || code != "all_models_failed" {
			t.Errorf("%s, all failing: got %d %s, want 502 all_models_failed", path, status, body)
		}
	}
	for name, body := range map[string]string{
		"no prompt":     `{"models":["demo-chat"]}`,
		"unknown model": `{"prompt":"x","models":["demo-chat","gpt-9"]}`,
		"empty model":   `{"prompt":"x","models":[""]}`,
		"no source":     `{"prompt":"x","context_key":"u1"}`,
	} {
		if status, _, b := call(t, "POST", base+"/prompt", "", body); status != http.StatusBadRequest {
			t.Errorf("%s: got %d %s, want 400", name, status, b)
		}
	}
}

// TestProcessTwoTier is the two-tier layout: a front gateway whose
// provider is a core gateway (an openai-compatible upstream), the front's
// /process asking the core's models.
func TestProcessTwoTier(t *testing.T) {
	core, _ := startGateway(t, demoConfig(time.Nanosecond))
	yaml := fmt.Sprintf(`
upstreams:
  - {name: core, type: openai-compatible, base_url: %q}
models:
  - {name: core-chat, deployments: [{upstream: core, model: demo-chat}]}
  - {name: core-embed, deployments: [{upstream: core, model: demo-embed}]}
native:
  prompt_models: [core-chat]
  embedding_model: core-embed
`, core+"/v1")
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	front, _ := startGateway(t, cfg)
	status, _, body := call(t, "POST", front+"/process", "", `{"prompt":"through two tiers"}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got promptAnswerJSON
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if a := got.Answers["core-chat"]; !strings.Contains(a, "through two tiers") || len(got.Errors) != 0 {
		t.Errorf("got %+v, want the core's demo answer", got)
	}
	// Embeddings relayed by the core come back as floats.
	status, _, body = call(t, "POST", front+"/chat", "", `{"mode":"embed","text":"two tiers"}`)
	if status != http.StatusOK || !strings.Contains(string(body), `"dimensions":256`) {
		t.Errorf("embed through the core: %d %s", status, body)
	}
}

// TestNativeRoutesUseKeys: the native routes take the same keys as the
// OpenAI ones, with the key's model list applied to each model asked.
func TestNativeRoutesUseKeys(t *testing.T) {
	cfg := accessConfig(t)
	cfg.Native.PromptModels = []string{"demo-chat", "demo-embed"}
	base, _ := startGateway(t, cfg)
	id, secret := createKey(t, base, `{"name":"chat-only","models":["demo-chat"]}`)
	if status, _, b := call(t, "POST", base+"/prompt", "", `{"prompt":"hi"}`); status != http.StatusUnauthorized {
		t.Errorf("no key: %d %s", status, b)
	}
	status, _, body := call(t, "POST", base+"/prompt", secret, `{"prompt":"hi"}`)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got promptAnswerJSON
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Answers["demo-chat"] == "" || got.Errors["demo-embed"].Code != "model_not_allowed" {
		t.Errorf("got %+v, want demo-chat answered and demo-embed refused for the key", got)
	}
	if status, _, b := call(t, "POST", base+"/chat", secret, `{"mode":"embed","text":"x","model":"demo-embed"}`); status != http.StatusForbidden {
		t.Errorf("embed with a model the key may not use: %d %s", status, b)
	}
	if status, _, b := call(t, "GET", base+"/models", secret, ""); status != http.StatusOK || strings.Contains(string(b), "demo-embed") {
		t.Errorf("GET /models for the key: %d %s, want demo-chat only", status, b)
	}
	// The ledger holds /prompt's model call under its own model, not one
	// record under the joined names.
	var spend struct {
		ByModel map[string]struct {
			Requests int64 `json:"requests"`
			Tokens   struct {
				Output int64 `json:"output"`
			} `json:"tokens"`
		} `json:"by_model"`
	}
	waitFor(t, func() bool {
		_, _, b := call(t, "GET", base+"/admin/keys/"+id+"/spend", testMaster, "")
		return json.Unmarshal(b, &spend) == nil && spend.ByModel["demo-chat"].Requests == 1
	})
	if m := spend.ByModel["demo-chat"]; m.Tokens.Output == 0 {
		t.Errorf("demo-chat spend %+v, want the answer's tokens", m)
	}
	for name := range spend.ByModel {
		if strings.Contains(name, ",") {
			t.Errorf("a ledger record for %q, want one per model", name)
		}
	}
}
