package config

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"time"
)

// Defaults of the retrieval, native and embedding-cache sections.
const (
	DefaultStoreTopK         = 4
	DefaultChunkTokens       = 400
	DefaultChunkOverlap      = 60
	DefaultIndexReload       = Duration(5 * time.Second)
	DefaultContextKeyPrefix  = "context:"
	DefaultContextTTL        = Duration(10 * time.Minute)
	DefaultDynamoKeyAttr     = "id"
	DefaultDynamoContextAttr = "context"
	DefaultPromptTimeout     = Duration(60 * time.Second)
	DefaultEmbedCacheBytes   = 64 << 20 // 64 MiB
	DefaultEmbedCacheTTL     = Duration(24 * time.Hour)
	// MaxStoreTopK is the most hits a store may be asked for: Kendra's and
	// Knowledge Bases' own limit, and plenty for a prompt.
	MaxStoreTopK = 100
)

// The guardrail variables of the Bedrock chat samples this section's
// native API comes from; they set bedrock.guardrail_id and
// bedrock.guardrail_version.
const (
	EnvGuardrailID      = "BEDROCK_GUARDRAIL_ID"
	EnvGuardrailVersion = "BEDROCK_GUARDRAIL_VERSION"
)

// StoreType is the kind of a retrieval store.
type StoreType string

// The store types.
const (
	// StoreLocal is the embedded vector index, a single file built with
	// `outcrop index build`.
	StoreLocal StoreType = "local"
	// StoreFAISS is another name for StoreLocal, for users coming from a
	// FAISS index shipped with their service.
	StoreFAISS StoreType = "faiss"
	// StoreKendra is an Amazon Kendra index, searched with Retrieve.
	StoreKendra StoreType = "kendra"
	// StoreBedrockKB is an Amazon Bedrock knowledge base, searched with
	// bedrock-agent-runtime Retrieve.
	StoreBedrockKB StoreType = "bedrock-kb"
)

// Retrieval configures where context comes from: the stores that
// /generate, the retrieval models and the index CLI use, and the exact-key
// context source of /prompt.
type Retrieval struct {
	// EmbeddingModel is the model that embeds documents and queries for
	// local stores that name none. Default bedrock.default_embedding_model,
	// else "demo-embed" when the demo upstream is served.
	EmbeddingModel string `yaml:"embedding_model"`
	// Stores are the named stores. Example: one local store "docs".
	Stores []RetrievalStore `yaml:"stores"`
	// Models are public model names that answer with retrieved context:
	// model "docs-claude" retrieves from store "docs" and asks
	// "claude-sonnet". They are listed in /v1/models like aliases.
	Models []RetrievalModel `yaml:"models"`
	// Context is the exact-key context source of /prompt: Redis in front
	// of a DynamoDB table.
	Context ContextSource `yaml:"context"`
}

// RetrievalStore is one named store.
type RetrievalStore struct {
	// Name identifies the store in /generate's vector_search_type, in
	// retrieval models and in `outcrop index --store`. Required, unique.
	Name string `yaml:"name"`
	// Type is "local" (or its other name "faiss"), "kendra" or
	// "bedrock-kb". Default "local".
	Type StoreType `yaml:"type"`
	// TopK is how many passages a query returns. Default 4, at most 100.
	TopK int `yaml:"top_k"`
	// MinScore drops passages scoring below it, on the store's scale
	// (cosine similarity for local stores). Default 0: keep all.
	MinScore float64 `yaml:"min_score"`

	// Path is a local store's index file. Default
	// {storage.data_dir}/indexes/{name}.idx.
	Path string `yaml:"path"`
	// EmbeddingModel embeds a local store's chunks and queries. Default
	// retrieval.embedding_model. The index records it; a query with
	// another model is refused.
	EmbeddingModel string `yaml:"embedding_model"`
	// Metric is a local index's similarity: "cosine", "dot" or "l2",
	// fixed when the index is built. Default "cosine".
	Metric string `yaml:"metric"`
	// ChunkTokens and ChunkOverlap are how `outcrop index build` splits
	// documents, in tokens. Default 400 and 60.
	ChunkTokens  int `yaml:"chunk_tokens"`
	ChunkOverlap int `yaml:"chunk_overlap"`
	// Reload is how often a local store's file is checked for a
	// replacement, which is then loaded while queries keep running on the
	// old one. Default 5s.
	Reload Duration `yaml:"reload"`

	// IndexID is a kendra store's index ID. Required for kendra.
	IndexID string `yaml:"index_id"`
	// AttributeFilter is a kendra store's AttributeFilter in Kendra's JSON
	// form. Example {EqualsTo: {Key: _language_code, Value: {StringValue: en}}}.
	AttributeFilter map[string]any `yaml:"attribute_filter"`
	// KnowledgeBaseID is a bedrock-kb store's knowledge base. Required for
	// bedrock-kb.
	KnowledgeBaseID string `yaml:"knowledge_base_id"`
	// Filter is a bedrock-kb store's RetrievalFilter in its JSON form.
	// Example {equals: {key: team, value: docs}}.
	Filter map[string]any `yaml:"filter"`
	// SearchType is a bedrock-kb store's overrideSearchType: "HYBRID" or
	// "SEMANTIC". Default: the knowledge base's.
	SearchType string `yaml:"search_type"`
	// Region, Endpoint and Profile locate a kendra or bedrock-kb store's
	// service. Default bedrock.region (else AWS_REGION), the SDK's
	// endpoint (AWS_ENDPOINT_URL_KENDRA, AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME,
	// AWS_ENDPOINT_URL) and the default credentials chain.
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
	Profile  string `yaml:"profile"`
}

// RetrievalModel is a public model name that answers with context.
type RetrievalModel struct {
	// Name is the public model name. Required, unique among models and
	// aliases. Example "docs-claude".
	Name string `yaml:"name"`
	// Model is the model or alias that answers. Required.
	Model string `yaml:"model"`
	// Store is the store to retrieve from. Required.
	Store string `yaml:"store"`
	// TopK and MinScore override the store's. Default the store's.
	TopK     int     `yaml:"top_k"`
	MinScore float64 `yaml:"min_score"`
	// Insert is where the context goes: "system" (a system message before
	// the conversation, after any system message of the client's) or
	// "user" (before the text of the last user message). Default "system".
	Insert string `yaml:"insert"`
}

// ContextSource is Redis in front of a DynamoDB table, looked up by an
// exact key (/prompt's context_key).
type ContextSource struct {
	// RedisURL is the Redis holding context under KeyPrefix+key. Default
	// limits.redis_url; with neither, only DynamoDB is asked.
	RedisURL Secret `yaml:"redis_url"`
	// KeyPrefix is prepended to the key in Redis. Default "context:".
	KeyPrefix string `yaml:"key_prefix"`
	// HashField, when set, reads the context from this field of a Redis
	// hash (HGET) instead of a string value (GET).
	HashField string `yaml:"hash_field"`
	// TTL is how long a context read from DynamoDB stays in Redis.
	// Default 10m; "0s" with write_back false keeps Redis read-only.
	TTL Duration `yaml:"ttl"`
	// WriteBack copies a context found in DynamoDB into Redis. Default
	// true.
	WriteBack *bool `yaml:"write_back"`
	// DynamoDB is the table behind Redis. Default none.
	DynamoDB DynamoDBSource `yaml:"dynamodb"`
}

// DynamoDBSource is the DynamoDB table of a context source.
type DynamoDBSource struct {
	// Table is the table name. Empty turns DynamoDB off.
	Table string `yaml:"table"`
	// KeyAttribute is the table's partition key. Default "id".
	KeyAttribute string `yaml:"key_attribute"`
	// KeyType is the partition key's type, "S" or "N". Default "S".
	KeyType string `yaml:"key_type"`
	// ContextAttribute holds the context. Default "context".
	ContextAttribute string `yaml:"context_attribute"`
	// ConsistentRead asks for strongly consistent reads. Default false.
	ConsistentRead bool `yaml:"consistent_read"`
	// Region, Endpoint and Profile locate the table. Default
	// bedrock.region (else AWS_REGION), AWS_ENDPOINT_URL_DYNAMODB (else
	// AWS_ENDPOINT_URL) and the default credentials chain.
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
	Profile  string `yaml:"profile"`
}

// Native configures the native API: /chat, /generate, /prompt and
// /process.
type Native struct {
	// ChatModel answers /chat, /generate and /prompt when the request
	// names no model. Default bedrock.default_model, else "demo-chat"
	// when the demo upstream is served.
	ChatModel string `yaml:"chat_model"`
	// EmbeddingModel answers /chat's embed mode when the request names no
	// model. Default retrieval.embedding_model.
	EmbeddingModel string `yaml:"embedding_model"`
	// PromptModels are the models /prompt and /process ask at once when
	// the request names none. Example [llama-3-70b, gpt-4o-azure].
	// Default [chat_model].
	PromptModels []string `yaml:"prompt_models"`
	// PromptTimeout caps each model's answer in /prompt; one that runs
	// over is reported in "errors" without failing the others.
	// Default 60s.
	PromptTimeout Duration `yaml:"prompt_timeout"`
}

// EmbeddingCache configures the cache of embeddings used by /chat's embed
// mode and by retrieval.
type EmbeddingCache struct {
	// Backend is "auto" (Redis when limits.redis_url is set, else
	// memory), "memory", "redis" or "off". Default "auto".
	Backend string `yaml:"backend"`
	// MaxBytes bounds the in-memory cache (least recently used entries
	// go first). Default 67108864 (64 MiB).
	MaxBytes int64 `yaml:"max_bytes"`
	// TTL is how long an entry lives in Redis. Default 24h.
	TTL Duration `yaml:"ttl"`
}

func (c *Config) applyRetrievalDefaults() {
	r := &c.Retrieval
	for i := range r.Stores {
		s := &r.Stores[i]
		setDefault(&s.Type, StoreLocal)
		setDefault(&s.TopK, DefaultStoreTopK)
		if s.Local() {
			setDefault(&s.Path, filepath.Join(c.Storage.DataDir, "indexes", s.Name+".idx"))
			setDefault(&s.Metric, "cosine")
			setDefault(&s.ChunkTokens, DefaultChunkTokens)
			setDefault(&s.ChunkOverlap, DefaultChunkOverlap)
			setDefault(&s.Reload, DefaultIndexReload)
		}
	}
	for i := range r.Models {
		setDefault(&r.Models[i].Insert, "system")
	}
	ctx := &r.Context
	setDefault(&ctx.KeyPrefix, DefaultContextKeyPrefix)
	setDefault(&ctx.TTL, DefaultContextTTL)
	setDefault(&ctx.DynamoDB.KeyAttribute, DefaultDynamoKeyAttr)
	setDefault(&ctx.DynamoDB.KeyType, "S")
	setDefault(&ctx.DynamoDB.ContextAttribute, DefaultDynamoContextAttr)
	setDefault(&c.Native.PromptTimeout, DefaultPromptTimeout)
	setDefault(&c.EmbeddingCache.Backend, "auto")
	setDefault(&c.EmbeddingCache.MaxBytes, DefaultEmbedCacheBytes)
	setDefault(&c.EmbeddingCache.TTL, DefaultEmbedCacheTTL)
}

func (c *Config) retrievalOverrides(getenv func(string) string) {
	c.overrideString(getenv, EnvGuardrailID, "bedrock.guardrail_id", &c.Bedrock.GuardrailID)
	c.overrideString(getenv, EnvGuardrailVersion, "bedrock.guardrail_version", &c.Bedrock.GuardrailVersion)
}

func (c *Config) expandRetrievalReferences(getenv func(string) string) {
	ctx := &c.Retrieval.Context
	ctx.RedisURL = Secret(c.expandField("retrieval.context.redis_url", ctx.RedisURL.Value(), getenv))
}

// Local reports whether the store is the embedded index.
func (s *RetrievalStore) Local() bool { return s.Type == StoreLocal || s.Type == StoreFAISS }

// StoreEmbeddingModel returns the embedding model of a local store: its
// own, else retrieval.embedding_model, else the default one.
func (c *Config) StoreEmbeddingModel(s *RetrievalStore) string {
	if s.EmbeddingModel != "" {
		return s.EmbeddingModel
	}
	return c.DefaultEmbeddingModel()
}

// DefaultEmbeddingModel is retrieval.embedding_model, else
// bedrock.default_embedding_model, else the demo's embedding model when
// the demo is served; "" when there is none.
func (c *Config) DefaultEmbeddingModel() string {
	switch {
	case c.Retrieval.EmbeddingModel != "":
		return c.Retrieval.EmbeddingModel
	case c.Bedrock.DefaultEmbeddingModel != "":
		return c.Bedrock.DefaultEmbeddingModel
	case c.DemoEnabled():
		return "demo-embed"
	}
	return ""
}

// DefaultChatModel is native.chat_model, else bedrock.default_model, else
// the demo's chat model when the demo is served; "" when there is none.
func (c *Config) DefaultChatModel() string {
	switch {
	case c.Native.ChatModel != "":
		return c.Native.ChatModel
	case c.Bedrock.DefaultModel != "":
		return c.Bedrock.DefaultModel
	case c.DemoEnabled():
		return "demo-chat"
	}
	return ""
}

// Store returns the store of that name, or nil.
func (c *Config) Store(name string) *RetrievalStore {
	for i := range c.Retrieval.Stores {
		if c.Retrieval.Stores[i].Name == name {
			return &c.Retrieval.Stores[i]
		}
	}
	return nil
}

// FilterJSON returns a YAML filter as JSON ("" when unset).
func FilterJSON(m map[string]any) (json.RawMessage, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

func (v *validator) retrieval() {
	c := v.c
	names := map[string]bool{}
	for i := range c.Retrieval.Stores {
		s := &c.Retrieval.Stores[i]
		p := fmt.Sprintf("retrieval.stores[%d]", i)
		v.name(p+".name", s.Name)
		if names[s.Name] {
			v.add(p+".name", "store %q is defined twice", s.Name)
		}
		names[s.Name] = true
		v.store(p, s)
	}
	for i, m := range c.Retrieval.Models {
		p := fmt.Sprintf("retrieval.models[%d]", i)
		// A retrieval model is an alias with context: its name shares the
		// namespace of models and aliases.
		v.alias(p+".name", m.Name)
		if m.Model == "" {
			v.add(p+".model", "is required: the model or alias that answers")
		}
		switch {
		case m.Store == "":
			v.add(p+".store", "is required: the store to retrieve from")
		case !names[m.Store]:
			v.add(p+".store", "unknown store %q (want one of retrieval.stores)", m.Store)
		}
		v.topK(p+".top_k", m.TopK)
		v.score(p+".min_score", m.MinScore)
		if m.Insert != "" {
			v.oneOf(p+".insert", m.Insert, "system", "user")
		}
	}
	ctx := c.Retrieval.Context
	if u := ctx.RedisURL.Value(); u != "" {
		v.redisURL("retrieval.context.redis_url", u)
	}
	nonNegative(v, "retrieval.context.ttl", ctx.TTL)
	if ctx.DynamoDB.KeyType != "" {
		v.oneOf("retrieval.context.dynamodb.key_type", ctx.DynamoDB.KeyType, "S", "N")
	}
	for i, m := range c.Native.PromptModels {
		if m == "" {
			v.add(fmt.Sprintf("native.prompt_models[%d]", i), "is empty")
		}
	}
	if c.Native.PromptTimeout != 0 && c.Native.PromptTimeout < Duration(time.Second) {
		v.add("native.prompt_timeout", "must be at least 1s")
	}
	if c.EmbeddingCache.Backend != "" {
		v.oneOf("embedding_cache.backend", c.EmbeddingCache.Backend, "auto", "memory", "redis", "off")
	}
	if c.EmbeddingCache.Backend == "redis" && c.Limits.RedisURL == "" {
		v.add("embedding_cache.backend", "is redis but limits.redis_url (REDIS_URL) is not set")
	}
	nonNegative(v, "embedding_cache.max_bytes", c.EmbeddingCache.MaxBytes)
	nonNegative(v, "embedding_cache.ttl", c.EmbeddingCache.TTL)
}

func (v *validator) store(p string, s *RetrievalStore) {
	v.oneOf(p+".type", string(s.Type), string(StoreLocal), string(StoreFAISS), string(StoreKendra), string(StoreBedrockKB))
	v.topK(p+".top_k", s.TopK)
	v.score(p+".min_score", s.MinScore)
	nonNegative(v, p+".chunk_tokens", s.ChunkTokens)
	nonNegative(v, p+".chunk_overlap", s.ChunkOverlap)
	if s.ChunkTokens > 0 && s.ChunkOverlap >= s.ChunkTokens {
		v.add(p+".chunk_overlap", "must be smaller than chunk_tokens (%d)", s.ChunkTokens)
	}
	if s.Metric != "" {
		v.oneOf(p+".metric", s.Metric, "cosine", "dot", "l2")
	}
	if s.Reload != 0 && s.Reload < Duration(100*time.Millisecond) {
		v.add(p+".reload", "must be at least 100ms")
	}
	switch s.Type {
	case StoreKendra:
		if s.IndexID == "" {
			v.add(p+".index_id", "is required for a kendra store")
		}
		if _, err := FilterJSON(s.AttributeFilter); err != nil {
			v.add(p+".attribute_filter", "is not JSON-shaped: %v", err)
		}
	case StoreBedrockKB:
		if s.KnowledgeBaseID == "" {
			v.add(p+".knowledge_base_id", "is required for a bedrock-kb store")
		}
		if _, err := FilterJSON(s.Filter); err != nil {
			v.add(p+".filter", "is not JSON-shaped: %v", err)
		}
		if s.SearchType != "" {
			v.oneOf(p+".search_type", s.SearchType, "HYBRID", "SEMANTIC")
		}
	}
}

func (v *validator) topK(path string, k int) {
	if k < 0 || k > MaxStoreTopK {
		v.add(path, "must be 1 to %d (0 for the default)", MaxStoreTopK)
	}
}

func (v *validator) score(path string, s float64) {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		v.add(path, "must be a number")
	}
}
