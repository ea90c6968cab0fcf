package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedNow is the clock of every golden case.
func fixedNow() time.Time { return time.Unix(1767225600, 0) }

// Output file names of a golden case: exactly one is present.
const (
	fileRequest  = "request.json"
	fileResponse = "response.json"
	fileStream   = "stream.sse"
	fileError    = "error.txt"
)

// TestGolden runs each testdata/*.txtar case: request.json is sent to the
// endpoint named by the file's prefix (chat_, completion_, embedding_), and
// the answer must equal response.json (non-streaming), stream.sse (the SSE
// transcript of every chunk, usage chunk included, then [DONE]) or
// error.txt. Run with -update to rewrite the expected files.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			body := section(ar, fileRequest)
			if body == nil {
				t.Fatalf("%s has no %s", file, fileRequest)
			}
			kind, _, _ := strings.Cut(name, "_")
			outName, got := serveGolden(t, kind, body)
			if *update {
				writeGolden(t, file, ar, outName, got)
				return
			}
			want := section(ar, outName)
			if want == nil {
				t.Fatalf("%s has no %s; run with -update", file, outName)
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

// writeGolden replaces the case's output file with got, keeping the
// comment and the request.
func writeGolden(t *testing.T, file string, ar *txtar.Archive, outName string, got []byte) {
	t.Helper()
	out := &txtar.Archive{Comment: ar.Comment}
	out.Files = append(out.Files, txtar.File{Name: fileRequest, Data: section(ar, fileRequest)})
	out.Files = append(out.Files, txtar.File{Name: outName, Data: got})
	if err := os.WriteFile(file, txtar.Format(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// serveGolden sends body to the endpoint kind of a demo provider with the
// fixed clock and returns the output file name and content.
func serveGolden(t *testing.T, kind string, body []byte) (string, []byte) {
	t.Helper()
	p := New(Config{Clock: fixedNow})
	ctx := context.Background()
	var (
		name string
		out  []byte
		err  error
	)
	switch kind {
	case "chat":
		name, out, err = serveChat(ctx, p, body)
	case "completion":
		name, out, err = serveCompletion(ctx, p, body)
	case "embedding":
		name, out, err = serveEmbedding(ctx, p, body)
	default:
		t.Fatalf("golden file prefix %q: want chat_, completion_ or embedding_", kind)
	}
	if err != nil {
		return fileError, errorText(t, err)
	}
	return name, out
}

func serveChat(ctx context.Context, p *Provider, body []byte) (string, []byte, error) {
	req, err := openai.DecodeChatCompletionRequest(body)
	if err != nil {
		return "", nil, err
	}
	if req.Stream {
		s, err := p.ChatCompletionStream(ctx, req)
		if err != nil {
			return "", nil, err
		}
		out, err := transcript(s)
		return fileStream, out, err
	}
	resp, err := p.ChatCompletion(ctx, req)
	if err != nil {
		return "", nil, err
	}
	out, err := indent(resp)
	return fileResponse, out, err
}

func serveCompletion(ctx context.Context, p *Provider, body []byte) (string, []byte, error) {
	req, err := openai.DecodeCompletionRequest(body)
	if err != nil {
		return "", nil, err
	}
	if req.Stream {
		s, err := p.CompletionStream(ctx, req)
		if err != nil {
			return "", nil, err
		}
		out, err := transcript(s)
		return fileStream, out, err
	}
	resp, err := p.Completion(ctx, req)
	if err != nil {
		return "", nil, err
	}
	out, err := indent(resp)
	return fileResponse, out, err
}

func serveEmbedding(ctx context.Context, p *Provider, body []byte) (string, []byte, error) {
	req, err := openai.DecodeEmbeddingRequest(body)
	if err != nil {
		return "", nil, err
	}
	resp, err := p.Embeddings(ctx, req)
	if err != nil {
		return "", nil, err
	}
	out, err := indent(resp)
	return fileResponse, out, err
}

// transcript drains s into the SSE bytes its chunks make: `data: <json>`
// and a blank line per chunk, then `data: [DONE]`.
func transcript[T any](s provider.Stream[T]) ([]byte, error) {
	defer s.Close()
	var b bytes.Buffer
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		data, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "data: %s\n\n", data)
	}
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes(), nil
}

func indent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

// errorText renders an error as the status and body the client would get,
// or, for an error the router translates (provider.Unsupported), its text.
func errorText(t *testing.T, err error) []byte {
	t.Helper()
	var oe *openai.Error
	if !errors.As(err, &oe) {
		return []byte("error: " + err.Error() + "\n")
	}
	body, merr := json.MarshalIndent(oe, "", "  ")
	if merr != nil {
		t.Fatal(merr)
	}
	return fmt.Appendf(nil, "status %d\n%s\n", oe.Status, body)
}
