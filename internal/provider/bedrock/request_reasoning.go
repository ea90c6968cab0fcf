package bedrock

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
)

// minThinkingBudget is the smallest budget_tokens Anthropic's extended
// thinking takes; max_tokens must be above the budget.
// https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html
const minThinkingBudget = 1024

// thinkingBudget is the thinking allowance of a reasoning_effort: Claude's
// budget_tokens with extended thinking, and the room added to the default
// maxTokens with adaptive thinking. Each level doubles or quadruples the
// one before; "high" plus the default answer room (4096) stays under the
// 21,333 tokens above which Anthropic asks for streaming.
func thinkingBudget(effort string) int {
	switch effort {
	case "minimal":
		return minThinkingBudget
	case "low":
		return 2048
	case "medium":
		return 8192
	case "high":
		return 16_384
	case "xhigh":
		return 32_768
	case "max":
		return 65_536
	}
	return 0
}

// reasoningPlan is what a request's reasoning adds to the Converse
// request.
type reasoningPlan struct {
	// on is true when the model reasons for this request: the reasoning
	// restored from the history is then sent back.
	on bool
	// fields are members of additionalModelRequestFields.
	fields map[string]json.RawMessage
	// anthropic is true for Claude's thinking (enabled or adaptive), with
	// its rules: see thinkingAllowed and anthropicSampling.
	anthropic bool
	// budget is budget_tokens of extended thinking, 0 for adaptive;
	// fromEffort says whether the gateway chose it (and may lower it to
	// fit the output limit) or the client's thinking object did.
	budget     int
	fromEffort bool
	// allowance is the room for adaptive thinking added to the default
	// maxTokens.
	allowance int
	// nova is Nova 2's reasoningConfig, high its "high" effort.
	nova, novaHigh bool
}

// applyReasoning maps reasoning_effort and Anthropic's thinking object to
// the model's reasoning control, by its catalogue entry (Reasoning):
//
//	model                  reasoning_effort                    additionalModelRequestFields
//	budget (Claude 3.7-4.5) minimal..max                       thinking {type: enabled, budget_tokens: thinkingBudget}
//	adaptive (Claude 4.6+) minimal,low→low medium high,xhigh→high max
//	                                                           thinking {type: adaptive}, output_config {effort}
//	effort, amazon.*       minimal,low→low medium high..max→high
//	                                                           reasoningConfig {type: enabled, maxReasoningEffort}
//	effort, others (gpt-oss) none..low→low medium high..max→high
//	                                                           reasoning_effort
//	always (DeepSeek-R1)   ignored: the model always reasons    -
//	none, or unknown model ignored: no known control            -
//
// "none" turns reasoning off where it can be off. An unknown effort is a
// 400. A thinking object in the request (top level or extra_body) wins
// over reasoning_effort and is sent as is.
//
// Claude's thinking comes with rules the gateway applies rather than
// leave to Bedrock's 400s:
//
//   - maxTokens must be above budget_tokens. With no client limit the
//     default limit grows by the thinking allowance (capped by the
//     model's output limit, the budget shrinking to fit); a client limit
//     is kept, as OpenAI's max_completion_tokens includes reasoning, and
//     the gateway's budget shrinks below it; a limit that leaves no room
//     for the smallest budget is a 400.
//   - temperature is dropped (thinking takes only the default, 1), top_p
//     is raised to 0.95 at least, and top_k is removed.
//   - thinking is not sent when it cannot work: with a forced tool choice
//     ("required", a named function, the structured-output fallback),
//     which Claude refuses with thinking; when the conversation ends with
//     an assistant turn (prefill); and when the last assistant turn made
//     tool calls without its reasoning (reasoning_details) coming back,
//     since Claude then needs the turn to start with its signed thinking.
//     The answer then has no reasoning, rather than the request failing.
//
// Nova 2 with reasoning takes neither temperature nor top_p, and at high
// effort no maxTokens either; they are dropped. When the model rejects
// temperature with top_p (ExclusiveSampling), top_p is dropped. Restored
// reasoning is sent back only when the model reasons for this request.
// With opts.ThinkTags, a <think>...</think> block at the start of an
// assistant's text (what the <think> mode returned) is removed.
func applyReasoning(req *openai.ChatCompletionRequest, extras *requestExtras, opts RequestOptions, out *ConverseRequest) error {
	if opts.ThinkTags {
		stripThinkTags(out.Messages)
	}
	p, err := planReasoning(req, extras, opts)
	if err != nil {
		return err
	}
	if p.anthropic && !thinkingAllowed(out) {
		p = reasoningPlan{}
	}
	if !p.on {
		out.Messages = stripReasoning(out.Messages)
	}
	if p.anthropic {
		if err := thinkingTokens(req, opts, out, &p); err != nil {
			return err
		}
		if err := anthropicSampling(out); err != nil {
			return err
		}
	}
	if p.nova {
		novaSampling(out, p.novaHigh)
	}
	exclusiveSampling(opts, out)
	for _, k := range sortedKeys(p.fields) {
		if err := setModelField(out, k, p.fields[k]); err != nil {
			return err
		}
	}
	return nil
}

// planReasoning reads the request's reasoning controls.
func planReasoning(req *openai.ChatCompletionRequest, extras *requestExtras, opts RequestOptions) (reasoningPlan, error) {
	if raw := extras.thinking(); raw != nil {
		return thinkingObject(raw)
	}
	effort := req.ReasoningEffort
	switch effort {
	case "", "none", "minimal", "low", "medium", "high", "xhigh", "max":
	default:
		return reasoningPlan{}, openai.Errorf("reasoning_effort", "Invalid value: '%s'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh' and 'max'.", effort)
	}
	style := opts.Model.Reasoning
	if style == ReasoningAlways {
		return reasoningPlan{on: true}, nil
	}
	if effort == "" || !knownModel(opts) || (effort == "none" && style != ReasoningEffort) {
		return reasoningPlan{}, nil
	}
	switch style {
	case ReasoningBudget:
		return reasoningPlan{on: true, anthropic: true, budget: thinkingBudget(effort), fromEffort: true}, nil
	case ReasoningAdaptive:
		return reasoningPlan{on: true, anthropic: true, allowance: thinkingBudget(effort), fields: map[string]json.RawMessage{
			extThinking:     json.RawMessage(`{"type":"adaptive"}`),
			"output_config": json.RawMessage(`{"effort":"` + adaptiveEffort(effort) + `"}`),
		}}, nil
	case ReasoningEffort:
		return effortPlan(effort, opts), nil
	}
	return reasoningPlan{}, nil
}

// effortPlan maps an effort to Nova 2's reasoningConfig, or to the flat
// reasoning_effort of OpenAI's open-weight models (and any other model
// the catalogue marks with effort reasoning). Nova's reasoning can be
// off; gpt-oss always reasons, at low effort at least.
// https://docs.aws.amazon.com/nova/latest/nova2-userguide/extended-thinking.html
func effortPlan(effort string, opts RequestOptions) reasoningPlan {
	level := "high"
	switch effort {
	case "none", "minimal", "low":
		level = "low"
	case "medium":
		level = "medium"
	}
	if strings.HasPrefix(opts.Model.Prefix, "amazon.") {
		if effort == "none" {
			return reasoningPlan{}
		}
		return reasoningPlan{on: true, nova: true, novaHigh: level == "high", fields: map[string]json.RawMessage{
			"reasoningConfig": json.RawMessage(`{"type":"enabled","maxReasoningEffort":"` + level + `"}`),
		}}
	}
	return reasoningPlan{on: true, fields: map[string]json.RawMessage{
		"reasoning_effort": json.RawMessage(`"` + level + `"`),
	}}
}

// adaptiveEffort maps an effort to Claude's output_config.effort, which
// has low, medium, high and max (max only on some models).
// https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-adaptive-thinking.html
func adaptiveEffort(effort string) string {
	switch effort {
	case "minimal", "low":
		return "low"
	case "medium":
		return "medium"
	case "max":
		return "max"
	}
	return "high"
}

// thinkingObject reads the client's thinking object, sent as is.
func thinkingObject(raw json.RawMessage) (reasoningPlan, error) {
	var t struct {
		Type         string `json:"type"`
		BudgetTokens *int   `json:"budget_tokens"`
	}
	if raw[0] != '{' || json.Unmarshal(raw, &t) != nil {
		return reasoningPlan{}, openai.Errorf(extThinking, "Invalid 'thinking': expected an object such as {\"type\": \"enabled\", \"budget_tokens\": 2048}.")
	}
	p := reasoningPlan{fields: map[string]json.RawMessage{extThinking: raw}}
	switch t.Type {
	case "enabled":
		if t.BudgetTokens == nil || *t.BudgetTokens < minThinkingBudget {
			return reasoningPlan{}, openai.Errorf("thinking.budget_tokens", "Invalid 'thinking.budget_tokens': an integer of at least %d is required when thinking is enabled.", minThinkingBudget)
		}
		p.on, p.anthropic, p.budget = true, true, *t.BudgetTokens
	case "adaptive":
		p.on, p.anthropic, p.allowance = true, true, thinkingBudget("high")
	}
	return p, nil
}

// thinkingAllowed reports whether Claude can think in this request (see
// applyReasoning).
func thinkingAllowed(out *ConverseRequest) bool {
	if tc := out.ToolConfig; tc != nil && tc.ToolChoice != nil && (tc.ToolChoice.Any != nil || tc.ToolChoice.Tool != nil) {
		return false
	}
	for i := len(out.Messages) - 1; i >= 0; i-- {
		m := &out.Messages[i]
		if m.Role != RoleAssistant {
			continue
		}
		if i == len(out.Messages)-1 {
			return false
		}
		return len(toolUses(*m)) == 0 || m.Content[0].ReasoningContent != nil
	}
	return true
}

// thinkingTokens sets maxTokens above the thinking budget and writes the
// gateway's thinking object (see applyReasoning).
func thinkingTokens(req *openai.ChatCompletionRequest, opts RequestOptions, out *ConverseRequest, p *reasoningPlan) error {
	if out.InferenceConfig == nil {
		out.InferenceConfig = &InferenceConfig{}
	}
	ic := out.InferenceConfig
	param, limit := clientLimit(req)
	room := opts.DefaultMaxTokens
	if room <= 0 {
		room = defaultMaxTokens
	}
	if p.budget == 0 { // adaptive: no budget to fit, only room to give
		if limit == 0 {
			n := capTokens(room+p.allowance, opts.MaxOutputTokens)
			ic.MaxTokens = &n
		}
		return nil
	}
	switch {
	case limit > 0 && limit <= minThinkingBudget:
		return openai.Errorf(param, "Invalid '%s': with thinking, Claude needs more than %d tokens (its smallest thinking budget), got %d.", param, minThinkingBudget, limit)
	case limit > 0 && p.fromEffort:
		p.budget = min(p.budget, limit-1)
	case limit > 0 && limit <= p.budget:
		return openai.Errorf(param, "Invalid '%s': it must be greater than thinking.budget_tokens (%d), got %d.", param, p.budget, limit)
	case limit == 0:
		total := capTokens(p.budget+room, opts.MaxOutputTokens)
		if p.fromEffort {
			p.budget = max(min(p.budget, total-room), minThinkingBudget)
		}
		if total <= p.budget {
			return openai.Errorf(budgetParam(p), "Invalid '%s': thinking needs more tokens than this model generates (%d).", budgetParam(p), opts.MaxOutputTokens)
		}
		ic.MaxTokens = &total
	}
	if p.fromEffort {
		p.fields = map[string]json.RawMessage{
			extThinking: json.RawMessage(`{"type":"enabled","budget_tokens":` + strconv.Itoa(p.budget) + `}`),
		}
	}
	return nil
}

func budgetParam(p *reasoningPlan) string {
	if p.fromEffort {
		return "reasoning_effort"
	}
	return "thinking.budget_tokens"
}

// clientLimit returns the client's output limit and its parameter, or 0.
func clientLimit(req *openai.ChatCompletionRequest) (string, int) {
	if v := req.MaxCompletionTokens; v != nil {
		return "max_completion_tokens", *v
	}
	if v := req.MaxTokens; v != nil {
		return "max_tokens", *v
	}
	return "", 0
}

// minThinkingTopP is the smallest top_p Claude takes while thinking.
const minThinkingTopP = 0.95

// anthropicSampling applies Claude's sampling rules while thinking: no
// temperature other than the default, top_p of 0.95 or more, no top_k.
// https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html
func anthropicSampling(out *ConverseRequest) error {
	if ic := out.InferenceConfig; ic != nil {
		ic.Temperature = nil
		if ic.TopP != nil && *ic.TopP < minThinkingTopP {
			v := minThinkingTopP
			ic.TopP = &v
		}
	}
	return deleteModelField(out, "top_k")
}

// novaSampling applies Nova 2's rules with reasoning: no temperature or
// top_p, and at high effort no maxTokens.
func novaSampling(out *ConverseRequest, high bool) {
	ic := out.InferenceConfig
	if ic == nil {
		return
	}
	ic.Temperature, ic.TopP = nil, nil
	if high {
		ic.MaxTokens = nil
	}
	if ic.MaxTokens == nil && ic.StopSequences == nil {
		out.InferenceConfig = nil
	}
}

// exclusiveSampling keeps temperature and drops top_p for a model that
// refuses both (Claude 4.5 and later answer "temperature and top_p cannot
// both be specified for this model"): temperature is the knob clients
// mean when they set both.
func exclusiveSampling(opts RequestOptions, out *ConverseRequest) {
	if ic := out.InferenceConfig; ic != nil && opts.Model.ExclusiveSampling && ic.Temperature != nil && ic.TopP != nil {
		ic.TopP = nil
	}
}

// stripReasoning removes reasoning blocks from the conversation, and a
// turn left empty with them.
func stripReasoning(msgs []Message) []Message {
	found := false
	for _, m := range msgs {
		for _, b := range m.Content {
			found = found || b.ReasoningContent != nil
		}
	}
	if !found {
		return msgs
	}
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		content := make([]ContentBlock, 0, len(m.Content))
		for _, b := range m.Content {
			if b.ReasoningContent == nil {
				content = append(content, b)
			}
		}
		if len(content) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Content = append(out[n-1].Content, content...)
			continue
		}
		out = append(out, Message{Role: m.Role, Content: content})
	}
	return out
}

// stripThinkTags removes a leading <think>...</think> block from the
// first text of each assistant turn, and the text block when nothing else
// is left of it (and the turn keeps other blocks).
func stripThinkTags(msgs []Message) {
	for i := range msgs {
		m := &msgs[i]
		if m.Role != RoleAssistant {
			continue
		}
		j := slices.IndexFunc(m.Content, func(b ContentBlock) bool { return b.Text != nil })
		if j < 0 {
			continue
		}
		rest, ok := afterThink(*m.Content[j].Text)
		switch {
		case !ok:
		case rest != "":
			m.Content[j].Text = &rest
		case len(m.Content) > 1:
			m.Content = slices.Delete(slices.Clone(m.Content), j, j+1)
		}
	}
}

// afterThink returns what follows a <think>...</think> block that s
// starts with, without the space around it; ok is false when s does not
// start with one.
func afterThink(s string) (rest string, ok bool) {
	inner, ok := strings.CutPrefix(strings.TrimLeft(s, " \t\r\n"), thinkOpen)
	if !ok {
		return "", false
	}
	_, after, ok := strings.Cut(inner, thinkClose)
	return strings.TrimLeft(after, " \t\r\n"), ok
}

// setModelField sets one member of additionalModelRequestFields.
func setModelField(out *ConverseRequest, key string, val json.RawMessage) error {
	f, err := mergeAdditional(out.AdditionalModelRequestFields, map[string]json.RawMessage{key: val})
	if err != nil {
		return openai.Errorf(extAdditional, "Invalid '%s': %v.", extAdditional, err)
	}
	out.AdditionalModelRequestFields = f
	return nil
}

// deleteModelField removes one member of additionalModelRequestFields,
// and the object when it is left empty.
func deleteModelField(out *ConverseRequest, key string) error {
	if len(out.AdditionalModelRequestFields) == 0 {
		return nil
	}
	f, err := jsonx.Delete(out.AdditionalModelRequestFields, key)
	if err != nil {
		return openai.Errorf(extAdditional, "Invalid '%s': %v.", extAdditional, err)
	}
	if bytes.Equal(bytes.Join(bytes.Fields(f), nil), []byte("{}")) {
		f = nil
	}
	out.AdditionalModelRequestFields = f
	return nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
