package app

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/provider/bedrock"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// TestBedrockRequestSettings checks that the configured request settings
// reach Bedrock: the upstream's guardrail, a deployment's own guardrail
// instead of it, the prompt-caching and unsupported-parameter policies.
func TestBedrockRequestSettings(t *testing.T) {
	srv := bedrocktest.New(t)
	cfg := &config.Config{
		Bedrock: config.Bedrock{
			Enabled:           config.BedrockOff,
			PromptCaching:     config.CachingOn,
			UnsupportedParams: config.UnsupportedIgnore,
		},
		Upstreams: []config.Upstream{{
			Name: "br", Type: config.TypeBedrock, Region: "us-east-1", Endpoint: srv.URL(), APIKey: bedrocktest.BearerToken,
			GuardrailID: "upstream1", GuardrailVersion: "1",
		}},
		Models: []config.Model{
			{Name: "plain", Deployments: []config.Deployment{{Upstream: "br", Model: sonnet37}}},
			{Name: "strict", Deployments: []config.Deployment{{
				Upstream: "br", Model: sonnet37,
				GuardrailID: "strict1", GuardrailVersion: "2", GuardrailTrace: "enabled", GuardrailStreamMode: "async",
			}}},
		},
	}
	cfg.ApplyDefaults()
	base, _ := startGateway(t, cfg)
	tests := []struct {
		model string
		want  *bedrock.GuardrailConfig
	}{
		{model: "plain", want: &bedrock.GuardrailConfig{GuardrailIdentifier: "upstream1", GuardrailVersion: "1"}},
		// Converse has no streamProcessingMode; the trace is kept.
		{model: "strict", want: &bedrock.GuardrailConfig{GuardrailIdentifier: "strict1", GuardrailVersion: "2", Trace: "enabled"}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			// logprobs is dropped under "ignore"; top_k passes through.
			resp := postJSON(t, base+"/v1/chat/completions", `{"model":"`+tt.model+`","logprobs":true,"top_k":5,"user":"u-7",`+
				`"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]}`)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d: %s", resp.StatusCode, body)
			}
			var got bedrock.ConverseRequest
			if err := json.Unmarshal(lastConverse(t, srv).Body, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.GuardrailConfig); diff != "" {
				t.Errorf("guardrailConfig (-want +got):\n%s", diff)
			}
			if n := len(got.System); n != 2 || got.System[n-1].CachePoint == nil {
				t.Errorf("got system %+v, want the prompt and a cache point (prompt_caching true)", got.System)
			}
			if string(got.AdditionalModelRequestFields) != `{"top_k":5}` {
				t.Errorf("got additionalModelRequestFields %s, want top_k", got.AdditionalModelRequestFields)
			}
			if got.RequestMetadata["user"] != "u-7" {
				t.Errorf("got requestMetadata %v, want the user", got.RequestMetadata)
			}
		})
	}
}
