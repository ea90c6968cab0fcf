// Package embedcache caches embedding vectors, so that a text embedded
// once is not sent to the model again: a bounded in-memory LRU (Memory),
// a Redis shared by the gateway's replicas (Redis), and Embed, which asks
// the model only for what the cache does not have.
//
// Entries are keyed by a SHA-256 of the model, the parameters that change
// the vector and the text (Key), so a long text does not make a long key
// and no text is ever stored by the cache, in memory or in Redis.
package embedcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
)

// keyVersion starts every hashed key. Changing how keys or values are
// encoded means changing it, so that old entries stop matching instead of
// being misread.
const keyVersion = "outcrop-embedcache-v1"

// Params are what, besides the text, decides the vector a model returns.
// Two requests share cache entries only when all of them are equal.
type Params struct {
	// Model is the model that computes the vector, after aliases are
	// resolved (the upstream's model ID), so that two aliases of one
	// model share entries and an alias pointed elsewhere does not serve
	// the old model's vectors. Example "amazon.titan-embed-text-v2:0".
	Model string
	// Dimensions is the requested vector size; 0 is the model's default.
	Dimensions int
	// InputType is the role of the text for models that embed queries
	// and documents differently (Cohere's input_type, "search_query",
	// "search_document"). Empty when the model has none.
	InputType string
	// Encoding is the numeric type asked for when it changes the values
	// (Cohere's embedding_types: "float", "int8", "ubinary"). Leave the
	// transport encoding (OpenAI's encoding_format float or base64) out:
	// it does not change the vector, and keying on it would only halve
	// the hit rate.
	Encoding string
	// Extra is any other parameter that changes the vector, in a
	// canonical form the caller chooses. Example "normalize=true".
	Extra string
}

// Key is the cache key of one text under some Params: a SHA-256 of their
// canonical encoding.
type Key [sha256.Size]byte

// Key returns the cache key of text under p.
//
// Each field is written as its length and its bytes, so that no two
// different (Params, text) pairs encode alike: a model "a" with text "bc"
// and a model "ab" with text "c" get different keys.
func (p Params) Key(text string) Key {
	h := sha256.New()
	for _, s := range [...]string{
		keyVersion, p.Model, strconv.Itoa(p.Dimensions), p.InputType, p.Encoding, p.Extra, text,
	} {
		writeField(h, s)
	}
	var k Key
	h.Sum(k[:0])
	return k
}

func writeField(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	_, _ = h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	_, _ = io.WriteString(h, s) // a hash's Write never fails
}

// String returns the key in hex, as it appears in Redis.
func (k Key) String() string {
	return hex.EncodeToString(k[:])
}
