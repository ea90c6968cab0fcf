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
