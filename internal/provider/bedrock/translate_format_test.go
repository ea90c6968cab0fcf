package bedrock

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/outcrop/outcrop/internal/openai"
)

// TestTranslateFormatStreamMatchesResponse checks that the fallback's
// answer reads the same streamed and not: the streamed content is the
// same JSON as the response's, and both finish with stop.
func TestTranslateFormatStreamMatchesResponse(t *testing.T) {
	meta := goldenMeta(goldenModel)
	meta.JSONTool = jsonTool
	var resp ConverseResponse
	answer := `{"output":{"message":{"role":"assistant","content":[{"text":"Sure: "},
		{"toolUse":{"toolUseId":"t1","name":"json_response","input":{"a":[1,2],"b":"x"}}}]}},
		"stopReason":"tool_use","usage":{},"metrics":{}}`
	if err := json.Unmarshal([]byte(answer), &resp); err != nil {
		t.Fatal(err)
	}
	out, err := FromConverse(&resp, meta)
	if err != nil {
		t.Fatal(err)
	}
	streamed := accumulate(t, translateEventsMeta(t, meta, []Event{
		{EventMessageStart, []byte(`{"role":"assistant"}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"text":"Sure: "}}`)},
		{EventContentBlockStart, []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"json_response"}}}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\": [1, "}}}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"2], \"b\": \"x\"}"}}}`)},
		{EventMessageStop, []byte(`{"stopReason":"tool_use"}`)},
	}))
	var fromResponse, fromStream any
	if err := json.Unmarshal([]byte(*out.Choices[0].Message.Content), &fromResponse); err != nil {
		t.Fatalf("response content: %v", err)
	}
	content, _ := streamed["content"].(string)
	if err := json.Unmarshal([]byte(content), &fromStream); err != nil {
		t.Fatalf("streamed content %q: %v", content, err)
	}
	if b1, b2 := mustJSON(t, fromResponse), mustJSON(t, fromStream); b1 != b2 {
		t.Errorf("got streamed content %s, want %s", b2, b1)
	}
	if _, ok := streamed["tool_calls"]; ok || out.Choices[0].Message.ToolCalls != nil {
		t.Errorf("got tool calls (stream %v, response %v), want none", streamed["tool_calls"], out.Choices[0].Message.ToolCalls)
	}
	if got := out.Choices[0].FinishReason; got != openai.FinishStop {
		t.Errorf("got response finish_reason %q, want stop", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTranslateFormatErrors checks the 400s of response_format.
func TestTranslateFormatErrors(t *testing.T) {
	tests := []struct {
		name, format, wantParam string
	}{
		{"json_schema missing", `{"type":"json_schema"}`, "response_format.json_schema"},
		{"json_schema not an object", `{"type":"json_schema","json_schema":[1]}`, "response_format.json_schema"},
		{"name missing", `{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}`, "response_format.json_schema.name"},
		{"schema not an object", `{"type":"json_schema","json_schema":{"name":"x","schema":"object"}}`, "response_format.json_schema.schema"},
		{"root type not object", `{"type":"json_schema","json_schema":{"name":"x","schema":{"type":["object","null"]}}}`, "response_format.json_schema.schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := decodeRequest(t, `{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":`+tt.format+`}`)
			_, err := ToConverse(req, RequestOptions{})
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.Status != 400 || oe.Param != tt.wantParam {
				t.Errorf("got error %v, want a 400 naming %s", err, tt.wantParam)
			}
		})
	}
}

// TestTranslateFormatSchemaKept checks that a json_schema without a type
// (a sloppy but common schema) and one with nested definitions reach the
// fallback tool unchanged but compacted.
func TestTranslateFormatSchemaKept(t *testing.T) {
	out := converse(t, `{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema",
		"json_schema":{"name":"x","schema":{ "properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"type": "string"}} }}}}`, RequestOptions{})
	got := string(out.ToolConfig.Tools[0].ToolSpec.InputSchema.JSON)
	want := `{"properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"type":"string"}}}`
	if got != want {
		t.Errorf("got schema %s, want %s", got, want)
	}
}
