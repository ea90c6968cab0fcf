package bedrock

import (
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// decodeFast reads a contentBlockDelta payload of text or tool input,
// Bedrock's `{"contentBlockIndex":0,"delta":{"text":"…"},"p":"…"}` (the
// "p" is padding), into what json.Unmarshal makes of it, without
// reflection: these are nearly all of a stream's events. At anything
// else (reasoning, a citation, another member, a key given twice) it
// gives up and the caller decodes with encoding/json.
func (p *ContentBlockDeltaEvent) decodeFast(payload []byte) bool {
	s := jsonx.Scanner{B: payload}
	var seen uint8
	return s.Object(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "contentBlockIndex":
			bit = 1
		case "delta":
			bit = 2
		case "p":
			bit = 4
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch bit {
		case 1:
			n, ok := s.Int(strconv.IntSize)
			p.ContentBlockIndex = int(n)
			return ok
		case 2:
			return p.Delta.decodeFast(&s)
		}
		return s.SkipString()
	}) && s.End()
}

// decodeFast reads {"text": …} or {"toolUse": {"input": …}}.
func (d *ContentDelta) decodeFast(s *jsonx.Scanner) bool {
	var seen bool
	return s.Object(func(key []byte) bool {
		if seen {
			return false
		}
		seen = true
		switch string(key) {
		case "text":
			v, ok := s.String()
			d.Text = &v
			return ok
		case "toolUse":
			d.ToolUse = new(ToolUseDelta)
			var once bool
			return s.Object(func(key []byte) bool {
				if string(key) != "input" || once {
					return false
				}
				once = true
				v, ok := s.String()
				d.ToolUse.Input = v
				return ok
			})
		}
		return false
	})
}

// decodeFast reads a Converse answer of text blocks, the usual one, into
// what json.Unmarshal makes of it; at anything else (a tool call,
// reasoning, a trace, additional fields, another member, a key given
// twice) it gives up and the caller decodes with encoding/json.
func (r *ConverseResponse) decodeFast(body []byte) bool {
	s := jsonx.Scanner{B: body}
	var seen uint8
	return s.Object(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "output":
			bit = 1
		case "stopReason":
			bit = 2
		case "usage":
			bit = 4
		case "metrics":
			bit = 8
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		switch bit {
		case 1:
			return r.decodeOutput(&s)
		case 2:
			v, ok := s.String()
			r.StopReason = v
			return ok
		case 4:
			return r.Usage.decodeFast(&s)
		}
		var once bool
		return s.Object(func(key []byte) bool {
			if string(key) != "latencyMs" || once {
				return false
			}
			once = true
			v, ok := s.Int(64)
			r.Metrics.LatencyMs = v
			return ok
		})
	}) && s.End()
}

// decodeOutput reads {"message":{"role":…,"content":[{"text":…},…]}}.
func (r *ConverseResponse) decodeOutput(s *jsonx.Scanner) bool {
	var once bool
	return s.Object(func(key []byte) bool {
		if string(key) != "message" || once {
			return false
		}
		once = true
		m := new(Message)
		r.Output.Message = m
		var seen uint8
		return s.Object(func(key []byte) bool {
			switch string(key) {
			case "role":
				if seen&1 != 0 {
					return false
				}
				seen |= 1
				v, ok := s.String()
				m.Role = v
				return ok
			case "content":
				if seen&2 != 0 {
					return false
				}
				seen |= 2
				m.Content = make([]ContentBlock, 0, 1)
				return s.Array(func() bool {
					var text *string
					ok := s.Object(func(key []byte) bool {
						if string(key) != "text" || text != nil {
							return false
						}
						v, ok := s.String()
						text = &v
						return ok
					})
					m.Content = append(m.Content, ContentBlock{Text: text})
					return ok
				})
			}
			return false
		})
	})
}

// decodeFast reads the token counts.
func (u *TokenUsage) decodeFast(s *jsonx.Scanner) bool {
	var seen uint8
	return s.Object(func(key []byte) bool {
		var bit uint8
		var v *int
		switch string(key) {
		case "inputTokens":
			bit, v = 1, &u.InputTokens
		case "outputTokens":
			bit, v = 2, &u.OutputTokens
		case "totalTokens":
			bit, v = 4, &u.TotalTokens
		case "cacheReadInputTokens":
			bit, v = 8, &u.CacheReadInputTokens
		case "cacheWriteInputTokens":
			bit, v = 16, &u.CacheWriteInputTokens
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		n, ok := s.Int(strconv.IntSize)
		*v = int(n)
		return ok
	})
}
