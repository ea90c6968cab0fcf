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
	s := fastScanner{jsonx.Scanner{B: body, UTF8: true}}
	var nums *chatNumbers // the pointer fields' values, allocated once
	num := func() *chatNumbers {
		if nums == nil {
			nums = new(chatNumbers)
		}
		return nums
	}
	integer := func(dst **int, v *int) bool { *dst = v; return s.integer(v) }
	number := func(dst **float64, v *float64) bool { *dst = v; return s.number(v) }
	ok := s.Fields(chatFields, func(name string) bool {
		var ok bool
		switch name {
		case "model":
			r.Model, ok = s.String()
		case "user":
			r.User, ok = s.String()
		case "messages":
			ok = s.messages(&r.Messages)
		case "stream":
			r.Stream, ok = s.Bool()
		case "stream_options":
			r.StreamOptions = new(StreamOptions)
			ok = s.Fields(streamOptionsFields, func(string) bool {
				v, ok := s.Bool()
				r.StreamOptions.IncludeUsage = v
				return ok
			})
		case "max_tokens":
			ok = integer(&r.MaxTokens, &num().maxTokens)
		case "max_completion_tokens":
			ok = integer(&r.MaxCompletionTokens, &num().maxCompletionTokens)
		case "n":
			ok = integer(&r.N, &num().n)
		case "seed":
			n := num()
			r.Seed = &n.seed
			n.seed, ok = s.Int(64)
		case "temperature":
			ok = number(&r.Temperature, &num().temperature)
		case "top_p":
			ok = number(&r.TopP, &num().topP)
		case "presence_penalty":
			ok = number(&r.PresencePenalty, &num().presencePenalty)
		case "frequency_penalty":
			ok = number(&r.FrequencyPenalty, &num().frequencyPenalty)
		}
		return ok
	})
	return ok && s.End()
}

func (r *ChatCompletionRequest) reset() { *r = ChatCompletionRequest{} }

// The members decodeFast reads, by object.
var (
	chatFields = []string{
		"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
		"n", "seed", "temperature", "top_p", "presence_penalty", "frequency_penalty", "user",
	}
	streamOptionsFields = []string{"include_usage"}
	messageFields       = []string{"role", "content", "name", "tool_call_id"}
	textPartFields      = []string{"type", "text"}
)

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
	return s.Fields(messageFields, func(name string) bool {
		var ok bool
		switch name {
		case "role":
			m.Role, ok = s.role()
		case "content":
			ok = s.content(&m.Content)
		case "name":
			m.Name, ok = s.String()
		case "tool_call_id":
			m.ToolCallID, ok = s.String()
		}
		return ok
	})
}

// content reads a string, null, or an array of text parts.
func (s *fastScanner) content(c *Content) bool {
	switch s.Peek() {
	case '"':
		v, ok := s.String()
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
	return s.Fields(textPartFields, func(name string) bool {
		var ok bool
		if name == "type" {
			p.Type, ok = s.String()
		} else {
			p.Text, ok = s.String()
		}
		return ok
	})
}
