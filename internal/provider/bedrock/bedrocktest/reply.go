package bedrocktest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Operation names, as AWS names them; Reply.Operation and
// Recorded.Operation use them.
const (
	OpConverse                      = "Converse"
	OpConverseStream                = "ConverseStream"
	OpInvokeModel                   = "InvokeModel"
	OpInvokeModelWithResponseStream = "InvokeModelWithResponseStream"
	OpCountTokens                   = "CountTokens"
	OpListFoundationModels          = "ListFoundationModels"
	OpGetFoundationModel            = "GetFoundationModel"
	OpListInferenceProfiles         = "ListInferenceProfiles"
	OpGetInferenceProfile           = "GetInferenceProfile"
)

// isRuntime reports whether op is a Bedrock Runtime operation (one a Reply
// without Operation applies to).
func isRuntime(op string) bool {
	switch op {
	case OpConverse, OpConverseStream, OpInvokeModel, OpInvokeModelWithResponseStream, OpCountTokens:
		return true
	}
	return false
}

// Reply scripts how the emulator answers one request. The zero Reply is the
// canned answer; its fields change or replace it. Requests are checked
// first (authentication, model ID, request validation); a Reply only
// answers a request that passed, and is used up by it.
type Reply struct {
	// Operation restricts the reply to one operation (OpConverse, ...).
	// Empty means any runtime operation; control-plane operations only
	// take replies that name them.
	Operation string
	// Error, when set, is the answer: an HTTP error before any stream.
	Error *Error
	// Latency is waited before the response header, on top of the
	// server's header latency (WithHeaderLatency).
	Latency time.Duration
	// Header is set on the response over the emulator's own headers.
	Header http.Header

	// Body, when non-nil, is the whole body of a non-stream answer
	// (Converse, InvokeModel, CountTokens, control plane), written byte
	// for byte with Status (zero means 200) and Content-Type
	// application/json unless Header sets another.
	Body   []byte
	Status int

	// Text replaces the canned assistant text of Converse, ConverseStream,
	// InvokeModel and InvokeModelWithResponseStream.
	Text string
	// Content, when set, is Converse's output.message.content (a JSON
	// array of content blocks) instead of one text block.
	Content json.RawMessage
	// StopReason replaces the canned stop reason.
	StopReason string
	// Usage replaces the canned token counts.
	Usage *Usage

	// Events, when non-nil, is the whole event list of a stream answer
	// (ConverseStream, InvokeModelWithResponseStream) instead of the
	// canned one.
	Events []Event
	// EventDelay is waited before each stream event but the first.
	EventDelay time.Duration
	// Fault breaks the stream after some events.
	Fault *Fault
}

// Usage is token accounting. TotalTokens zero means input + output +
// cacheRead + cacheWrite.
type Usage struct {
	InputTokens           int
	OutputTokens          int
	CacheReadInputTokens  int
	CacheWriteInputTokens int
	TotalTokens           int
}

// Total is TotalTokens, or the sum of the others when it is zero.
func (u Usage) Total() int {
	if u.TotalTokens != 0 {
		return u.TotalTokens
	}
	return u.InputTokens + u.OutputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
}

// usageJSON is Converse's TokenUsage shape, members in Bedrock's order.
type usageJSON struct {
	CacheReadInputTokens  int `json:"cacheReadInputTokens,omitempty"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens,omitempty"`
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
}

func (u Usage) wire() usageJSON {
	return usageJSON{
		CacheReadInputTokens: u.CacheReadInputTokens, CacheWriteInputTokens: u.CacheWriteInputTokens,
		InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.Total(),
	}
}

// MessageKind is the `:message-type` of a frame.
type MessageKind int

const (
	// KindEvent is a normal event: `:message-type: event`.
	KindEvent MessageKind = iota
	// KindException is a modelled exception: `:message-type: exception`
	// and `:exception-type: <Type>`.
	KindException
	// KindError is an unmodelled error: `:message-type: error`,
	// `:error-code`, `:error-message`, empty payload.
	KindError
)

// Event is one frame of an event stream.
type Event struct {
	// Kind is the frame's message type; the zero value is an event.
	Kind MessageKind
	// Type is the `:event-type` of an event (e.g. "contentBlockDelta",
	// "chunk") or the `:exception-type` of an exception (lowerCamel, e.g.
	// "throttlingException").
	Type string
	// Payload is the frame's JSON payload. Events get a "p" padding
	// member appended unless they have one or padding is off
	// (WithoutPadding).
	Payload json.RawMessage
	// ErrorCode and ErrorMessage are the headers of a KindError frame.
	ErrorCode    string
	ErrorMessage string
	// Delay is waited before this frame, on top of Reply.EventDelay.
	Delay time.Duration
	// Corrupt sends the frame with a wrong message CRC.
	Corrupt bool
	// Truncate sends the first half of the frame, then closes the
	// connection.
	Truncate bool
}

// Break is what a Fault without an Event does to the stream.
type Break int

const (
	// BreakCut closes the connection before the next frame.
	BreakCut Break = iota
	// BreakTruncate sends half of the next frame, then closes the
	// connection.
	BreakTruncate
	// BreakCorrupt sends the next frame with a wrong CRC, then ends the
	// response normally.
	BreakCorrupt
)

// Fault interrupts a stream after After frames.
type Fault struct {
	// After is the number of frames written before the fault.
	After int
	// Event, when set, is sent in place of the rest of the stream (an
	// exception or error frame), after which the response ends normally.
	Event *Event
	// Break applies when Event is nil.
	Break Break
}

// ExceptionAfter returns a Fault that sends the exception code (e.g.
// CodeThrottling) with message after n frames.
func ExceptionAfter(n int, code, message string) *Fault {
	ev := Exception(code, message)
	return &Fault{After: n, Event: &ev}
}

// ErrorFrameAfter returns a Fault that sends an unmodelled error frame
// after n frames.
func ErrorFrameAfter(n int, code, message string) *Fault {
	ev := ErrorFrame(code, message)
	return &Fault{After: n, Event: &ev}
}

// CutAfter returns a Fault that closes the connection after n frames.
func CutAfter(n int) *Fault { return &Fault{After: n} }

// TruncateAfter returns a Fault that sends half of frame n+1, then closes
// the connection.
func TruncateAfter(n int) *Fault { return &Fault{After: n, Break: BreakTruncate} }

// CorruptAfter returns a Fault that sends frame n+1 with a bad CRC.
func CorruptAfter(n int) *Fault { return &Fault{After: n, Break: BreakCorrupt} }
