package bedrock

import (
	"encoding/json"
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// marshalConverse encodes a Converse request. The usual one (text turns,
// a text system prompt, inference settings) is written by appendJSON
// without reflection; anything else goes to json.Marshal.
func marshalConverse(r *ConverseRequest) ([]byte, error) {
	if b, ok := r.appendJSON(make([]byte, 0, r.sizeHint())); ok {
		return b, nil
	}
	return json.Marshal(r)
}

// appendJSON appends r as json.Marshal writes it, and reports false (dst
// unchanged) for what it leaves to json.Marshal: any block other than
// text, tools, guardrails, additional fields, metadata and the other
// options, a nil list json.Marshal writes as null, and a float JSON
// cannot hold. TestAppendConverseJSON compares the two on every
// translation golden and on random requests.
func (r *ConverseRequest) appendJSON(dst []byte) ([]byte, bool) {
	if !r.plain() {
		return dst, false
	}
	b := append(dst, `{"messages":[`...)
	for i := range r.Messages {
		m := &r.Messages[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"role":`...)
		b = jsonx.AppendString(b, m.Role)
		b = appendTexts(append(b, `,"content":`...), m.Content, func(c *ContentBlock) string { return *c.Text })
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(r.System) > 0 {
		b = appendTexts(append(b, `,"system":`...), r.System, func(s *SystemBlock) string { return *s.Text })
	}
	if ic := r.InferenceConfig; ic != nil {
		var ok bool
		if b, ok = ic.appendJSON(append(b, `,"inferenceConfig":`...)); !ok {
			return dst, false
		}
	}
	return append(b, '}'), true
}

// appendTexts writes blocks as an array of {"text": ...} objects.
func appendTexts[T any](b []byte, blocks []T, text func(*T) string) []byte {
	b = append(b, '[')
	for i := range blocks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = jsonx.AppendString(b, text(&blocks[i]))
		b = append(b, '}')
	}
	return append(b, ']')
}

// plain reports whether r has only what appendJSON writes.
func (r *ConverseRequest) plain() bool {
	if r.Messages == nil || r.ToolConfig != nil || r.GuardrailConfig != nil ||
		len(r.AdditionalModelRequestFields) > 0 || len(r.AdditionalModelResponseFieldPaths) > 0 ||
		len(r.RequestMetadata) > 0 || r.PerformanceConfig != nil || r.ServiceTier != nil || len(r.OutputConfig) > 0 {
		return false
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Content == nil {
			return false
		}
		for j := range m.Content {
			if !m.Content[j].textOnly() {
				return false
			}
		}
	}
	for i := range r.System {
		if s := &r.System[i]; s.Text == nil || len(s.GuardContent) > 0 || s.CachePoint != nil {
			return false
		}
	}
	return true
}

func (c *ContentBlock) textOnly() bool {
	return c.Text != nil && c.Image == nil && c.Document == nil && c.ToolUse == nil && c.ToolResult == nil &&
		c.ReasoningContent == nil && c.CachePoint == nil && len(c.GuardContent) == 0 && len(c.CitationsContent) == 0
}

func (ic *InferenceConfig) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, '{')
	first := true
	member := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, name...)
	}
	if ic.MaxTokens != nil {
		member(`"maxTokens":`)
		b = strconv.AppendInt(b, int64(*ic.MaxTokens), 10)
	}
	var ok bool
	if ic.Temperature != nil {
		member(`"temperature":`)
		if b, ok = jsonx.AppendFloat(b, *ic.Temperature); !ok {
			return b, false
		}
	}
	if ic.TopP != nil {
		member(`"topP":`)
		if b, ok = jsonx.AppendFloat(b, *ic.TopP); !ok {
			return b, false
		}
	}
	if len(ic.StopSequences) > 0 {
		member(`"stopSequences":[`)
		for i, s := range ic.StopSequences {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, s)
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

// sizeHint is a capacity for the encoded request: its text plus room for
// the framing.
func (r *ConverseRequest) sizeHint() int {
	n := 128
	for i := range r.Messages {
		n += 40
		for j := range r.Messages[i].Content {
			if t := r.Messages[i].Content[j].Text; t != nil {
				n += len(*t) + 12
			}
		}
	}
	for i := range r.System {
		if t := r.System[i].Text; t != nil {
			n += len(*t) + 12
		}
	}
	return n
}
