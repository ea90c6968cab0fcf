// Package demo is Outcrop's built-in upstream: a small deterministic program
// that speaks the OpenAI API so that `outcrop serve` works with no config and
// no cloud account. It is not a language model. Its answers explain that they
// come from the demo and echo what the client sent, which is enough to try
// the gateway with any OpenAI SDK, agent or IDE: chat (streamed token by
// token), tool calls, legacy completions, embeddings and the model list.
//
// Everything is a pure function of the request, apart from the `created`
// timestamps, which come from Config.Clock: the same request always gets the
// same answer, IDs included.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
)

// Model names the demo serves.
const (
	// ChatModel serves chat and legacy completions.
	ChatModel = "demo-chat"
	// EmbedModel serves embeddings.
	EmbedModel = "demo-embed"
)

// OwnedBy is the `owned_by` of every demo model in /v1/models, so that a
// client can tell at a glance that no real model answers.
const OwnedBy = "outcrop-demo"

// Created is the `created` of every demo model in /v1/models (2025-01-01
// UTC). It is fixed so that the list is the same on every start.
const Created int64 = 1735689600

// Config configures the demo upstream. The zero value is valid.
type Config struct {
	// TokenDelay is the pause before each streamed token, so that a stream
	// looks like one from a real model. Zero means no pause. The app uses
	// 20ms.
	TokenDelay time.Duration
	// Clock gives the `created` time of responses. Nil means time.Now;
	// tests inject a fixed clock so that answers are byte-stable.
	Clock func() time.Time
}

// Provider is the demo upstream. It is safe for concurrent use.
type Provider struct {
	delay time.Duration
	clock func() time.Time
}

var (
	_ provider.Provider    = (*Provider)(nil)
	_ provider.Completer   = (*Provider)(nil)
	_ provider.Embedder    = (*Provider)(nil)
	_ provider.ModelLister = (*Provider)(nil)
	_ provider.Pinger      = (*Provider)(nil)
)

// New returns a demo upstream.
func New(cfg Config) *Provider {
	p := &Provider{delay: cfg.TokenDelay, clock: cfg.Clock}
	if p.clock == nil {
		p.clock = time.Now
	}
	return p
}

// Models returns the names of the demo models: one chat model and one
// embedding model.
func Models() []string { return []string{ChatModel, EmbedModel} }

// Models lists the demo models as /v1/models shows them.
func (p *Provider) Models(ctx context.Context) ([]openai.Model, error) {
	names := Models()
	out := make([]openai.Model, len(names))
	for i, n := range names {
		out[i] = openai.Model{ID: n, Object: openai.ObjectModel, Created: Created, OwnedBy: OwnedBy}
	}
	return out, nil
}

// Ping reports the demo as always reachable, unless ctx is done.
func (p *Provider) Ping(ctx context.Context) error { return ctx.Err() }

// checkModel returns ModelNotFound for a model the demo does not know, and
// provider.Unsupported for a known model asked for the wrong endpoint (the
// router turns that into a 400 naming the public model).
func checkModel(model, want, what string) error {
	switch model {
	case want:
		return nil
	case ChatModel, EmbedModel:
		return provider.Unsupported(what)
	}
	return openai.ModelNotFound(model)
}

// digest is a hash of a request, the source of its IDs and of the choices
// the demo makes among equivalent phrasings.
type digest [sha256.Size]byte

// digestOf hashes the JSON form of a typed request. The typed form, not the
// client's bytes, so that spacing and key order do not change the answer.
func digestOf(kind string, req any) digest {
	b, _ := json.Marshal(req) // request types always marshal
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(b)
	var d digest
	h.Sum(d[:0])
	return d
}

// id returns prefix followed by 24 hex digits of the digest, salted so that
// several IDs from one request differ.
func (d digest) id(prefix string, salt int) string {
	h := sha256.New()
	h.Write(d[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(salt))
	h.Write(b[:])
	return prefix + hex.EncodeToString(h.Sum(nil)[:12])
}

// pick returns a number in [0, n) chosen by the digest and offset by i, so
// that choice i of a request and choice i+1 pick differently.
func (d digest) pick(i, n int) int {
	return int((binary.BigEndian.Uint64(d[:8]) + uint64(i)) % uint64(n))
}
