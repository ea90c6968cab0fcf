package bedrocktest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/outcrop/outcrop/internal/provider/bedrock/bedrocktest"
)

// Model IDs of the default catalogue used by the tests.
const (
	haiku       = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet37    = "anthropic.claude-3-7-sonnet-20250219-v1:0"
	usSonnet37  = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
	titanV2     = "amazon.titan-embed-text-v2:0"
	cohereEmbed = "cohere.embed-english-v3"
	llama3      = "meta.llama3-8b-instruct-v1:0"
)

// runtimeClient returns an SDK Bedrock Runtime client for s, signing with
// the long-term test credentials and making one attempt per call.
func runtimeClient(s *bedrocktest.Server, opts ...func(*bedrockruntime.Options)) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:           s.Region(),
		BaseEndpoint:     aws.String(s.URL()),
		Credentials:      bedrocktest.LongTermCredentials().Provider(),
		RetryMaxAttempts: 1,
	}, opts...)
}

// controlClient returns an SDK Bedrock (control plane) client for s.
func controlClient(s *bedrocktest.Server, opts ...func(*bedrock.Options)) *bedrock.Client {
	return bedrock.New(bedrock.Options{
		Region:           s.Region(),
		BaseEndpoint:     aws.String(s.URL()),
		Credentials:      bedrocktest.LongTermCredentials().Provider(),
		RetryMaxAttempts: 1,
	}, opts...)
}

// userMessage is a one-text-block user turn.
func userMessage(text string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: text},
	}}
}

func assistantMessage(text string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: text},
	}}
}

// apiError returns err's error code and HTTP status, failing the test if
// err is not an AWS API error.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v (%T), want an API error", err, err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

// streamEvents reads every event of a ConverseStream and returns them with
// the stream's error.
func streamEvents(t *testing.T, out *bedrockruntime.ConverseStreamOutput) ([]types.ConverseStreamOutput, error) {
	t.Helper()
	stream := out.GetStream()
	defer stream.Close()
	var evs []types.ConverseStreamOutput
	for ev := range stream.Events() {
		evs = append(evs, ev)
	}
	return evs, stream.Err()
}

// eventTypes names the events: "messageStart", "delta:<text>",
// "contentBlockStop", "messageStop:<reason>", "metadata".
func eventTypes(evs []types.ConverseStreamOutput) []string {
	var out []string
	for _, ev := range evs {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			out = append(out, "messageStart:"+string(v.Value.Role))
		case *types.ConverseStreamOutputMemberContentBlockStart:
			out = append(out, "contentBlockStart")
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				out = append(out, "delta:"+d.Value)
			case *types.ContentBlockDeltaMemberToolUse:
				out = append(out, "toolUse:"+aws.ToString(d.Value.Input))
			default:
				out = append(out, "delta:?")
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			out = append(out, "contentBlockStop")
		case *types.ConverseStreamOutputMemberMessageStop:
			out = append(out, "messageStop:"+string(v.Value.StopReason))
		case *types.ConverseStreamOutputMemberMetadata:
			out = append(out, "metadata")
		default:
			out = append(out, "unknown")
		}
	}
	return out
}

// waitFor returns the next value of ch, failing the test if none comes in
// a long while (which only happens when the code under test is broken).
func waitFor(t *testing.T, ch <-chan bedrocktest.Recorded, what string) bedrocktest.Recorded {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s notification", what)
		return bedrocktest.Recorded{}
	}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	return t.Context()
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithCancel(t.Context())
}
