// Package usage is what a request cost: the usage record written to the
// ledger for every request, money as integer nano-dollars, and the price
// table that turns token counts into cost.
package usage

import (
	"strconv"
	"time"
)

// NanoUSD is an amount of money in billionths of a US dollar. Integers
// keep budget arithmetic exact, in Go, in SQL and in Redis scripts alike;
// int64 holds about nine billion dollars.
type NanoUSD int64

// NanoPerUSD is how many NanoUSD make a dollar.
const NanoPerUSD = 1_000_000_000

// FromUSD converts dollars, rounding to the nearest nano-dollar.
func FromUSD(usd float64) NanoUSD {
	if usd < 0 {
		return -FromUSD(-usd)
	}
	return NanoUSD(usd*NanoPerUSD + 0.5)
}

// USD returns the amount in dollars.
func (n NanoUSD) USD() float64 { return float64(n) / NanoPerUSD }

// String formats the amount as dollars with six decimals, e.g. "$0.001234".
func (n NanoUSD) String() string { return "$" + strconv.FormatFloat(n.USD(), 'f', 6, 64) }

// Record is one request in the usage ledger.
type Record struct {
	// Time is when the request started.
	Time time.Time
	// RequestID is Outcrop's request ID (the X-Request-Id header).
	RequestID string
	// KeyID is the virtual key's ID; "" for the master key or an open
	// gateway.
	KeyID string
	// Model is the model name the client asked for.
	Model string
	// Deployment is the deployment that served it ("upstream/model"); ""
	// when none did.
	Deployment string
	// Route is the route pattern, e.g. "POST /v1/chat/completions".
	Route string
	// Status is the HTTP status sent to the client (499 when the client
	// went away first).
	Status int
	// Stream is true for a streamed answer.
	Stream bool
	// InputTokens counts every prompt token, cached ones included (as
	// OpenAI's prompt_tokens does); CacheReadTokens and CacheWriteTokens
	// are the parts of it read from and written to a prompt cache.
	InputTokens      int64
	OutputTokens     int64
	CacheReadTokens  int64
	CacheWriteTokens int64
	// Cost is what the request cost by the price table; 0 when the model
	// has no price.
	Cost NanoUSD
	// Latency is the time from the request's start to its last byte.
	Latency time.Duration
}
