package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// emptySchema is the input schema of a function without parameters:
// Bedrock requires a schema whose top-level type is object.
const emptySchema = `{"type":"object","properties":{}}`

// toolConfig maps tools and tool_choice.
//
//	tool_choice   toolConfig
//	absent        tools, no toolChoice (Bedrock's default is auto)
//	"auto"        tools, {"auto":{}}
//	"required"    tools, {"any":{}}
//	function      tools, {"tool":{"name"}}; the name must be one of the tools
//	"none"        no toolConfig: Bedrock has no "none", so the tools are
//	              withheld. When the history holds tool calls or results,
//	              Bedrock refuses a request without toolConfig, so the tools
//	              are sent with no toolChoice; the model may then call one,
//	              which is the lesser evil next to failing the request.
//
// History with tool calls but no tools at all is a 400 naming `tools`:
// Bedrock would refuse it anyway ("toolConfig field must be defined when
// using toolUse and toolResult content blocks"), less helpfully.
func toolConfig(req *openai.ChatCompletionRequest, historyHasTools bool) (*ToolConfig, error) {
	choice := req.ToolChoice
	if len(req.Tools) == 0 {
		if choice != nil && choice.Mode != "none" {
			return nil, openai.Errorf("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
		}
		if historyHasTools {
			return nil, openai.Errorf("tools", "The conversation contains tool calls or tool results, and Bedrock models need 'tools' to define the tools they use.")
		}
		return nil, nil
	}
	if choice != nil && choice.Mode == "none" && !historyHasTools {
		return nil, nil
	}
	tools, err := toolSpecs(req.Tools)
	if err != nil {
		return nil, err
	}
	tc := &ToolConfig{Tools: tools}
	if choice != nil {
		if tc.ToolChoice, err = toolChoice(choice, tools); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

// toolChoice maps a tool_choice other than absent; "none" maps to nil.
func toolChoice(c *openai.ToolChoice, tools []Tool) (*ToolChoice, error) {
	switch c.Mode {
	case "auto":
		return &ToolChoice{Auto: &struct{}{}}, nil
	case "required":
		return &ToolChoice{Any: &struct{}{}}, nil
	case "none":
		return nil, nil
	case "":
	default:
		return nil, openai.Errorf("tool_choice", "Invalid value: '%s'. Supported values are: 'none', 'auto' and 'required'.", c.Mode)
	}
	if c.Type != "function" {
		return nil, openai.Errorf("tool_choice.type", "Invalid value: '%s'. Supported values are: 'function'.", c.Type)
	}
	if c.Function == nil || c.Function.Name == "" {
		return nil, openai.Errorf("tool_choice.function.name", "Missing required parameter: 'tool_choice.function.name'.")
	}
	for _, t := range tools {
		if t.ToolSpec != nil && t.ToolSpec.Name == c.Function.Name {
			return &ToolChoice{Tool: &ToolChoiceTool{Name: c.Function.Name}}, nil
		}
	}
	return nil, openai.Errorf("tool_choice", "Invalid value for 'tool_choice': no function named '%s' was specified in the 'tools' parameter.", c.Function.Name)
}

// toolSpecs maps function tools to tool specs. Custom (free-form) tools
// have no Bedrock equivalent and are a 400.
func toolSpecs(tools []openai.Tool) ([]Tool, error) {
	out := make([]Tool, 0, len(tools))
	for i := range tools {
		t := &tools[i]
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, openai.Errorf(p+".type", "Invalid value: '%s'. Bedrock models support only 'function' tools.", t.Type)
		}
		spec, err := toolSpec(t.Function, p)
		if err != nil {
			return nil, err
		}
		out = append(out, Tool{ToolSpec: spec})
	}
	return out, nil
}

// toolSpec maps one function definition. A blank description is omitted
// (Bedrock's is a non-empty string); absent, null or empty parameters
// become an empty object schema.
func toolSpec(f *openai.FunctionDef, p string) (*ToolSpec, error) {
	if f == nil || f.Name == "" {
		return nil, openai.Errorf(p+".function.name", "Missing required parameter: '%s.function.name'.", p)
	}
	if !validToolName(f.Name) {
		return nil, openai.Errorf(p+".function.name", "Invalid '%s.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.", p)
	}
	schema, err := toolSchema(f.Parameters)
	if err != nil {
		return nil, openai.Errorf(p+".function.parameters", "Invalid '%s.function.parameters': expected a JSON schema object.", p)
	}
	spec := &ToolSpec{Name: f.Name, InputSchema: InputSchema{JSON: schema}}
	if strings.TrimSpace(f.Description) != "" {
		spec.Description = f.Description
	}
	return spec, nil
}

// toolSchema returns a function's parameters schema, or the empty object
// schema when there is none.
func toolSchema(params json.RawMessage) (json.RawMessage, error) {
	t := bytes.TrimSpace(params)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return json.RawMessage(emptySchema), nil
	}
	if t[0] != '{' || !json.Valid(t) {
		return nil, errors.New("parameters are not a JSON object")
	}
	if isEmptyObject(t) {
		return json.RawMessage(emptySchema), nil
	}
	return t, nil
}

// isEmptyObject reports whether b (valid JSON) is `{}`, spaces allowed.
func isEmptyObject(b []byte) bool {
	return len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// validToolName checks the name pattern OpenAI and Bedrock share:
// [a-zA-Z0-9_-]{1,64}.
func validToolName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
