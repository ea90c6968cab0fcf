package demo

import (
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
)

func mustChat(t *testing.T, body string) *openai.ChatCompletionRequest {
	t.Helper()
	req, err := openai.DecodeChatCompletionRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestDeterministic(t *testing.T) {
	tests := []struct{ name, kind, body string }{
		{"chat", "chat", `{"model":"demo-chat","messages":[{"role":"user","content":"Is this stable?"}]}`},
		{"chat stream", "chat", `{"model":"demo-chat","stream":true,"n":3,"messages":[{"role":"user","content":"And this?"}]}`},
		{"tool call", "chat", `{"model":"demo-chat","tool_choice":"required","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}}],"messages":[{"role":"user","content":"Go to Rome"}]}`},
		{"completion stream", "completion", `{"model":"demo-chat","prompt":["a","b"],"stream":true}`},
		{"embedding", "embedding", `{"model":"demo-embed","input":["one text","another text"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name1, first := serveGolden(t, tt.kind, []byte(tt.body))
			name2, second := serveGolden(t, tt.kind, []byte(tt.body))
			if name1 != name2 || string(first) != string(second) {
				t.Errorf("second answer differs:\n%s", cmp.Diff(string(first), string(second)))
			}
			if name1 == fileError {
				t.Fatalf("got error %s, want an answer", first)
			}
		})
	}
}

// TestStreamMatchesResponse checks that streaming changes only the
// delivery: the concatenated deltas equal the non-streamed content.
func TestStreamMatchesResponse(t *testing.T) {
	tests := []struct{ name, body string }{
		{"text", `{"model":"demo-chat","n":2,"messages":[{"role":"user","content":"Tell me about granite."}]}`},
		{"tool", `{"model":"demo-chat","tool_choice":"required","tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}],"messages":[{"role":"user","content":"Find granite facts"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Config{Clock: fixedNow})
			req := mustChat(t, tt.body)
			resp, err := p.ChatCompletion(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			req.Stream = true
			s, err := p.ChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(resp.Choices))
			finish := make([]string, len(resp.Choices))
			var usage *openai.Usage
			for {
				c, err := s.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if c.Usage != nil {
					usage = c.Usage
				}
				for _, cc := range c.Choices {
					if cc.Delta.Content != nil {
						got[cc.Index] += *cc.Delta.Content
					}
					for _, tc := range cc.Delta.ToolCalls {
						got[cc.Index] += tc.Function.Arguments
					}
					if cc.FinishReason != nil {
						finish[cc.Index] = *cc.FinishReason
					}
				}
			}
			for i, ch := range resp.Choices {
				var want string
				if ch.Message.Content != nil {
					want = *ch.Message.Content
				} else {
					want = ch.Message.ToolCalls[0].Function.Arguments
				}
				if got[i] != want {
					t.Errorf("choice %d: streamed %q, want %q", i, got[i], want)
				}
				if finish[i] != ch.FinishReason {
					t.Errorf("choice %d: streamed finish %q, want %q", i, finish[i], ch.FinishReason)
				}
			}
			if diff := cmp.Diff(resp.Usage, usage); diff != "" {
				t.Errorf("usage differs (-response +stream):\n%s", diff)
			}
		})
	}
}

func TestStreamCancel(t *testing.T) {
	tests := []struct {
		name string
		stop func(cancel context.CancelFunc, s interface{ Close() error })
		want func(error) bool
	}{
		{
			name: "context cancelled",
			stop: func(cancel context.CancelFunc, _ interface{ Close() error }) { cancel() },
			want: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name: "stream closed",
			stop: func(_ context.CancelFunc, s interface{ Close() error }) { s.Close() },
			want: func(err error) bool { return errors.Is(err, errClosed) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An hour between tokens: Recv can only return early by
			// noticing the cancellation.
			p := New(Config{TokenDelay: time.Hour, Clock: fixedNow})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := p.ChatCompletionStream(ctx, mustChat(t, `{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"Hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Recv(); err != nil { // the role chunk does not wait
				t.Fatalf("first Recv: got %v, want the role chunk", err)
			}
			errc := make(chan error, 1)
			go func() {
				_, err := s.Recv()
				errc <- err
			}()
			tt.stop(cancel, s)
			select {
			case err := <-errc:
				if !tt.want(err) {
					t.Errorf("Recv: got %v, want the cancellation", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("Recv still waiting a minute after cancellation")
			}
			if _, err := s.Recv(); !tt.want(err) {
				t.Errorf("Recv after cancellation: got %v, want the cancellation again", err)
			}
		})
	}
}

func TestStreamEnds(t *testing.T) {
	p := New(Config{})
	s, err := p.CompletionStream(context.Background(), &openai.CompletionRequest{Model: ChatModel, Prompt: openai.Prompt{Strings: []string{"x"}, Set: true}})
	if err != nil {
		t.Fatal(err)
	}
	var last *openai.CompletionResponse
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = c
	}
	if last == nil || !last.UsageOnly() {
		t.Errorf("last chunk: got %+v, want the usage-only chunk", last)
	}
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after the end: got %v, want io.EOF", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func embed(t *testing.T, dims *int, inputs ...string) [][]float32 {
	t.Helper()
	p := New(Config{})
	resp, err := p.Embeddings(context.Background(), &openai.EmbeddingRequest{
		Model: EmbedModel, Dimensions: dims,
		Input: openai.EmbeddingInput{Strings: inputs, Count: len(inputs), Set: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(resp.Data))
	for i, d := range resp.Data {
		out[i] = d.Vector
	}
	return out
}

func TestEmbeddingUnitNorm(t *testing.T) {
	inputs := []string{"a", "The cat sat on the mat.", "!!!", strings.Repeat("long text ", 500), "日本語のテキスト"}
	for _, dim := range []int{1, 3, 256, 4096} {
		for i, v := range embed(t, &dim, inputs...) {
			if len(v) != dim {
				t.Errorf("dim %d input %d: got length %d, want %d", dim, i, len(v), dim)
			}
			var sum float64
			for _, x := range v {
				sum += float64(x) * float64(x)
			}
			if n := math.Sqrt(sum); math.Abs(n-1) > 1e-5 {
				t.Errorf("dim %d input %d: got norm %v, want 1", dim, i, n)
			}
		}
	}
}

func TestEmbeddingSimilarity(t *testing.T) {
	tests := []struct{ anchor, similar, unrelated string }{
		{"The cat sat on the mat.", "A cat was sitting on the mat.", "Quarterly revenue grew by ten percent."},
		{"How do I reset my password?", "Resetting a forgotten password", "Volcanic rocks cool into basalt."},
		{"granite is an igneous rock", "igneous rocks such as granite", "the weather in Boston is mild"},
	}
	for _, tt := range tests {
		t.Run(tt.anchor, func(t *testing.T) {
			v := embed(t, nil, tt.anchor, tt.similar, tt.unrelated)
			sim, unrel := dot(v[0], v[1]), dot(v[0], v[2])
			t.Logf("similar %.3f, unrelated %.3f", sim, unrel)
			if sim <= unrel {
				t.Errorf("got similarity %.3f to %q, not above %.3f to %q", sim, tt.similar, unrel, tt.unrelated)
			}
		})
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hi there!", []string{"Hi", " there", "!"}},
		{`{"city":"Paris"}`, []string{`{"`, "city", `":"`, "Paris", `"}`}},
		{"two  spaces\nand a newline ", []string{"two", "  spaces", "\nand", " a", " newline", " "}},
		{"internationalization", []string{"internationa", "lization"}},
		{"Outcrop's", []string{"Outcrop", "'", "s"}},
		{"café au lait", []string{"café", " au", " lait"}},
	}
	for _, tt := range tests {
		got := tokenize(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("tokenize(%q) (-want +got):\n%s", tt.in, diff)
		}
		if n := countTokens(tt.in); n != len(tt.want) {
			t.Errorf("countTokens(%q): got %d, want %d", tt.in, n, len(tt.want))
		}
		if j := strings.Join(got, ""); j != tt.in {
			t.Errorf("tokens of %q join to %q", tt.in, j)
		}
	}
}

func TestChooseTool(t *testing.T) {
	const tools = `"tools":[{"type":"function","function":{"name":"get_weather"}},{"type":"function","function":{"name":"search"}}]`
	tests := []struct {
		name, choice, messages string
		want                   string // function name, "" for text
	}{
		{"auto by name", ``, `[{"role":"user","content":"Run get_weather please"}]`, "get_weather"},
		{"auto by spaced name", `"auto"`, `[{"role":"user","content":"Get weather for Oslo"}]`, "get_weather"},
		{"auto second tool", `"auto"`, `[{"role":"user","content":"SEARCH for it"}]`, "search"},
		{"auto asked plainly", `"auto"`, `[{"role":"user","content":"Please call a function."}]`, "get_weather"},
		{"auto no mention", `"auto"`, `[{"role":"user","content":"Hello"}]`, ""},
		{"auto after tool result", `"auto"`, `[{"role":"user","content":"search"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"search","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"done"}]`, ""},
		{"none", `"none"`, `[{"role":"user","content":"search now"}]`, ""},
		{"required default", `"required"`, `[{"role":"user","content":"Hello"}]`, "get_weather"},
		{"required mention", `"required"`, `[{"role":"user","content":"search"}]`, "search"},
		{"named", `{"type":"function","function":{"name":"search"}}`, `[{"role":"user","content":"weather"}]`, "search"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"model":"demo-chat",` + tools + `,"messages":` + tt.messages
			if tt.choice != "" {
				body += `,"tool_choice":` + tt.choice
			}
			req := mustChat(t, body+"}")
			fn, err := chooseTool(req, readConversation(req.Messages))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if fn != nil {
				got = fn.Name
			}
			if got != tt.want {
				t.Errorf("got tool %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModels(t *testing.T) {
	p := New(Config{})
	got, err := p.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []openai.Model{
		{ID: ChatModel, Object: "model", Created: Created, OwnedBy: OwnedBy},
		{ID: EmbedModel, Object: "model", Created: Created, OwnedBy: OwnedBy},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Models (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{ChatModel, EmbedModel}, Models()); diff != "" {
		t.Errorf("Models() (-want +got):\n%s", diff)
	}
	if err := p.Ping(context.Background()); err != nil {
		t.Errorf("Ping: got %v, want nil", err)
	}
}

func TestUnknownModel(t *testing.T) {
	p := New(Config{})
	ctx := context.Background()
	checks := map[string]error{}
	_, checks["chat"] = p.ChatCompletion(ctx, mustChat(t, `{"model":"nope","messages":[{"role":"user","content":"x"}]}`))
	_, checks["completion"] = p.Completion(ctx, &openai.CompletionRequest{Model: "nope", Prompt: openai.Prompt{Strings: []string{"x"}, Set: true}})
	_, checks["embeddings"] = p.Embeddings(ctx, &openai.EmbeddingRequest{Model: "nope", Input: openai.EmbeddingInput{Strings: []string{"x"}, Count: 1, Set: true}})
	for name, err := range checks {
		var oe *openai.Error
		if !errors.As(err, &oe) || oe.Code != "model_not_found" || oe.Status != 404 {
			t.Errorf("%s: got %v, want 404 model_not_found", name, err)
		}
	}
}
