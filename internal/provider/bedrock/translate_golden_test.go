package bedrock

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
)

// updateFlagName is the flag that rewrites golden files. Other test files
// of the package may define the same flag, so it is looked up, not owned.
const updateFlagName = "update"

var _ = func() bool {
	if flag.Lookup(updateFlagName) == nil {
		flag.Bool(updateFlagName, false, "rewrite the golden files in testdata")
	}
	return true
}()

// updating reports whether the test run rewrites golden files.
func updating() bool {
	f := flag.Lookup(updateFlagName)
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	v, _ := g.Get().(bool)
	return v
}

// The fixed response metadata of every golden case.
const (
	goldenID      = "chatcmpl-test"
	goldenCreated = 1700000000
	// goldenModel is the model name response and stream cases answer
	// with, standing for the name the client used.
	goldenModel = "claude-sonnet-4"
)

func goldenMeta(model string) ResponseMeta {
	return ResponseMeta{ID: goldenID, Created: goldenCreated, Model: model}
}

// File names inside golden archives.
const (
	fileOpenAIJSON  = "openai.json"
	fileBedrockJSON = "bedrock.json"
	fileErrorJSON   = "error.json"
	fileOptions     = "options.json"
	fileEvents      = "events.txt"
	fileSSE         = "openai.sse"
)

// goldenFiles lists the testdata/translate cases whose name starts with
// prefix.
func goldenFiles(t testing.TB, prefix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "translate", prefix+"*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestTranslateGolden runs each testdata/translate case; its kind comes
// from the file name prefix:
//
//   - request_: openai.json (a chat request) and optional options.json
//     (RequestOptions) → bedrock.json (the ConverseRequest) or error.json
//     (the 400: status and OpenAI envelope);
//   - response_: bedrock.json (a ConverseResponse) → openai.json;
//   - stream_: events.txt (one event a line: `<type> <payload JSON>`) →
//     openai.sse (every chunk as the server sends it with include_usage,
//     then [DONE]).
//
// Response and stream cases may add meta.json, the ResponseMeta fields
// that depend on the request (JSONTool, ThinkTags; see goldenMetaOf).
//
// Run with -update to rewrite the expected files.
func TestTranslateGolden(t *testing.T) {
	files := goldenFiles(t, "")
	if len(files) < 30 {
		t.Fatalf("got %d golden cases in testdata/translate, want at least 30", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			kind, _, _ := strings.Cut(name, "_")
			var (
				outName string
				got     []byte
				others  []string
			)
			switch kind {
			case "request":
				outName, got = goldenRequest(t, ar)
				others = []string{fileBedrockJSON, fileErrorJSON}
			case "response":
				outName, got = fileOpenAIJSON, goldenResponse(t, ar)
			case "stream":
				outName, got = fileSSE, goldenStream(t, ar)
			default:
				t.Fatalf("golden file prefix %q: want request_, response_ or stream_", kind)
			}
			if updating() {
				writeGolden(t, file, ar, outName, got, others)
				return
			}
			want := section(ar, outName)
			if want == nil {
				t.Fatalf("%s has no %s (got %s); run with -update", file, outName, got)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", outName, diff)
			}
		})
	}
}

func section(ar *txtar.Archive, name string) []byte {
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// writeGolden sets the archive's output file to got, dropping the other
// possible outputs, and rewrites the file.
func writeGolden(t *testing.T, file string, ar *txtar.Archive, outName string, got []byte, others []string) {
	t.Helper()
	out := &txtar.Archive{Comment: ar.Comment}
	for _, f := range ar.Files {
		if f.Name == outName || contains(others, f.Name) {
			continue
		}
		out.Files = append(out.Files, f)
	}
	out.Files = append(out.Files, txtar.File{Name: outName, Data: got})
	if err := os.WriteFile(file, txtar.Format(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// indentJSON marshals v indented, with a final newline.
func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return append(b, '\n')
}

// goldenRequest translates a request case.
func goldenRequest(t *testing.T, ar *txtar.Archive) (string, []byte) {
	t.Helper()
	req := decodeGoldenRequest(t, ar)
	var opts RequestOptions
	if b := section(ar, fileOptions); b != nil {
		if err := json.Unmarshal(b, &opts); err != nil {
			t.Fatalf("%s: %v", fileOptions, err)
		}
	}
	conv, err := ToConverse(req, opts)
	if err != nil {
		return fileErrorJSON, errorJSON(t, err)
	}
	return fileBedrockJSON, indentJSON(t, conv)
}

func decodeGoldenRequest(t *testing.T, ar *txtar.Archive) *openai.ChatCompletionRequest {
	t.Helper()
	body := section(ar, fileOpenAIJSON)
	if body == nil {
		t.Fatalf("request case has no %s", fileOpenAIJSON)
	}
	req, err := openai.DecodeChatCompletionRequest(body)
	if err != nil {
		t.Fatalf("%s is not a valid request: %v", fileOpenAIJSON, err)
	}
	return req
}

// errorJSON renders a translation error as its status and envelope. Every
// ToConverse error must be a 400 *openai.Error naming a parameter.
func errorJSON(t *testing.T, err error) []byte {
	t.Helper()
	var oe *openai.Error
	if !errors.As(err, &oe) {
		t.Fatalf("got error %T (%v), want *openai.Error", err, err)
	}
	if oe.Status != 400 || oe.Param == "" {
		t.Errorf("got status %d param %q, want 400 with a param", oe.Status, oe.Param)
	}
	b, err := oe.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var env openai.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	return indentJSON(t, struct {
		Status int              `json:"status"`
		Error  openai.ErrorBody `json:"error"`
	}{oe.Status, env.Error})
}

// goldenResponse translates a response case.
func goldenResponse(t *testing.T, ar *txtar.Archive) []byte {
	t.Helper()
	var resp ConverseResponse
	if err := json.Unmarshal(section(ar, fileBedrockJSON), &resp); err != nil {
		t.Fatalf("%s: %v", fileBedrockJSON, err)
	}
	out, err := FromConverse(&resp, goldenMetaOf(t, ar))
	if err != nil {
		t.Fatalf("FromConverse: %v", err)
	}
	return indentJSON(t, out)
}

// goldenStream translates a stream case into its SSE transcript.
func goldenStream(t *testing.T, ar *txtar.Archive) []byte {
	t.Helper()
	chunks := translateEventsMeta(t, goldenMetaOf(t, ar), parseEvents(t, section(ar, fileEvents)))
	var b bytes.Buffer
	for _, c := range chunks {
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "data: %s\n\n", data)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// parseEvents reads events.txt: one `<type> <payload JSON>` a line; blank
// lines and lines starting with # are skipped.
func parseEvents(t testing.TB, data []byte) []Event {
	t.Helper()
	if data == nil {
		t.Fatalf("stream case has no %s", fileEvents)
	}
	var events []Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		typ, payload, ok := strings.Cut(line, " ")
		if !ok || !json.Valid([]byte(payload)) {
			t.Fatalf("%s: bad line %q: want `<eventType> <payload JSON>`", fileEvents, line)
		}
		events = append(events, Event{Type: typ, Payload: []byte(payload)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

// translateEvents feeds events one at a time to a new translator.
func translateEvents(t *testing.T, events []Event) []*openai.ChatCompletionChunk {
	t.Helper()
	tr := NewStreamTranslator(goldenMeta(goldenModel))
	var out []*openai.ChatCompletionChunk
	for i, ev := range events {
		chunks, err := tr.Translate(ev)
		if err != nil {
			t.Fatalf("event %d (%s): %v", i, ev.Type, err)
		}
		out = append(out, chunks...)
	}
	return out
}
