package bedrock

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// NativeFormat is the shape of a model family's InvokeModel answer
// (wire.md §4, and the Bedrock user guide's inference parameter pages,
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html).
type NativeFormat string

// The answer formats Outcrop reads.
const (
	// FormatAnthropic is the Messages API: content[] blocks, of which the
	// text ones are the answer (thinking and tool_use blocks are not).
	FormatAnthropic NativeFormat = "anthropic"
	// FormatLlama is Meta Llama's {generation, prompt_token_count,
	// generation_token_count, stop_reason}.
	FormatLlama NativeFormat = "llama"
	// FormatMistral is Mistral's text completion, outputs[].text.
	FormatMistral NativeFormat = "mistral"
	// FormatTitan is Amazon Titan Text's results[].outputText.
	FormatTitan NativeFormat = "titan"
	// FormatNova is Amazon Nova's output.message.content[].text.
	FormatNova NativeFormat = "nova"
	// FormatCohere is Cohere Command's generations[].text and Command R's
	// text.
	FormatCohere NativeFormat = "cohere"
	// FormatChoices is the OpenAI chat-completion shape, choices[] with
	// message.content (or text, for DeepSeek-R1): Mistral Large 2 and
	// Pixtral, AI21 Jamba, DeepSeek, OpenAI gpt-oss, Qwen.
	FormatChoices NativeFormat = "openai"
)

// ErrUnknownFormat is returned, wrapped with the model ID, for an answer
// body none of the known formats reads.
var ErrUnknownFormat = errors.New("the answer body has a shape Outcrop does not know")

// nativeFamilies maps base model ID prefixes to the formats their answers
// come in, the likeliest first. Mistral's older models answer text
// completions, Large 2 (24.07) and Pixtral chat completions, and Large
// 24.02 either, depending on the request
// (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-chat-completion.html).
func nativeFamilies() []nativeFamily {
	return []nativeFamily{
		{"anthropic.", []NativeFormat{FormatAnthropic}},
		{"meta.llama", []NativeFormat{FormatLlama}},
		{"mistral.", []NativeFormat{FormatMistral, FormatChoices}},
		{"amazon.titan-text", []NativeFormat{FormatTitan}},
		{"amazon.titan-tg1", []NativeFormat{FormatTitan}},
		{"amazon.nova", []NativeFormat{FormatNova}},
		{"cohere.command", []NativeFormat{FormatCohere}},
		{"ai21.", []NativeFormat{FormatChoices}},
		{"deepseek.", []NativeFormat{FormatChoices}},
		{"openai.", []NativeFormat{FormatChoices}},
		{"qwen.", []NativeFormat{FormatChoices}},
	}
}

// nativeFamily is a row of nativeFamilies.
type nativeFamily struct {
	prefix  string
	formats []NativeFormat
}

// allFormats is the order in which the answer of a model of no known
// family is tried. Each format is recognised by a member the others do
// not have at the top level; Cohere's bare "text" is the weakest sign, so
// it comes last.
func allFormats() []NativeFormat {
	return []NativeFormat{FormatAnthropic, FormatNova, FormatChoices, FormatLlama, FormatMistral, FormatTitan, FormatCohere}
}

// NativeFormatsOf returns the answer formats of a model ID, inference
// profile ID or foundation-model ARN, its family's first, then every
// other; ok is false when the family is not known.
func NativeFormatsOf(modelID string) (formats []NativeFormat, ok bool) {
	base := BaseModelID(modelID)
	for _, f := range nativeFamilies() {
		if strings.HasPrefix(base, f.prefix) {
			out := f.formats
			for _, g := range allFormats() {
				if !slices.Contains(out, g) {
					out = append(out, g)
				}
			}
			return out, true
		}
	}
	return allFormats(), false
}

// NativeText is what Outcrop reads of a native answer.
type NativeText struct {
	// Format is the format the body was read in.
	Format NativeFormat
	// Text is the answer's text. When the model returned several
	// candidates (n, num_generations), it is the first one's.
	Text string
	// StopReason is the model's stop reason as it spelled it.
	StopReason string
	// Usage is the body's token accounting, nil when it has none.
	Usage *TokenUsage
}

// DecodeNativeAnswer reads the InvokeModel answer of modelID in the first
// of its formats that recognises it (see NativeFormatsOf). It is pure. A
// body that is not JSON is an error; one no format recognises is
// ErrUnknownFormat, wrapped with the model ID.
func DecodeNativeAnswer(modelID string, body []byte) (NativeText, error) {
	if !json.Valid(body) {
		return NativeText{}, errors.New("the answer body is not JSON")
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); t[0] == '{' {
		formats, _ := NativeFormatsOf(modelID)
		for _, f := range formats {
			// A member of an unexpected type means "not this format":
			// the next one is tried.
			if out, ok := readFormat(f, body); ok {
				out.Format = f
				return out, nil
			}
		}
	}
	return NativeText{}, fmt.Errorf("bedrock model %s: %w", modelID, ErrUnknownFormat)
}

// readFormat reads body in format f; ok is false when the body is not in
// that format.
func readFormat(f NativeFormat, body []byte) (NativeText, bool) {
	switch f {
	case FormatAnthropic:
		return readAnthropic(body)
	case FormatLlama:
		return readLlama(body)
	case FormatMistral:
		return readMistral(body)
	case FormatTitan:
		return readTitan(body)
	case FormatNova:
		return readNova(body)
	case FormatCohere:
		return readCohere(body)
	case FormatChoices:
		return readChoices(body)
	}
	return NativeText{}, false
}

// anthropicUsage is the Messages API's usage; input_tokens excludes the
// cached tokens, as Converse's inputTokens does.
type anthropicUsage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheReadInputTokens     int  `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int  `json:"cache_creation_input_tokens"`
}

func (u *anthropicUsage) tokens() *TokenUsage {
	return &TokenUsage{
		InputTokens: deref(u.InputTokens), OutputTokens: deref(u.OutputTokens),
		CacheReadInputTokens: u.CacheReadInputTokens, CacheWriteInputTokens: u.CacheCreationInputTokens,
	}
}

func readAnthropic(body []byte) (NativeText, bool) {
	var b struct {
		Content *[]struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		StopReason string          `json:"stop_reason"`
		Usage      *anthropicUsage `json:"usage"`
	}
	if json.Unmarshal(body, &b) != nil || b.Content == nil {
		return NativeText{}, false
	}
	var text strings.Builder
	for _, c := range *b.Content {
		if c.Type == "text" { // thinking, redacted_thinking and tool_use are not the answer
			text.WriteString(c.Text)
		}
	}
	out := NativeText{Text: text.String(), StopReason: b.StopReason}
	if b.Usage != nil {
		out.Usage = b.Usage.tokens()
	}
	return out, true
}

func readLlama(body []byte) (NativeText, bool) {
	var b struct {
		Generation       *string `json:"generation"`
		PromptTokens     *int    `json:"prompt_token_count"`
		GenerationTokens *int    `json:"generation_token_count"`
		StopReason       *string `json:"stop_reason"`
	}
	if json.Unmarshal(body, &b) != nil || b.Generation == nil {
		return NativeText{}, false
	}
	return NativeText{Text: *b.Generation, StopReason: deref(b.StopReason), Usage: counts(b.PromptTokens, b.GenerationTokens)}, true
}

func readMistral(body []byte) (NativeText, bool) {
	var b struct {
		Outputs *[]struct {
			Text       string  `json:"text"`
			StopReason *string `json:"stop_reason"`
		} `json:"outputs"`
	}
	if json.Unmarshal(body, &b) != nil || b.Outputs == nil {
		return NativeText{}, false
	}
	if len(*b.Outputs) == 0 {
		return NativeText{}, true
	}
	o := (*b.Outputs)[0]
	return NativeText{Text: o.Text, StopReason: deref(o.StopReason)}, true
}

func readTitan(body []byte) (NativeText, bool) {
	var b struct {
		InputTokens *int `json:"inputTextTokenCount"`
		Results     *[]struct {
			TokenCount       int    `json:"tokenCount"`
			OutputText       string `json:"outputText"`
			CompletionReason string `json:"completionReason"`
		} `json:"results"`
	}
	if json.Unmarshal(body, &b) != nil || b.Results == nil {
		return NativeText{}, false
	}
	var out NativeText
	output := 0
	for i, r := range *b.Results {
		if i == 0 {
			out.Text, out.StopReason = r.OutputText, r.CompletionReason
		}
		output += r.TokenCount // every result is generated, and billed
	}
	out.Usage = counts(b.InputTokens, &output)
	return out, true
}

// novaUsage is Nova's usage, in its answer body and in the stream's
// metadata chunk.
type novaUsage struct {
	InputTokens  int `json:"inputTokens"`
	OutputTokens int `json:"outputTokens"`
	CacheRead    int `json:"cacheReadInputTokenCount"`
	CacheWrite   int `json:"cacheWriteInputTokenCount"`
}

func (u *novaUsage) tokens() *TokenUsage {
	return &TokenUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheRead, CacheWriteInputTokens: u.CacheWrite}
}

func readNova(body []byte) (NativeText, bool) {
	var b struct {
		Output *struct {
			Message *struct {
				Content []struct {
					Text *string `json:"text"` // reasoningContent and toolUse blocks have none
				} `json:"content"`
			} `json:"message"`
		} `json:"output"`
		StopReason string     `json:"stopReason"`
		Usage      *novaUsage `json:"usage"`
	}
	if json.Unmarshal(body, &b) != nil || b.Output == nil || b.Output.Message == nil {
		return NativeText{}, false
	}
	var text strings.Builder
	for _, c := range b.Output.Message.Content {
		text.WriteString(deref(c.Text))
	}
	out := NativeText{Text: text.String(), StopReason: b.StopReason}
	if b.Usage != nil {
		out.Usage = b.Usage.tokens()
	}
	return out, true
}

func readCohere(body []byte) (NativeText, bool) {
	var b struct {
		Generations *[]struct {
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
		} `json:"generations"`
		Text         *string `json:"text"`
		FinishReason string  `json:"finish_reason"`
	}
	if json.Unmarshal(body, &b) != nil || b.Generations == nil && b.Text == nil {
		return NativeText{}, false
	}
	if b.Generations == nil || len(*b.Generations) == 0 {
		return NativeText{Text: deref(b.Text), StopReason: b.FinishReason}, true
	}
	g := (*b.Generations)[0]
	return NativeText{Text: g.Text, StopReason: g.FinishReason}, true
}

// choiceUsage is the OpenAI shape's usage.
type choiceUsage struct {
	PromptTokens     *int `json:"prompt_tokens"`
	CompletionTokens *int `json:"completion_tokens"`
}

// choice is one choice of the OpenAI shape, whole or streamed. Mistral
// writes stop_reason where OpenAI writes finish_reason.
type choice struct {
	Index        int          `json:"index"`
	Message      *choiceDelta `json:"message"`
	Delta        *choiceDelta `json:"delta"`
	Text         *string      `json:"text"`
	FinishReason *string      `json:"finish_reason"`
	StopReason   *string      `json:"stop_reason"`
}

// choiceDelta is a message or delta. Its reasoning_content, when the
// model has one, is not the answer.
type choiceDelta struct {
	Content json.RawMessage `json:"content"`
}

// text returns the content: a string, or the text of content parts.
func (d *choiceDelta) text() string {
	if d == nil || len(d.Content) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(d.Content, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(d.Content, &parts) // null or another shape: no text
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// text returns the choice's text and stop reason.
func (c *choice) text() (text, stop string) {
	switch {
	case c.Message != nil:
		text = c.Message.text()
	case c.Delta != nil:
		text = c.Delta.text()
	default:
		text = deref(c.Text)
	}
	return text, cmp.Or(deref(c.FinishReason), deref(c.StopReason))
}

func readChoices(body []byte) (NativeText, bool) {
	var b struct {
		Choices *[]choice    `json:"choices"`
		Usage   *choiceUsage `json:"usage"`
	}
	if json.Unmarshal(body, &b) != nil || b.Choices == nil {
		return NativeText{}, false
	}
	var out NativeText
	for _, c := range *b.Choices {
		if c.Index == 0 {
			out.Text, out.StopReason = c.text()
			break
		}
	}
	if b.Usage != nil {
		out.Usage = counts(b.Usage.PromptTokens, b.Usage.CompletionTokens)
	}
	return out, true
}

// counts is the usage of an input and an output count, nil when neither
// is known.
func counts(input, output *int) *TokenUsage {
	if input == nil && output == nil {
		return nil
	}
	return &TokenUsage{InputTokens: deref(input), OutputTokens: deref(output)}
}

// The usage headers of an InvokeModel answer (wire.md §1.2).
const (
	headerInputTokens      = "X-Amzn-Bedrock-Input-Token-Count"
	headerOutputTokens     = "X-Amzn-Bedrock-Output-Token-Count"
	headerCacheReadTokens  = "X-Amzn-Bedrock-Cache-Read-Input-Token-Count"
	headerCacheWriteTokens = "X-Amzn-Bedrock-Cache-Write-Input-Token-Count"
)

// headerUsage reads the token counts of an InvokeModel answer's headers,
// nil when it has neither an input nor an output count.
func headerUsage(h http.Header) *TokenUsage {
	input, output := headerCount(h, headerInputTokens), headerCount(h, headerOutputTokens)
	if input == nil && output == nil {
		return nil
	}
	u := counts(input, output)
	u.CacheReadInputTokens = deref(headerCount(h, headerCacheReadTokens))
	u.CacheWriteInputTokens = deref(headerCount(h, headerCacheWriteTokens))
	return u
}

func headerCount(h http.Header, name string) *int {
	n, err := strconv.Atoi(h.Get(name))
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
