package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
)

// Reply scripts how the emulator answers one request. The zero Reply is the
// canned answer of the endpoint; its fields change or replace it.
type Reply struct {
	// Status is the response status; zero means 200, or the canned
	// answer's own status. A Status with a nil Body gets an OpenAI-shaped
	// error body for that status.
	Status int
	// Header is set on the response, over the emulator's defaults
	// (Content-Type, X-Request-Id).
	Header http.Header
	// Body, when non-nil, is the whole response body, written byte for
	// byte. When the Content-Type is text/event-stream it is written event
	// by event (an event ends at a blank line), flushed after each, with
	// ChunkDelay and Fault applied. Nil: the canned answer.
	Body []byte
	// Latency is waited before the response header is written.
	Latency time.Duration
	// ChunkDelay is waited before each stream event but the first.
	ChunkDelay time.Duration
	// Fault, when set, breaks a stream after some events.
	Fault *Fault
}

// Fault breaks a stream after After events.
type Fault struct {
	// After is the number of events written before the fault.
	After int
	// Event, when set, is sent as one `data:` event (a mid-stream error,
	// e.g. ErrorBody's output), after which the response ends without
	// [DONE]. When nil the connection is cut: closed without the chunked
	// terminator, as when an upstream dies.
	Event []byte
	// Partial, for a cut, first writes half of the next event.
	Partial bool
}

// CutAfter returns a Fault that cuts the connection after n events.
func CutAfter(n int) *Fault { return &Fault{After: n} }

// ErrorEventAfter returns a Fault that sends the error e as an event after
// n events, as OpenAI does when a stream fails midway.
func ErrorEventAfter(n int, e *openai.Error) *Fault {
	return &Fault{After: n, Event: ErrorBody(e)}
}

// ErrorBody returns OpenAI's error envelope for e:
// {"error":{"message","type","param","code"}}.
func ErrorBody(e *openai.Error) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("openaitest: marshal error: %v", err)) // a plain struct cannot fail
	}
	return b
}

// ErrorReply returns an OpenAI-shaped error answer with e's status.
func ErrorReply(e *openai.Error) Reply {
	return Reply{Status: e.Status, Header: jsonHeader(), Body: ErrorBody(e)}
}

// AzureErrorReply returns an Azure-shaped error answer,
// {"error":{"code":code,"message":message}}; Azure's codes are often the
// status as a string ("429").
func AzureErrorReply(status int, code, message string) Reply {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return Reply{Status: status, Header: jsonHeader(), Body: body}
}

// RateLimited returns OpenAI's 429 with a Retry-After header in seconds.
func RateLimited(retryAfter time.Duration) Reply {
	r := ErrorReply(&openai.Error{
		Status:  http.StatusTooManyRequests,
		Type:    "requests",
		Code:    "rate_limit_exceeded",
		Message: "Rate limit reached for requests. Please try again later.",
	})
	r.Header.Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
	return r
}

// AzureRateLimited returns Azure OpenAI's 429, whose code is the string
// "429", with a Retry-After header in seconds.
func AzureRateLimited(retryAfter time.Duration) Reply {
	secs := int(retryAfter.Seconds())
	r := AzureErrorReply(http.StatusTooManyRequests, "429", fmt.Sprintf(
		"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current tier. Please retry after %d seconds.", secs))
	r.Header.Set("Retry-After", strconv.Itoa(secs))
	return r
}

// RawReply returns an answer with any status, content type and body, e.g. a
// proxy's HTML 502 page.
func RawReply(status int, contentType string, body []byte) Reply {
	return Reply{Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
}

// StreamReply returns a stream of the given `data:` payloads, one event
// each, followed by `data: [DONE]`.
func StreamReply(events ...string) Reply {
	var b bytes.Buffer
	for _, ev := range events {
		b.WriteString("data: ")
		b.WriteString(ev)
		b.WriteString("\n\n")
	}
	b.WriteString("data: [DONE]\n\n")
	return Reply{Header: sseHeader(), Body: b.Bytes()}
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

func sseHeader() http.Header {
	return http.Header{"Content-Type": {"text/event-stream; charset=utf-8"}}
}

// over returns the canned answer c with r's delays and fault.
func (r Reply) over(c Reply) Reply {
	c.Latency, c.ChunkDelay, c.Fault = r.Latency, r.ChunkDelay, r.Fault
	for k, v := range r.Header {
		if c.Header == nil {
			c.Header = http.Header{}
		}
		c.Header[k] = v
	}
	return c
}
