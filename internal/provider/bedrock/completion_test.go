package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// completionRequest is a legacy completion request as the router passes
// it on.
func completionRequest(t *testing.T, body string) *openai.CompletionRequest {
	t.Helper()
	req, err := openai.DecodeCompletionRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req.ClientModel = "public-name"
	return req
}

// converseMaxTokens returns the maxTokens of each Converse request the
// emulator received.
func converseMaxTokens(t *testing.T, srv *bedrocktest.Server) []int {
	t.Helper()
	var out []int
	for _, r := range srv.Requests() {
		var body struct {
			InferenceConfig struct {
				MaxTokens int `json:"maxTokens"`
			} `json:"inferenceConfig"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, body.InferenceConfig.MaxTokens)
	}
	return out
}

// answerPieces is the emulator's output token count of its answers to prompts.
func answerPieces(prompts ...string) int {
	n := 0
	for _, p := range prompts {
		n += len(bedrocktest.Pieces(bedrocktest.EchoAnswer(p)))
	}
	return n
}

// usageCounts is u's three token counts, without the details the chat path
// adds.
func usageCounts(u *openai.Usage) openai.Usage {
	if u == nil {
		return openai.Usage{}
	}
	return openai.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
}

func TestCompletion(t *testing.T) {
	answer := func(prompt string) string { return bedrocktest.EchoAnswer(prompt) }
	stop := openai.FinishStop
	tests := []struct {
		name  string
		body  string
		want  []openai.CompletionChoice
		usage openai.Usage
	}{
		{
			name:  "one prompt",
			body:  `{"model":"m","prompt":"Say hi"}`,
			want:  []openai.CompletionChoice{{Text: answer("Say hi"), FinishReason: &stop}},
			usage: openai.Usage{PromptTokens: 2, CompletionTokens: answerPieces("Say hi"), TotalTokens: 2 + answerPieces("Say hi")},
		},
		{
			name: "several prompts",
			body: `{"model":"m","prompt":["one","two words","three"]}`,
			want: []openai.CompletionChoice{
				{Text: answer("one"), FinishReason: &stop},
				{Text: answer("two words"), Index: 1, FinishReason: &stop},
				{Text: answer("three"), Index: 2, FinishReason: &stop},
			},
			usage: openai.Usage{PromptTokens: 4, CompletionTokens: answerPieces("one", "two words", "three"), TotalTokens: 4 + answerPieces("one", "two words", "three")},
		},
		{
			name:  "echo",
			body:  `{"model":"m","prompt":"Say hi","echo":true}`,
			want:  []openai.CompletionChoice{{Text: "Say hi" + answer("Say hi"), FinishReason: &stop}},
			usage: openai.Usage{PromptTokens: 2, CompletionTokens: answerPieces("Say hi"), TotalTokens: 2 + answerPieces("Say hi")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bedrocktest.New(t)
			c, _ := emulatorClient(t, srv, Config{})
			req := completionRequest(t, tt.body)
			req.Model = testModel
			got, err := c.Completion(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.ID, "cmpl-") || got.Object != openai.ObjectTextCompletion || got.Model != "public-name" || got.Created == 0 {
				t.Errorf("got id %q object %q model %q created %d", got.ID, got.Object, got.Model, got.Created)
			}
			if diff := cmp.Diff(tt.want, got.Choices); diff != "" {
				t.Errorf("choices mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.usage, usageCounts(got.Usage)); diff != "" {
				t.Errorf("usage mismatch (-want +got):\n%s", diff)
			}
			for _, n := range converseMaxTokens(t, srv) {
				if n != CompletionDefaultMaxTokens {
					t.Errorf("got maxTokens %d, want the legacy default %d", n, CompletionDefaultMaxTokens)
				}
			}
		})
	}
}

func TestCompletionMaxTokens(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":"Say hi","max_tokens":3}`)
	req.Model = testModel
	got, err := c.Completion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(bedrocktest.Pieces(bedrocktest.EchoAnswer("Say hi"))[:3], "")
	if ch := got.Choices[0]; ch.Text != want || ch.FinishReason == nil || *ch.FinishReason != openai.FinishLength {
		t.Errorf("got %q finish %v, want %q finish length", ch.Text, ch.FinishReason, want)
	}
	if diff := cmp.Diff([]int{3}, converseMaxTokens(t, srv)); diff != "" {
		t.Errorf("maxTokens mismatch (-want +got):\n%s", diff)
	}
}

func TestCompletionProfileRetry(t *testing.T) {
	// Claude 3.7 Sonnet takes only an inference profile in the emulator,
	// as on Bedrock: the chat path's retry applies to completions too.
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":"Say hi"}`)
	req.Model = "anthropic.claude-3-7-sonnet-20250219-v1:0"
	if _, err := c.Completion(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range srv.Requests() {
		ids = append(ids, r.ModelID)
	}
	want := []string{req.Model, "us." + req.Model}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("models called mismatch (-want +got):\n%s", diff)
	}
}

func TestCompletionErrors(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	tests := []struct {
		name, body, model, param string
	}{
		{"token prompt", `{"model":"m","prompt":[1,2,3]}`, testModel, "prompt"},
		{"empty prompt list", `{"model":"m","prompt":[]}`, testModel, "prompt"},
		{"blank prompt", `{"model":"m","prompt":["ok"," "]}`, testModel, "prompt"},
		{"suffix", `{"model":"m","prompt":"def f():","suffix":"return x"}`, testModel, "suffix"},
		{"logprobs", `{"model":"m","prompt":"x","logprobs":1}`, testModel, "logprobs"},
		{"best_of", `{"model":"m","prompt":"x","best_of":2}`, testModel, "best_of"},
		{"n", `{"model":"m","prompt":"x","n":2}`, testModel, "n"},
		{"max_tokens 0", `{"model":"m","prompt":"x","max_tokens":0}`, testModel, "max_tokens"},
		{"embedding model", `{"model":"m","prompt":"x"}`, "amazon.titan-embed-text-v2:0", "model"},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, stream), func(t *testing.T) {
				req := completionRequest(t, tt.body)
				req.Model, req.Stream = tt.model, stream
				var err error
				if stream {
					_, err = c.CompletionStream(context.Background(), req)
				} else {
					_, err = c.Completion(context.Background(), req)
				}
				wantClientError(t, err, tt.param)
			})
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("got %d calls to Bedrock, want none for requests refused before", n)
	}
}

func TestCompletionUpstreamFailure(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{}, bedrocktest.ErrorReply(bedrocktest.CodeValidation, "Input is too long.")))
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":["a","b"]}`)
	req.Model = testModel
	_, err := c.Completion(context.Background(), req)
	_ = checkStatus(t, err, http.StatusBadRequest)
}

func TestChatOnEmbeddingModel(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	_, err := c.ChatCompletion(context.Background(), chatRequest("amazon.titan-embed-text-v2:0", "hi"))
	_ = checkStatus(t, err, http.StatusBadRequest)
}

// readCompletion reads a completion stream to its end.
func readCompletion(t *testing.T, s provider.CompletionStream) ([]*openai.CompletionResponse, error) {
	t.Helper()
	defer s.Close()
	var out []*openai.CompletionResponse
	for {
		ch, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ch)
	}
}

// streamedChoice is what a stream said about one prompt.
type streamedChoice struct {
	Text, Finish string
	// FinishLast is set when the finish reason came in the prompt's last
	// chunk.
	FinishLast bool
}

// summarizeCompletion checks the chunks' common fields and gathers each prompt's
// text; the last chunk must be the usage-only one, which it returns.
func summarizeCompletion(t *testing.T, chunks []*openai.CompletionResponse) (map[int]*streamedChoice, *openai.Usage) {
	t.Helper()
	if len(chunks) < 2 {
		t.Fatalf("got %d chunks", len(chunks))
	}
	id := chunks[0].ID
	got := map[int]*streamedChoice{}
	for i, ch := range chunks {
		if ch.ID != id || !strings.HasPrefix(id, "cmpl-") || ch.Object != openai.ObjectTextCompletion || ch.Model != "public-name" {
			t.Errorf("chunk %d: id %q object %q model %q", i, ch.ID, ch.Object, ch.Model)
		}
		if i == len(chunks)-1 {
			if !ch.UsageOnly() || ch.Choices == nil {
				t.Errorf("last chunk %+v: want usage with empty choices", ch)
			}
			return got, ch.Usage
		}
		if ch.Usage != nil || len(ch.Choices) != 1 {
			t.Fatalf("chunk %d: got usage %v and %d choices, want one choice", i, ch.Usage, len(ch.Choices))
		}
		c := ch.Choices[0]
		s := got[c.Index]
		if s == nil {
			s = &streamedChoice{}
			got[c.Index] = s
		}
		if s.Finish != "" {
			t.Errorf("chunk %d: prompt %d goes on after its finish reason", i, c.Index)
		}
		s.Text += c.Text
		if c.FinishReason != nil {
			s.Finish, s.FinishLast = *c.FinishReason, true
		}
	}
	return got, nil
}

func TestCompletionStream(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":["Say hi","Bye now"],"echo":true,"stream":true}`)
	req.Model = testModel
	s, err := c.CompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := readCompletion(t, s)
	if err != nil {
		t.Fatal(err)
	}
	got, usage := summarizeCompletion(t, chunks)
	want := map[int]*streamedChoice{
		0: {Text: "Say hi" + bedrocktest.EchoAnswer("Say hi"), Finish: openai.FinishStop, FinishLast: true},
		1: {Text: "Bye now" + bedrocktest.EchoAnswer("Bye now"), Finish: openai.FinishStop, FinishLast: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("choices mismatch (-want +got):\n%s", diff)
	}
	out := answerPieces("Say hi", "Bye now")
	if diff := cmp.Diff(openai.Usage{PromptTokens: 4, CompletionTokens: out, TotalTokens: 4 + out}, usageCounts(usage)); diff != "" {
		t.Errorf("usage mismatch (-want +got):\n%s", diff)
	}
	// The first chunk is prompt 0's echo: prompts are streamed in turn.
	if first := chunks[0].Choices[0]; first.Index != 0 || first.Text != "Say hi" {
		t.Errorf("first chunk %+v, want the echo of prompt 0", first)
	}
}

func TestCompletionStreamWire(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":"Say hi","stream":true,"max_tokens":2}`)
	req.Model = testModel
	s, err := c.CompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := readCompletion(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ch := range chunks {
		ch.ID, ch.Created = "cmpl-x", 1
		if ch.Usage != nil {
			u := usageCounts(ch.Usage) // the details are the chat path's
			ch.Usage = &u
		}
		b, err := json.Marshal(ch)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	// The shapes of shared/fixtures/openai-cassettes/completion-streaming-usage.yaml.
	want := []string{
		`{"id":"cmpl-x","object":"text_completion","created":1,"model":"public-name","choices":[{"text":"Hello ","index":0,"logprobs":null,"finish_reason":null}]}`,
		`{"id":"cmpl-x","object":"text_completion","created":1,"model":"public-name","choices":[{"text":"from ","index":0,"logprobs":null,"finish_reason":null}]}`,
		`{"id":"cmpl-x","object":"text_completion","created":1,"model":"public-name","choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}]}`,
		`{"id":"cmpl-x","object":"text_completion","created":1,"model":"public-name","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("chunks mismatch (-want +got):\n%s", diff)
	}
}

func TestCompletionStreamLaterPromptFails(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{}, bedrocktest.ErrorReply(bedrocktest.CodeValidation, "Input is too long.")))
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":["a","b"],"stream":true}`)
	req.Model = testModel
	s, err := c.CompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := readCompletion(t, s)
	_ = checkStatus(t, err, http.StatusBadRequest)
	for _, ch := range chunks {
		if ch.Usage != nil || ch.Choices[0].Index != 0 {
			t.Errorf("got chunk %+v before the failure, want prompt 0's only", ch)
		}
	}
	if len(chunks) == 0 {
		t.Error("got no chunk of prompt 0")
	}
}

func TestCompletionStreamFirstPromptFails(t *testing.T) {
	srv := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.ErrorReply(bedrocktest.CodeValidation, "Input is too long.")))
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":["a","b"],"stream":true}`)
	req.Model = testModel
	_, err := c.CompletionStream(context.Background(), req)
	_ = checkStatus(t, err, http.StatusBadRequest)
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("got %d calls, want the first prompt's only", n)
	}
}

func TestCompletionStreamClose(t *testing.T) {
	srv := bedrocktest.New(t)
	c, _ := emulatorClient(t, srv, Config{})
	req := completionRequest(t, `{"model":"m","prompt":["a","b"],"stream":true}`)
	req.Model = testModel
	s, err := c.CompletionStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after Close: got %v, want io.EOF", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("got %d calls, want no prompt opened after Close", n)
	}
}

func TestToChatCompletions(t *testing.T) {
	req := completionRequest(t, `{"model":"m","prompt":["a","b"],"max_tokens":7,"temperature":0.5,"top_p":0.9,"stop":["\n"],"seed":3,"user":"u","suffix":"","best_of":1,"stream":true,"stream_options":{"include_usage":true}}`)
	got, err := ToChatCompletions(req)
	if err != nil {
		t.Fatal(err)
	}
	seven, half, p9, seed := 7, 0.5, 0.9, int64(3)
	want := make([]*openai.ChatCompletionRequest, 2)
	for i, prompt := range []string{"a", "b"} {
		want[i] = &openai.ChatCompletionRequest{
			Model: "m", ClientModel: "public-name",
			Messages:  []openai.Message{{Role: openai.RoleUser, Content: openai.TextContent(prompt)}},
			MaxTokens: &seven, Temperature: &half, TopP: &p9, Stop: &openai.Stop{Values: []string{"\n"}}, Seed: &seed, User: "u",
			Stream: true, StreamOptions: &openai.StreamOptions{IncludeUsage: true},
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
