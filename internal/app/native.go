package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/config"
	"github.com/outcrop/outcrop/internal/embedcache"
	"github.com/outcrop/outcrop/internal/jsonx"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/retrieval"
	"github.com/outcrop/outcrop/internal/retrieval/bedrockkb"
	"github.com/outcrop/outcrop/internal/retrieval/contextsrc"
	"github.com/outcrop/outcrop/internal/retrieval/kendra"
	"github.com/outcrop/outcrop/internal/server"
)

// nativeParts are the native API's stores, context source and embedding
// cache, built from the retrieval, native and embedding_cache sections.
type nativeParts struct {
	native     *server.Native
	augment    map[string]*server.Augmentation
	background []func(context.Context)
	closers    []func()
}

func (p *nativeParts) close() {
	for _, c := range p.closers {
		c()
	}
	p.closers = nil
}

// buildNative builds the native API on the gateway's router. rdb is the
// limits' Redis client (nil without one), shared by the embedding cache and
// the context source when they name no Redis of their own.
func (b *builder) buildNative(routes server.Routes, rdb *redis.Client) (*nativeParts, error) {
	cfg := b.cfg
	p := &nativeParts{augment: map[string]*server.Augmentation{}}
	cache, err := embeddingCache(cfg, rdb, b.logger)
	if err != nil {
		return nil, err
	}
	emb := &cachedEmbedder{cache: cache}
	n := &server.Native{
		ChatModel:      cfg.DefaultChatModel(),
		EmbeddingModel: cfg.Native.EmbeddingModel,
		PromptModels:   cfg.Native.PromptModels,
		PromptTimeout:  cfg.Native.PromptTimeout.Std(),
		Embedder:       emb,
	}
	if n.EmbeddingModel == "" {
		n.EmbeddingModel = cfg.DefaultEmbeddingModel()
	}
	byName := map[string]*server.Store{}
	for i := range cfg.Retrieval.Stores {
		sc := &cfg.Retrieval.Stores[i]
		st, err := b.buildStore(p, sc, routes, emb)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("retrieval.stores[%d] (%s): %w", i, sc.Name, err)
		}
		n.Stores = append(n.Stores, st)
		byName[sc.Name] = st
	}
	for _, m := range cfg.Retrieval.Models {
		p.augment[m.Name] = &server.Augmentation{
			Store: byName[m.Store], TopK: m.TopK, MinScore: m.MinScore, Insert: retrieval.Insert(m.Insert),
		}
	}
	src, err := b.contextSource(p, rdb)
	if err != nil {
		p.close()
		return nil, err
	}
	n.Context = src
	p.native = n
	return p, nil
}

// buildStore makes the retriever of one store.
func (b *builder) buildStore(p *nativeParts, sc *config.RetrievalStore, routes server.Routes, emb *cachedEmbedder) (*server.Store, error) {
	st := &server.Store{Name: sc.Name, Local: sc.Local(), TopK: sc.TopK, MinScore: sc.MinScore}
	region := sc.Region
	if region == "" {
		region = b.cfg.Bedrock.Region
	}
	switch sc.Type {
	case config.StoreKendra:
		filter, err := config.FilterJSON(sc.AttributeFilter)
		if err != nil {
			return nil, err
		}
		r, err := kendra.New(b.ctx, kendra.Config{
			IndexID: sc.IndexID, Region: region, Endpoint: sc.Endpoint, Profile: sc.Profile,
			PageSize: sc.TopK, AttributeFilter: filter,
		}, b.getenv)
		if err != nil {
			return nil, err
		}
		st.Retriever = r
	case config.StoreBedrockKB:
		filter, err := config.FilterJSON(sc.Filter)
		if err != nil {
			return nil, err
		}
		r, err := bedrockkb.New(b.ctx, bedrockkb.Config{
			KnowledgeBaseID: sc.KnowledgeBaseID, Region: region, Endpoint: sc.Endpoint, Profile: sc.Profile,
			TopK: sc.TopK, Filter: filter, SearchType: sc.SearchType,
		}, b.getenv)
		if err != nil {
			return nil, err
		}
		st.Retriever = r
	default:
		model := b.cfg.StoreEmbeddingModel(sc)
		if model == "" {
			return nil, errors.New("a local store needs an embedding model: set retrieval.embedding_model (or bedrock.default_embedding_model)")
		}
		ls := newLocalStore(sc, model, emb.forModel(routes, model), b.logger)
		p.background = append(p.background, ls.watch)
		st.Retriever = ls
	}
	return st, nil
}

// contextSource builds /prompt's context source: Redis in front of
// DynamoDB, either alone, or nil when neither is configured.
func (b *builder) contextSource(p *nativeParts, rdb *redis.Client) (retrieval.ContextSource, error) {
	c := b.cfg.Retrieval.Context
	var cache contextsrc.Cache
	switch {
	case c.RedisURL != "":
		rs, err := contextsrc.NewRedis(contextsrc.RedisConfig{URL: c.RedisURL.Value(), KeyPrefix: c.KeyPrefix, HashField: c.HashField})
		if err != nil {
			return nil, fmt.Errorf("retrieval.context: %w", err)
		}
		p.closers = append(p.closers, func() { _ = rs.Close() })
		cache = rs
	case rdb != nil:
		rs, err := contextsrc.NewRedis(contextsrc.RedisConfig{Client: rdb, KeyPrefix: b.cfg.Limits.RedisPrefix + c.KeyPrefix, HashField: c.HashField})
		if err != nil {
			return nil, fmt.Errorf("retrieval.context: %w", err)
		}
		cache = rs
	}
	var table retrieval.ContextSource
	if d := c.DynamoDB; d.Table != "" {
		region := d.Region
		if region == "" {
			region = b.cfg.Bedrock.Region
		}
		ds, err := contextsrc.NewDynamo(b.ctx, contextsrc.DynamoConfig{
			Table: d.Table, KeyAttribute: d.KeyAttribute, KeyType: d.KeyType, ContextAttribute: d.ContextAttribute,
			ConsistentRead: d.ConsistentRead, Region: region, Endpoint: d.Endpoint, Profile: d.Profile,
		})
		if err != nil {
			return nil, fmt.Errorf("retrieval.context.dynamodb: %w", err)
		}
		table = ds
	}
	if cache == nil && table == nil {
		return nil, nil
	}
	if table == nil && c.RedisURL == "" {
		// Only the limits' Redis and no table: context is not configured;
		// the limits' Redis is not a context store by itself.
		return nil, nil
	}
	wb := c.WriteBack == nil || *c.WriteBack
	return contextsrc.NewChain(contextsrc.ChainConfig{
		Cache: cache, Table: table, TTL: c.TTL.Std(), NoWriteBack: !wb, Logger: b.logger,
	})
}

// embeddingCache builds the cache the embedding_cache section names.
func embeddingCache(cfg *config.Config, rdb *redis.Client, logger *slog.Logger) (embedcache.Cache, error) {
	ec := cfg.EmbeddingCache
	switch ec.Backend {
	case "off":
		return nil, nil
	case "redis", "auto":
		if rdb != nil {
			return embedcache.NewRedis(rdb, embedcache.RedisOptions{Prefix: cfg.Limits.RedisPrefix + "embed:", TTL: ec.TTL.Std(), Logger: logger}), nil
		}
		if ec.Backend == "redis" {
			return nil, errors.New("embedding_cache.backend is redis but no Redis is configured (limits.redis_url)")
		}
	}
	return embedcache.NewMemory(ec.MaxBytes), nil
}

// cachedEmbedder embeds through the embedding cache: server.Embedder for
// /chat's embed mode, and the query embedder of local stores.
type cachedEmbedder struct {
	cache embedcache.Cache
}

var _ server.Embedder = (*cachedEmbedder)(nil)

// Embed implements server.Embedder: the cache's misses go to the route's
// model in one request.
func (e *cachedEmbedder) Embed(ctx context.Context, rt *provider.Route, req *openai.EmbeddingRequest) (*server.Embedded, error) {
	if e.cache == nil || req.Input.Tokens != nil {
		return server.EmbedDirect(ctx, rt, req)
	}
	out := &server.Embedded{}
	var mu sync.Mutex
	vecs, err := embedcache.Embed(ctx, e.cache, embedcache.Params{Model: rt.Name, Extra: embedParams(req)}, req.Input.Strings,
		func(ctx context.Context, texts []string) ([][]float32, error) {
			r, err := withInput(req, texts)
			if err != nil {
				return nil, err
			}
			emb, err := server.EmbedDirect(ctx, rt, r)
			mu.Lock()
			defer mu.Unlock()
			out.Outcome = emb.Outcome
			if err != nil {
				return nil, err
			}
			out.Usage = emb.Usage
			return emb.Vectors, nil
		})
	if err != nil {
		return out, err
	}
	out.Vectors = vecs
	return out, nil
}

// embedParams are the request's parameters that change a vector, for the
// cache key: the body without its model, input and encoding_format (which
// does not change the vector) when it came from the wire (dimensions,
// input_type and the other provider extras are there), else the
// dimensions. The model is keyed by the route's name, so aliases share.
func embedParams(req *openai.EmbeddingRequest) string {
	if req.Raw != nil {
		rest, err := jsonx.Delete(req.Raw, "input")
		if err == nil {
			rest, err = jsonx.Delete(rest, "model")
		}
		if err == nil {
			rest, err = jsonx.Delete(rest, "encoding_format")
		}
		if err == nil {
			return string(rest)
		}
	}
	if req.Dimensions != nil {
		return fmt.Sprintf("dimensions=%d", *req.Dimensions)
	}
	return ""
}

// withInput is req asking for texts only: its body, when it has one,
// keeps every other field.
func withInput(req *openai.EmbeddingRequest, texts []string) (*openai.EmbeddingRequest, error) {
	r := *req
	r.Input = openai.EmbeddingInput{Strings: texts, Count: len(texts), Set: true}
	if req.Raw != nil {
		in, err := json.Marshal(texts)
		if err != nil {
			return nil, err
		}
		if r.Raw, err = jsonx.Set(req.Raw, "input", in); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// forModel returns a retrieval.Embedder embedding with a model of the
// router, through the cache.
func (e *cachedEmbedder) forModel(routes server.Routes, model string) retrieval.Embedder {
	return retrieval.EmbedFunc(func(ctx context.Context, texts []string) ([][]float32, error) {
		rt, err := routes.LookupFor(provider.UseEmbedding, model)
		if err != nil {
			return nil, err
		}
		emb, err := e.Embed(ctx, rt, &openai.EmbeddingRequest{Model: model, Input: openai.EmbeddingInput{Strings: texts}})
		if err != nil {
			return nil, err
		}
		return emb.Vectors, nil
	})
}

// notBuilt reports a local store whose index file does not exist yet.
func notBuilt(err error) bool { return errors.Is(err, fs.ErrNotExist) }
