package bedrock

import (
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// The members the fast decoders read, by object. encoding/json would
// also match other cases of these names, and ignore unknown ones; the
// decoders give up at both.
var (
	deltaEventFields   = []string{"contentBlockIndex", "delta", "p"}
	contentDeltaFields = []string{"text", "toolUse"}
	toolUseDeltaFields = []string{"input"}
	answerFields       = []string{"output", "stopReason", "usage", "metrics"}
	outputFields       = []string{"message"}
	messageFields      = []string{"role", "content"}
	textBlockFields    = []string{"text"}
	usageFields        = []string{"inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens"}
	metricsFields      = []string{"latencyMs"}
)

// decodeFast reads a contentBlockDelta payload of text or tool input,
// Bedrock's `{"contentBlockIndex":0,"delta":{"text":"…"},"p":"…"}` (the
// "p" is padding), into what json.Unmarshal makes of it, without
// reflection: these are nearly all of a stream's events. At anything
// else (reasoning, a citation, another member, a key given twice) it
// gives up and the caller decodes with encoding/json.
func (p *ContentBlockDeltaEvent) decodeFast(payload []byte) bool {
	s := jsonx.Scanner{B: payload}
	return s.Fields(deltaEventFields, func(name string) bool {
		switch name {
		case "contentBlockIndex":
			return scanInt(&s, &p.ContentBlockIndex)
		case "delta":
			return p.Delta.decodeFast(&s)
		}
		return s.SkipString()
	}) && s.End()
}

// decodeFast reads {"text": …} or {"toolUse": {"input": …}}.
func (d *ContentDelta) decodeFast(s *jsonx.Scanner) bool {
	return s.Fields(contentDeltaFields, func(name string) bool {
		if name == "text" {
			v, ok := s.String()
			d.Text = &v
			return ok
		}
		d.ToolUse = new(ToolUseDelta)
		return s.Fields(toolUseDeltaFields, func(string) bool {
			v, ok := s.String()
			d.ToolUse.Input = v
			return ok
		})
	})
}

// decodeFast reads a Converse answer of text blocks, the usual one, into
// what json.Unmarshal makes of it; at anything else (a tool call,
// reasoning, a trace, additional fields, another member, a key given
// twice) it gives up and the caller decodes with encoding/json.
func (r *ConverseResponse) decodeFast(body []byte) bool {
	s := jsonx.Scanner{B: body}
	return s.Fields(answerFields, func(name string) bool {
		switch name {
		case "output":
			return s.Fields(outputFields, func(string) bool {
				r.Output.Message = new(Message)
				return decodeTextMessage(&s, r.Output.Message)
			})
		case "stopReason":
			v, ok := s.String()
			r.StopReason = v
			return ok
		case "usage":
			return r.Usage.decodeFast(&s)
		}
		return s.Fields(metricsFields, func(string) bool {
			v, ok := s.Int(64)
			r.Metrics.LatencyMs = v
			return ok
		})
	}) && s.End()
}

// decodeTextMessage reads {"role":…,"content":[{"text":…},…]}.
func decodeTextMessage(s *jsonx.Scanner, m *Message) bool {
	return s.Fields(messageFields, func(name string) bool {
		if name == "role" {
			v, ok := s.String()
			m.Role = v
			return ok
		}
		m.Content = make([]ContentBlock, 0, 1)
		return s.Array(func() bool {
			var text *string
			ok := s.Fields(textBlockFields, func(string) bool {
				v, ok := s.String()
				text = &v
				return ok
			})
			m.Content = append(m.Content, ContentBlock{Text: text})
			return ok
		})
	})
}

// decodeFast reads the token counts.
func (u *TokenUsage) decodeFast(s *jsonx.Scanner) bool {
	return s.Fields(usageFields, func(name string) bool {
		switch name {
		case "inputTokens":
			return scanInt(s, &u.InputTokens)
		case "outputTokens":
			return scanInt(s, &u.OutputTokens)
		case "totalTokens":
			return scanInt(s, &u.TotalTokens)
		case "cacheReadInputTokens":
			return scanInt(s, &u.CacheReadInputTokens)
		}
		return scanInt(s, &u.CacheWriteInputTokens)
	})
}

// scanInt reads an integer that fits an int into v.
func scanInt(s *jsonx.Scanner, v *int) bool {
	n, ok := s.Int(strconv.IntSize)
	*v = int(n)
	return ok
}
