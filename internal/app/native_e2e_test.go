package app

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
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
		c.Upstreams[0].GuardrailID, c.Upstreams[0].GuardrailVersion = "gr-native", "3"
	})
	status, h, body := call(t, "POST", base+"/chat", "", `{"model":"`+haikuID+`","payload":`+anthropicPayload+`}`)
	if status != http.StatusOK {
		t.Fatalf("got status %d: %s", status, body)
	}
	var got struct {
		Answer string `json:"answer"`
		Model  string `json:"model"`
		Usage  struct {
			PromptTokens, CompletionTokens, TotalTokens int
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
	if g, v := rec.Header.Get("X-Amzn-Bedrock-Guardrailidentifier"), rec.Header.Get("X-Amzn-Bedrock-Guardrailversion"); g != "gr-native" || v != "3" {
		t.Errorf("guardrail headers %q/%q, want the configured gr-native/3", g, v)
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
		{"unknown model", `{"model":"nope","payload":{"prompt":"x"}}`, 404, "model_not_found"},
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
