package openai

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// inputForms are the forms a completion prompt and an embeddings input take,
// with what each decodes to. wantJSON is the form written back.
var inputForms = []struct {
	name      string
	in        string
	strings   []string
	tokens    string
	set       bool
	wantCount int
	wantJSON  string
}{
	{"string", `"hello"`, []string{"hello"}, "", true, 1, `"hello"`},
	{"strings", `["a","b","c"]`, []string{"a", "b", "c"}, "", true, 3, `["a","b","c"]`},
	{"one string in array", `["a"]`, []string{"a"}, "", true, 1, `"a"`},
	{"tokens", `[4438,656,358]`, nil, `[4438,656,358]`, true, 1, `[4438,656,358]`},
	{"tokens spaced", "[ 1,\n 2 ]", nil, "[ 1,\n 2 ]", true, 1, `[1,2]`},
	{"token arrays", `[[1,2],[3]]`, nil, `[[1,2],[3]]`, true, 2, `[[1,2],[3]]`},
	{"token arrays spaced", `[ [1], [2], [3] ]`, nil, `[ [1], [2], [3] ]`, true, 3, `[[1],[2],[3]]`},
	{"empty array", `[]`, []string{}, "", true, 0, `[]`},
	{"null", `null`, nil, "", false, 0, `null`},
}

func TestPromptForms(t *testing.T) {
	for _, tt := range inputForms {
		t.Run(tt.name, func(t *testing.T) {
			var got Prompt
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			want := Prompt{Strings: tt.strings, Set: tt.set}
			if tt.tokens != "" {
				want.Tokens = json.RawMessage(tt.tokens)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Prompt mismatch (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(out) != tt.wantJSON {
				t.Errorf("got %s, want %s", out, tt.wantJSON)
			}
		})
	}
}

func TestEmbeddingInputForms(t *testing.T) {
	for _, tt := range inputForms {
		t.Run(tt.name, func(t *testing.T) {
			var got EmbeddingInput
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			want := EmbeddingInput{Strings: tt.strings, Set: tt.set, Count: tt.wantCount}
			if tt.tokens != "" {
				want.Tokens = json.RawMessage(tt.tokens)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("EmbeddingInput mismatch (-want +got):\n%s", diff)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(out) != tt.wantJSON {
				t.Errorf("got %s, want %s", out, tt.wantJSON)
			}
		})
	}
}

// invalidInputs are values no prompt or input form accepts.
var invalidInputs = []struct{ name, in string }{
	{"number then string", `[1,"a"]`},
	{"string then number", `["a",1]`},
	{"token arrays then string", `[[1],"a"]`},
	{"nested strings", `[["a"]]`},
	{"object", `{"text":"a"}`},
	{"number", `1`},
	{"bool", `true`},
	{"array of objects", `[{}]`},
	{"float tokens", `[1.5]`},
}

func TestPromptInvalid(t *testing.T) {
	for _, tt := range invalidInputs {
		t.Run(tt.name, func(t *testing.T) {
			var m struct {
				Prompt Prompt `json:"prompt"`
			}
			te := asTypeError(t, json.Unmarshal([]byte(`{"prompt":`+tt.in+`}`), &m))
			if te.Field != "prompt" {
				t.Errorf("got Field %q, want prompt", te.Field)
			}
		})
	}
}

func TestEmbeddingInputInvalid(t *testing.T) {
	for _, tt := range invalidInputs {
		t.Run(tt.name, func(t *testing.T) {
			var m struct {
				Input EmbeddingInput `json:"input"`
			}
			te := asTypeError(t, json.Unmarshal([]byte(`{"input":`+tt.in+`}`), &m))
			if te.Field != "input" {
				t.Errorf("got Field %q, want input", te.Field)
			}
			// The type is the input's, so the 400 lists the accepted forms.
			if te.Type != reflect.TypeFor[EmbeddingInput]() {
				t.Errorf("got Type %v, want EmbeddingInput", te.Type)
			}
		})
	}
}

func TestPromptText(t *testing.T) {
	tests := []struct {
		name string
		p    Prompt
		want string
	}{
		{"none", Prompt{}, ""},
		{"one", Prompt{Strings: []string{"a"}}, "a"},
		{"several", Prompt{Strings: []string{"a", "b", "c"}}, "a\nb\nc"},
		{"tokens", Prompt{Tokens: json.RawMessage(`[1,2]`)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Text(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
