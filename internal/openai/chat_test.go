package openai

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContentRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Content
	}{
		{"string", `"Hello!"`, Content{Text: "Hello!", Kind: ContentString}},
		{"empty string", `""`, Content{Kind: ContentString}},
		{"null", `null`, Content{}},
		{"empty parts", `[]`, Content{Parts: []ContentPart{}, Kind: ContentParts}},
		{
			"parts",
			`[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}]`,
			Content{Kind: ContentParts, Parts: []ContentPart{
				{Type: "text", Text: "What is in this image?"},
				{Type: "image_url", ImageURL: &ImageURL{URL: "https://example.com/a.png", Detail: "low"}},
			}},
		},
		{
			"audio file and cache control",
			`[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}},{"type":"file","file":{"file_id":"file-1"}},{"type":"text","text":"x","cache_control":{"type":"ephemeral"}}]`,
			Content{Kind: ContentParts, Parts: []ContentPart{
				{Type: "input_audio", InputAudio: &InputAudio{Data: "AAAA", Format: "wav"}},
				{Type: "file", File: &File{FileID: "file-1"}},
				{Type: "text", Text: "x", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Content
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Content mismatch (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			assertSameJSON(t, out, []byte(tt.in))
		})
	}
}

func TestContentInMessageNull(t *testing.T) {
	// A message decodes content null (and a missing content) as ContentNull,
	// and writes it back as an explicit null.
	for _, in := range []string{`{"role":"assistant","content":null}`, `{"role":"assistant"}`} {
		var m Message
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatalf("Unmarshal %s: %v", in, err)
		}
		if m.Content.Kind != ContentNull {
			t.Errorf("%s: got kind %d, want ContentNull", in, m.Content.Kind)
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		assertSameJSON(t, out, []byte(`{"role":"assistant","content":null}`))
	}
}

func TestContentWrongKind(t *testing.T) {
	tests := []struct {
		name, in, wantValue string
	}{
		{"number", `5`, "number"},
		{"object", `{"text":"hi"}`, "object"},
		{"bool", `true`, "bool"},
		{"false", `false`, "bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m struct {
				Content Content `json:"content"`
			}
			err := json.Unmarshal([]byte(`{"content":`+tt.in+`}`), &m)
			te := asTypeError(t, err)
			if te.Field != "content" {
				t.Errorf("got Field %q, want %q", te.Field, "content")
			}
			if te.Value != tt.wantValue {
				t.Errorf("got Value %q, want %q", te.Value, tt.wantValue)
			}
			if te.Type != reflect.TypeFor[Content]() {
				t.Errorf("got Type %v, want Content", te.Type)
			}
		})
	}
}

func TestContentPartsWrongType(t *testing.T) {
	// A type error inside a part names the path down to the field.
	var m Message
	err := json.Unmarshal([]byte(`{"role":"user","content":[{"type":"text","text":5}]}`), &m)
	te := asTypeError(t, err)
	if want := "content.text"; te.Field != want {
		t.Errorf("got Field %q, want %q", te.Field, want)
	}
}

func TestContentString(t *testing.T) {
	tests := []struct {
		name string
		c    Content
		want string
	}{
		{"null", Content{}, ""},
		{"string", TextContent("abc"), "abc"},
		{"parts joined", Content{Kind: ContentParts, Parts: []ContentPart{
			{Type: "text", Text: "Hello, "},
			{Type: "image_url", ImageURL: &ImageURL{URL: "https://example.com/x.png"}},
			{Type: "refusal", Refusal: "no"},
			{Type: "text", Text: "world"},
		}}, "Hello, world"},
		{"no text parts", Content{Kind: ContentParts, Parts: []ContentPart{{Type: "image_url"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     *Stop
		wantJSON string
	}{
		{"string", `"\n"`, &Stop{Values: []string{"\n"}}, `["\n"]`},
		{"array", `["a","b"]`, &Stop{Values: []string{"a", "b"}}, `["a","b"]`},
		{"empty array", `[]`, &Stop{Values: []string{}}, `[]`},
		{"null", `null`, nil, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m struct {
				Stop *Stop `json:"stop"`
			}
			if err := json.Unmarshal([]byte(`{"stop":`+tt.in+`}`), &m); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, m.Stop); diff != "" {
				t.Errorf("Stop mismatch (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(m.Stop)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.wantJSON {
				t.Errorf("got %s, want %s", out, tt.wantJSON)
			}
		})
	}
}

func TestStopUnmarshalNullDirect(t *testing.T) {
	s := Stop{Values: []string{"old"}}
	if err := s.UnmarshalJSON([]byte(" null ")); err != nil {
		t.Fatal(err)
	}
	if s.Values != nil {
		t.Errorf("got %q, want nil", s.Values)
	}
}

func TestStopWrongType(t *testing.T) {
	tests := []struct{ name, in string }{
		{"number", `1`},
		{"object", `{"a":"b"}`},
		{"bool", `true`},
		{"array of numbers", `[1]`},
		{"nested array", `[["a"]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m struct {
				Stop *Stop `json:"stop"`
			}
			te := asTypeError(t, json.Unmarshal([]byte(`{"stop":`+tt.in+`}`), &m))
			if te.Field != "stop" {
				t.Errorf("got Field %q, want %q", te.Field, "stop")
			}
		})
	}
}

func TestToolChoice(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ToolChoice
	}{
		{"auto", `"auto"`, ToolChoice{Mode: "auto"}},
		{"none", `"none"`, ToolChoice{Mode: "none"}},
		{"required", `"required"`, ToolChoice{Mode: "required"}},
		{
			"function",
			`{"type":"function","function":{"name":"get_weather"}}`,
			ToolChoice{Type: "function", Function: &ToolChoiceFunction{Name: "get_weather"}},
		},
		{"object without function", `{"type":"allowed_tools"}`, ToolChoice{Type: "allowed_tools"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ToolChoice
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ToolChoice mismatch (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.in {
				t.Errorf("got %s, want %s", out, tt.in)
			}
		})
	}
}

func TestToolChoiceWrongType(t *testing.T) {
	for _, in := range []string{`1`, `true`, `["auto"]`} {
		var m struct {
			ToolChoice *ToolChoice `json:"tool_choice"`
		}
		te := asTypeError(t, json.Unmarshal([]byte(`{"tool_choice":`+in+`}`), &m))
		if te.Field != "tool_choice" {
			t.Errorf("%s: got Field %q, want tool_choice", in, te.Field)
		}
	}
}

// TestUnquote checks the fast path of string values against
// encoding/json: a string is read alike whether or not it has escapes,
// and a string encoding/json rejects is rejected.
func TestUnquote(t *testing.T) {
	tests := []string{
		`""`, `"plain"`, `"héllo ✓"`, `"tab\there"`, `"quote \" inside"`, `"\u00e9"`,
		`"back\\slash"`, `"\ud83d\ude00"`, "\"raw\ttab\"", "\"raw\nnewline\"",
		"\"bad \xff utf8\"", `"unterminated`, `"`, `"a"b"`,
	}
	for _, in := range tests {
		got, err := unquote([]byte(in))
		var want string
		wantErr := json.Unmarshal([]byte(in), &want)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("unquote(%q) = %q, %v; encoding/json: %q, %v", in, got, err, want, wantErr)
		}
	}
}
