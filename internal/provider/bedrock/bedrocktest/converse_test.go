package bedrocktest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

func TestConverseCanned(t *testing.T) {
	s := bedrocktest.New(t)
	out, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		System:   []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}},
		Messages: []types.Message{userMessage("What is Outcrop?")},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	if got, want := msg.Content[0].(*types.ContentBlockMemberText).Value, bedrocktest.EchoAnswer("What is Outcrop?"); got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if msg.Role != types.ConversationRoleAssistant || out.StopReason != types.StopReasonEndTurn {
		t.Errorf("role %q stop %q, want assistant end_turn", msg.Role, out.StopReason)
	}
	wantUsage := types.TokenUsage{InputTokens: aws.Int32(5), OutputTokens: aws.Int32(10), TotalTokens: aws.Int32(15)}
	if diff := cmp.Diff(wantUsage, *out.Usage, cmp.AllowUnexported(types.TokenUsage{})); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	if aws.ToInt64(out.Metrics.LatencyMs) != bedrocktest.LatencyMs {
		t.Errorf("latencyMs %d, want %d", aws.ToInt64(out.Metrics.LatencyMs), bedrocktest.LatencyMs)
	}
	reqs := s.Requests()
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); len(reqs) != 1 || id != reqs[0].RequestID {
		t.Errorf("SDK saw request ID %q, want the recorded one", id)
	}
	if len(reqs) != 1 {
		t.Fatalf("%d requests recorded, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Operation != bedrocktest.OpConverse || r.Path != "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse" ||
		r.ModelID != haiku || r.Auth != bedrocktest.AuthSigV4 || r.AccessKeyID != bedrocktest.AccessKeyID {
		t.Errorf("recorded %+v", r)
	}
	if !json.Valid(r.Body) || !strings.Contains(string(r.Body), "What is Outcrop?") {
		t.Errorf("recorded body %s", r.Body)
	}
}

func TestConverseLimits(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithAnswer("one two three four five"))
	tests := []struct {
		name   string
		config *types.InferenceConfiguration
		text   string
		stop   types.StopReason
		tokens int32
	}{
		{"no limits", nil, "one two three four five", types.StopReasonEndTurn, 5},
		{"max tokens", &types.InferenceConfiguration{MaxTokens: aws.Int32(2)}, "one two ", types.StopReasonMaxTokens, 2},
		{"stop sequence", &types.InferenceConfiguration{StopSequences: []string{"four"}}, "one two three ", types.StopReasonStopSequence, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
				ModelId: aws.String(haiku), Messages: []types.Message{userMessage("hi")}, InferenceConfig: tt.config,
			})
			if err != nil {
				t.Fatal(err)
			}
			text := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
			if text != tt.text || out.StopReason != tt.stop || aws.ToInt32(out.Usage.OutputTokens) != tt.tokens {
				t.Errorf("got %q %s %d tokens, want %q %s %d", text, out.StopReason, aws.ToInt32(out.Usage.OutputTokens), tt.text, tt.stop, tt.tokens)
			}
		})
	}
}

func TestConverseScripted(t *testing.T) {
	usage := &bedrocktest.Usage{InputTokens: 10, OutputTokens: 3, CacheReadInputTokens: 100, CacheWriteInputTokens: 7}
	s := bedrocktest.New(t, bedrocktest.WithReplies(
		bedrocktest.Reply{Text: "scripted", StopReason: "max_tokens", Usage: usage},
		bedrocktest.Reply{Content: json.RawMessage(`[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]`), StopReason: "tool_use"},
		bedrocktest.Reply{Body: []byte(`{"output":{"message":{"role":"assistant","content":[{"text":"raw"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`)},
	))
	c := runtimeClient(s)
	call := func() *bedrockruntime.ConverseOutput {
		t.Helper()
		out, err := c.Converse(ctx(t), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userMessage("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	out := call()
	if out.StopReason != types.StopReasonMaxTokens || aws.ToInt32(out.Usage.TotalTokens) != 120 ||
		aws.ToInt32(out.Usage.CacheReadInputTokens) != 100 || aws.ToInt32(out.Usage.CacheWriteInputTokens) != 7 {
		t.Errorf("scripted text: stop %s usage %+v", out.StopReason, out.Usage)
	}

	out = call()
	tool, ok := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberToolUse)
	if !ok || aws.ToString(tool.Value.Name) != "get_weather" || out.StopReason != types.StopReasonToolUse {
		t.Errorf("scripted content: %#v stop %s", out.Output, out.StopReason)
	}

	out = call()
	if got := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value; got != "raw" {
		t.Errorf("scripted body: text %q, want raw", got)
	}

	out = call() // the queue is empty: canned again
	if got := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value; got != bedrocktest.EchoAnswer("hi") {
		t.Errorf("after the queue: text %q, want the canned one", got)
	}
}

func TestConverseForcedTool(t *testing.T) {
	s := bedrocktest.New(t)
	out, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{userMessage("weather?")},
		ToolConfig: &types.ToolConfiguration{
			Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name: aws.String("get_weather"), InputSchema: &types.ToolInputSchemaMemberJson{},
			}}},
			ToolChoice: &types.ToolChoiceMemberAny{},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tool, ok := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberToolUse)
	if !ok || aws.ToString(tool.Value.Name) != "get_weather" || !strings.HasPrefix(aws.ToString(tool.Value.ToolUseId), "tooluse_") ||
		out.StopReason != types.StopReasonToolUse {
		t.Errorf("got %#v stop %s, want a get_weather call", out.Output, out.StopReason)
	}
}

func TestConverseValidation(t *testing.T) {
	s := bedrocktest.New(t)
	tests := []struct {
		name     string
		messages []types.Message
		config   *types.InferenceConfiguration
		model    string
		message  string
	}{
		{"no messages", nil, nil, haiku, bedrocktest.MsgFirstUser},
		{"assistant first", []types.Message{assistantMessage("hi")}, nil, haiku, bedrocktest.MsgFirstUser},
		{"same role twice", []types.Message{userMessage("a"), userMessage("b")}, nil, haiku, bedrocktest.MsgAlternate},
		{
			"blank text",
			[]types.Message{userMessage("a"), assistantMessage("b"), userMessage(" ")},
			nil, haiku,
			"The text field in the ContentBlock object at messages.2.content.0 is blank. Add text to the text field, and try again.",
		},
		{
			"temperature above 1",
			[]types.Message{userMessage("a")},
			&types.InferenceConfiguration{Temperature: aws.Float32(1.5)}, haiku,
			"1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1",
		},
		{
			"max tokens 0 and top p 2",
			[]types.Message{userMessage("a")},
			&types.InferenceConfiguration{MaxTokens: aws.Int32(0), TopP: aws.Float32(2)}, haiku,
			"2 validation errors detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '2.0' at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value less than or equal to 1",
		},
		{"unknown model", []types.Message{userMessage("a")}, nil, "anthropic.claude-nonexistent-v1:0", bedrocktest.MsgInvalidModel},
		{"profile-only model", []types.Message{userMessage("a")}, nil, sonnet37, bedrocktest.OnDemandUnsupportedMessage(sonnet37)},
		{"embedding model", []types.Message{userMessage("a")}, nil, titanV2, bedrocktest.MsgNotChatModel},
		{"provisioned-only model", []types.Message{userMessage("a")}, nil, haiku + ":200k", bedrocktest.MsgProvisionedOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
				ModelId: aws.String(tt.model), Messages: tt.messages, InferenceConfig: tt.config,
			})
			var ve *types.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a ValidationException", err)
			}
			if got := aws.ToString(ve.Message); got != tt.message {
				t.Errorf("message %q, want %q", got, tt.message)
			}
			if _, status := apiError(t, err); status != 400 {
				t.Errorf("status %d, want 400", status)
			}
		})
	}
}

func TestOnDemandMessageMarker(t *testing.T) {
	msg := bedrocktest.OnDemandUnsupportedMessage(sonnet37)
	if !strings.Contains(msg, bedrocktest.OnDemandUnsupportedMarker) || !strings.Contains(msg, "isn\u2019t") {
		t.Errorf("message %q lacks the marker or Bedrock's apostrophe", msg)
	}
}

func TestModelIdentifiers(t *testing.T) {
	s := bedrocktest.New(t, bedrocktest.WithApplicationProfiles())
	tests := []struct {
		name string
		id   string
		path string
	}{
		{"profile ID", usSonnet37, "/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse"},
		{
			"profile ARN", bedrocktest.ProfileARN(s.Region(), usSonnet37),
			"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse",
		},
		{
			"application profile ARN", bedrocktest.ApplicationProfileARN(s.Region(), bedrocktest.AppProfileHaiku),
			"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fk3n8x2p4q7wz/converse",
		},
		{
			"foundation model ARN", bedrocktest.ModelARN(s.Region(), haiku),
			"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fanthropic.claude-3-haiku-20240307-v1%3A0/converse",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
				ModelId: aws.String(tt.id), Messages: []types.Message{userMessage("hi")},
			})
			if err != nil {
				t.Fatal(err)
			}
			reqs := s.Requests()
			r := reqs[len(reqs)-1]
			if r.Path != tt.path || r.ModelID != tt.id {
				t.Errorf("recorded path %s model %s, want %s %s", r.Path, r.ModelID, tt.path, tt.id)
			}
		})
	}
}

func TestResponder(t *testing.T) {
	var seen []bedrocktest.Request
	s := bedrocktest.New(t,
		bedrocktest.WithReplies(bedrocktest.Reply{Text: "queued first"}),
		bedrocktest.WithResponder(func(req bedrocktest.Request) (bedrocktest.Reply, bool) {
			seen = append(seen, req)
			if strings.Contains(string(req.Body), "scripted") {
				return bedrocktest.Reply{Text: "from the responder"}, true
			}
			return bedrocktest.Reply{}, false
		}),
		bedrocktest.WithDefault(bedrocktest.Reply{Text: "the default"}),
	)
	for _, tt := range []struct{ say, want string }{
		{"scripted", "queued first"},
		{"scripted", "from the responder"},
		{"anything", "the default"},
	} {
		out, err := runtimeClient(s).Converse(ctx(t), &bedrockruntime.ConverseInput{
			ModelId: aws.String(haiku), Messages: []types.Message{userMessage(tt.say)},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.say, got, tt.want)
		}
	}
	// The queued reply answered the first request without the responder.
	if len(seen) != 2 || seen[0].Operation != bedrocktest.OpConverse || seen[0].ModelID != haiku {
		t.Errorf("responder saw %+v, want the last two Converse requests", seen)
	}
}
