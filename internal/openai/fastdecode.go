package openai

import (
	"strconv"

	"github.com/outcrop/outcrop/internal/jsonx"
)

// decodeFast reads the chat completion bodies most clients send — text
// messages and the usual sampling parameters — without reflection, into
// what json.Unmarshal would make of them. It gives up, and the caller
// decodes with encoding/json, at anything outside that subset: another
// field, a key or a role with escapes, a null, a number in another form,
// a key given twice. Giving up is never an answer: the error messages, and
// every shape it does not know, stay encoding/json's. body is valid
// UTF-8 (decode checks it first). FuzzDecodeFast compares the two.
func (r *ChatCompletionRequest) decodeFast(body []byte) bool {
	s := fastScanner{jsonx.Scanner{B: body}}
	var seen uint32
	var nums *chatNumbers // the pointer fields' values, allocated once
	num := func() *chatNumbers {
		if nums == nil {
			nums = new(chatNumbers)
		}
		return nums
	}
	ok := s.Object(func(key []byte) bool {
		bit, known := chatFields[string(key)]
		if !known || seen&bit != 0 {
			return false
		}
		seen |= bit
		switch string(key) {
		case "model":
			v, ok := s.str()
			r.Model = v
			return ok
		case "user":
			v, ok := s.str()
			r.User = v
			return ok
		case "messages":
			return s.messages(&r.Messages)
		case "stream":
			v, ok := s.Bool()
			r.Stream = v
			return ok
		case "stream_options":
			o := new(StreamOptions)
			r.StreamOptions = o
			var once bool
			return s.Object(func(key []byte) bool {
				if string(key) != "include_usage" || once {
					return false
				}
				once = true
				v, ok := s.Bool()
				o.IncludeUsage = v
				return ok
			})
		case "max_tokens":
			n := num()
			r.MaxTokens = &n.maxTokens
			return s.integer(&n.maxTokens)
		case "max_completion_tokens":
			n := num()
			r.MaxCompletionTokens = &n.maxCompletionTokens
			return s.integer(&n.maxCompletionTokens)
		case "n":
			n := num()
			r.N = &n.n
			return s.integer(&n.n)
		case "seed":
			n := num()
			r.Seed = &n.seed
			v, ok := s.Int(64)
			n.seed = v
			return ok
		case "temperature":
			n := num()
			r.Temperature = &n.temperature
			return s.number(&n.temperature)
		case "top_p":
			n := num()
			r.TopP = &n.topP
			return s.number(&n.topP)
		case "presence_penalty":
			n := num()
			r.PresencePenalty = &n.presencePenalty
			return s.number(&n.presencePenalty)
		case "frequency_penalty":
			n := num()
			r.FrequencyPenalty = &n.frequencyPenalty
			return s.number(&n.frequencyPenalty)
		}
		return false
	})
	return ok && s.End()
}

func (r *ChatCompletionRequest) reset() { *r = ChatCompletionRequest{} }

// chatFields are the top-level fields decodeFast reads, each with its bit
// for spotting a key given twice.
var chatFields = map[string]uint32{
	"model": 1 << 0, "messages": 1 << 1, "stream": 1 << 2, "stream_options": 1 << 3,
	"max_tokens": 1 << 4, "max_completion_tokens": 1 << 5, "n": 1 << 6, "seed": 1 << 7,
	"temperature": 1 << 8, "top_p": 1 << 9, "presence_penalty": 1 << 10,
	"frequency_penalty": 1 << 11, "user": 1 << 12,
}

// chatNumbers holds the values of a request's pointer fields in one
// allocation.
type chatNumbers struct {
	maxTokens, maxCompletionTokens, n int
	seed                              int64
	temperature, topP                 float64
	presencePenalty, frequencyPenalty float64
}

// fastScanner is jsonx.Scanner with the readers of a request's parts.
type fastScanner struct{ jsonx.Scanner }

// str reads a string, escapes and all.
func (s *fastScanner) str() (string, bool) { return s.String() }

// role reads a message's role, a constant when it is one of the roles.
// A role written with escapes is left to encoding/json.
func (s *fastScanner) role() (string, bool) {
	b, ok := s.Raw()
	switch string(b) {
	case RoleSystem:
		return RoleSystem, ok
	case RoleUser:
		return RoleUser, ok
	case RoleAssistant:
		return RoleAssistant, ok
	case RoleDeveloper:
		return RoleDeveloper, ok
	case RoleTool:
		return RoleTool, ok
	}
	return string(b), ok
}

// integer reads an integer that fits an int.
func (s *fastScanner) integer(v *int) bool {
	n, ok := s.Int(strconv.IntSize)
	*v = int(n)
	return ok
}

// number reads a number into a float64.
func (s *fastScanner) number(v *float64) bool {
	f, ok := s.Float()
	*v = f
	return ok
}

// messages reads `messages`.
func (s *fastScanner) messages(out *[]Message) bool {
	msgs := make([]Message, 0, 4)
	ok := s.Array(func() bool {
		msgs = append(msgs, Message{})
		return s.message(&msgs[len(msgs)-1])
	})
	*out = msgs
	return ok
}

// message reads a message with a role, a content and optionally a name
// or tool_call_id.
func (s *fastScanner) message(m *Message) bool {
	var seen uint8
	return s.Object(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "role":
			bit = 1
		case "content":
			bit = 2
		case "name":
			bit = 4
		case "tool_call_id":
			bit = 8
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		var ok bool
		switch bit {
		case 1:
			m.Role, ok = s.role()
		case 2:
			ok = s.content(&m.Content)
		case 4:
			m.Name, ok = s.str()
		case 8:
			m.ToolCallID, ok = s.str()
		}
		return ok
	})
}

// content reads a string, null, or an array of text parts.
func (s *fastScanner) content(c *Content) bool {
	switch s.Peek() {
	case '"':
		v, ok := s.str()
		*c = Content{Text: v, Kind: ContentString}
		return ok
	case 'n':
		*c = Content{}
		return s.Null()
	case '[':
		parts := make([]ContentPart, 0, 1)
		ok := s.Array(func() bool {
			parts = append(parts, ContentPart{})
			return s.textPart(&parts[len(parts)-1])
		})
		*c = Content{Parts: parts, Kind: ContentParts}
		return ok
	}
	return false
}

// textPart reads {"type": ..., "text": ...}.
func (s *fastScanner) textPart(p *ContentPart) bool {
	var seen uint8
	return s.Object(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "type":
			bit = 1
		case "text":
			bit = 2
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		var ok bool
		if bit == 1 {
			p.Type, ok = s.str()
		} else {
			p.Text, ok = s.str()
		}
		return ok
	})
}
