package bedrock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/outcrop/outcrop/internal/openai"
)

// jsonTool is the name of the structured-output fallback tool. A client
// tool of the same name is a 400 when the fallback is used.
const jsonTool = "json_response"

// objectSchema is the schema of response_format json_object.
const objectSchema = `{"type":"object"}`

// responseFormat is a response_format that asks for JSON.
type responseFormat struct {
	name, description string
	// schema is the JSON schema, compact.
	schema json.RawMessage
	// strict is json_schema's strict: the client wants the schema
	// enforced, and wrote it in the subset strict mode allows.
	strict bool
}

// parseResponseFormat reads response_format; nil means plain text.
func parseResponseFormat(f *openai.ResponseFormat) (*responseFormat, error) {
	if f == nil {
		return nil, nil
	}
	switch f.Type {
	case "json_object":
		return &responseFormat{schema: json.RawMessage(objectSchema)}, nil
	case "json_schema":
	default:
		return nil, nil
	}
	var js struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	}
	if len(f.JSONSchema) == 0 || f.JSONSchema[0] != '{' || json.Unmarshal(f.JSONSchema, &js) != nil {
		return nil, openai.Errorf("response_format.json_schema", "Invalid 'response_format.json_schema': expected an object with a 'name' and a 'schema'.")
	}
	if js.Name == "" {
		return nil, openai.Errorf("response_format.json_schema.name", "Missing required parameter: 'response_format.json_schema.name'.")
	}
	rf := &responseFormat{name: js.Name, description: js.Description, strict: js.Strict != nil && *js.Strict}
	schema, err := formatSchema(js.Schema)
	if err != nil {
		return nil, openai.Errorf("response_format.json_schema.schema", "Invalid schema for response_format '%s': %v.", js.Name, err)
	}
	rf.schema = schema
	return rf, nil
}

// formatSchema checks and compacts a json_schema's schema. The answer is
// one JSON object, as OpenAI requires of a schema and Bedrock of a tool's
// input: a root of another type is refused.
func formatSchema(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return json.RawMessage(objectSchema), nil
	}
	var root struct {
		Type json.RawMessage `json:"type"`
	}
	if raw[0] != '{' || json.Unmarshal(raw, &root) != nil {
		return nil, errors.New("expected a JSON schema object")
	}
	if len(root.Type) > 0 && string(root.Type) != `"object"` {
		return nil, fmt.Errorf("the schema's root must be of type \"object\", got %s", root.Type)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// formatPlan is how a request's response_format is served.
type formatPlan int

const (
	formatText formatPlan = iota
	// formatNative is Bedrock's structured output (outputConfig).
	formatNative
	// formatTool is the forced-tool fallback.
	formatTool
	// formatPrompt leaves JSON to the prompt: json_object for a model
	// with neither structured output nor tools.
	formatPrompt
)

// planFormat decides how rf is served: natively for a strict json_schema
// on a model with structured output (constrained decoding takes the
// subset of JSON schema that strict mode allows, and refuses open
// objects), else with the fallback tool, else (json_object on a model
// without tools) by the prompt, as OpenAI itself requires the messages to
// ask for JSON with json_object. A json_schema the model can serve in
// neither way is a 400.
func planFormat(rf *responseFormat, opts RequestOptions) (formatPlan, error) {
	switch {
	case rf == nil:
		return formatText, nil
	case rf.strict && opts.Model.StructuredOutput:
		return formatNative, nil
	case !knownModel(opts) || opts.Model.Tools:
		return formatTool, nil
	case rf.name == "":
		return formatPrompt, nil
	}
	return formatText, openai.Errorf("response_format", "Invalid 'response_format': this Bedrock model supports neither structured output nor tools, so it cannot be held to a JSON schema.")
}

// jsonToolName returns the name of the structured-output fallback tool
// when ToConverse uses it for req, else "".
func jsonToolName(req *openai.ChatCompletionRequest, opts RequestOptions) string {
	rf, err := parseResponseFormat(req.ResponseFormat)
	if err != nil || rf == nil {
		return ""
	}
	if plan, err := planFormat(rf, opts); err != nil || plan != formatTool {
		return ""
	}
	return jsonTool
}

// applyResponseFormat maps response_format json_object and json_schema
// (text is the default). Natively (see planFormat), the schema goes in
// outputConfig.textFormat, as the string Bedrock's JsonSchemaDefinition
// takes, and the answer is JSON text. With the fallback, a tool named
// json_response whose input schema is the format's schema is added, and
// the tool choice forces a call:
//
//	tool_choice         fallback toolChoice
//	absent, auto        any: the json tool or one of the client's tools
//	required            any
//	function            the named function, unchanged
//	none, or no tools   tool json_response (the client's tools are withheld)
//
// The answer's translation (ResponseMeta.JSONTool) turns the call into the
// message content and finishes with "stop". A model that takes no
// toolChoice gets the tool alone, and may answer in text, which is then
// the content; with a forced choice Claude cannot think, so reasoning is
// dropped (see applyReasoning).
// https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
func applyResponseFormat(req *openai.ChatCompletionRequest, opts RequestOptions, out *ConverseRequest) error {
	rf, err := parseResponseFormat(req.ResponseFormat)
	if err != nil {
		return err
	}
	plan, err := planFormat(rf, opts)
	if err != nil {
		return err
	}
	switch plan {
	case formatNative:
		return nativeFormat(rf, out)
	case formatTool:
		return fallbackTool(rf, req, opts, out)
	}
	return nil
}

// nativeFormat sets outputConfig.textFormat.
func nativeFormat(rf *responseFormat, out *ConverseRequest) error {
	type jsonSchema struct {
		Schema      string `json:"schema"`
		Name        string `json:"name,omitempty"`
		Description string `json:"description,omitempty"`
	}
	var cfg struct {
		TextFormat struct {
			Type      string `json:"type"`
			Structure struct {
				JSONSchema jsonSchema `json:"jsonSchema"`
			} `json:"structure"`
		} `json:"textFormat"`
	}
	cfg.TextFormat.Type = "json_schema"
	cfg.TextFormat.Structure.JSONSchema = jsonSchema{Schema: string(rf.schema), Name: rf.name, Description: rf.description}
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("outputConfig: %w", err)
	}
	out.OutputConfig = b
	return nil
}

// fallbackTool adds the json tool and forces a call (see
// applyResponseFormat).
func fallbackTool(rf *responseFormat, req *openai.ChatCompletionRequest, opts RequestOptions, out *ConverseRequest) error {
	for _, t := range req.Tools {
		if t.Function != nil && t.Function.Name == jsonTool {
			return openai.Errorf("response_format", "Invalid 'response_format': Outcrop serves it on this model with a tool named '%s', which 'tools' defines too; rename that tool.", jsonTool)
		}
	}
	spec := &ToolSpec{Name: jsonTool, Description: toolDescription(rf), InputSchema: InputSchema{JSON: rf.schema}}
	tc := out.ToolConfig
	if tc == nil {
		tc = &ToolConfig{}
		out.ToolConfig = tc
	}
	tc.Tools = append(tc.Tools, Tool{ToolSpec: spec})
	switch c := tc.ToolChoice; {
	case len(tc.Tools) == 1:
		tc.ToolChoice = &ToolChoice{Tool: &ToolChoiceTool{Name: jsonTool}}
	case c == nil || c.Auto != nil:
		tc.ToolChoice = &ToolChoice{Any: &struct{}{}}
	}
	if !takesToolChoice(opts) {
		tc.ToolChoice = nil
	}
	return nil
}

// toolDescription tells the model what the json tool is for.
func toolDescription(rf *responseFormat) string {
	d := "Give your final answer by calling this tool: its input is the answer, as a JSON object"
	if rf.name != "" {
		d += fmt.Sprintf(" matching the schema '%s'", rf.name)
	}
	d += "."
	if rf.description != "" {
		d += " " + rf.description
	}
	return d
}

// applyOutputControls applies what shapes the answer, once the rest of
// the request is built: response_format (which may add a forced tool),
// then reasoning, which must see the final tool choice and
// additionalModelRequestFields, then parallel_tool_calls, which may move
// the tool choice into additionalModelRequestFields. It runs last in
// ToConverse.
func applyOutputControls(req *openai.ChatCompletionRequest, extras *requestExtras, opts RequestOptions, out *ConverseRequest) error {
	if err := applyResponseFormat(req, opts, out); err != nil {
		return err
	}
	if err := applyReasoning(req, extras, opts, out); err != nil {
		return err
	}
	return applyParallelToolCalls(req, opts, out)
}
