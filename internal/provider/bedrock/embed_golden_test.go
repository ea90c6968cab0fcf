package bedrock

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
)

// File names inside testdata/embed archives.
const (
	fileEmbedRequest = "request.json"
	fileEmbedAnswers = "answers.json"
)

// embedAnswer is one InvokeModel answer of a golden case: its body and the
// X-Amzn-Bedrock-Input-Token-Count header (absent when nil).
type embedAnswer struct {
	Tokens *int            `json:"tokens"`
	Body   json.RawMessage `json:"body"`
}

// TestEmbedGolden runs each testdata/embed case: request.json (an OpenAI
// embeddings request whose model is the Bedrock ID) → bedrock.json (the
// InvokeModel bodies, in call order) or error.json (the 400); then
// answers.json (one answer per call) → openai.json (the OpenAI answer).
// Run with -update to rewrite the expected files.
func TestEmbedGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "embed", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("got %d golden cases in testdata/embed, want at least 8", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := embedGolden(t, ar)
			if updating() {
				writeEmbedGolden(t, file, ar, got)
				return
			}
			for _, f := range got {
				want := section(ar, f.Name)
				if want == nil {
					t.Fatalf("%s has no %s (got %s); run with -update", file, f.Name, f.Data)
				}
				if diff := cmp.Diff(string(want), string(f.Data)); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", f.Name, diff)
				}
			}
		})
	}
}

// embedGolden returns the output files of a case.
func embedGolden(t *testing.T, ar *txtar.Archive) []txtar.File {
	t.Helper()
	req, err := openai.DecodeEmbeddingRequest(section(ar, fileEmbedRequest))
	if err != nil {
		t.Fatalf("%s is not a valid request: %v", fileEmbedRequest, err)
	}
	family, _ := EmbedFamilyOf(req.Model)
	plan, err := PlanEmbeddings(req, family)
	if err != nil {
		return []txtar.File{{Name: fileErrorJSON, Data: errorJSON(t, err)}}
	}
	bodies := make([]json.RawMessage, len(plan.Calls))
	for i, c := range plan.Calls {
		bodies[i] = c.Body
	}
	var answers []embedAnswer
	if err := json.Unmarshal(section(ar, fileEmbedAnswers), &answers); err != nil {
		t.Fatalf("%s: %v", fileEmbedAnswers, err)
	}
	if len(answers) != len(plan.Calls) {
		t.Fatalf("got %d answers in %s, want one per call (%d)", len(answers), fileEmbedAnswers, len(plan.Calls))
	}
	for i, a := range answers {
		tokens := -1
		if a.Tokens != nil {
			tokens = *a.Tokens
		}
		if err := plan.Decode(i, a.Body, tokens); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
	}
	return []txtar.File{
		{Name: fileBedrockJSON, Data: indentJSON(t, bodies)},
		{Name: fileOpenAIJSON, Data: indentJSON(t, plan.Response(req.Model))},
	}
}

// writeEmbedGolden rewrites a case with its inputs and the outputs got.
func writeEmbedGolden(t *testing.T, file string, ar *txtar.Archive, got []txtar.File) {
	t.Helper()
	out := &txtar.Archive{Comment: ar.Comment}
	for _, name := range []string{fileEmbedRequest, fileEmbedAnswers} {
		if data := section(ar, name); data != nil {
			out.Files = append(out.Files, txtar.File{Name: name, Data: data})
		}
	}
	out.Files = append(out.Files, got...)
	if err := os.WriteFile(file, txtar.Format(out), 0o644); err != nil {
		t.Fatal(err)
	}
}
