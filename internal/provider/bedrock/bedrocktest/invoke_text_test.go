package bedrocktest_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// at follows a dotted path of object keys and array indexes
// ("choices.0.text") into a decoded JSON value; nil when the path does not
// exist.
func at(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		if i, err := strconv.Atoi(p); err == nil {
			a, _ := v.([]any)
			if i >= len(a) {
				return nil
			}
			v = a[i]
			continue
		}
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// TestInvokeTextFamilies asks each text family's canned answer through
// the AWS SDK, whole and streamed, and reads the text where the family
// puts it.
func TestInvokeTextFamilies(t *testing.T) {
	tests := []struct {
		name, model, body string
		// answer, piece and stop are the paths to the text of the answer
		// and of a stream chunk, and to the answer's stop reason.
		answer, piece, stop string
		wantStop            string
	}{
		{
			"mistral text", "mistral.mistral-7b-instruct-v0:2", `{"prompt":"<s>[INST] Say hi [/INST]","max_tokens":3}`,
			"outputs.0.text", "outputs.0.text", "outputs.0.stop_reason", "length",
		},
		{
			"mistral chat", "mistral.mistral-large-2402-v1:0", `{"messages":[{"role":"user","content":"Say hi"}],"max_tokens":3}`,
			"choices.0.message.content", "choices.0.message.content", "choices.0.stop_reason", "length",
		},
		{
			"titan text", "amazon.titan-text-express-v1", `{"inputText":"Say hi","textGenerationConfig":{"maxTokenCount":3}}`,
			"results.0.outputText", "outputText", "results.0.completionReason", "LENGTH",
		},
		{
			"nova", "amazon.nova-lite-v1:0", `{"messages":[{"role":"user","content":[{"text":"Say hi"}]}],"inferenceConfig":{"maxTokens":3}}`,
			"output.message.content.0.text", "contentBlockDelta.delta.text", "stopReason", "max_tokens",
		},
		{
			"cohere command", "cohere.command-text-v14", `{"prompt":"Say hi","max_tokens":3}`,
			"generations.0.text", "text", "generations.0.finish_reason", "MAX_TOKENS",
		},
		{
			"cohere command r", "cohere.command-r-plus-v1:0", `{"message":"Say hi","max_tokens":3}`,
			"text", "text", "finish_reason", "MAX_TOKENS",
		},
		{
			"openai shape", "openai.gpt-oss-20b-1:0", `{"messages":[{"role":"user","content":"Say hi"}],"max_completion_tokens":3}`,
			"choices.0.message.content", "choices.0.delta.content", "choices.0.finish_reason", "length",
		},
		{
			"deepseek prompt", "deepseek.r1-v1:0", `{"prompt":"Say hi","max_tokens":3}`,
			"choices.0.text", "choices.0.text", "choices.0.stop_reason", "length",
		},
	}
	const want = "Hello from the " // three pieces of EchoAnswer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bedrocktest.New(t, bedrocktest.WithAnyModel())
			out, err := invoke(t, s, tt.model, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			var body any
			if err := json.Unmarshal(out.Body, &body); err != nil {
				t.Fatal(err)
			}
			if at(body, tt.answer) != want || at(body, tt.stop) != tt.wantStop {
				t.Errorf("got answer %s, want %q stopped by %q", out.Body, want, tt.wantStop)
			}
			stream, err := runtimeClient(s).InvokeModelWithResponseStream(ctx(t), &bedrockruntime.InvokeModelWithResponseStreamInput{
				ModelId: aws.String(tt.model), Body: []byte(tt.body), ContentType: aws.String("application/json"),
			})
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := invokeChunks(t, stream)
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, c := range chunks {
				if p, ok := at(c, tt.piece).(string); ok && at(c, "event_type") != "stream-end" {
					text.WriteString(p)
				}
			}
			metrics := at(chunks[len(chunks)-1], "amazon-bedrock-invocationMetrics.outputTokenCount")
			if text.String() != want || metrics != 3.0 {
				t.Errorf("got stream text %q and output count %v, want %q and 3 (chunks %v)", text.String(), metrics, want, chunks)
			}
		})
	}
}
