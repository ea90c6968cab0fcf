package demo

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// asksForTool matches a message that plainly asks for a tool call without
// naming one: "use a tool", "call the function", "invoke your tools".
var asksForTool = regexp.MustCompile(`(?i)\b(use|call|invoke|run)\s+(a|an|the|your|any|some)?\s*(tool|function)s?\b`)

// chooseTool decides whether the answer is a tool call, and to which
// function. The rule, for a request that offers function tools:
//   - tool_choice "none": never.
//   - a named function: always that function (400 if it is not offered).
//   - "required": always; the function the last user message mentions,
//     else the first one.
//   - "auto" (the default when tools are offered): only when the last
//     message is from the user and either mentions a function by name
//     (case-insensitive, with '_' and '-' also matched as spaces, so
//     "get weather" mentions get_weather) or plainly asks for a tool
//     ("use a tool", "call the function"); the first such function is
//     called. After a tool result, auto answers with text.
//
// It returns nil for a text answer.
func chooseTool(req *openai.ChatCompletionRequest, c conversation) (*openai.FunctionDef, error) {
	var fns []*openai.FunctionDef
	for _, t := range req.Tools {
		if t.Type == "function" && t.Function != nil {
			fns = append(fns, t.Function)
		}
	}
	tc := req.ToolChoice
	switch {
	case tc == nil || tc.Mode == "auto" || (tc.Mode == "" && (tc.Type != "function" || tc.Function == nil)):
		// Absent, "auto", or an allowed_tools/custom choice: decide by
		// the message.
		if c.lastIsTool || len(fns) == 0 {
			return nil, nil
		}
		if fn := mentioned(fns, c.user); fn != nil {
			return fn, nil
		}
		if asksForTool.MatchString(c.user) {
			return fns[0], nil
		}
		return nil, nil
	case tc.Mode == "none":
		return nil, nil
	case tc.Mode == "required":
		if len(fns) == 0 {
			return nil, openai.Errorf("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
		}
		if fn := mentioned(fns, c.user); fn != nil {
			return fn, nil
		}
		return fns[0], nil
	}
	for _, fn := range fns {
		if fn.Name == tc.Function.Name {
			return fn, nil
		}
	}
	return nil, openai.Errorf("tool_choice", "Invalid value for 'tool_choice': no function named '%s' was specified in 'tools'.", tc.Function.Name)
}

// mentioned returns the first function whose name appears in text.
func mentioned(fns []*openai.FunctionDef, text string) *openai.FunctionDef {
	lower := strings.ToLower(text)
	for _, fn := range fns {
		name := strings.ToLower(fn.Name)
		spaced := strings.NewReplacer("_", " ", "-", " ").Replace(name)
		if strings.Contains(lower, name) || strings.Contains(lower, spaced) {
			return fn
		}
	}
	return nil
}

// schema is the part of a JSON Schema the demo reads to invent arguments.
type schema struct {
	Type       json.RawMessage            `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
	Enum       []json.RawMessage          `json:"enum"`
	Const      json.RawMessage            `json:"const"`
	Default    json.RawMessage            `json:"default"`
	Items      json.RawMessage            `json:"items"`
	AnyOf      []json.RawMessage          `json:"anyOf"`
	OneOf      []json.RawMessage          `json:"oneOf"`
	Minimum    *float64                   `json:"minimum"`
}

// maxSchemaDepth bounds recursion into nested schemas; deeper values are
// null.
const maxSchemaDepth = 8

// argFiller invents placeholder arguments for a function from its
// parameters schema, taking string values from the user's message.
type argFiller struct {
	message string
	// candidates are string values still unused: the capitalised names of
	// the message, then its keywords.
	candidates []string
}

func newArgFiller(message string) *argFiller {
	cands := names(message)
	for _, k := range keywords(message, 8) {
		if !contains(cands, k) {
			cands = append(cands, k)
		}
	}
	return &argFiller{message: message, candidates: cands}
}

// contains reports whether a phrase of list contains s, ignoring case.
func contains(list []string, s string) bool {
	s = strings.ToLower(s)
	for _, v := range list {
		if strings.Contains(strings.ToLower(v), s) {
			return true
		}
	}
	return false
}

// arguments returns the JSON object of arguments for parameters: every
// required property filled, in the order `required` lists them. A missing
// or unreadable schema gives "{}".
func (f *argFiller) arguments(parameters json.RawMessage) string {
	var b bytes.Buffer
	var s schema
	if len(parameters) == 0 || json.Unmarshal(parameters, &s) != nil {
		return "{}"
	}
	f.object(&b, s, 0)
	return b.String()
}

func (f *argFiller) object(b *bytes.Buffer, s schema, depth int) {
	b.WriteByte('{')
	n := 0
	for _, name := range s.Required {
		prop, ok := s.Properties[name]
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		writeJSON(b, name)
		b.WriteByte(':')
		f.value(b, name, prop, depth+1)
	}
	b.WriteByte('}')
}

// value writes a placeholder for the property name with schema raw: its
// const, first enum value or default if it has one, else a value of its
// type.
func (f *argFiller) value(b *bytes.Buffer, name string, raw json.RawMessage, depth int) {
	var s schema
	if depth > maxSchemaDepth || json.Unmarshal(raw, &s) != nil {
		b.WriteString("null")
		return
	}
	switch {
	case len(s.Const) > 0:
		writeCompact(b, s.Const)
		return
	case len(s.Enum) > 0:
		writeCompact(b, s.Enum[0])
		return
	case len(s.Default) > 0:
		writeCompact(b, s.Default)
		return
	case len(s.AnyOf) > 0:
		f.value(b, name, s.AnyOf[0], depth+1)
		return
	case len(s.OneOf) > 0:
		f.value(b, name, s.OneOf[0], depth+1)
		return
	}
	f.typed(b, name, s, depth)
}

func (f *argFiller) typed(b *bytes.Buffer, name string, s schema, depth int) {
	switch schemaType(s) {
	case "object":
		f.object(b, s, depth)
	case "array":
		b.WriteByte('[')
		if len(s.Items) > 0 {
			f.value(b, name, s.Items, depth+1)
		}
		b.WriteByte(']')
	case "integer":
		v := int64(1)
		if s.Minimum != nil {
			v = int64(*s.Minimum)
		}
		b.WriteString(strconv.FormatInt(v, 10))
	case "number":
		v := 1.0
		if s.Minimum != nil {
			v = *s.Minimum
		}
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case "boolean":
		b.WriteString("true")
	case "null":
		b.WriteString("null")
	default:
		writeJSON(b, f.text(name))
	}
}

// schemaType returns the schema's type: the first non-null one of a type
// list, "object" for an untyped schema with properties, else "string".
func schemaType(s schema) string {
	var one string
	if json.Unmarshal(s.Type, &one) == nil && one != "" {
		return one
	}
	var many []string
	if json.Unmarshal(s.Type, &many) == nil {
		for _, t := range many {
			if t != "null" {
				return t
			}
		}
	}
	if s.Properties != nil {
		return "object"
	}
	return "string"
}

// text is the value of a string property: the whole message for a
// property that looks like it wants free text ("query", "prompt"...),
// else the next unused name or keyword of the message, else "demo".
func (f *argFiller) text(name string) string {
	if freeText(name) {
		if q := quote(f.message, 40); q != "" {
			return q
		}
	}
	if len(f.candidates) > 0 {
		v := f.candidates[0]
		f.candidates = f.candidates[1:]
		return v
	}
	return "demo"
}

// freeText reports whether a property name asks for free text.
func freeText(name string) bool {
	lower := strings.ToLower(name)
	if lower == "q" {
		return true
	}
	for _, w := range []string{"query", "question", "prompt", "text", "message", "input", "search"} {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

func writeJSON(b *bytes.Buffer, v string) {
	enc, _ := json.Marshal(v) // a string always marshals
	b.Write(enc)
}

func writeCompact(b *bytes.Buffer, raw json.RawMessage) {
	if err := json.Compact(b, raw); err != nil {
		b.WriteString("null")
	}
}
