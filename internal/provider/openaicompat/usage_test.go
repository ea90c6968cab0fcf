package openaicompat

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

// TestUsageValueMatchesEncodingJSON checks the hand-written reader against
// encoding/json on the shapes upstreams send.
func TestUsageValueMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name, usage string
	}{
		{"openai chat", `{"prompt_tokens":8,"completion_tokens":377,"total_tokens":385,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":320,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`},
		{"pretty", "{\n  \"completion_tokens\": 25,\n  \"prompt_tokens\": 31,\n  \"total_tokens\": 56\n}"},
		{"embeddings", `{"prompt_tokens":7,"total_tokens":7}`},
		{"null details", `{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":null,"completion_tokens_details":null}`},
		{"extra members", `{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_cache_hit_tokens":1,"cost":0.25,"prompt_tokens_details":{"cached_tokens":1,"cache_write_tokens":4,"image_tokens":3}}`},
		{"empty", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := usageValue([]byte(tt.usage))
			if err != nil {
				t.Fatal(err)
			}
			want := new(openai.Usage)
			if err := json.Unmarshal([]byte(tt.usage), want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("usage (-encoding/json +got):\n%s", diff)
			}
		})
	}
	if u, err := usageValue([]byte("null")); u != nil || err != nil {
		t.Errorf("usageValue(null) = %v, %v; want nil, nil", u, err)
	}
	if u, err := usageValue([]byte(`{"prompt_tokens":12.0,"completion_tokens":3e1,"total_tokens":42}`)); err != nil ||
		u.PromptTokens != 12 || u.CompletionTokens != 30 || u.TotalTokens != 42 {
		t.Errorf("float counts: %+v, %v; want 12, 30, 42", u, err)
	}
	for _, bad := range []string{`{"prompt_tokens":"x"}`, `{"prompt_tokens":-1}`, `[1]`, `{"completion_tokens_details":[]}`, `{"prompt_tokens":}`} {
		if _, err := usageValue([]byte(bad)); err == nil {
			t.Errorf("usageValue(%s): no error", bad)
		}
	}
}
