package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// EventChunk is the only event type of InvokeModelWithResponseStream
// (wire.md §1.2).
const EventChunk = "chunk"

// NativeStreamDecoder reads the chunks of one InvokeModelWithResponseStream
// answer, in any of the native formats, and keeps what the Final chunk
// reports. It is pure and used by one goroutine.
//
// The families' chunks are told apart by their members, which do not
// overlap, so one decoding serves every family, a model of no known family
// included:
//
//	family            text                                   stop reason, usage
//	Anthropic         content_block_delta text_delta         message_delta stop_reason and usage.output_tokens,
//	                  (thinking, signature and tool input    message_start message.usage (wire.md §4.1)
//	                  deltas are not the answer)
//	Llama             generation                             stop_reason, prompt_token_count,
//	                                                         generation_token_count (wire.md §4.4)
//	Mistral           outputs[0].text                        outputs[0].stop_reason
//	Titan Text        outputText (result 0)                  completionReason, inputTextTokenCount,
//	                                                         totalOutputTextTokenCount
//	Nova              contentBlockDelta.delta.text           messageStop.stopReason, metadata.usage
//	Cohere Command    text (generation 0), generations[0]    finish_reason
//	Cohere Command R  text of text-generation events         finish_reason of stream-end
//	OpenAI shape      choices[index 0] delta.content,        finish_reason or stop_reason, usage
//	                  message.content or text
//
// Bedrock adds amazon-bedrock-invocationMetrics (inputTokenCount,
// outputTokenCount and cache counts) to the last chunk of every family;
// they are the Final chunk's usage, over the model's own counts.
type NativeStreamDecoder struct {
	stop    string
	usage   *TokenUsage // the model's own counts
	metrics *TokenUsage // amazon-bedrock-invocationMetrics
}

// NewNativeStreamDecoder returns the decoder of one stream.
func NewNativeStreamDecoder() *NativeStreamDecoder { return &NativeStreamDecoder{} }

// nativeChunk is the union of the families' stream chunks (see
// NativeStreamDecoder). Unknown members, Bedrock's "p" padding among them,
// are ignored.
type nativeChunk struct {
	// Anthropic.
	Message *struct {
		Usage *anthropicUsage `json:"usage"`
	} `json:"message"`
	Delta *struct {
		Type       string  `json:"type"`
		Text       string  `json:"text"`
		StopReason *string `json:"stop_reason"`
	} `json:"delta"`
	// Usage is Anthropic's message_delta usage or the OpenAI shape's.
	Usage *struct {
		anthropicUsage
		choiceUsage
	} `json:"usage"`
	// Llama.
	Generation       *string `json:"generation"`
	PromptTokens     *int    `json:"prompt_token_count"`
	GenerationTokens *int    `json:"generation_token_count"`
	StopReason       *string `json:"stop_reason"`
	// Mistral.
	Outputs []struct {
		Text       string  `json:"text"`
		StopReason *string `json:"stop_reason"`
	} `json:"outputs"`
	// Titan Text; Index is also Cohere's generation index.
	OutputText       *string `json:"outputText"`
	Index            *int    `json:"index"`
	CompletionReason *string `json:"completionReason"`
	InputTextTokens  *int    `json:"inputTextTokenCount"`
	OutputTextTokens *int    `json:"totalOutputTextTokenCount"`
	// Nova.
	ContentBlockDelta *struct {
		Delta struct {
			Text *string `json:"text"`
		} `json:"delta"`
	} `json:"contentBlockDelta"`
	MessageStop *struct {
		StopReason string `json:"stopReason"`
	} `json:"messageStop"`
	Metadata *struct {
		Usage *novaUsage `json:"usage"`
	} `json:"metadata"`
	// Cohere.
	Text         *string `json:"text"`
	EventType    string  `json:"event_type"`
	FinishReason *string `json:"finish_reason"`
	Generations  []struct {
		Text string `json:"text"`
	} `json:"generations"`
	// The OpenAI shape.
	Choices []choice `json:"choices"`
	// Bedrock's own.
	Metrics *struct {
		InputTokenCount  int `json:"inputTokenCount"`
		OutputTokenCount int `json:"outputTokenCount"`
		CacheRead        int `json:"cacheReadInputTokenCount"`
		CacheWrite       int `json:"cacheWriteInputTokenCount"`
	} `json:"amazon-bedrock-invocationMetrics"`
}

// Event reads one chunk event's payload, {"bytes":"<base64 of a native
// chunk>"} (wire.md §1.2), and returns the chunk's text.
func (d *NativeStreamDecoder) Event(payload []byte) (string, error) {
	var part struct {
		Bytes []byte `json:"bytes"` // encoding/json decodes the base64
	}
	if err := json.Unmarshal(payload, &part); err != nil {
		return "", fmt.Errorf("bedrock chunk event: %w", err)
	}
	if part.Bytes == nil {
		return "", errors.New("bedrock chunk event without bytes")
	}
	return d.Chunk(part.Bytes)
}

// Chunk reads one native chunk (JSON) and returns its text, "" when it
// has none.
func (d *NativeStreamDecoder) Chunk(native []byte) (string, error) {
	var c nativeChunk
	if err := json.Unmarshal(native, &c); err != nil {
		return "", fmt.Errorf("bedrock native chunk: %w", err)
	}
	d.note(&c)
	return c.text(), nil
}

// text returns the chunk's answer text.
func (c *nativeChunk) text() string {
	text := deref(c.Generation)
	if c.Delta != nil && c.Delta.Type == "text_delta" {
		text += c.Delta.Text
	}
	if len(c.Outputs) > 0 {
		text += c.Outputs[0].Text
	}
	if c.ContentBlockDelta != nil {
		text += deref(c.ContentBlockDelta.Delta.Text)
	}
	// Titan and Cohere number their candidates; the first is the answer.
	if c.Index == nil || *c.Index == 0 {
		text += deref(c.OutputText)
		// Command R's other events (tool plans, citations, the
		// stream-end's whole response) are not answer pieces.
		if c.EventType == "" || c.EventType == "text-generation" {
			text += deref(c.Text)
		}
	}
	if len(c.Generations) > 0 {
		text += c.Generations[0].Text
	}
	for i := range c.Choices {
		if c.Choices[i].Index == 0 {
			t, _ := c.Choices[i].text()
			text += t
		}
	}
	return text
}

// note keeps the chunk's stop reason and token counts.
func (d *NativeStreamDecoder) note(c *nativeChunk) {
	stops := []*string{c.StopReason, c.CompletionReason, c.FinishReason}
	if c.Delta != nil {
		stops = append(stops, c.Delta.StopReason)
	}
	if len(c.Outputs) > 0 {
		stops = append(stops, c.Outputs[0].StopReason)
	}
	if c.MessageStop != nil {
		stops = append(stops, &c.MessageStop.StopReason)
	}
	for i := range c.Choices {
		if c.Choices[i].Index == 0 {
			_, stop := c.Choices[i].text()
			stops = append(stops, &stop)
		}
	}
	for _, s := range stops {
		if s != nil && *s != "" {
			d.stop = *s
		}
	}
	d.noteUsage(c)
}

// noteUsage keeps the model's own token counts, the latest of each, and
// Bedrock's invocation metrics.
func (d *NativeStreamDecoder) noteUsage(c *nativeChunk) {
	if c.Message != nil && c.Message.Usage != nil {
		d.usage = c.Message.Usage.tokens()
	}
	if u := c.Usage; u != nil {
		d.count(u.InputTokens, u.OutputTokens)
		d.count(u.PromptTokens, u.CompletionTokens)
		if u.CacheReadInputTokens != 0 || u.CacheCreationInputTokens != 0 {
			t := d.tokens()
			t.CacheReadInputTokens, t.CacheWriteInputTokens = u.CacheReadInputTokens, u.CacheCreationInputTokens
		}
	}
	d.count(c.PromptTokens, c.GenerationTokens)
	d.count(c.InputTextTokens, c.OutputTextTokens)
	if c.Metadata != nil && c.Metadata.Usage != nil {
		d.usage = c.Metadata.Usage.tokens()
	}
	if m := c.Metrics; m != nil {
		d.metrics = &TokenUsage{
			InputTokens: m.InputTokenCount, OutputTokens: m.OutputTokenCount,
			CacheReadInputTokens: m.CacheRead, CacheWriteInputTokens: m.CacheWrite,
		}
	}
}

// count sets the input and output counts that are given.
func (d *NativeStreamDecoder) count(input, output *int) {
	if input != nil {
		d.tokens().InputTokens = *input
	}
	if output != nil {
		d.tokens().OutputTokens = *output
	}
}

// tokens returns the model's counts, allocated on first use.
func (d *NativeStreamDecoder) tokens() *TokenUsage {
	if d.usage == nil {
		d.usage = &TokenUsage{}
	}
	return d.usage
}

// Complete reports whether Bedrock's invocation metrics, which it adds to
// the last chunk, arrived: before them the answer may be cut.
func (d *NativeStreamDecoder) Complete() bool { return d.metrics != nil }

// Final returns the stream's Final chunk: the stop reason, and the usage
// of the invocation metrics, else the model's own counts, else none.
func (d *NativeStreamDecoder) Final() *provider.NativeChunk {
	ch := &provider.NativeChunk{Final: true, StopReason: d.stop}
	u := d.metrics
	if u == nil {
		u = d.usage
	}
	if u != nil {
		ch.Usage = ToUsage(*u)
	}
	return ch
}

// nativeStream hands out the text chunks of an
// InvokeModelWithResponseStream answer, then its Final chunk. No
// goroutine runs behind it.
type nativeStream struct {
	es   *EventStream
	dec  *NativeStreamDecoder
	name string
	err  error // sticky: io.EOF after the Final chunk, or the failure
}

// Recv returns the next chunk with text, then the Final chunk, then
// io.EOF. An exception frame comes back as EventStream.Recv returns it
// (the *provider.UpstreamError ChatCompletionStream's Recv returns too); a
// chunk that does not decode, and an end before Bedrock's invocation
// metrics, are 502s.
func (s *nativeStream) Recv() (*provider.NativeChunk, error) {
	for s.err == nil {
		ev, err := s.es.Recv()
		switch {
		case errors.Is(err, io.EOF) && s.dec.Complete():
			s.err = io.EOF
			return s.dec.Final(), nil
		case errors.Is(err, io.EOF):
			s.err = s.incomplete()
		case err != nil:
			s.err = err
		case ev.Type == EventChunk:
			text, err := s.dec.Event(ev.Payload)
			if err != nil {
				s.err = fmt.Errorf("bedrock %s: %w", s.name, badAnswer(err, s.es.RequestID()))
				_ = s.es.Close()
			} else if text != "" {
				return &provider.NativeChunk{Text: text}, nil
			}
		}
	}
	return nil, s.err
}

// incomplete is the 502 for a stream that ended before Bedrock's
// invocation metrics: cut between two frames, which the event stream
// cannot tell from its end.
func (s *nativeStream) incomplete() error {
	return fmt.Errorf("bedrock %s: %w", s.name, &provider.UpstreamError{
		Status:    http.StatusBadGateway,
		Err:       &openai.Error{Status: http.StatusBadGateway, Type: openai.TypeUpstream, Message: "the upstream ended the stream before the answer was complete"},
		RequestID: s.es.RequestID(),
		Cause:     errors.New("event stream ended before amazon-bedrock-invocationMetrics"),
	})
}

// Close releases the stream; see EventStream.Close.
func (s *nativeStream) Close() error { return s.es.Close() }
