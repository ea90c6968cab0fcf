package bedrock

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// ModelKind says which OpenAI operation a model serves.
type ModelKind string

// The model kinds.
const (
	// KindChat models answer chat completions through Converse.
	KindChat ModelKind = "chat"
	// KindEmbedding models answer embeddings through InvokeModel.
	KindEmbedding ModelKind = "embedding"
	// KindUnsupported models are listed by Bedrock but cannot be served
	// through Converse or the embedding bodies Outcrop knows (speech to
	// speech, for instance); discovery skips them.
	KindUnsupported ModelKind = "unsupported"
)

// Reasoning says whether and how a model reasons before it answers.
type Reasoning string

// The reasoning styles. The empty string means the model does not reason
// (or no reasoning control is known for it).
const (
	ReasoningNone Reasoning = ""
	// ReasoningBudget is Anthropic's extended thinking with a token budget:
	// additionalModelRequestFields.thinking {type: enabled, budget_tokens}.
	// While thinking, Claude accepts no temperature other than 1 and no
	// top_k.
	ReasoningBudget Reasoning = "budget"
	// ReasoningAdaptive is Anthropic's adaptive thinking, {type: adaptive}
	// with an effort level; budget_tokens is deprecated or rejected.
	// https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-adaptive-thinking.html
	ReasoningAdaptive Reasoning = "adaptive"
	// ReasoningEffort models take a low/medium/high effort level (OpenAI
	// gpt-oss, Amazon Nova 2).
	ReasoningEffort Reasoning = "effort"
	// ReasoningAlways models always reason and cannot be told not to
	// (DeepSeek-R1).
	ReasoningAlways Reasoning = "always"
)

// ModelInfo is what Outcrop knows about a family of Bedrock models. A true
// capability is known to be supported; false means not supported or not
// known, and the translation decides how strict to be. Zero limits mean
// unknown.
type ModelInfo struct {
	// Prefix is the model-ID prefix the entry covers, without a
	// cross-region prefix: "anthropic.claude-3-5-sonnet" covers every
	// version of Claude 3.5 Sonnet. The longest matching prefix wins.
	Prefix string
	// Kind is the operation the model serves.
	Kind ModelKind
	// System is true when Converse accepts system prompts for the model.
	System bool
	// Vision is true when the model takes image input.
	Vision bool
	// Documents is true when the model takes document blocks (PDF, CSV...).
	Documents bool
	// Tools is true when the model takes a toolConfig.
	Tools bool
	// ToolChoice is true when the model honours toolChoice any and tool,
	// not only auto.
	ToolChoice bool
	// Reasoning is how the model reasons, if it does.
	Reasoning Reasoning
	// PromptCaching is true when the model takes cachePoint blocks in
	// system and messages.
	// https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
	PromptCaching bool
	// ToolCaching is true when the model also takes a cachePoint in
	// toolConfig.tools (Claude; Nova caches system and messages only).
	ToolCaching bool
	// ExclusiveSampling is true when the model rejects temperature and
	// top_p in the same request, so only one may be sent.
	ExclusiveSampling bool
	// NoAssistantPrefill is true when the model rejects a conversation
	// that ends with an assistant turn ("This model does not support
	// assistant message prefill"): Claude 4.6 and later.
	// https://platform.claude.com/docs/en/about-claude/models/whats-new-claude-4-6
	NoAssistantPrefill bool
	// StructuredOutput is true when the model takes Bedrock's native
	// structured output (outputConfig.textFormat with a JSON schema).
	// https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
	StructuredOutput bool
	// ContextWindow is the input limit in tokens.
	ContextWindow int
	// MaxOutputTokens is the most the model can generate in one answer.
	MaxOutputTokens int
	// DefaultMaxTokens is sent as maxTokens when the client sets no limit;
	// zero sends none and leaves the model's own default.
	DefaultMaxTokens int
	// Dimensions is an embedding model's default vector length.
	Dimensions int
}

// defaultMaxTokens is the maxTokens sent when a client sets none. Bedrock's
// own defaults are low for several families (a few hundred tokens for
// Llama, Mistral and Titan), which truncates answers OpenAI clients expect
// to be complete; the models' maxima, on the other hand, count against
// Bedrock's tokens-per-minute quota when a request starts. 4096 is the
// compromise, capped by the model's maximum.
const defaultMaxTokens = 4096

// Catalog is a table of ModelInfo looked up by model ID. It is immutable
// and safe for concurrent use; Extend returns a new Catalog.
type Catalog struct {
	// entries are sorted by descending prefix length, so the first match
	// is the longest.
	entries []ModelInfo
	// found remembers Lookup's answers by ID (an index into entries, -1
	// for none): a request looks its model up several times (translation,
	// the answer's metadata, the budget's output cap), and a scan of the
	// built-in catalog tries a hundred prefixes. At most maxRemembered
	// IDs are kept, so that IDs a client makes up cannot grow it.
	found      sync.Map // string → int
	remembered atomic.Int32
}

// maxRemembered bounds Catalog.found.
const maxRemembered = 4096

// NewCatalog returns a catalog of the given entries. A later entry with
// the same prefix as an earlier one replaces it.
func NewCatalog(entries []ModelInfo) *Catalog {
	return (&Catalog{}).Extend(entries...)
}

// builtinCatalog is the catalog of builtinModels, built once.
var builtinCatalog = sync.OnceValue(func() *Catalog { return NewCatalog(builtinModels()) })

// DefaultCatalog returns the built-in catalog.
func DefaultCatalog() *Catalog { return builtinCatalog() }

// LookupModel looks id up in the built-in catalog; see Catalog.Lookup.
func LookupModel(id string) (ModelInfo, bool) { return builtinCatalog().Lookup(id) }

// Extend returns a catalog with entries added; an entry whose prefix is
// already in the catalog replaces the old one. Configuration uses it to add
// models and correct limits without a release.
func (c *Catalog) Extend(entries ...ModelInfo) *Catalog {
	byPrefix := make(map[string]ModelInfo, len(c.entries)+len(entries))
	for _, e := range c.entries {
		byPrefix[e.Prefix] = e
	}
	for _, e := range entries {
		e.Prefix = BaseModelID(e.Prefix)
		if e.DefaultMaxTokens == 0 && e.Kind == KindChat {
			e.DefaultMaxTokens = capTokens(defaultMaxTokens, e.MaxOutputTokens)
		}
		byPrefix[e.Prefix] = e
	}
	out := &Catalog{entries: make([]ModelInfo, 0, len(byPrefix))}
	for _, e := range byPrefix {
		out.entries = append(out.entries, e)
	}
	slices.SortFunc(out.entries, func(a, b ModelInfo) int {
		if d := len(b.Prefix) - len(a.Prefix); d != 0 {
			return d
		}
		return strings.Compare(a.Prefix, b.Prefix)
	})
	return out
}

// Lookup returns the entry with the longest prefix of id's base model ID
// (see BaseModelID). It reports false for an unknown model and for an
// application inference profile, whose model only discovery knows.
func (c *Catalog) Lookup(id string) (ModelInfo, bool) {
	i, ok := c.found.Load(id)
	if !ok {
		i = c.scan(id)
		if c.remembered.Load() < maxRemembered {
			if _, loaded := c.found.LoadOrStore(id, i); !loaded {
				c.remembered.Add(1)
			}
		}
	}
	if n := i.(int); n >= 0 {
		return c.entries[n], true
	}
	return ModelInfo{}, false
}

// scan is the index of the entry Lookup returns for id, -1 for none.
func (c *Catalog) scan(id string) int {
	base := BaseModelID(id)
	for i, e := range c.entries {
		if e.Prefix != "" && strings.HasPrefix(base, e.Prefix) {
			return i
		}
	}
	return -1
}

// Entries returns a copy of the catalog's entries, longest prefix first.
func (c *Catalog) Entries() []ModelInfo { return slices.Clone(c.entries) }

// BaseModelID reduces a model identifier to the foundation-model ID the
// catalog is keyed by: a foundation-model or inference-profile ARN becomes
// its resource ID, and a cross-region prefix is dropped.
// "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
// and "us.anthropic.claude-3-haiku-20240307-v1:0" both become
// "anthropic.claude-3-haiku-20240307-v1:0". Other identifiers come back
// unchanged.
func BaseModelID(id string) string {
	if strings.HasPrefix(id, "arn:") {
		for _, kind := range []string{":foundation-model/", ":inference-profile/"} {
			if i := strings.Index(id, kind); i >= 0 {
				id = id[i+len(kind):]
				break
			}
		}
	}
	_, rest := CrossRegionPrefix(id)
	return rest
}

// CrossRegionPrefix splits a system-defined inference profile ID into its
// geography ("us", "global"...) and the foundation-model ID. For an ID
// without such a prefix it returns "" and the ID.
func CrossRegionPrefix(id string) (geo, model string) {
	geo, rest, ok := strings.Cut(id, ".")
	// A profile ID always has a provider segment after the geography, so
	// "us.x" alone is not taken for one.
	if !ok || !isGeography(geo) || !strings.Contains(rest, ".") {
		return "", id
	}
	return geo, rest
}

// isGeography reports whether s is the geography prefix of a
// system-defined inference profile (us.anthropic.claude-...,
// global.anthropic...).
// https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
func isGeography(s string) bool {
	switch s {
	case "us", "us-gov", "eu", "apac", "jp", "au", "ca", "global":
		return true
	}
	return false
}

func capTokens(n, limit int) int {
	if limit > 0 && limit < n {
		return limit
	}
	return n
}

// caps are the boolean capabilities of a table row, as bits so that each
// model fits on one line.
type caps uint16

const (
	capSystem caps = 1 << iota
	capVision
	capDocuments
	capTools
	capToolChoice
	capCaching
	capToolCaching
	capExclusiveSampling
	capNoPrefill
	capStructured
)

// chat builds a chat row of the table.
func chat(prefix string, c caps, r Reasoning, contextWindow, maxOutput int) ModelInfo {
	return ModelInfo{
		Prefix:             prefix,
		Kind:               KindChat,
		System:             c&capSystem != 0,
		Vision:             c&capVision != 0,
		Documents:          c&capDocuments != 0,
		Tools:              c&capTools != 0,
		ToolChoice:         c&capToolChoice != 0,
		PromptCaching:      c&capCaching != 0,
		ToolCaching:        c&capToolCaching != 0,
		ExclusiveSampling:  c&capExclusiveSampling != 0,
		NoAssistantPrefill: c&capNoPrefill != 0,
		StructuredOutput:   c&capStructured != 0,
		Reasoning:          r,
		ContextWindow:      contextWindow,
		MaxOutputTokens:    maxOutput,
	}
}

func embedding(prefix string, c caps, contextWindow, dimensions int) ModelInfo {
	return ModelInfo{Prefix: prefix, Kind: KindEmbedding, Vision: c&capVision != 0, ContextWindow: contextWindow, Dimensions: dimensions}
}

// builtinModels is the model table. Sources: the Bedrock user guide's
// "Supported models and model features" (Converse) table, its model cards
// and parameter pages, the prompt-caching and adaptive-thinking pages, and
// the vendors' model pages. Where those disagree or say nothing, the row
// takes the smaller limit or leaves the capability off, and says so.
func builtinModels() []ModelInfo {
	const (
		// Claude 3 and later: system prompts, images, documents, tools
		// with toolChoice (Converse supports toolChoice for Anthropic,
		// Mistral Large and Nova only).
		claude = capSystem | capVision | capDocuments | capTools | capToolChoice
		// Claude caches system, messages and tools; Nova system and
		// messages only (the prompt-caching page's model table).
		claudeCached = claude | capCaching | capToolCaching
		// Claude Opus 4.1 and every 4.5+ model answer 400 "temperature
		// and top_p cannot both be specified for this model".
		claude41 = claudeCached | capExclusiveSampling
		// Native structured output: Claude Haiku, Sonnet and Opus 4.5
		// and later (the structured-output page's model list).
		claude45 = claude41 | capStructured
		// Claude 4.6 and later answer 400 to a conversation that ends
		// with an assistant turn.
		claude46 = claude45 | capNoPrefill
		nova     = capSystem | capVision | capDocuments | capTools | capToolChoice | capCaching
		text     = capSystem | capDocuments
		// Open-weight models with native structured output (the same
		// list names "select" Qwen, DeepSeek and OpenAI models).
		openWeight = capSystem | capTools | capStructured
	)
	return []ModelInfo{
		// Anthropic. Claude 3.5 Haiku takes no images on Bedrock (the
		// Converse table says Vision: No).
		chat("anthropic.claude-3-haiku", claude, ReasoningNone, 200_000, 4096),
		chat("anthropic.claude-3-sonnet", claude, ReasoningNone, 200_000, 4096),
		chat("anthropic.claude-3-opus", claude, ReasoningNone, 200_000, 4096),
		// Prompt caching was only a preview for Claude 3.5 Sonnet v2; off.
		chat("anthropic.claude-3-5-sonnet", claude, ReasoningNone, 200_000, 8192),
		chat("anthropic.claude-3-5-haiku", claudeCached&^capVision, ReasoningNone, 200_000, 8192),
		// 64K output; 128K only with the output-128k beta header.
		chat("anthropic.claude-3-7-sonnet", claudeCached, ReasoningBudget, 200_000, 64_000),
		// Claude 4.0 (dated IDs, so that a later 4.x is not taken for it):
		// 200K context; 1M only with the context-1m beta.
		chat("anthropic.claude-sonnet-4-2025", claudeCached, ReasoningBudget, 200_000, 64_000),
		chat("anthropic.claude-opus-4-2025", claudeCached, ReasoningBudget, 200_000, 32_000),
		chat("anthropic.claude-opus-4-1", claude41, ReasoningBudget, 200_000, 32_000),
		chat("anthropic.claude-sonnet-4-5", claude45, ReasoningBudget, 200_000, 64_000),
		chat("anthropic.claude-haiku-4-5", claude45, ReasoningBudget, 200_000, 64_000),
		chat("anthropic.claude-opus-4-5", claude45, ReasoningBudget, 200_000, 64_000),
		// Bedrock model card: 1M context, 128K output.
		chat("anthropic.claude-opus-4-6", claude46, ReasoningAdaptive, 1_000_000, 128_000),
		// Sources give 64K and 128K output; the smaller is kept.
		chat("anthropic.claude-sonnet-4-6", claude46, ReasoningAdaptive, 1_000_000, 64_000),
		// Adaptive thinking only (budget_tokens is a 400). Limits not
		// confirmed here: those of Opus 4.5 are kept.
		chat("anthropic.claude-opus-4-7", claude46, ReasoningAdaptive, 200_000, 64_000),

		// Amazon. Nova's documented output cap was 5K at launch (later
		// raised); the launch value is kept. Premier's output cap is not
		// confirmed here either.
		chat("amazon.nova-micro", capSystem|capTools|capToolChoice|capCaching, ReasoningNone, 128_000, 5000),
		chat("amazon.nova-lite", nova, ReasoningNone, 300_000, 5000),
		chat("amazon.nova-pro", nova, ReasoningNone, 300_000, 5000),
		chat("amazon.nova-premier", nova, ReasoningNone, 1_000_000, 10_000),
		// Nova 2 Lite: 1M context and extended thinking with an effort
		// level; its output cap and caching are not confirmed here.
		chat("amazon.nova-2-lite", nova&^capCaching, ReasoningEffort, 1_000_000, 32_000),
		// Speech-to-speech over a bidirectional stream, not Converse.
		{Prefix: "amazon.nova-sonic", Kind: KindUnsupported},
		{Prefix: "amazon.nova-2-sonic", Kind: KindUnsupported},
		// Titan Text: no system prompts in Converse.
		chat("amazon.titan-text-express", capDocuments, ReasoningNone, 8192, 8192),
		chat("amazon.titan-text-lite", capDocuments, ReasoningNone, 4096, 4096),
		chat("amazon.titan-text-premier", 0, ReasoningNone, 32_000, 3072),

		// Meta. Bedrock caps Llama's max_gen_len at 2048. Llama 3 has no
		// tool use; Llama 3.1+ has tools but not toolChoice.
		chat("meta.llama3-8b-instruct", text, ReasoningNone, 8192, 2048),
		chat("meta.llama3-70b-instruct", text, ReasoningNone, 8192, 2048),
		chat("meta.llama3-1", text|capTools, ReasoningNone, 128_000, 2048),
		chat("meta.llama3-2-1b", text, ReasoningNone, 128_000, 2048),
		chat("meta.llama3-2-3b", text, ReasoningNone, 128_000, 2048),
		chat("meta.llama3-2-11b", text|capVision|capTools, ReasoningNone, 128_000, 2048),
		chat("meta.llama3-2-90b", text|capVision|capTools, ReasoningNone, 128_000, 2048),
		chat("meta.llama3-3", text|capTools, ReasoningNone, 128_000, 2048),
		// Llama 4 contexts on Bedrock are quoted from 1M to 3.5M; 1M kept.
		chat("meta.llama4-scout", text|capVision|capTools, ReasoningNone, 1_000_000, 8192),
		chat("meta.llama4-maverick", text|capVision|capTools, ReasoningNone, 1_000_000, 8192),

		// Mistral. The 7B and Mixtral instruct models take no system
		// prompt and no tools in Converse.
		chat("mistral.mistral-7b-instruct", capDocuments, ReasoningNone, 32_000, 8192),
		chat("mistral.mixtral-8x7b-instruct", capDocuments, ReasoningNone, 32_000, 4096),
		chat("mistral.mistral-small-2402", text|capTools, ReasoningNone, 32_000, 8192),
		chat("mistral.mistral-large-2402", text|capTools|capToolChoice, ReasoningNone, 32_000, 8192),
		chat("mistral.mistral-large-2407", text|capTools|capToolChoice, ReasoningNone, 128_000, 8192),
		// Whether Pixtral honours toolChoice is not documented; off.
		chat("mistral.pixtral-large", text|capVision|capTools, ReasoningNone, 128_000, 8192),

		// Cohere.
		chat("cohere.command-r-v1", text|capTools, ReasoningNone, 128_000, 4000),
		chat("cohere.command-r-plus", text|capTools, ReasoningNone, 128_000, 4000),

		// AI21.
		chat("ai21.jamba-instruct", capSystem, ReasoningNone, 256_000, 4096),
		chat("ai21.jamba-1-5", text|capTools, ReasoningNone, 256_000, 4096),

		// DeepSeek. R1 reasons on every answer and has no tool use in
		// Converse; its reasoning counts against maxTokens, hence the
		// larger default. V3.1's limits are not confirmed here.
		withDefaultMax(chat("deepseek.r1", text, ReasoningAlways, 128_000, 32_768), 8192),
		chat("deepseek.v3", text|openWeight, ReasoningNone, 128_000, 8192),

		// OpenAI open-weight models: 128K context (Bedrock's OpenAI page),
		// text only, reasoning effort. The output cap is not documented by
		// Bedrock; 32K is assumed.
		chat("openai.gpt-oss-120b", openWeight, ReasoningEffort, 128_000, 32_768),
		chat("openai.gpt-oss-20b", openWeight, ReasoningEffort, 128_000, 32_768),

		// Qwen. Sources disagree on several contexts; the smaller kept.
		chat("qwen.qwen3-32b", openWeight, ReasoningNone, 32_768, 8192),
		chat("qwen.qwen3-235b-a22b", openWeight, ReasoningNone, 128_000, 8192),
		chat("qwen.qwen3-coder-30b-a3b", openWeight, ReasoningNone, 128_000, 8192),
		chat("qwen.qwen3-coder-480b-a35b", openWeight, ReasoningNone, 128_000, 8192),
		chat("qwen.qwen3-coder-next", openWeight, ReasoningNone, 256_000, 16_384),
		chat("qwen.qwen3-next-80b-a3b", openWeight, ReasoningNone, 128_000, 8192),
		chat("qwen.qwen3-vl-235b-a22b", openWeight|capVision, ReasoningNone, 128_000, 8192),

		// Embeddings: context is the input limit in tokens.
		embedding("amazon.titan-embed-text-v1", 0, 8192, 1536),
		embedding("amazon.titan-embed-text-v2", 0, 8192, 1024),
		embedding("cohere.embed-english-v3", 0, 512, 1024),
		embedding("cohere.embed-multilingual-v3", 0, 512, 1024),
		embedding("cohere.embed-v4", capVision, 128_000, 1536),
		// Nova Multimodal Embeddings: 8K tokens of text, 3072 dimensions
		// by default (Nova user guide, embeddings schema).
		embedding("amazon.nova-2-multimodal-embeddings", capVision, 8192, 3072),
	}
}

func withDefaultMax(m ModelInfo, n int) ModelInfo {
	m.DefaultMaxTokens = capTokens(n, m.MaxOutputTokens)
	return m
}
