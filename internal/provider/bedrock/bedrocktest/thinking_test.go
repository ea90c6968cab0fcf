package bedrocktest_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// TestThinking runs a tool call with Claude's thinking through the SDK: the
// answer starts with signed reasoning, and the next turn is refused unless
// that reasoning comes back first and unchanged, as Anthropic's models do.
func TestThinking(t *testing.T) {
	s := bedrocktest.New(t)
	thinking := document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024}})
	tools := &types.ToolConfiguration{
		Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("lookup"), InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
		}}},
		ToolChoice: &types.ToolChoiceMemberAuto{},
	}
	s.Push(bedrocktest.Reply{Content: []byte(`[` +
		`{"reasoningContent":{"reasoningText":{"text":"Look it up.","signature":"` + bedrocktest.Sign("Look it up.") + `"}}},` +
		`{"toolUse":{"toolUseId":"tooluse_1","name":"lookup","input":{}}}]`), StopReason: bedrocktest.StopToolUse})
	first, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
		ModelId: aws.String(usSonnet37), Messages: []types.Message{userMessage("Find it.")},
		ToolConfig: tools, AdditionalModelRequestFields: thinking,
	})
	if err != nil {
		t.Fatal(err)
	}
	call := first.Output.(*types.ConverseOutputMemberMessage).Value
	result := types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{
		Value: types.ToolResultBlock{ToolUseId: aws.String("tooluse_1"), Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "42"}}},
	}}}
	withoutReasoning := types.Message{Role: call.Role, Content: call.Content[1:]}
	tampered := types.Message{Role: call.Role, Content: []types.ContentBlock{
		&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{
			Value: types.ReasoningTextBlock{Text: aws.String("Look it up."), Signature: aws.String("forged")},
		}},
		call.Content[1],
	}}
	tests := []struct {
		name    string
		call    types.Message
		wantErr string
	}{
		{"reasoning kept", call, ""},
		{"reasoning dropped", withoutReasoning, "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`"},
		{"signature forged", tampered, "messages.1.content.0: Invalid `signature` in `thinking` block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
				ModelId: aws.String(usSonnet37), Messages: []types.Message{userMessage("Find it."), tt.call, result},
				ToolConfig: tools, AdditionalModelRequestFields: thinking,
			})
			if tt.wantErr != "" {
				if code, status := apiError(t, err); code != "ValidationException" || status != 400 || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %s %d %v, want ValidationException 400 %q", code, status, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			content := out.Output.(*types.ConverseOutputMemberMessage).Value.Content
			rc, ok := content[0].(*types.ContentBlockMemberReasoningContent)
			if !ok || len(content) != 2 {
				t.Fatalf("got content %#v, want reasoning then text", content)
			}
			r := rc.Value.(*types.ReasoningContentBlockMemberReasoningText).Value
			if aws.ToString(r.Signature) != bedrocktest.Sign(aws.ToString(r.Text)) {
				t.Errorf("reasoning %q signed %q, want Sign of its text", aws.ToString(r.Text), aws.ToString(r.Signature))
			}
		})
	}
}

// TestThinkingStream: the canned stream of a thinking request is a signed
// reasoning block at index 0, then the text at index 1.
func TestThinkingStream(t *testing.T) {
	s := bedrocktest.New(t)
	out, err := runtimeClient(s).ConverseStream(ctx(t), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(usSonnet37), Messages: []types.Message{userMessage("Think.")},
		AdditionalModelRequestFields: document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "adaptive"}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := streamEvents(t, out)
	if err != nil {
		t.Fatal(err)
	}
	var reasoning, signature, text string
	for _, ev := range evs {
		d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta)
		if !ok {
			continue
		}
		switch v := d.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberReasoningContent:
			if aws.ToInt32(d.Value.ContentBlockIndex) != 0 {
				t.Errorf("reasoning at index %d, want 0", aws.ToInt32(d.Value.ContentBlockIndex))
			}
			switch r := v.Value.(type) {
			case *types.ReasoningContentBlockDeltaMemberText:
				reasoning += r.Value
			case *types.ReasoningContentBlockDeltaMemberSignature:
				signature += r.Value
			}
		case *types.ContentBlockDeltaMemberText:
			if aws.ToInt32(d.Value.ContentBlockIndex) != 1 {
				t.Errorf("text at index %d, want 1", aws.ToInt32(d.Value.ContentBlockIndex))
			}
			text += v.Value
		}
	}
	if reasoning != "Thinking about: Think." || signature != bedrocktest.Sign(reasoning) || text != bedrocktest.EchoAnswer("Think.") {
		t.Errorf("got reasoning %q signature %q text %q", reasoning, signature, text)
	}
}
