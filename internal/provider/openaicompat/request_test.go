package openaicompat

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestRequestBody(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		opts bodyOptions
		want string
	}{
		{"model replaced in place", `{"model":"alias","messages":[]}`, bodyOptions{model: "gpt-4o"}, `{"model":"gpt-4o","messages":[]}`},
		{"same model untouched", `{ "messages": [], "model" : "gpt-4o" }`, bodyOptions{model: "gpt-4o"}, `{ "messages": [], "model" : "gpt-4o" }`},
		{"model added when absent", `{"messages":[]}`, bodyOptions{model: "m"}, `{"messages":[],"model":"m"}`},
		{"model added to empty object", `{}`, bodyOptions{model: "m"}, `{"model":"m"}`},
		{"pretty body keeps layout", "{\n  \"messages\": [],\n  \"model\": \"alias\"\n}", bodyOptions{model: "m"}, "{\n  \"messages\": [],\n  \"model\": \"m\"\n}"},
		{"no model leaves body", `{"model":"alias"}`, bodyOptions{}, `{"model":"alias"}`},
		{"model needing escapes", `{"model":"a"}`, bodyOptions{model: `we"ird<`}, `{"model":"we\"ird\u003c"}`},
		{"duplicate model keys all replaced", `{"model":"a","x":1,"model":"b"}`, bodyOptions{model: "m"}, `{"model":"m","x":1,"model":"m"}`},
		{"escaped model key replaced", `{"model":"a","mod\u0065l":"b"}`, bodyOptions{model: "m"}, `{"model":"m","mod\u0065l":"m"}`},
		{"stream options added", `{"model":"m","stream":true}`, bodyOptions{model: "m", stream: true}, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"stream set", `{"model":"m","stream":false}`, bodyOptions{stream: true}, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"stream added", `{"model":"m"}`, bodyOptions{stream: true}, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		{"options kept", `{"stream":true,"stream_options":{"include_obfuscation":false},"n":2}`, bodyOptions{stream: true}, `{"stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true},"n":2}`},
		{"usage false", `{"stream":true,"stream_options":{"include_usage":false}}`, bodyOptions{stream: true}, `{"stream":true,"stream_options":{"include_usage":true}}`},
		{"usage true untouched", `{"stream":true,"stream_options":{ "include_usage" : true }}`, bodyOptions{stream: true}, `{"stream":true,"stream_options":{ "include_usage" : true }}`},
		{"options null", `{"stream":true,"stream_options":null}`, bodyOptions{stream: true}, `{"stream":true,"stream_options":{"include_usage":true}}`},
		{"all at once", `{"stream_options":{"x":1},"model":"a","stream":false}`, bodyOptions{model: "b", stream: true}, `{"stream_options":{"x":1,"include_usage":true},"model":"b","stream":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.raw)
			got, err := requestBody(raw, nil, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if string(raw) != tt.raw {
				t.Errorf("the client's body was modified: %s", raw)
			}
			if !json.Valid(got) {
				t.Errorf("result is not JSON: %s", got)
			}
		})
	}
}

func TestRequestBodyRejectsNonObject(t *testing.T) {
	for _, raw := range []string{`[]`, `"x"`, `{"model":`, ``} {
		if _, err := requestBody([]byte(raw), nil, bodyOptions{model: "m"}); err == nil {
			t.Errorf("requestBody(%q): no error", raw)
		}
	}
}

func FuzzRequestBody(f *testing.F) {
	f.Add(`{"model":"a","stream":true,"stream_options":{"include_obfuscation":true}}`, "m")
	f.Add(`{"messages":[{"content":"}{\"model\":"}]}`, "x")
	f.Fuzz(func(t *testing.T, raw, model string) {
		if !json.Valid([]byte(raw)) || model == "" || !utf8.ValidString(model) {
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &obj) != nil {
			return
		}
		got, err := requestBody([]byte(raw), nil, bodyOptions{model: model, stream: true})
		if err != nil {
			return
		}
		var out map[string]any
		if err := json.Unmarshal(got, &out); err != nil {
			t.Fatalf("result is not a JSON object: %s (%v)", got, err)
		}
		if out["model"] != model || out["stream"] != true {
			t.Errorf("got %s: want model %q and stream true", got, model)
		}
	})
}

func TestRequestBodyBoundsDuplicates(t *testing.T) {
	raw := `{"model":"a","model":"b","model":"c","model":"d","model":"e"}`
	if _, err := requestBody([]byte(raw), nil, bodyOptions{model: "m"}); err == nil {
		t.Errorf("five model members: no error")
	}
	raw = `{"model":"a","model":"b","model":"c","model":"d","stream":1,"stream":2,"stream":3,"stream":4,"stream_options":1,"stream_options":2,"stream_options":3,"stream_options":4}`
	got, err := requestBody([]byte(raw), nil, bodyOptions{model: "m", stream: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","model":"m","model":"m","model":"m","stream":true,"stream":true,"stream":true,"stream":true,` +
		`"stream_options":{"include_usage":true},"stream_options":{"include_usage":true},"stream_options":{"include_usage":true},"stream_options":{"include_usage":true}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
