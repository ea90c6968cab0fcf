package bedrock

import (
	"encoding/json"
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// marshalConverse encodes a Converse request. The usual one (text turns,
// a text system prompt, inference settings) is written by appendPlain
// without reflection; anything else goes to json.Marshal.
func marshalConverse(r *ConverseRequest) ([]byte, error) {
	if size, ok := r.plain(); ok {
		if b, ok := r.appendPlain(make([]byte, 0, size)); ok {
			return b, nil
		}
	}
	return json.Marshal(r)
}

// appendPlain appends a request plain accepted as json.Marshal writes
// it, and reports false (dst unchanged) for a float JSON cannot hold.
// TestAppendConverseJSON compares the two on every translation golden
// and on random requests.
func (r *ConverseRequest) appendPlain(dst []byte) ([]byte, bool) {
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

// plain reports whether r has only what appendPlain writes: no block
// other than text, no tools, guardrails, additional fields, metadata or
// other options, and no nil list (json.Marshal writes it as null). It
// returns a capacity for the encoding too: the text plus room for the
// framing. TestConverseFieldsKnown fails when a type gains a field this
// does not look at.
func (r *ConverseRequest) plain() (int, bool) {
	if r.Messages == nil || r.ToolConfig != nil || r.GuardrailConfig != nil ||
		len(r.AdditionalModelRequestFields) > 0 || len(r.AdditionalModelResponseFieldPaths) > 0 ||
		len(r.RequestMetadata) > 0 || r.PerformanceConfig != nil || r.ServiceTier != nil || len(r.OutputConfig) > 0 {
		return 0, false
	}
	size := 128
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Content == nil {
			return 0, false
		}
		size += 40
		for j := range m.Content {
			if !m.Content[j].textOnly() {
				return 0, false
			}
			size += len(*m.Content[j].Text) + 12
		}
	}
	for i := range r.System {
		s := &r.System[i]
		if s.Text == nil || len(s.GuardContent) > 0 || s.CachePoint != nil {
			return 0, false
		}
		size += len(*s.Text) + 12
	}
	return size, true
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
