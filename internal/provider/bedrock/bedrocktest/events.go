package bedrocktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/smithy-go/eventstream"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// ConverseStream event types: the `:event-type` of each frame.
const (
	EventMessageStart      = "messageStart"
	EventContentBlockStart = "contentBlockStart"
	EventContentBlockDelta = "contentBlockDelta"
	EventContentBlockStop  = "contentBlockStop"
	EventMessageStop       = "messageStop"
	EventMetadata          = "metadata"
	// EventChunk is InvokeModelWithResponseStream's only event type.
	EventChunk = "chunk"
)

// LatencyMs is the latencyMs every canned answer reports in its metrics.
const LatencyMs = 42

// Ev returns an event of type typ with a JSON payload.
func Ev(typ, payload string) Event { return Event{Type: typ, Payload: json.RawMessage(payload)} }

// evJSON returns an event whose payload is v marshalled.
func evJSON(typ string, v any) Event { return Event{Type: typ, Payload: mustJSON(v)} }

// MessageStart returns messageStart {"role":"assistant"}.
func MessageStart() Event { return Ev(EventMessageStart, `{"role":"assistant"}`) }

// TextDelta returns a contentBlockDelta carrying text for block index.
func TextDelta(index int, text string) Event {
	return evJSON(EventContentBlockDelta, map[string]any{
		"contentBlockIndex": index, "delta": map[string]string{"text": text},
	})
}

// ToolUseStart returns the contentBlockStart that opens a tool call.
func ToolUseStart(index int, toolUseID, name string) Event {
	return evJSON(EventContentBlockStart, map[string]any{
		"contentBlockIndex": index,
		"start":             map[string]any{"toolUse": map[string]string{"toolUseId": toolUseID, "name": name}},
	})
}

// ToolUseDelta returns a contentBlockDelta carrying a piece of a tool
// call's JSON input.
func ToolUseDelta(index int, input string) Event {
	return evJSON(EventContentBlockDelta, map[string]any{
		"contentBlockIndex": index, "delta": map[string]any{"toolUse": map[string]string{"input": input}},
	})
}

// ReasoningDelta returns a contentBlockDelta carrying reasoning text.
func ReasoningDelta(index int, text string) Event {
	return evJSON(EventContentBlockDelta, map[string]any{
		"contentBlockIndex": index, "delta": map[string]any{"reasoningContent": map[string]string{"text": text}},
	})
}

// ReasoningSignature returns a contentBlockDelta carrying the signature
// of a reasoning block.
func ReasoningSignature(index int, signature string) Event {
	return evJSON(EventContentBlockDelta, map[string]any{
		"contentBlockIndex": index, "delta": map[string]any{"reasoningContent": map[string]string{"signature": signature}},
	})
}

// BlockStop returns contentBlockStop for block index.
func BlockStop(index int) Event {
	return evJSON(EventContentBlockStop, map[string]int{"contentBlockIndex": index})
}

// MessageStop returns messageStop with stopReason.
func MessageStop(stopReason string) Event {
	return evJSON(EventMessageStop, map[string]string{"stopReason": stopReason})
}

// Metadata returns the final metadata event with usage and
// metrics.latencyMs = LatencyMs.
func Metadata(u Usage) Event {
	return evJSON(EventMetadata, map[string]any{"usage": u.wire(), "metrics": map[string]int{"latencyMs": LatencyMs}})
}

// ConverseEvents returns the stream Bedrock sends for a one-text-block
// answer: messageStart, one contentBlockDelta per piece of text (a word
// with the spaces after it; no contentBlockStart, as Bedrock sends none
// for text), contentBlockStop, messageStop and metadata.
func ConverseEvents(text, stopReason string, u Usage) []Event {
	evs := []Event{MessageStart()}
	for _, p := range Pieces(text) {
		evs = append(evs, TextDelta(0, p))
	}
	return append(evs, BlockStop(0), MessageStop(stopReason), Metadata(u))
}

// Chunk returns an InvokeModelWithResponseStream chunk event carrying one
// native model chunk (JSON), base64-encoded in {"bytes":...}.
func Chunk(native string) Event {
	return evJSON(EventChunk, map[string]string{"bytes": base64.StdEncoding.EncodeToString([]byte(native))})
}

// Exception returns a modelled exception frame for code (e.g.
// CodeThrottling), with the lowerCamel `:exception-type` Bedrock uses
// ("throttlingException") and payload {"message":...}.
func Exception(code, message string) Event {
	return Event{Kind: KindException, Type: lowerFirst(code), Payload: mustJSON(errorBody{Message: message})}
}

// ModelStreamError returns a modelStreamErrorException frame with its
// extra members.
func ModelStreamError(message string, originalStatusCode int, originalMessage string) Event {
	return Event{Kind: KindException, Type: lowerFirst(CodeModelStreamError), Payload: mustJSON(errorBody{
		Message: message, OriginalStatusCode: originalStatusCode, OriginalMessage: originalMessage,
	})}
}

// ErrorFrame returns an unmodelled error frame (`:message-type: error`).
func ErrorFrame(code, message string) Event {
	return Event{Kind: KindError, ErrorCode: code, ErrorMessage: message}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Pieces splits text the way the canned streams send it: each word with
// the whitespace that follows it. Joined, the pieces are text; their
// number is the canned token count of text.
func Pieces(text string) []string {
	var out []string
	start, inSpace := 0, true
	for i, r := range text {
		space := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if !space && inSpace && i > start {
			if strings.TrimSpace(text[start:i]) != "" {
				out = append(out, text[start:i])
				start = i
			}
		}
		inSpace = space
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// padAlphabet is what Bedrock's "p" padding is cut from: a prefix of
// a-z, A-Z, 0-9 of random length.
const padAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// encodeFrame renders ev as one event-stream message. pad returns the
// padding to add to an event payload ("" for none).
func encodeFrame(enc *eventstream.Encoder, ev Event, pad func() string) ([]byte, error) {
	var msg eventstream.Message
	switch ev.Kind {
	case KindEvent:
		// Header order as captured from real Bedrock.
		msg.Headers.Set(eventstream.EventTypeHeader, eventstream.StringValue(ev.Type))
		msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
		msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.EventMessageType))
		payload, err := padded(ev.Payload, pad())
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", ev.Type, err)
		}
		msg.Payload = payload
	case KindException:
		msg.Headers.Set(eventstream.ExceptionTypeHeader, eventstream.StringValue(ev.Type))
		msg.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
		msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.ExceptionMessageType))
		msg.Payload = ev.Payload
	case KindError:
		msg.Headers.Set(eventstream.ErrorCodeHeader, eventstream.StringValue(ev.ErrorCode))
		msg.Headers.Set(eventstream.ErrorMessageHeader, eventstream.StringValue(ev.ErrorMessage))
		msg.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(eventstream.ErrorMessageType))
		msg.Payload = ev.Payload
	}
	var b bytes.Buffer
	if err := enc.Encode(&b, msg); err != nil {
		return nil, fmt.Errorf("encode frame: %w", err)
	}
	frame := b.Bytes()
	if ev.Corrupt {
		frame[len(frame)-1] ^= 0xff // the last byte of the message CRC
	}
	return frame, nil
}

// padded appends "p":pad to a JSON object payload that has no "p" yet.
func padded(payload json.RawMessage, pad string) ([]byte, error) {
	if pad == "" || len(payload) == 0 {
		return payload, nil
	}
	if _, ok, err := jsonx.Find(payload, "p"); err != nil || ok {
		return payload, err
	}
	return jsonx.Set(payload, "p", []byte(`"`+pad+`"`))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("bedrocktest: marshal: %v", err)) // only plain values are marshalled
	}
	return b
}
