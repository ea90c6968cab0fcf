package bedrock

import (
	"encoding/json"
	"fmt"

	"github.com/outcrop/outcrop/internal/openai"
)

// StreamTranslator turns the events of one ConverseStream answer into
// OpenAI chunks. It holds the stream's state (whether the role chunk went
// out, which content blocks are tool calls) and is used by one goroutine.
//
//	event                               chunks
//	messageStart                        the role chunk {"role":"assistant","content":"","refusal":null}
//	contentBlockStart toolUse           a tool_calls delta with index, id, type, name and arguments ""
//	contentBlockDelta text              a content delta
//	contentBlockDelta toolUse           a tool_calls delta {"index","function":{"arguments"}}
//	contentBlockDelta reasoningContent  a reasoning_content delta (text only; signatures and
//	                                    redacted reasoning have no OpenAI form)
//	contentBlockStop                    none
//	messageStop                         the finish chunk: empty delta, finish_reason
//	metadata                            the usage chunk: "choices":[], usage
//	anything else                       none
//
// Tool call indexes are dense and count tool blocks only, from 0, however
// many text or reasoning blocks come before them, as OpenAI clients use
// the index to assemble each call. Empty text and input fragments produce
// no chunk. A content event before messageStart gets the role chunk first,
// so that the first chunk always has the role.
type StreamTranslator struct {
	meta ResponseMeta
	// started is true once the role chunk went out.
	started bool
	// toolBlocks holds, for each tool call in order, its Bedrock content
	// block index: the position is the OpenAI tool call index.
	toolBlocks []int
	// null is the JSON null written as each choice's logprobs, as OpenAI
	// writes it; shared by every chunk of the stream.
	null json.RawMessage
}

// NewStreamTranslator returns the translator of one stream; every chunk
// carries meta's id, created and model.
func NewStreamTranslator(meta ResponseMeta) *StreamTranslator {
	return &StreamTranslator{meta: meta, null: json.RawMessage("null")}
}

// Translate turns one event into zero or more chunks. The metadata event
// always yields the usage-only chunk (empty choices, usage set); the
// server drops it when the client did not ask for usage (see
// openai.ChatCompletionChunk.UsageOnly). A payload that does not decode,
// or a tool input fragment for a block that did not start as a tool call,
// is an error.
func (t *StreamTranslator) Translate(ev Event) ([]*openai.ChatCompletionChunk, error) {
	switch ev.Type {
	case EventMessageStart:
		var p MessageStartEvent
		if err := decodeEvent(ev, &p); err != nil {
			return nil, err
		}
		return t.roleChunk(nil), nil
	case EventContentBlockStart:
		return t.blockStart(ev)
	case EventContentBlockDelta:
		return t.blockDelta(ev)
	case EventContentBlockStop:
		var p ContentBlockStopEvent
		return nil, decodeEvent(ev, &p)
	case EventMessageStop:
		var p MessageStopEvent
		if err := decodeEvent(ev, &p); err != nil {
			return nil, err
		}
		return t.finishChunk(FinishReason(p.StopReason)), nil
	case EventMetadata:
		var p MetadataEvent
		if err := decodeEvent(ev, &p); err != nil {
			return nil, err
		}
		return t.usageChunk(ToUsage(p.Usage)), nil
	}
	return nil, nil
}

// decodeEvent unmarshals an event's payload. Unknown members, among them
// Bedrock's "p" padding, are ignored.
func decodeEvent(ev Event, v any) error {
	if err := json.Unmarshal(ev.Payload, v); err != nil {
		return fmt.Errorf("bedrock %s event: %w", ev.Type, err)
	}
	return nil
}

// blockStart opens a tool call; other block kinds start with no chunk.
func (t *StreamTranslator) blockStart(ev Event) ([]*openai.ChatCompletionChunk, error) {
	var p ContentBlockStartEvent
	if err := decodeEvent(ev, &p); err != nil {
		return nil, err
	}
	tu := p.Start.ToolUse
	if tu == nil {
		return nil, nil
	}
	if t.toolIndex(p.ContentBlockIndex) >= 0 {
		return nil, fmt.Errorf("bedrock contentBlockStart event: block %d started twice", p.ContentBlockIndex)
	}
	t.toolBlocks = append(t.toolBlocks, p.ContentBlockIndex)
	c := t.newChunk()
	c.call[0] = openai.ToolCall{
		Index:    &c.index,
		ID:       tu.ToolUseID,
		Type:     "function",
		Function: openai.FunctionCall{Name: tu.Name},
	}
	c.index = len(t.toolBlocks) - 1
	c.choice[0].Delta.ToolCalls = c.call[:]
	return t.emit(c), nil
}

// blockDelta maps a text, tool input or reasoning fragment.
func (t *StreamTranslator) blockDelta(ev Event) ([]*openai.ChatCompletionChunk, error) {
	var p ContentBlockDeltaEvent
	if err := decodeEvent(ev, &p); err != nil {
		return nil, err
	}
	d := &p.Delta
	switch {
	case d.Text != nil:
		if *d.Text == "" {
			return nil, nil
		}
		c := t.newChunk()
		c.choice[0].Delta.Content = d.Text
		return t.emit(c), nil
	case d.ToolUse != nil:
		return t.toolInputDelta(p.ContentBlockIndex, d.ToolUse.Input)
	case d.ReasoningContent != nil && d.ReasoningContent.Text != nil:
		if *d.ReasoningContent.Text == "" {
			return nil, nil
		}
		c := t.newChunk()
		c.choice[0].Delta.ReasoningContent = d.ReasoningContent.Text
		return t.emit(c), nil
	}
	return nil, nil
}

// toolInputDelta maps a fragment of a tool call's arguments.
func (t *StreamTranslator) toolInputDelta(block int, input string) ([]*openai.ChatCompletionChunk, error) {
	i := t.toolIndex(block)
	if i < 0 {
		return nil, fmt.Errorf("bedrock contentBlockDelta event: tool input for block %d, which did not start as a tool call", block)
	}
	if input == "" {
		return nil, nil
	}
	c := t.newChunk()
	c.index = i
	c.call[0] = openai.ToolCall{Index: &c.index, Function: openai.FunctionCall{Arguments: input}}
	c.choice[0].Delta.ToolCalls = c.call[:]
	return t.emit(c), nil
}

// toolIndex returns the OpenAI index of the tool call in content block
// block, or -1. Answers hold few tool calls, and deltas go to the latest,
// so the search runs backwards.
func (t *StreamTranslator) toolIndex(block int) int {
	for i := len(t.toolBlocks) - 1; i >= 0; i-- {
		if t.toolBlocks[i] == block {
			return i
		}
	}
	return -1
}

// chunkBox holds a one-choice chunk and what its pointers point to, so
// that a chunk costs one allocation.
type chunkBox struct {
	chunk  openai.ChatCompletionChunk
	choice [1]openai.ChunkChoice
	call   [1]openai.ToolCall
	index  int
	// str backs the chunk's one string pointer (the finish reason, or the
	// role chunk's empty content).
	str  string
	list [1]*openai.ChatCompletionChunk
}

// newChunk returns a chunk with one choice and an empty delta.
func (t *StreamTranslator) newChunk() *chunkBox {
	c := &chunkBox{}
	c.chunk = openai.ChatCompletionChunk{
		ID:      t.meta.ID,
		Object:  openai.ObjectChatCompletionChunk,
		Created: t.meta.Created,
		Model:   t.meta.Model,
		Choices: c.choice[:],
	}
	c.choice[0].Logprobs = t.null
	c.list[0] = &c.chunk
	return c
}

// emit returns c's chunk, after the role chunk if it has not gone out.
func (t *StreamTranslator) emit(c *chunkBox) []*openai.ChatCompletionChunk {
	if t.started {
		return c.list[:]
	}
	return t.roleChunk(&c.chunk)
}

// roleChunk returns the role chunk, followed by next if not nil. After the
// first call it returns only next: a repeated messageStart opens nothing.
func (t *StreamTranslator) roleChunk(next *openai.ChatCompletionChunk) []*openai.ChatCompletionChunk {
	if t.started {
		if next == nil {
			return nil
		}
		return []*openai.ChatCompletionChunk{next}
	}
	t.started = true
	c := t.newChunk()
	c.choice[0].Delta = openai.Delta{Role: openai.RoleAssistant, Content: &c.str, NullRefusal: true}
	if next == nil {
		return c.list[:]
	}
	return []*openai.ChatCompletionChunk{&c.chunk, next}
}

// finishChunk returns the chunk with the finish reason and an empty delta.
func (t *StreamTranslator) finishChunk(reason string) []*openai.ChatCompletionChunk {
	c := t.newChunk()
	c.str = reason
	c.choice[0].FinishReason = &c.str
	return t.emit(c)
}

// usageChunk returns the usage-only chunk: no choices, usage set.
func (t *StreamTranslator) usageChunk(u *openai.Usage) []*openai.ChatCompletionChunk {
	c := &chunkBox{}
	c.chunk = openai.ChatCompletionChunk{
		ID:      t.meta.ID,
		Object:  openai.ObjectChatCompletionChunk,
		Created: t.meta.Created,
		Model:   t.meta.Model,
		Choices: c.choice[:0],
		Usage:   u,
	}
	c.list[0] = &c.chunk
	return c.list[:]
}
