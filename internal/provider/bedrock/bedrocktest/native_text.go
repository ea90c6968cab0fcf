package bedrocktest

import (
	"encoding/json"
	"strings"
)

// Text families with canned InvokeModel answers besides Anthropic and
// Llama, by their request bodies (the Bedrock user guide's inference
// parameter pages,
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html).
const (
	// familyMistral takes a text completion (prompt, answered in
	// outputs[]) or a chat completion (messages, answered in choices[]
	// with stop_reason).
	familyMistral = "mistral"
	// familyTitanText takes inputText and textGenerationConfig.
	familyTitanText = "titan-text"
	// familyNova takes messages of content blocks and inferenceConfig.
	familyNova = "nova"
	// familyCohere is Command (prompt, answered in generations[]) and
	// Command R (message, answered in text).
	familyCohere = "cohere"
	// familyChoices takes OpenAI chat completions (messages, answered in
	// choices[] with finish_reason and usage): AI21 Jamba, OpenAI
	// gpt-oss, Qwen.
	familyChoices = "choices"
	// familyDeepSeek takes a prompt (answered in choices[].text) or
	// messages (answered like familyChoices).
	familyDeepSeek = "deepseek"
)

// isTextFamily reports whether f is one of the families above, whose
// bodies nativeRequest.text reads.
func isTextFamily(f string) bool {
	switch f {
	case familyMistral, familyTitanText, familyNova, familyCohere, familyChoices, familyDeepSeek:
		return true
	}
	return false
}

// textRequest is the union of the text families' request members the
// emulator reads.
type textRequest struct {
	Prompt    *string `json:"prompt"`
	InputText *string `json:"inputText"`
	Message   *string `json:"message"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	System              json.RawMessage `json:"system"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                json.RawMessage `json:"stop"`
	StopSequences       []string        `json:"stop_sequences"`
	TextGeneration      *struct {
		MaxTokenCount *int     `json:"maxTokenCount"`
		StopSequences []string `json:"stopSequences"`
	} `json:"textGenerationConfig"`
	Inference *struct {
		MaxNewTokens  *int     `json:"max_new_tokens"`
		MaxTokens     *int     `json:"maxTokens"`
		StopSequences []string `json:"stopSequences"`
	} `json:"inferenceConfig"`
}

// text reads the body of a text family: the required member, the last
// user text, the output limit and the stop sequences.
func (nat *nativeRequest) text(obj map[string]json.RawMessage, body []byte) *Error {
	if e := requiredOneOf(obj, textRequired(nat.family)...); e != nil {
		return e
	}
	var r textRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return malformed("#: " + err.Error())
	}
	nat.chat = len(r.Messages) > 0 || r.Message != nil
	texts := contentTexts(r.System)
	for _, m := range r.Messages {
		t := strings.Join(contentTexts(m.Content), " ")
		texts = append(texts, t)
		if m.Role == "user" {
			nat.userText = t
		}
	}
	for _, p := range []*string{r.Prompt, r.InputText, r.Message} {
		if p != nil {
			texts = append(texts, *p)
			nat.userText = promptUserText(*p)
		}
	}
	nat.inputTokens = atLeastOne(Tokens(strings.Join(texts, " ")))
	nat.maxTokens = deref(firstSet(r.MaxTokens, r.MaxCompletionTokens))
	nat.stops = append(r.StopSequences, stopList(r.Stop)...)
	if g := r.TextGeneration; g != nil {
		nat.maxTokens, nat.stops = deref(firstSet(g.MaxTokenCount, &nat.maxTokens)), append(nat.stops, g.StopSequences...)
	}
	if c := r.Inference; c != nil {
		nat.maxTokens, nat.stops = deref(firstSet(c.MaxNewTokens, c.MaxTokens, &nat.maxTokens)), append(nat.stops, c.StopSequences...)
	}
	return nil
}

// textRequired is the member a family's body must have, one of several.
func textRequired(f string) []string {
	switch f {
	case familyTitanText:
		return []string{"inputText"}
	case familyNova, familyChoices:
		return []string{"messages"}
	case familyCohere:
		return []string{"prompt", "message"}
	}
	return []string{"prompt", "messages"}
}

// requiredOneOf returns the error for a body that has none of keys.
func requiredOneOf(obj map[string]json.RawMessage, keys ...string) *Error {
	for _, k := range keys {
		if _, ok := obj[k]; ok {
			return nil
		}
	}
	return required(obj, keys[0])
}

// contentTexts returns the text of a message content or system value: a
// string, or the text of blocks {"text"} (Nova) and {"type":"text","text"}
// (OpenAI).
func contentTexts(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	var out []string
	for _, b := range blocks {
		if b.Type == "" || b.Type == "text" {
			out = append(out, b.Text)
		}
	}
	return out
}

// promptUserText is the last instruction of a Mistral prompt ("<s>[INST]
// hello [/INST]"), or the whole prompt.
func promptUserText(prompt string) string {
	if i := strings.LastIndex(prompt, "[INST]"); i >= 0 {
		turn := prompt[i+len("[INST]"):]
		if j := strings.Index(turn, "[/INST]"); j >= 0 {
			turn = turn[:j]
		}
		return strings.TrimSpace(turn)
	}
	return strings.TrimSpace(prompt)
}

// stopList reads OpenAI's stop: a string or a list of them.
func stopList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []string
	_ = json.Unmarshal(raw, &list) // absent or another shape: none
	return list
}

func firstSet(ps ...*int) *int {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
