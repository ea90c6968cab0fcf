package bedrocktest_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

const claudeBody = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Say hi"}]}]}`

func invoke(t *testing.T, s *bedrocktest.Server, model, body string) (*bedrockruntime.InvokeModelOutput, error) {
	t.Helper()
	return runtimeClient(s).InvokeModel(ctx(t), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(model), Body: []byte(body), ContentType: aws.String("application/json"), Accept: aws.String("application/json"),
	})
}

func TestInvokeModelAnthropic(t *testing.T) {
	s := bedrocktest.New(t)
	out, err := invoke(t, s, haiku, claudeBody)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Role    string `json:"role"`
		Model   string `json:"model"`
		Content []struct {
			Type, Text string
		} `json:"content"`
		StopReason string `json:"stop_reason"`
		Usage      struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(out.Body, &msg); err != nil {
		t.Fatalf("%s: %v", out.Body, err)
	}
	answer := bedrocktest.EchoAnswer("Say hi")
	if !strings.HasPrefix(msg.ID, "msg_bdrk_") || msg.Type != "message" || msg.Role != "assistant" || msg.Model != "claude-3-haiku-20240307" ||
		len(msg.Content) != 1 || msg.Content[0].Text != answer || msg.StopReason != "end_turn" ||
		msg.Usage.InputTokens != 4 || msg.Usage.OutputTokens != len(bedrocktest.Pieces(answer)) {
		t.Errorf("body %s", out.Body)
	}
	if aws.ToString(out.ContentType) != "application/json" {
		t.Errorf("content type %q", aws.ToString(out.ContentType))
	}
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	for h, want := range map[string]string{bedrocktest.HeaderInputTokens: "4", bedrocktest.HeaderOutputTokens: "9", bedrocktest.HeaderInvocationLatency: "42"} {
		if got := raw.Header.Get(h); got != want {
			t.Errorf("%s %q, want %q", h, got, want)
		}
	}
}

func TestInvokeModelErrors(t *testing.T) {
	s := bedrocktest.New(t)
	tests := []struct {
		name, model, body, message string
	}{
		{
			"no max_tokens", haiku, `{"anthropic_version":"bedrock-2023-05-31","messages":[]}`,
			"Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.",
		},
		{"not JSON", haiku, `hello`, "Malformed input request: #: expected type: JSONObject, please reformat your input and try again."},
		{"profile-only model", sonnet37, claudeBody, bedrocktest.OnDemandUnsupportedMessage(sonnet37)},
		{
			"titan without inputText", titanV2, `{}`,
			"Malformed input request: #: required key [inputText] not found, please reformat your input and try again.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := invoke(t, s, tt.model, tt.body)
			if !as[*types.ValidationException](err) {
				t.Fatalf("got %v, want ValidationException", err)
			}
			if code, _ := apiError(t, err); code != bedrocktest.CodeValidation || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("got %v, want %q", err, tt.message)
			}
		})
	}
}

func TestInvokeModelEmbeddings(t *testing.T) {
	s := bedrocktest.New(t)
	out, err := invoke(t, s, titanV2, `{"inputText":"hello world","dimensions":256}`)
	if err != nil {
		t.Fatal(err)
	}
	var titan struct {
		Embedding        []float32            `json:"embedding"`
		InputTokens      int                  `json:"inputTextTokenCount"`
		EmbeddingsByType map[string][]float32 `json:"embeddingsByType"`
	}
	if err := json.Unmarshal(out.Body, &titan); err != nil {
		t.Fatal(err)
	}
	want := bedrocktest.Embedding(titanV2, "hello world", 256, true)
	if diff := cmp.Diff(want, titan.Embedding); diff != "" || titan.InputTokens != 2 || len(titan.EmbeddingsByType["float"]) != 256 {
		t.Errorf("titan answer %d dims, %d tokens (-want +got):\n%s", len(titan.Embedding), titan.InputTokens, diff)
	}
	if n := norm(titan.Embedding); math.Abs(n-1) > 1e-5 {
		t.Errorf("norm %f, want 1", n)
	}

	out, err = invoke(t, s, cohereEmbed, `{"texts":["a","b c"],"input_type":"search_document","embedding_types":["float","int8","binary"]}`)
	if err != nil {
		t.Fatal(err)
	}
	var cohere struct {
		Embeddings   map[string][][]float64 `json:"embeddings"`
		ResponseType string                 `json:"response_type"`
		Texts        []string               `json:"texts"`
	}
	if err := json.Unmarshal(out.Body, &cohere); err != nil {
		t.Fatal(err)
	}
	if cohere.ResponseType != "embeddings_by_type" || len(cohere.Embeddings["float"]) != 2 ||
		len(cohere.Embeddings["float"][1]) != bedrocktest.CohereV3Dims || len(cohere.Embeddings["int8"][0]) != bedrocktest.CohereV3Dims ||
		len(cohere.Embeddings["binary"][0]) != bedrocktest.CohereV3Dims/8 || len(cohere.Texts) != 2 {
		t.Errorf("cohere answer %.200s", out.Body)
	}
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	if got := raw.Header.Get(bedrocktest.HeaderInputTokens); got != "3" {
		t.Errorf("cohere input tokens header %q, want 3", got)
	}
}

func norm(v []float32) float64 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	return math.Sqrt(n)
}

// invokeChunks reads an InvokeModelWithResponseStream answer and returns
// the decoded native chunks.
func invokeChunks(t *testing.T, out *bedrockruntime.InvokeModelWithResponseStreamOutput) ([]map[string]any, error) {
	t.Helper()
	stream := out.GetStream()
	defer stream.Close()
	var chunks []map[string]any
	for ev := range stream.Events() {
		c, ok := ev.(*types.ResponseStreamMemberChunk)
		if !ok {
			t.Fatalf("event %T, want a chunk", ev)
		}
		var m map[string]any
		if err := json.Unmarshal(c.Value.Bytes, &m); err != nil {
			t.Fatalf("chunk %s: %v", c.Value.Bytes, err)
		}
		chunks = append(chunks, m)
	}
	return chunks, stream.Err()
}

func TestInvokeModelWithResponseStream(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithAnswer("Hi there"))
	out, err := runtimeClient(s).InvokeModelWithResponseStream(ctx(t), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(usSonnet37), Body: []byte(claudeBody), ContentType: aws.String("application/json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ContentType) != "application/json" {
		t.Errorf("X-Amzn-Bedrock-Content-Type %q", aws.ToString(out.ContentType))
	}
	chunks, err := invokeChunks(t, out)
	if err != nil {
		t.Fatal(err)
	}
	var types, text []string
	for _, c := range chunks {
		types = append(types, c["type"].(string))
		if d, ok := c["delta"].(map[string]any); ok && d["type"] == "text_delta" {
			text = append(text, d["text"].(string))
		}
	}
	want := []string{
		"message_start", "content_block_start", "content_block_delta", "content_block_delta",
		"content_block_stop", "message_delta", "message_stop",
	}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("chunk types (-want +got):\n%s", diff)
	}
	if got := strings.Join(text, ""); got != "Hi there" {
		t.Errorf("text %q", got)
	}
	metrics, _ := chunks[len(chunks)-1]["amazon-bedrock-invocationMetrics"].(map[string]any)
	if metrics["inputTokenCount"] != 4.0 || metrics["outputTokenCount"] != 2.0 {
		t.Errorf("invocation metrics %v", metrics)
	}
}

func TestInvokeStreamScriptedAndLlama(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithReplies(bedrocktest.Reply{
		Events: []bedrocktest.Event{bedrocktest.Chunk(`{"type":"ping"}`)},
		Fault:  bedrocktest.ExceptionAfter(1, bedrocktest.CodeModelTimeout, "too slow"),
	}))
	c := runtimeClient(s)
	out, err := c.InvokeModelWithResponseStream(ctx(t), &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(haiku), Body: []byte(claudeBody)})
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := invokeChunks(t, out)
	if len(chunks) != 1 || chunks[0]["type"] != "ping" || !as[*types.ModelTimeoutException](err) {
		t.Errorf("got %v and %v, want a ping then ModelTimeoutException", chunks, err)
	}

	out, err = c.InvokeModelWithResponseStream(ctx(t), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(llama3), Body: []byte(`{"prompt":"<|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>","max_gen_len":3}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	chunks, err = invokeChunks(t, out)
	if err != nil {
		t.Fatal(err)
	}
	var gen strings.Builder
	for _, ch := range chunks {
		gen.WriteString(ch["generation"].(string))
	}
	last := chunks[len(chunks)-1]
	if gen.String() != "Hello from the " || last["stop_reason"] != "length" || last["amazon-bedrock-invocationMetrics"] == nil {
		t.Errorf("llama chunks %v", chunks)
	}
}

func TestCountTokens(t *testing.T) {
	s := bedrocktest.New(t)
	c := runtimeClient(s)
	conv, err := c.Converse(ctx(t), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userMessage("count these four words")}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CountTokens(ctx(t), &bedrockruntime.CountTokensInput{
		ModelId: aws.String(haiku),
		Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{
			Messages: []types.Message{userMessage("count these four words")},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.InputTokens) != aws.ToInt32(conv.Usage.InputTokens) || aws.ToInt32(out.InputTokens) != 4 {
		t.Errorf("converse form: %d tokens, Converse said %d, want 4", aws.ToInt32(out.InputTokens), aws.ToInt32(conv.Usage.InputTokens))
	}
	out, err = c.CountTokens(ctx(t), &bedrockruntime.CountTokensInput{
		ModelId: aws.String(haiku),
		Input:   &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte(claudeBody)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.InputTokens) != 4 {
		t.Errorf("invokeModel form: %d tokens, want 4", aws.ToInt32(out.InputTokens))
	}
}

// TestConverseDocuments checks that documents in the request (here
// additionalModelRequestFields) reach the emulator intact.
func TestConverseDocuments(t *testing.T) {
	s := bedrocktest.New(t)
	_, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: []types.Message{userMessage("hi")},
		AdditionalModelRequestFields: document.NewLazyDocument(map[string]any{"top_k": 5}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if body := string(s.Requests()[0].Body); !strings.Contains(body, `"additionalModelRequestFields":{"top_k":5}`) {
		t.Errorf("body %s", body)
	}
}

func TestInvokeModelWithoutCannedBody(t *testing.T) {
	const writer = "writer.palmyra-x5-v1:0" // a family without canned bodies
	const writerBody = `{"messages":[{"role":"user","content":"hi"}]}`
	s := bedrocktest.New(t, bedrocktest.WithAnyModel(), bedrocktest.WithReplies(bedrocktest.Reply{Operation: bedrocktest.OpInvokeModel, Body: []byte(`{"output":{}}`)}))
	out, err := invoke(t, s, writer, writerBody)
	if err != nil || string(out.Body) != `{"output":{}}` {
		t.Errorf("scripted: %s %v", out.Body, err)
	}
	if _, err := invoke(t, s, writer, writerBody); !as[*types.ValidationException](err) {
		t.Errorf("unscripted: got %v, want ValidationException", err)
	}
	_, err = runtimeClient(s).InvokeModelWithResponseStream(ctx(t), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(titanV2), Body: []byte(`{"inputText":"x"}`),
	})
	if !as[*types.ValidationException](err) || !strings.Contains(err.Error(), "unsupported for streaming") {
		t.Errorf("streaming an embedding model: got %v", err)
	}
}
