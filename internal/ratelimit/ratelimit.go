// Package ratelimit holds virtual keys and models to exact limits on
// requests per minute, tokens per minute and concurrent requests, and
// holds keys to spend budgets (issue 5).
//
// Other gateways count per process, so N replicas admit N times the
// limit, and charge budgets after the fact, so a burst of requests in
// flight overspends without bound. Here every check and its charge are one
// atomic step: under a mutex in memory (Memory, one process) and in one
// Lua script in Redis (Redis, any number of replicas). A request is
// admitted by all of its limits and budgets or charged by none.
//
// The caller charges an estimate before forwarding a request (Allow) and
// settles the real figures when it ends (Settle), so overspend is bounded
// by what the estimates of the requests in flight missed.
package ratelimit

import (
	"context"
	"time"

	"github.com/outcrop/outcrop/internal/usage"
)

// Denial reasons, the values of Decision.Reason.
const (
	// ReasonRequests: a requests-per-minute bucket is empty.
	ReasonRequests = "requests"
	// ReasonTokens: a tokens-per-minute bucket holds fewer tokens than the
	// request's estimate.
	ReasonTokens = "tokens"
	// ReasonTooLarge: the request's estimate exceeds a tokens-per-minute
	// limit, so it can never be admitted; waiting does not help.
	ReasonTooLarge = "too_large"
	// ReasonConcurrency: every concurrent slot of a limit is taken.
	ReasonConcurrency = "concurrency"
	// ReasonBudget: the reservation would take a budget past its limit.
	ReasonBudget = "budget"
)

// ConcurrencyRetryAfter is the Retry-After hint of a concurrency denial: a
// slot comes back when some request ends, which no bucket can predict.
const ConcurrencyRetryAfter = time.Second

// DefaultLeaseTTL is Options.LeaseTTL's default.
const DefaultLeaseTTL = 10 * time.Minute

// Limit is the rate limits of one identity, such as a virtual key or a
// model. Each non-zero dimension is a bucket of its own.
type Limit struct {
	// ID names the buckets, e.g. "key:key_abc" or "model:claude-sonnet".
	// IDs must be distinct within one Request.
	ID string
	// RPM is requests per minute; 0 means no limit on requests.
	RPM int64
	// TPM is tokens per minute; 0 means no limit on tokens.
	TPM int64
	// Concurrency is the number of requests in flight at once; 0 means no
	// limit.
	Concurrency int64
}

// Budget is a spend limit over one period. Its counter holds what was
// spent plus what requests in flight reserved.
type Budget struct {
	// ID names the counter and encodes its period, e.g.
	// "key_abc:day:2026-12-03:r1712345", so a new period starts a new
	// counter.
	ID string
	// Limit is the most the period may spend. A budget always limits:
	// Limit 0 admits only requests whose Cost is 0.
	Limit usage.NanoUSD
	// ResetAt is when the period ends, used for Retry-After; the zero
	// value means never (a total budget), and a denial then carries no
	// Retry-After.
	ResetAt time.Time
	// TTL is how long the counter lives after its last change, e.g. until
	// the period's end plus a day, so old periods vanish; 0 means forever.
	TTL time.Duration
	// Seed returns what the period already spent according to the usage
	// ledger. The limiter calls it only when it holds no counter for ID
	// (the first use, or after the counter expired), once at a time per ID
	// even across Redis replicas. Nil starts the counter at 0.
	Seed func(ctx context.Context) (usage.NanoUSD, error)
}

// Request is what one request asks of the limiter.
type Request struct {
	// Limits are the rate limits the request counts against.
	Limits []Limit
	// Budgets are the budgets the request's cost counts against.
	Budgets []Budget
	// Tokens is the token estimate (prompt size plus max_tokens) charged
	// to every TPM bucket of Limits.
	Tokens int64
	// Cost is the worst-case cost reserved on every budget.
	Cost usage.NanoUSD
}

// Window is one bucket's figures for the x-ratelimit-* response headers.
type Window struct {
	// Limit is the per-minute limit; 0 means the request had no such
	// limit and the other fields are meaningless.
	Limit int64
	// Remaining is the whole units left in the bucket, never below 0.
	Remaining int64
	// Reset is how long until the bucket is full again.
	Reset time.Duration
}

// BudgetWindow is one budget's figures.
type BudgetWindow struct {
	// Limit is the budget's limit; 0 with Remaining 0 when the request had
	// no budget.
	Limit usage.NanoUSD
	// Remaining is the limit less spend and reservations, never below 0.
	Remaining usage.NanoUSD
}

// Decision is the outcome of Allow.
type Decision struct {
	// Allowed is true when every limit and budget admitted the request.
	Allowed bool
	// Reason is on denial one of the Reason* constants.
	Reason string
	// LimitID is on denial the ID of the limit or budget that denied.
	// When several deny, a too-large estimate wins, then a budget, then
	// the bucket or slot with the longest wait.
	LimitID string
	// RetryAfter is on denial how long until the request could fit: the
	// time until the bucket holds enough, ConcurrencyRetryAfter, or the
	// time until the budget's period ends (0 when it never does or for
	// ReasonTooLarge).
	RetryAfter time.Duration
	// Requests is the most constrained RPM bucket (lowest
	// remaining/limit), after this request's charge when allowed.
	Requests Window
	// Tokens is the most constrained TPM bucket.
	Tokens Window
	// Budget is the most constrained budget.
	Budget BudgetWindow
}

// Reservation is what Allow charged, for Settle to take back with the real
// figures. It is plain data (it marshals to JSON) so the caller can keep
// it in its request scope, or settle it through another replica.
type Reservation struct {
	// ID identifies the reservation: its concurrency leases and, in
	// Redis, the marker that makes Settle idempotent.
	ID string
	// Limits are the TPM and concurrency limits charged.
	Limits []Limit
	// Budgets are the budgets charged.
	Budgets []ReservedBudget
	// Tokens is the token estimate charged to every TPM bucket.
	Tokens int64
	// Cost is the cost reserved on every budget.
	Cost usage.NanoUSD

	// settled makes a second Settle of the same *Reservation a no-op in
	// memory (guarded by Memory.mu).
	settled bool
}

// ReservedBudget is a budget a Reservation charged.
type ReservedBudget struct {
	// ID is Budget.ID.
	ID string
	// TTL is Budget.TTL, renewed when Settle changes the counter.
	TTL time.Duration
}

// Actual is what a request really used, for Settle.
type Actual struct {
	// Tokens is the real token count (prompt plus completion).
	Tokens int64
	// Cost is the real cost.
	Cost usage.NanoUSD
}

// Limiter checks and charges requests. Memory and Redis implement it.
type Limiter interface {
	// Allow checks every limit and budget of req and, only if all admit
	// it, charges all of them. The reservation is nil when the request is
	// denied or nothing needs settling. An error means nothing was decided
	// (e.g. Redis is unreachable or a Seed failed): the caller fails
	// closed.
	Allow(ctx context.Context, req Request) (Decision, *Reservation, error)
	// Settle replaces the reservation's estimates by actual and gives its
	// concurrency slots back. A nil res is a no-op, and so is a second
	// Settle of the same reservation.
	Settle(ctx context.Context, res *Reservation, actual Actual) error
}

// LaterSettler is a Limiter that can settle without its caller waiting
// for the store: Redis, where a settle can ride a round trip shared
// with other requests' scripts, and Memory, which never waits. A request
// whose answer is out has no use for waiting, nor for the timeout a
// plain Settle is given.
type LaterSettler interface {
	Limiter
	// SettleLater is Settle, except that it may return before the settle
	// is done; done (which may be nil, and must not block) is called
	// once with what Settle would have returned, perhaps from another
	// goroutine and perhaps before SettleLater returns.
	SettleLater(res *Reservation, actual Actual, done func(error))
}

// Options configure a limiter. The zero value is ready to use.
type Options struct {
	// Prefix starts every Redis key, e.g. "outcrop:". On Redis Cluster it
	// must contain a hash tag, e.g. "{outcrop}:", because one script
	// touches every key of a request and they must share a slot. Memory
	// ignores it.
	Prefix string
	// LeaseTTL is how long a concurrency slot stays taken without a
	// Settle, so the slots of a crashed replica (or a forgotten Settle)
	// come back by themselves. It should exceed the longest request.
	// Default DefaultLeaseTTL (10 minutes).
	LeaseTTL time.Duration
	// Now is Memory's clock; default time.Now. Redis buckets use the
	// server's TIME instead (replicas' clocks differ); Redis uses Now only
	// for the time until Budget.ResetAt.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

var (
	_ LaterSettler = (*Memory)(nil)
	_ LaterSettler = (*Redis)(nil)
)
