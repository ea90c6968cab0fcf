package bedrock

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Files of testdata/native cases.
const (
	fileNativeModel  = "model.txt"
	fileNativeBody   = "body.json"
	fileNativeChunks = "chunks.txt"
	fileNativeWant   = "want.txt"
)

// TestNativeGolden runs each testdata/native case; its kind comes from the
// file name prefix:
//
//   - answer_: body.json (an InvokeModel answer of the model in
//     model.txt) → want.txt (format, text, stop reason and body usage, or
//     the error);
//   - stream_: chunks.txt (one native chunk JSON a line, each sent as a
//     chunk event with Bedrock's padding) → want.txt (every chunk the
//     stream hands out, one a line, then its error if it fails). The
//     frames are read whole, one byte at a time and at random splits, and
//     must give the same chunks.
//
// Run with -update to rewrite the expected files.
func TestNativeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "native", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("got %d golden cases in testdata/native, want at least 15", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			switch kind, _, _ := strings.Cut(name, "_"); kind {
			case "answer":
				got = goldenNativeAnswer(t, ar)
			case "stream":
				got = goldenNativeStream(t, ar)
			default:
				t.Fatalf("unknown case kind %q", kind)
			}
			if updating() {
				writeNativeGolden(t, file, ar, got)
				return
			}
			want := section(ar, fileNativeWant)
			if want == nil {
				t.Fatalf("%s has no %s (got %s); run with -update", file, fileNativeWant, got)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", fileNativeWant, diff)
			}
		})
	}
}

// nativeAnswerResult is an answer case's output.
type nativeAnswerResult struct {
	Format     NativeFormat  `json:"format,omitempty"`
	Text       string        `json:"text"`
	StopReason string        `json:"stop_reason,omitempty"`
	Usage      *openai.Usage `json:"usage,omitempty"`
	Error      string        `json:"error,omitempty"`
}

func goldenNativeAnswer(t *testing.T, ar *txtar.Archive) []byte {
	t.Helper()
	model := strings.TrimSpace(string(section(ar, fileNativeModel)))
	nt, err := DecodeNativeAnswer(model, section(ar, fileNativeBody))
	if err != nil {
		return goldenJSON(t, nativeAnswerResult{Error: err.Error()}, "  ")
	}
	out := nativeAnswerResult{Format: nt.Format, Text: nt.Text, StopReason: nt.StopReason}
	if nt.Usage != nil {
		out.Usage = ToUsage(*nt.Usage)
	}
	return goldenJSON(t, out, "  ")
}

// goldenJSON marshals v as the golden files show it: indented by indent
// (on one line when empty), and with <, > and & as they are.
func goldenJSON(t *testing.T, v any, indent string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return b.Bytes()
}

// nativeChunkResult is one line of a stream case's output.
type nativeChunkResult struct {
	Text       string        `json:"text,omitempty"`
	Final      bool          `json:"final,omitempty"`
	StopReason string        `json:"stop_reason,omitempty"`
	Usage      *openai.Usage `json:"usage,omitempty"`
}

func goldenNativeStream(t *testing.T, ar *txtar.Archive) []byte {
	t.Helper()
	frames := chunkFrames(t, section(ar, fileNativeChunks))
	var first []byte
	for how, r := range readers(frames) {
		got := readNativeStream(t, &nativeStream{es: testEventStream(t, r()), dec: NewNativeStreamDecoder(), name: "test"})
		if first == nil {
			first = got
			continue
		}
		if diff := cmp.Diff(string(first), string(got)); diff != "" {
			t.Errorf("read %s, the stream differs (-other +%s):\n%s", how, how, diff)
		}
	}
	return first
}

// chunkFrames encodes each line of chunks as a chunk event frame.
func chunkFrames(t *testing.T, chunks []byte) []byte {
	t.Helper()
	var frames []byte
	for _, line := range strings.Split(strings.TrimSpace(string(chunks)), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("%s: not JSON: %s", fileNativeChunks, line)
		}
		payload := fmt.Sprintf(`{"bytes":%q,"p":"abcdefghijklmnop"}`, base64.StdEncoding.EncodeToString([]byte(line)))
		frames = append(frames, eventFrame(t, EventChunk, payload)...)
	}
	return frames
}

// readNativeStream reads s to its end: one JSON line per chunk, then the
// error, if any, as "error: <status> <message>".
func readNativeStream(t *testing.T, s provider.NativeStream) []byte {
	t.Helper()
	defer s.Close()
	var out bytes.Buffer
	for {
		ch, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return out.Bytes()
		}
		if err != nil {
			var ue *provider.UpstreamError
			if !errors.As(err, &ue) {
				t.Fatalf("got %v, want an UpstreamError", err)
			}
			fmt.Fprintf(&out, "error: %d %s\n", ue.Status, ue.Err.Message)
			return out.Bytes()
		}
		out.Write(goldenJSON(t, nativeChunkResult{Text: ch.Text, Final: ch.Final, StopReason: ch.StopReason, Usage: ch.Usage}, ""))
	}
}

// writeNativeGolden rewrites a case with its inputs and the output got.
func writeNativeGolden(t *testing.T, file string, ar *txtar.Archive, got []byte) {
	t.Helper()
	out := &txtar.Archive{Comment: ar.Comment}
	for _, f := range ar.Files {
		if f.Name != fileNativeWant {
			out.Files = append(out.Files, f)
		}
	}
	out.Files = append(out.Files, txtar.File{Name: fileNativeWant, Data: got})
	if err := os.WriteFile(file, txtar.Format(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNativeStreamRules checks what every stream case relies on: text
// chunks are never empty, the Final chunk is last and has no text, and
// io.EOF follows it and stays.
func TestNativeStreamRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "native", "stream_*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no stream cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s := &nativeStream{es: testEventStream(t, bytes.NewReader(chunkFrames(t, section(ar, fileNativeChunks)))), dec: NewNativeStreamDecoder(), name: "test"}
			final := false
			for i := 0; ; i++ {
				ch, err := s.Recv()
				if err != nil {
					if errors.Is(err, io.EOF) && !final {
						t.Errorf("got io.EOF at chunk %d before the Final chunk", i)
					}
					if _, again := s.Recv(); !errors.Is(again, err) {
						t.Errorf("Recv after the end got %v, want %v again", again, err)
					}
					return
				}
				switch {
				case final:
					t.Errorf("chunk %d: got a chunk after the Final one", i)
				case ch.Final && ch.Text != "":
					t.Errorf("chunk %d: got text %q in the Final chunk", i, ch.Text)
				case !ch.Final && ch.Text == "":
					t.Errorf("chunk %d: got an empty text chunk", i)
				}
				final = final || ch.Final
			}
		})
	}
}
