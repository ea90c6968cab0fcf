package openai

import (
	"strconv"
	"unsafe"
)

// decodeFast reads the chat completion bodies most clients send — text
// messages and the usual sampling parameters — without reflection, into
// what json.Unmarshal would make of them. It gives up, and the caller
// decodes with encoding/json, at anything outside that subset: another
// field, a string with escapes, a null, a number in another form, a key
// given twice. Giving up is never an answer: the error messages, and
// every shape it does not know, stay encoding/json's. body is valid
// UTF-8 (decode checks it first). FuzzDecodeFast compares the two.
func (r *ChatCompletionRequest) decodeFast(body []byte) bool {
	s := fastScanner{b: body}
	var seen uint32
	var nums *chatNumbers // the pointer fields' values, allocated once
	num := func() *chatNumbers {
		if nums == nil {
			nums = new(chatNumbers)
		}
		return nums
	}
	ok := s.object(func(key []byte) bool {
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
			v, ok := s.boolean()
			r.Stream = v
			return ok
		case "stream_options":
			o := new(StreamOptions)
			r.StreamOptions = o
			var once bool
			return s.object(func(key []byte) bool {
				if string(key) != "include_usage" || once {
					return false
				}
				once = true
				v, ok := s.boolean()
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
			v, ok := s.integerBits(64)
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
	return ok && s.end()
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

// fastScanner reads JSON for decodeFast; every method reports false for
// what it does not read, and the scan is then abandoned.
type fastScanner struct {
	b []byte
	i int
}

func (s *fastScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// end reports whether only whitespace is left.
func (s *fastScanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// object reads an object, calling member after each key and its colon;
// member reads the value.
func (s *fastScanner) object(member func(key []byte) bool) bool {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.raw()
		if !ok {
			return false
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		s.space()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array, calling elem for each element.
func (s *fastScanner) array(elem func() bool) bool {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return false
	}
	s.i++
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.space()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// raw reads a string without escapes or control characters and returns
// its bytes between the quotes.
func (s *fastScanner) raw() ([]byte, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

func (s *fastScanner) str() (string, bool) {
	b, ok := s.raw()
	return string(b), ok
}

// role reads a message's role, a constant when it is one of the roles.
func (s *fastScanner) role() (string, bool) {
	b, ok := s.raw()
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

func (s *fastScanner) boolean() (bool, bool) {
	s.space()
	rest := s.b[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}

// numberBytes reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// and reports whether it is an integer (no fraction or exponent).
func (s *fastScanner) numberBytes() (b []byte, integer, ok bool) {
	s.space()
	start, j := s.i, s.i
	digits := func() int {
		k := j
		for j < len(s.b) && '0' <= s.b[j] && s.b[j] <= '9' {
			j++
		}
		return j - k
	}
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	switch {
	case j < len(s.b) && s.b[j] == '0':
		j++
	case digits() == 0:
		return nil, false, false
	}
	integer = true
	if j < len(s.b) && s.b[j] == '.' {
		j++
		if digits() == 0 {
			return nil, false, false
		}
		integer = false
	}
	if j < len(s.b) && (s.b[j] == 'e' || s.b[j] == 'E') {
		j++
		if j < len(s.b) && (s.b[j] == '+' || s.b[j] == '-') {
			j++
		}
		if digits() == 0 {
			return nil, false, false
		}
		integer = false
	}
	s.i = j
	return s.b[start:j], integer, true
}

// integer reads an integer that fits an int, as encoding/json reads one
// into an int field.
func (s *fastScanner) integer(v *int) bool {
	n, ok := s.integerBits(strconv.IntSize)
	*v = int(n)
	return ok
}

// integerBits reads an integer that fits bits bits.
func (s *fastScanner) integerBits(bits int) (int64, bool) {
	b, integer, ok := s.numberBytes()
	if !ok || !integer {
		return 0, false
	}
	n, err := strconv.ParseInt(unsafeString(b), 10, bits)
	return n, err == nil
}

// number reads a number into a float64, as encoding/json does.
func (s *fastScanner) number(v *float64) bool {
	b, _, ok := s.numberBytes()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(unsafeString(b), 64)
	*v = f
	return err == nil
}

// unsafeString is b as a string without a copy, for strconv's parsers:
// the string is not kept (their errors, which would keep it, are
// dropped) and b is not changed while it is read.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// messages reads `messages`.
func (s *fastScanner) messages(out *[]Message) bool {
	msgs := make([]Message, 0, 4)
	ok := s.array(func() bool {
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
	return s.object(func(key []byte) bool {
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
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		v, ok := s.str()
		*c = Content{Text: v, Kind: ContentString}
		return ok
	case 'n':
		if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
			s.i += 4
			*c = Content{}
			return true
		}
		return false
	case '[':
		parts := make([]ContentPart, 0, 1)
		ok := s.array(func() bool {
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
	return s.object(func(key []byte) bool {
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
