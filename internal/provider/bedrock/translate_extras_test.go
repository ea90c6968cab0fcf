package bedrock

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func TestMergeAdditional(t *testing.T) {
	tests := []struct {
		name string
		dst  string
		add  map[string]json.RawMessage
		want string
	}{
		{name: "nothing to add", dst: `{"a":1}`, want: `{"a":1}`},
		{name: "into nothing", add: map[string]json.RawMessage{"b": json.RawMessage(`2`), "a": json.RawMessage(`1`)}, want: `{"a":1,"b":2}`},
		{name: "replaces and appends", dst: `{"thinking":{"type":"enabled"},"top_k":1}`, add: map[string]json.RawMessage{"top_k": json.RawMessage(`5`), "z": json.RawMessage(`[]`)}, want: `{"thinking":{"type":"enabled"},"top_k":5,"z":[]}`},
		{name: "empty object", dst: ` {} `, add: map[string]json.RawMessage{"a": json.RawMessage(`"x"`)}, want: ` {"a":"x"} `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := json.RawMessage(tt.dst)
			before := string(dst)
			got, err := mergeAdditional(dst, tt.add)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if string(dst) != before {
				t.Errorf("dst changed to %s", dst)
			}
		})
	}
	if _, err := mergeAdditional(json.RawMessage(`[1]`), map[string]json.RawMessage{"a": json.RawMessage(`1`)}); err == nil {
		t.Error("got no error merging into an array")
	}
}

func TestThinkingExtension(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{body: `{"model":"m","messages":[],"thinking":{"type":"enabled"}}`, want: `{"type":"enabled"}`},
		{body: `{"model":"m","thinking":{"a":1},"extra_body":{"thinking":{"b":2}}}`, want: `{"b":2}`},
		{body: `{"model":"m","extra_body":{"thinking":{"b":2}},"thinking":{"a":1}}`, want: `{"b":2}`},
		{body: `{"model":"m","extra_body":{"other":1},"thinking":3}`, want: `3`},
		{body: `{"model":"m","thinking":1,"thinking":2}`, want: `1`},
		{body: `{"model":"m","thinking":{"a":1},"extra_body":{"thinking":null}}`},
		{body: `{"model":"m","thinking":null}`},
		{body: `{"model":"m"}`},
	}
	for _, tt := range tests {
		x, err := readExtras(&openai.ChatCompletionRequest{Raw: []byte(tt.body)})
		if err != nil {
			t.Fatalf("%s: %v", tt.body, err)
		}
		if got := x.thinking(); string(got) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.body, got, tt.want)
		}
	}
	x, err := readExtras(&openai.ChatCompletionRequest{})
	if err != nil || x.thinking() != nil {
		t.Errorf("without a body: got %s, %v; want nil", x.thinking(), err)
	}
}

func TestServiceTier(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means none; "400" means refused
	}{
		{in: ``},
		{in: `null`},
		{in: `"auto"`},
		{in: `"default"`, want: "default"},
		{in: `"flex"`, want: "flex"},
		{in: `"priority"`, want: "priority"},
		{in: `"fast"`, want: "priority"},
		{in: `"scale"`, want: "reserved"},
		{in: `"reserved"`, want: "reserved"},
		{in: `"standard"`, want: "400"},
		{in: `1`, want: "400"},
	}
	for _, tt := range tests {
		x := &requestExtras{spec: map[string]json.RawMessage{"service_tier": json.RawMessage(tt.in)}}
		got, err := serviceTier(x.specValue("service_tier"))
		switch {
		case tt.want == "400":
			if errParam(err) != "service_tier" {
				t.Errorf("%s: got %v, %v; want a 400 on service_tier", tt.in, got, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.want == "" && got != nil, tt.want != "" && (got == nil || got.Type != tt.want):
			t.Errorf("%s: got %+v, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRequestMetadataLimits(t *testing.T) {
	deployment := map[string]string{"team": "search"}
	metadata := map[string]string{}
	for i := range 20 {
		metadata[fmt.Sprintf("k%02d", i)] = "v"
	}
	metadata[""] = "dropped"
	req := &openai.ChatCompletionRequest{User: "bob", Metadata: metadata}
	got := requestMetadata(req, &requestExtras{}, deployment)
	if len(got) != maxMetadataPairs {
		t.Errorf("got %d pairs, want %d", len(got), maxMetadataPairs)
	}
	if got["team"] != "search" || got["user"] != "bob" || got["k00"] != "v" || got["k13"] != "v" {
		t.Errorf("got %v, want the deployment's pair, user and the first keys", got)
	}
	if _, ok := got["k14"]; ok {
		t.Errorf("got k14 past the limit in %v", got)
	}
	if len(deployment) != 1 {
		t.Errorf("the deployment's map was changed: %v", deployment)
	}
	if got := requestMetadata(&openai.ChatCompletionRequest{}, &requestExtras{}, deployment); len(got) != 1 {
		t.Errorf("without client metadata: got %v, want the deployment's", got)
	}
}

func TestMetadataString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"a b\tc:d_e@f$g#h=i/j+k,l-m.n", "a b\tc:d_e@f$g#h=i/j+k,l-m.n"},
		{"é(x)!", "__x__"},
		{"日本", "__"},
		{strings.Repeat("a", 300), strings.Repeat("a", 256)},
		{strings.Repeat("é", 300), strings.Repeat("_", 256)},
	}
	for _, tt := range tests {
		if got := metadataString(tt.in); got != tt.want {
			t.Errorf("metadataString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestUnsupportedParams checks each parameter of checkParams under both
// policies.
func TestUnsupportedParams(t *testing.T) {
	tests := []struct {
		member string // a top-level member added to a minimal request
		always bool   // refused under ParamsIgnore too
	}{
		{member: `"n":3`, always: true},
		{member: `"audio":{"voice":"alloy","format":"mp3"}`, always: true},
		{member: `"modalities":["audio"]`, always: true},
		{member: `"functions":[{"name":"f"}]`, always: true},
		{member: `"function_call":"auto"`, always: true},
		{member: `"logprobs":true`},
		{member: `"top_logprobs":1`},
		{member: `"logit_bias":{"50256":-100}`},
		{member: `"presence_penalty":-0.5`},
		{member: `"frequency_penalty":1`},
		{member: `"verbosity":"high"`},
		{member: `"web_search_options":{"search_context_size":"low"}`},
		{member: `"moderation":{"model":"omni-moderation-latest"}`},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			name := strings.Trim(strings.SplitN(tt.member, ":", 2)[0], `"`)
			req, err := openai.DecodeChatCompletionRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"Hi"}],` + tt.member + `}`))
			if err != nil {
				t.Fatal(err)
			}
			for _, policy := range []ParamPolicy{"", ParamsReject, ParamsIgnore} {
				_, err := ToConverse(req, RequestOptions{UnsupportedParams: policy})
				refused := policy != ParamsIgnore || tt.always
				if got := errParam(err); refused && got != name {
					t.Errorf("policy %q: got %v, want a 400 naming %s", policy, err, name)
				} else if !refused && err != nil {
					t.Errorf("policy %q: got %v, want the parameter dropped", policy, err)
				}
			}
		})
	}
	for _, member := range []string{`"logprobs":false`, `"top_logprobs":0`, `"logit_bias":{}`, `"presence_penalty":0`, `"verbosity":"medium"`, `"modalities":["text"]`, `"audio":null`, `"n":1`} {
		req, err := openai.DecodeChatCompletionRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"Hi"}],` + member + `}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ToConverse(req, RequestOptions{}); err != nil {
			t.Errorf("%s: got %v, want the no-op value accepted", member, err)
		}
	}
}

func TestReadExtrasErrors(t *testing.T) {
	tests := []struct{ body, param string }{
		{`{"extra_body":[1]}`, "extra_body"},
		{`{"extra_body":{"extra_body":{}}}`, "extra_body.extra_body"},
		{`{"extra_body":{"stop":["x"]}}`, "extra_body.stop"},
		{`{"additionalModelRequestFields":"x"}`, "additionalModelRequestFields"},
		{`{"extra_body":{"additionalModelRequestFields":1}}`, "extra_body.additionalModelRequestFields"},
	}
	for _, tt := range tests {
		_, err := readExtras(&openai.ChatCompletionRequest{Raw: []byte(tt.body)})
		if got := errParam(err); got != tt.param {
			t.Errorf("%s: got %v, want a 400 on %s", tt.body, err, tt.param)
		}
	}
	x, err := readExtras(&openai.ChatCompletionRequest{Raw: []byte(`{"extra_body":null,"thinking":{"type":"enabled"},"top_k":3}`)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]json.RawMessage{"top_k": json.RawMessage(`3`)}, x.additional); diff != "" {
		t.Errorf("additional fields (-want +got):\n%s", diff)
	}
}
