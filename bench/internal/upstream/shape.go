// Package upstream holds the benchmark's upstream emulators: an OpenAI
// chat-completions server (fasthttp, so that it costs the shared cores
// little) and Amazon Bedrock through the repository's own wire-exact
// emulator, bedrocktest. What each request gets back (a JSON answer or a
// stream, how long the upstream waits first, how many chunks at what
// gap) is its Shape, which travels in the model name, so one process
// serves every scenario and a gateway relays the choice without knowing
// it.
package upstream

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shape is the answer an upstream gives to one request.
type Shape struct {
	// Stream answers with an SSE (OpenAI) or event-stream (Bedrock)
	// stream instead of one JSON body.
	Stream bool
	// Delay is waited before the response header: the model's time to
	// first token.
	Delay time.Duration
	// Chunks is the number of content chunks of a stream.
	Chunks int
	// Gap is the time between two content chunks of a stream.
	Gap time.Duration
}

// marker starts the shape inside a model name.
const marker = "bench-"

// BedrockPrefix is the start of every Bedrock model ID the benchmark
// uses: Claude 3 Haiku's family, so that the gateway applies a real
// model's capabilities (system prompts, limits) to the emulated one.
const BedrockPrefix = "anthropic.claude-3-haiku-"

// Name is the shape's short form: "chat-d20" (a JSON answer after 20 ms)
// or "sse-n20-g50-d0" (20 chunks, 50 ms apart, at once).
func (s Shape) Name() string {
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	if !s.Stream {
		return "chat-d" + ms(s.Delay)
	}
	return "sse-n" + strconv.Itoa(s.Chunks) + "-g" + ms(s.Gap) + "-d" + ms(s.Delay)
}

// OpenAIModel is the model name that asks the OpenAI emulator for s.
func (s Shape) OpenAIModel() string { return marker + s.Name() }

// BedrockModel is the model ID that asks the Bedrock emulator for s.
func (s Shape) BedrockModel() string { return BedrockPrefix + marker + s.Name() }

// ShapeOf reads the shape a model name or ID asks for.
func ShapeOf(model string) (Shape, error) {
	i := strings.LastIndex(model, marker)
	if i < 0 {
		return Shape{}, fmt.Errorf("model %q names no benchmark shape (want ...%schat-d0 or ...%ssse-n20-g50-d0)", model, marker, marker)
	}
	return ParseShape(model[i+len(marker):])
}

// ParseShape parses a Shape's Name.
func ParseShape(name string) (Shape, error) {
	parts := strings.Split(name, "-")
	var s Shape
	switch parts[0] {
	case "chat":
	case "sse":
		s.Stream = true
	default:
		return Shape{}, fmt.Errorf("shape %q: want chat or sse first", name)
	}
	for _, p := range parts[1:] {
		if len(p) < 2 {
			return Shape{}, fmt.Errorf("shape %q: empty part %q", name, p)
		}
		n, err := strconv.Atoi(p[1:])
		if err != nil || n < 0 {
			return Shape{}, fmt.Errorf("shape %q: part %q wants a count after its letter", name, p)
		}
		switch {
		case p[0] == 'd':
			s.Delay = time.Duration(n) * time.Millisecond
		case p[0] == 'n' && s.Stream:
			s.Chunks = n
		case p[0] == 'g' && s.Stream:
			s.Gap = time.Duration(n) * time.Millisecond
		default:
			return Shape{}, fmt.Errorf("shape %q: unknown part %q", name, p)
		}
	}
	if s.Stream && s.Chunks < 1 {
		return Shape{}, fmt.Errorf("shape %q: a stream needs n1 or more chunks", name)
	}
	return s, nil
}
