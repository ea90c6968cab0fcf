package openaitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/outcrop/outcrop/internal/openai"
)

// Created is the `created` time of every canned answer, fixed so that
// answers are deterministic.
const Created = 1735689600 // 2025-01-01T00:00:00Z

// canned returns the emulator's own answer for rt.
func (s *Server) canned(rt route, body []byte) Reply {
	switch rt.op {
	case opChat:
		return s.chat(rt, body)
	case opCompletion:
		return s.completion(rt, body)
	case opEmbeddings:
		return s.embeddings(rt, body)
	case opModels:
		return s.models(rt)
	}
	return notFound(rt)
}

// chatRequest is what the emulator reads of a chat completion request.
type chatRequest struct {
	Model               string            `json:"model"`
	Messages            []json.RawMessage `json:"messages"`
	Stream              bool              `json:"stream"`
	StreamOptions       *streamOptions    `json:"stream_options"`
	N                   *int              `json:"n"`
	MaxTokens           *int              `json:"max_tokens"`
	MaxCompletionTokens *int              `json:"max_completion_tokens"`
	Tools               []struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice json.RawMessage `json:"tool_choice"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// answer is what a canned completion says, before it is shaped.
type answer struct {
	id      string
	model   string
	pieces  []string // content, one piece per token
	finish  string
	tool    *toolAnswer
	n       int
	prompt  int // prompt tokens
	azure   bool
	usage   bool // stream_options.include_usage
	created int64
}

type toolAnswer struct {
	id, name string
	args     []string
}

func (a *answer) completionTokens() int {
	if a.tool != nil {
		return 1 + len(a.tool.args)
	}
	return len(a.pieces)
}

func (s *Server) chat(rt route, body []byte) Reply {
	var req chatRequest
	if rep, bad := s.decode(rt, body, &req); bad {
		return rep
	}
	if rep, bad := s.checkModel(rt, req.Model); bad {
		return rep
	}
	if len(req.Messages) == 0 {
		return ErrorReply(&openai.Error{
			Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "messages", Code: "empty_array",
			Message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
		})
	}
	if req.StreamOptions != nil && !req.Stream {
		return ErrorReply(openai.Errorf("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."))
	}
	a := s.plan(rt, req.Model, "chatcmpl-emu", req.N, firstSet(req.MaxCompletionTokens, req.MaxTokens))
	a.prompt = promptTokens(req.Messages)
	a.usage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	if name := forcedTool(req); name != "" {
		a.tool = &toolAnswer{id: fmt.Sprintf("call_emu%08d", rt.seq), name: name, args: []string{`{"`, `input`, `":"`, `emulator`, `"}`}}
		a.pieces, a.finish = nil, openai.FinishToolCalls
	}
	if req.Stream {
		return chatStream(a)
	}
	return jsonReply(chatResponse(a))
}

// plan fills the parts of an answer common to chat and completions.
func (s *Server) plan(rt route, model, idPrefix string, n, limit *int) *answer {
	a := &answer{
		id:      fmt.Sprintf("%s%08d", idPrefix, rt.seq),
		model:   model,
		pieces:  pieces(s.opts.answer),
		finish:  openai.FinishStop,
		n:       1,
		azure:   rt.surface == surfaceAzure,
		created: Created,
	}
	if a.azure {
		a.model = rt.deployment
	}
	if n != nil && *n > 1 {
		a.n = *n
	}
	if limit != nil && *limit < len(a.pieces) {
		a.pieces, a.finish = a.pieces[:max(*limit, 0)], openai.FinishLength
	}
	return a
}

func firstSet(vs ...*int) *int {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// forcedTool returns the function a request forces with tool_choice
// "required" or {"type":"function","function":{"name":...}}, else "".
func forcedTool(req chatRequest) string {
	if len(req.Tools) == 0 {
		return ""
	}
	var mode string
	if json.Unmarshal(req.ToolChoice, &mode) == nil {
		if mode == "required" {
			return req.Tools[0].Function.Name
		}
		return ""
	}
	var named struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(req.ToolChoice, &named) == nil {
		return named.Function.Name
	}
	return ""
}

// pieces splits text into stream deltas the way OpenAI's tokens fall: each
// word after the first carries its leading space.
func pieces(text string) []string {
	words := strings.Fields(text)
	for i := 1; i < len(words); i++ {
		words[i] = " " + words[i]
	}
	return words
}

// promptTokens counts the words of the messages' text as tokens; any
// deterministic count will do for an emulator.
func promptTokens(messages []json.RawMessage) int {
	n := 0
	for _, m := range messages {
		var msg struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(m, &msg) != nil {
			continue
		}
		var text string
		if json.Unmarshal(msg.Content, &text) == nil {
			n += len(strings.Fields(text))
			continue
		}
		var parts []struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(msg.Content, &parts) == nil {
			for _, p := range parts {
				n += len(strings.Fields(p.Text))
			}
		}
	}
	return max(n, 1)
}

// Wire shapes of canned chat answers, field order as OpenAI writes them.
type (
	chatCompletion struct {
		ID                  string          `json:"id"`
		Object              string          `json:"object"`
		Created             int64           `json:"created"`
		Model               string          `json:"model"`
		Choices             []chatChoice    `json:"choices"`
		Usage               usage           `json:"usage"`
		ServiceTier         string          `json:"service_tier,omitempty"`
		SystemFingerprint   *string         `json:"system_fingerprint"`
		PromptFilterResults json.RawMessage `json:"prompt_filter_results,omitempty"`
	}
	chatChoice struct {
		Index                int             `json:"index"`
		Message              chatMessage     `json:"message"`
		Logprobs             json.RawMessage `json:"logprobs"`
		FinishReason         string          `json:"finish_reason"`
		ContentFilterResults json.RawMessage `json:"content_filter_results,omitempty"`
	}
	chatMessage struct {
		Role        string     `json:"role"`
		Content     *string    `json:"content"`
		Refusal     *string    `json:"refusal"`
		ToolCalls   []toolCall `json:"tool_calls,omitempty"`
		Annotations []any      `json:"annotations"`
	}
	toolCall struct {
		Index    *int         `json:"index,omitempty"`
		ID       string       `json:"id,omitempty"`
		Type     string       `json:"type,omitempty"`
		Function functionCall `json:"function"`
	}
	functionCall struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	}
	usage struct {
		PromptTokens            int                `json:"prompt_tokens"`
		CompletionTokens        int                `json:"completion_tokens"`
		TotalTokens             int                `json:"total_tokens"`
		PromptTokensDetails     *promptDetails     `json:"prompt_tokens_details,omitempty"`
		CompletionTokensDetails *completionDetails `json:"completion_tokens_details,omitempty"`
	}
	promptDetails struct {
		CachedTokens int `json:"cached_tokens"`
		AudioTokens  int `json:"audio_tokens"`
	}
	completionDetails struct {
		ReasoningTokens          int `json:"reasoning_tokens"`
		AudioTokens              int `json:"audio_tokens"`
		AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	}
	chatChunk struct {
		ID                string          `json:"id"`
		Object            string          `json:"object"`
		Created           int64           `json:"created"`
		Model             string          `json:"model"`
		ServiceTier       string          `json:"service_tier,omitempty"`
		SystemFingerprint *string         `json:"system_fingerprint"`
		Choices           []chunkChoice   `json:"choices"`
		Usage             json.RawMessage `json:"usage,omitempty"`
	}
	chunkChoice struct {
		Index        int             `json:"index"`
		Delta        delta           `json:"delta"`
		Logprobs     json.RawMessage `json:"logprobs"`
		FinishReason *string         `json:"finish_reason"`
	}
	// delta's RawMessage fields tell absent (nil) from null.
	delta struct {
		Role      string          `json:"role,omitempty"`
		Content   json.RawMessage `json:"content,omitempty"`
		ToolCalls []toolCall      `json:"tool_calls,omitempty"`
		Refusal   json.RawMessage `json:"refusal,omitempty"`
	}
)

const (
	null = "null"
	// Azure's content filter annotations, all clear.
	azurePromptFilter = `[{"prompt_index":0,"content_filter_results":{}}]`
	azureChoiceFilter = `{}`
)

func (a *answer) chatUsage() usage {
	c := a.completionTokens() * a.n
	return usage{
		PromptTokens: a.prompt, CompletionTokens: c, TotalTokens: a.prompt + c,
		PromptTokensDetails:     &promptDetails{},
		CompletionTokensDetails: &completionDetails{},
	}
}

func (a *answer) serviceTier() string {
	if a.azure {
		return ""
	}
	return "default"
}

func chatResponse(a *answer) chatCompletion {
	resp := chatCompletion{
		ID: a.id, Object: openai.ObjectChatCompletion, Created: a.created, Model: a.model,
		Usage: a.chatUsage(), ServiceTier: a.serviceTier(),
	}
	if a.azure {
		resp.PromptFilterResults = json.RawMessage(azurePromptFilter)
	}
	for i := 0; i < a.n; i++ {
		msg := chatMessage{Role: openai.RoleAssistant, Annotations: []any{}}
		if a.tool != nil {
			msg.ToolCalls = []toolCall{{ID: a.tool.id, Type: "function", Function: functionCall{Name: a.tool.name, Arguments: strings.Join(a.tool.args, "")}}}
		} else {
			text := strings.Join(a.pieces, "")
			msg.Content = &text
		}
		ch := chatChoice{Index: i, Message: msg, Logprobs: json.RawMessage(null), FinishReason: a.finish}
		if a.azure {
			ch.ContentFilterResults = json.RawMessage(azureChoiceFilter)
		}
		resp.Choices = append(resp.Choices, ch)
	}
	return resp
}

// chatStream shapes a streamed answer: a first chunk with the role, the
// deltas, a finish chunk, then the usage chunk (choices []) when asked,
// every chunk carrying "usage":null in that case, as OpenAI does.
func chatStream(a *answer) Reply {
	var events []string
	if a.azure {
		// Azure opens with the prompt's filter results and no choices.
		events = append(events, `{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":`+azurePromptFilter+`}`)
	}
	emit := func(c chatChunk) {
		c.ID, c.Object, c.Created, c.Model, c.ServiceTier = a.id, openai.ObjectChatCompletionChunk, a.created, a.model, a.serviceTier()
		if a.usage && c.Usage == nil {
			c.Usage = json.RawMessage(null)
		}
		events = append(events, mustJSON(c))
	}
	one := func(i int, d delta, finish *string) chatChunk {
		return chatChunk{Choices: []chunkChoice{{Index: i, Delta: d, Logprobs: json.RawMessage(null), FinishReason: finish}}}
	}
	for i := 0; i < a.n; i++ {
		emit(one(i, a.firstDelta(), nil))
	}
	for _, d := range a.deltas() {
		for i := 0; i < a.n; i++ {
			emit(one(i, d, nil))
		}
	}
	for i := 0; i < a.n; i++ {
		emit(one(i, delta{}, &a.finish))
	}
	if a.usage {
		u := a.chatUsage()
		emit(chatChunk{Choices: []chunkChoice{}, Usage: json.RawMessage(mustJSON(u))})
	}
	return StreamReply(events...)
}

func (a *answer) firstDelta() delta {
	d := delta{Role: openai.RoleAssistant, Content: json.RawMessage(`""`), Refusal: json.RawMessage(null)}
	if a.tool != nil {
		zero := 0
		d.Content = json.RawMessage(null)
		d.ToolCalls = []toolCall{{Index: &zero, ID: a.tool.id, Type: "function", Function: functionCall{Name: a.tool.name}}}
	}
	return d
}

func (a *answer) deltas() []delta {
	var ds []delta
	if a.tool != nil {
		zero := 0
		for _, arg := range a.tool.args {
			ds = append(ds, delta{ToolCalls: []toolCall{{Index: &zero, Function: functionCall{Arguments: arg}}}})
		}
		return ds
	}
	for _, p := range a.pieces {
		ds = append(ds, delta{Content: json.RawMessage(mustJSON(p))})
	}
	return ds
}

// decode parses a request body as OpenAI does, answering 400 when it is
// not a JSON object.
func (s *Server) decode(rt route, body []byte, v any) (Reply, bool) {
	if err := json.Unmarshal(body, v); err != nil || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		if rt.surface != surfaceOpenAI {
			return AzureErrorReply(http.StatusBadRequest, "BadRequest", "Invalid JSON body."), true
		}
		return ErrorReply(openai.Errorf("", "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)")), true
	}
	return Reply{}, false
}

// checkModel answers 400 for a missing model and, with WithModels, 404 for
// an unknown one. Azure's classic surface takes the model from the path.
func (s *Server) checkModel(rt route, model string) (Reply, bool) {
	if rt.surface == surfaceAzure {
		return Reply{}, false
	}
	if model == "" {
		return ErrorReply(openai.Errorf("model", "you must provide a model parameter")), true
	}
	if s.opts.strict && !contains(s.opts.models, model) {
		return ErrorReply(openai.ModelNotFound(model)), true
	}
	return Reply{}, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func jsonReply(v any) Reply {
	return Reply{Header: jsonHeader(), Body: []byte(mustJSON(v))}
}

// mustJSON marshals the emulator's own wire structs, which cannot fail.
func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("openaitest: marshal: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
