package bedrock

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/outcrop/outcrop/internal/openai"
)

// TestTranslateStreamInvariants feeds the events of every stream golden
// case to a translator one at a time and checks what any OpenAI client
// relies on, independently of the expected transcripts.
func TestTranslateStreamInvariants(t *testing.T) {
	files := goldenFiles(t, "stream_")
	if len(files) == 0 {
		t.Fatal("no stream cases in testdata/translate")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			chunks := translateEvents(t, parseEvents(t, section(ar, fileEvents)))
			for _, problem := range chunkInvariantErrors(chunks, goldenMeta(goldenModel)) {
				t.Error(problem)
			}
		})
	}
}

// TestTranslateStreamChunksEncodeFast checks that the translator's
// chunks go out through openai's hand-written encoder, byte for byte as
// json.Marshal writes them: it leaves to json.Marshal only the members it
// documents (the trace, sources, reasoning details), never a plain text
// or tool chunk.
func TestTranslateStreamChunksEncodeFast(t *testing.T) {
	for _, file := range goldenFiles(t, "stream_") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range translateEvents(t, parseEvents(t, section(ar, fileEvents))) {
				want, err := json.Marshal(c)
				if err != nil {
					t.Fatal(err)
				}
				got, ok := c.AppendJSON(nil)
				switch {
				case ok && string(got) != string(want):
					t.Errorf("chunk %d: AppendJSON wrote\n%s\njson.Marshal wrote\n%s", i, got, want)
				case !ok && len(c.BedrockTrace) == 0 && len(c.Sources) == 0 && !hasReasoningDetails(c):
					t.Errorf("chunk %d: AppendJSON gave up on %s", i, want)
				}
			}
		})
	}
}

func hasReasoningDetails(c *openai.ChatCompletionChunk) bool {
	for _, ch := range c.Choices {
		if len(ch.Delta.ReasoningDetails) > 0 {
			return true
		}
	}
	return false
}

// chunkInvariantErrors checks a stream's chunks: all carry meta; the first
// has the role and no other does; every other chunk but the last has one
// choice at index 0; tool call indexes open densely from 0 and fragments
// name an open call; exactly one finish chunk, after all content; exactly
// one usage chunk, last.
func chunkInvariantErrors(chunks []*openai.ChatCompletionChunk, meta ResponseMeta) []string {
	if len(chunks) == 0 {
		return []string{"got no chunks"}
	}
	var problems []string
	report := func(i int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("chunk %d: ", i)+fmt.Sprintf(format, args...))
	}
	finishAt, usageAt, nextTool := -1, -1, 0
	for i, c := range chunks {
		if c.ID != meta.ID || c.Created != meta.Created || c.Model != meta.Model || c.Object != openai.ObjectChatCompletionChunk {
			report(i, "got id %q created %d model %q object %q, want %q %d %q %q", c.ID, c.Created, c.Model, c.Object, meta.ID, meta.Created, meta.Model, openai.ObjectChatCompletionChunk)
		}
		if usageAt >= 0 {
			report(i, "got a chunk after the usage chunk %d", usageAt)
		}
		if c.UsageOnly() {
			usageAt = i
			continue
		}
		if len(c.Choices) != 1 || c.Choices[0].Index != 0 {
			report(i, "got %d choices, want one at index 0", len(c.Choices))
			continue
		}
		ch := c.Choices[0]
		switch {
		case i == 0 && ch.Delta.Role != openai.RoleAssistant:
			report(i, "got role %q in the first chunk, want assistant", ch.Delta.Role)
		case i > 0 && ch.Delta.Role != "":
			report(i, "got role %q after the first chunk", ch.Delta.Role)
		}
		if finishAt >= 0 {
			report(i, "got a choice after the finish chunk %d", finishAt)
		}
		if ch.FinishReason != nil {
			finishAt = i
		}
		for _, tc := range ch.Delta.ToolCalls {
			switch {
			case tc.Index == nil:
				report(i, "got a tool call without index")
			case tc.ID != "" && *tc.Index != nextTool:
				report(i, "got new tool call index %d, want %d", *tc.Index, nextTool)
			case tc.ID != "":
				nextTool++
			case *tc.Index >= nextTool:
				report(i, "got arguments for tool call %d, which was not opened", *tc.Index)
			}
		}
	}
	if finishAt < 0 {
		problems = append(problems, "got no finish chunk")
	}
	if usageAt != len(chunks)-1 {
		problems = append(problems, fmt.Sprintf("got the usage chunk at %d, want it last (%d)", usageAt, len(chunks)-1))
	}
	return problems
}

// TestTranslateStreamInvariantsCheck makes sure the invariant check
// catches broken streams, so that a passing invariant test means
// something.
func TestTranslateStreamInvariantsCheck(t *testing.T) {
	meta := goldenMeta(goldenModel)
	tr := NewStreamTranslator(meta)
	role := must(tr.Translate(Event{Type: EventMessageStart, Payload: []byte(`{"role":"assistant"}`)}))
	text := must(tr.Translate(Event{Type: EventContentBlockDelta, Payload: []byte(`{"contentBlockIndex":0,"delta":{"text":"x"}}`)}))
	tool1 := must(tr.Translate(Event{Type: EventContentBlockStart, Payload: []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`)}))
	tool2 := must(tr.Translate(Event{Type: EventContentBlockStart, Payload: []byte(`{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"b","name":"f"}}}`)}))
	finish := must(tr.Translate(Event{Type: EventMessageStop, Payload: []byte(`{"stopReason":"end_turn"}`)}))
	usage := must(tr.Translate(Event{Type: EventMetadata, Payload: []byte(`{"usage":{},"metrics":{}}`)}))
	other := NewStreamTranslator(ResponseMeta{ID: "other", Created: 1, Model: "m"})
	foreign := must(other.Translate(Event{Type: EventContentBlockDelta, Payload: []byte(`{"contentBlockIndex":0,"delta":{"text":"x"}}`)}))
	tests := []struct {
		name   string
		chunks [][]*openai.ChatCompletionChunk
		want   string
	}{
		{"valid", [][]*openai.ChatCompletionChunk{role, text, tool1, tool2, finish, usage}, ""},
		{"no chunks", nil, "no chunks"},
		{"no role", [][]*openai.ChatCompletionChunk{text, finish, usage}, "first chunk"},
		{"role twice", [][]*openai.ChatCompletionChunk{role, role, finish, usage}, "after the first chunk"},
		{"tool index gap", [][]*openai.ChatCompletionChunk{role, tool2, finish, usage}, "want 0"},
		{"content after finish", [][]*openai.ChatCompletionChunk{role, finish, text, usage}, "after the finish chunk"},
		{"no finish", [][]*openai.ChatCompletionChunk{role, text, usage}, "no finish chunk"},
		{"usage not last", [][]*openai.ChatCompletionChunk{role, usage, finish}, "after the usage chunk"},
		{"two usage chunks", [][]*openai.ChatCompletionChunk{role, finish, usage, usage}, "after the usage chunk"},
		{"foreign meta", [][]*openai.ChatCompletionChunk{role, foreign[1:], finish, usage}, `got id "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks []*openai.ChatCompletionChunk
			for _, c := range tt.chunks {
				chunks = append(chunks, c...)
			}
			got := strings.Join(chunkInvariantErrors(chunks, meta), "; ")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("got problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func must(chunks []*openai.ChatCompletionChunk, err error) []*openai.ChatCompletionChunk {
	if err != nil {
		panic(err)
	}
	return chunks
}

// TestTranslateStreamErrors checks that malformed events are errors, and
// that unknown ones are not.
func TestTranslateStreamErrors(t *testing.T) {
	toolStart := Event{Type: EventContentBlockStart, Payload: []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`)}
	tests := []struct {
		name    string
		events  []Event
		wantErr string
	}{
		{"messageStart not JSON", []Event{{EventMessageStart, []byte(`{`)}}, "messageStart event"},
		{"contentBlockStart wrong type", []Event{{EventContentBlockStart, []byte(`{"contentBlockIndex":"1"}`)}}, "contentBlockStart event"},
		{"contentBlockDelta not JSON", []Event{{EventContentBlockDelta, []byte(`text`)}}, "contentBlockDelta event"},
		{"contentBlockStop wrong type", []Event{{EventContentBlockStop, []byte(`{"contentBlockIndex":[]}`)}}, "contentBlockStop event"},
		{"messageStop not an object", []Event{{EventMessageStop, []byte(`[]`)}}, "messageStop event"},
		{"metadata wrong usage", []Event{{EventMetadata, []byte(`{"usage":"many"}`)}}, "metadata event"},
		{"empty payload", []Event{{EventMetadata, nil}}, "metadata event"},
		{"tool input without start", []Event{{EventContentBlockDelta, []byte(`{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}}`)}}, "did not start as a tool call"},
		{"tool started twice", []Event{toolStart, toolStart}, "started twice"},
		{"unknown event with garbage", []Event{{"futureEvent", []byte(`not json`)}}, ""},
		{"tool input after start", []Event{toolStart, {EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{}"}}}`)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewStreamTranslator(goldenMeta(goldenModel))
			var err error
			for _, ev := range tt.events {
				if _, err = tr.Translate(ev); err != nil {
					break
				}
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestTranslateStreamChunksIndependent checks that chunks do not share
// mutable state: a chunk handed out earlier keeps its content after later
// events, since the server may still hold it.
func TestTranslateStreamChunksIndependent(t *testing.T) {
	tr := NewStreamTranslator(goldenMeta(goldenModel))
	var kept []*openai.ChatCompletionChunk
	for _, ev := range []Event{
		{EventMessageStart, []byte(`{"role":"assistant"}`)},
		{EventContentBlockStart, []byte(`{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"a","name":"f"}}}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"x\":"}}}`)},
		{EventContentBlockStart, []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"b","name":"g"}}}`)},
		{EventContentBlockDelta, []byte(`{"contentBlockIndex":1,"delta":{"toolUse":{"input":"1}"}}}`)},
	} {
		kept = append(kept, must(tr.Translate(ev))...)
	}
	var got []string
	for _, c := range kept {
		b, err := json.Marshal(c.Choices[0].Delta)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	want := []string{
		`{"role":"assistant","content":"","refusal":null}`,
		`{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":""}}]}`,
		`{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]}`,
		`{"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":""}}]}`,
		`{"tool_calls":[{"index":1,"function":{"arguments":"1}"}}]}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got deltas\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
