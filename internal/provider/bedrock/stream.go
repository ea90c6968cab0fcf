package bedrock

import (
	"encoding/json"
	"fmt"
	"strings"

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
//	contentBlockDelta reasoningContent  a reasoning_content delta for text; a signature or
//	                                    redacted reasoning is kept for the finish chunk
//	contentBlockStop                    none
//	messageStop                         the finish chunk: finish_reason, and a delta with the
//	                                    answer's reasoning_details when it has signed or
//	                                    redacted reasoning (complete, not a fragment: see
//	                                    appendDetail), or else empty
//	metadata                            the usage chunk: "choices":[], usage
//	anything else                       none
//
// Tool call indexes are dense and count tool blocks only, from 0, however
// many text or reasoning blocks come before them, as OpenAI clients use
// the index to assemble each call. Empty text and input fragments produce
// no chunk. A content event before messageStart gets the role chunk first,
// so that the first chunk always has the role.
//
// With meta.ThinkTags, reasoning text is content instead, opened by
// "<think>\n" and closed by "\n</think>\n\n" before the next content, tool
// call or finish. With meta.JSONTool (the structured-output fallback), the
// json tool's input fragments are content deltas and no tool call is
// announced; text is held back until the answer shows whether it is a
// preamble to the json call (dropped) or the answer (sent before the
// finish chunk, or before a tool call of the client's); and an answer
// that called only the json tool finishes with "stop".
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
	// reasoning holds each reasoning block, in order, for the finish
	// chunk's reasoning_details.
	reasoning []reasoningBlock
	// thinking is true while a <think> block is open in the content.
	thinking bool
	// jsonBlock is the content block of the json tool's call, or -1.
	jsonBlock int
	// held is text held back in the json mode.
	held strings.Builder
}

// reasoningBlock accumulates one reasoning content block of a stream.
type reasoningBlock struct {
	index     int
	text      strings.Builder
	signature strings.Builder
	redacted  []byte
}

// NewStreamTranslator returns the translator of one stream; every chunk
// carries meta's id, created and model.
func NewStreamTranslator(meta ResponseMeta) *StreamTranslator {
	return &StreamTranslator{meta: meta, null: json.RawMessage("null"), jsonBlock: -1}
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
		return t.finish(p.StopReason), nil
	case EventMetadata:
		var p MetadataEvent
		if err := decodeEvent(ev, &p); err != nil {
			return nil, err
		}
		chunks := t.usageChunk(ToUsage(p.Usage))
		chunks[0].BedrockTrace = traceExtension(p.Trace)
		return chunks, nil
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

// blockStart opens a tool call, or the json tool's answer (which
// announces nothing); other block kinds start with no chunk.
func (t *StreamTranslator) blockStart(ev Event) ([]*openai.ChatCompletionChunk, error) {
	var p ContentBlockStartEvent
	if err := decodeEvent(ev, &p); err != nil {
		return nil, err
	}
	tu := p.Start.ToolUse
	if tu == nil {
		return nil, nil
	}
	if t.toolIndex(p.ContentBlockIndex) >= 0 || t.isJSONBlock(p.ContentBlockIndex) {
		return nil, fmt.Errorf("bedrock contentBlockStart event: block %d started twice", p.ContentBlockIndex)
	}
	if t.meta.JSONTool != "" && tu.Name == t.meta.JSONTool && t.jsonBlock < 0 {
		t.jsonBlock = p.ContentBlockIndex
		t.held.Reset()
		return t.emitAll(t.closeThink()), nil
	}
	before := [2]*chunkBox{t.closeThink(), t.releaseHeld()}
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
	if before[0] != nil || before[1] != nil {
		return t.emitAll(before[0], before[1], c), nil
	}
	return t.emit(c), nil
}

// blockDelta maps a text, tool input or reasoning fragment.
func (t *StreamTranslator) blockDelta(ev Event) ([]*openai.ChatCompletionChunk, error) {
	var p ContentBlockDeltaEvent
	if !p.decodeFast(ev.Payload) {
		p = ContentBlockDeltaEvent{}
		if err := decodeEvent(ev, &p); err != nil {
			return nil, err
		}
	}
	d := &p.Delta
	switch {
	case d.Text != nil:
		if *d.Text == "" {
			return nil, nil
		}
		if t.meta.JSONTool != "" {
			if t.jsonBlock < 0 {
				t.held.WriteString(*d.Text)
			}
			return nil, nil
		}
		c := t.newChunk()
		c.choice[0].Delta.Content = d.Text
		if t.thinking {
			return t.emitAll(t.closeThink(), c), nil
		}
		return t.emit(c), nil
	case d.ToolUse != nil && t.isJSONBlock(p.ContentBlockIndex):
		if d.ToolUse.Input == "" {
			return nil, nil
		}
		return t.emit(t.contentChunk(d.ToolUse.Input)), nil
	case d.ToolUse != nil:
		return t.toolInputDelta(p.ContentBlockIndex, d.ToolUse.Input)
	case d.ReasoningContent != nil:
		return t.reasoningDelta(p.ContentBlockIndex, d.ReasoningContent), nil
	}
	return nil, nil
}

// isJSONBlock reports whether block is the json tool's answer.
func (t *StreamTranslator) isJSONBlock(block int) bool {
	return t.jsonBlock >= 0 && block == t.jsonBlock
}

// reasoningDelta maps a fragment of reasoning: text is a reasoning_content
// delta (or content, in the <think> mode); a signature or redacted content
// is kept for the finish chunk.
func (t *StreamTranslator) reasoningDelta(block int, r *ReasoningDelta) []*openai.ChatCompletionChunk {
	acc := t.reasoningBlock(block)
	switch {
	case r.Text != nil:
		if *r.Text == "" {
			return nil
		}
		acc.text.WriteString(*r.Text)
		if !t.meta.ThinkTags {
			c := t.newChunk()
			c.choice[0].Delta.ReasoningContent = r.Text
			return t.emit(c)
		}
		if !t.thinking {
			t.thinking = true
			return t.emit(t.contentChunk(thinkStart + *r.Text))
		}
		c := t.newChunk()
		c.choice[0].Delta.Content = r.Text
		return t.emit(c)
	case r.Signature != nil:
		acc.signature.WriteString(*r.Signature)
	case len(r.RedactedContent) > 0:
		acc.redacted = append(acc.redacted, r.RedactedContent...)
	}
	return nil
}

// reasoningBlock returns the accumulator of reasoning content block
// block, opening it on its first fragment.
func (t *StreamTranslator) reasoningBlock(block int) *reasoningBlock {
	if n := len(t.reasoning); n > 0 && t.reasoning[n-1].index == block {
		return &t.reasoning[n-1]
	}
	for i := range t.reasoning {
		if t.reasoning[i].index == block {
			return &t.reasoning[i]
		}
	}
	t.reasoning = append(t.reasoning, reasoningBlock{index: block})
	return &t.reasoning[len(t.reasoning)-1]
}

// details returns the answer's reasoning_details (see appendDetail).
func (t *StreamTranslator) details() []openai.ReasoningDetail {
	var out []openai.ReasoningDetail
	for i := range t.reasoning {
		r := &t.reasoning[i]
		b := ReasoningBlock{RedactedContent: r.redacted}
		if r.signature.Len() > 0 {
			b = ReasoningBlock{ReasoningText: &ReasoningText{Text: r.text.String(), Signature: r.signature.String()}}
		}
		out = appendDetail(out, &b)
	}
	return out
}

// closeThink returns the chunk that closes an open <think> block, or nil.
func (t *StreamTranslator) closeThink() *chunkBox {
	if !t.thinking {
		return nil
	}
	t.thinking = false
	return t.contentChunk(thinkEnd)
}

// releaseHeld returns the chunk of the text held back in the json mode,
// or nil.
func (t *StreamTranslator) releaseHeld() *chunkBox {
	if t.held.Len() == 0 {
		return nil
	}
	c := t.contentChunk(t.held.String())
	t.held.Reset()
	return c
}

// contentChunk returns a chunk whose delta is the content s.
func (t *StreamTranslator) contentChunk(s string) *chunkBox {
	c := t.newChunk()
	c.str = s
	c.choice[0].Delta.Content = &c.str
	return c
}

// finish returns the finish chunk of stopReason, after what the answer
// still owes: the end of an open <think> block, and held text that turned
// out to be the answer.
func (t *StreamTranslator) finish(stopReason string) []*openai.ChatCompletionChunk {
	reason := FinishReason(stopReason)
	if t.jsonBlock >= 0 && reason == openai.FinishToolCalls && len(t.toolBlocks) == 0 {
		reason = openai.FinishStop
	}
	var held *chunkBox
	if t.jsonBlock < 0 {
		held = t.releaseHeld()
	}
	c := t.newChunk()
	c.str = reason
	c.choice[0].FinishReason = &c.str
	c.choice[0].Delta.ReasoningDetails = t.details()
	if closing := t.closeThink(); closing != nil || held != nil {
		return t.emitAll(closing, held, c)
	}
	return t.emit(c)
}

// emitAll returns the chunks of the boxes that are not nil, after the role
// chunk if it has not gone out.
func (t *StreamTranslator) emitAll(boxes ...*chunkBox) []*openai.ChatCompletionChunk {
	var out []*openai.ChatCompletionChunk
	for _, b := range boxes {
		if b == nil {
			continue
		}
		if !t.started {
			out = append(out, t.roleChunk(nil)...)
		}
		out = append(out, &b.chunk)
	}
	return out
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
