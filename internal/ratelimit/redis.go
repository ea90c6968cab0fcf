package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outcrop/outcrop/internal/usage"
)

// Script replies (see luaAllow).
const (
	replyDenied   = 0
	replyAdmitted = 1
	replyMissing  = 2
)

// seedRounds bounds how often Allow seeds and runs its script again: a
// counter that vanishes right after being seeded (a TTL shorter than a
// round trip) would otherwise loop.
const seedRounds = 4

// SettleMarkerTTL is how long Redis remembers that a reservation was
// settled, so that a second Settle of a copy of it (through another
// replica, say) is a no-op; one marker key per request lives that long.
// A second Settle of the same *Reservation is a no-op forever.
const SettleMarkerTTL = time.Minute

// Redis is a Limiter shared by every replica of a deployment: each Allow
// and each Settle is one Lua script, so checks and charges are exact
// across replicas; concurrent scripts share round trips (batcher).
// Buckets are hashes, concurrency slots are leases in sorted sets scored
// by expiry, budgets are integer strings; all expire when idle.
//
// When Redis cannot be reached, Allow returns the error and decides
// nothing: the caller must fail closed (503), since admitting without a
// check would break the limits this type exists to hold.
type Redis struct {
	client   redis.UniversalClient
	prefix   string
	leaseTTL time.Duration
	now      func() time.Time
	allow    *redis.Script
	settle   *redis.Script
	batch    *batcher   // runs allow and settle, sharing round trips
	mu       sync.Mutex // guards Reservation.settled
}

// NewRedis returns a limiter keeping its state in Redis under
// opts.Prefix. The client may be shared; the limiter does not close it.
func NewRedis(client redis.UniversalClient, opts Options) *Redis {
	opts = opts.withDefaults()
	return &Redis{
		client:   client,
		prefix:   opts.Prefix,
		leaseTTL: opts.LeaseTTL,
		now:      opts.Now,
		allow:    redis.NewScript(luaAllow),
		settle:   redis.NewScript(luaSettle),
		batch:    &batcher{client: client},
	}
}

// Allow implements Limiter. It runs one script (EVALSHA, EVAL the first
// time), plus a seeding round for each budget counter that does not exist
// yet.
func (r *Redis) Allow(ctx context.Context, req Request) (Decision, *Reservation, error) {
	p, err := newPlan(req)
	if err != nil {
		return Decision{}, nil, err
	}
	if p.empty() {
		return Decision{Allowed: true}, nil, nil
	}
	id := rand.Text()
	keys, args := r.allowCall(p, id)
	for range seedRounds {
		reply, err := r.batch.run(ctx, r.allow, keys, args...).Int64Slice()
		if err != nil {
			return Decision{}, nil, fmt.Errorf("run the rate limit script: %w", err)
		}
		if reply[0] == replyMissing {
			for _, i := range reply[1:] {
				if err := r.seed(ctx, p.budgets[i]); err != nil {
					return Decision{}, nil, err
				}
			}
			continue
		}
		st, err := parseState(p, reply)
		if err != nil {
			return Decision{}, nil, err
		}
		d := decide(p, st, r.now())
		if d.Allowed != (reply[0] == replyAdmitted) {
			return Decision{}, nil, fmt.Errorf("rate limit script replied %d, the decision is %v: scripts.go and decide.go disagree", reply[0], d.Allowed)
		}
		if !d.Allowed {
			return d, nil, nil
		}
		return d, p.reservation(id, req), nil
	}
	return Decision{}, nil, errors.New("budget counters vanished right after seeding: is a budget TTL shorter than a round trip")
}

func (r *Redis) allowCall(p *plan, id string) (keys []string, args []any) {
	keys = make([]string, 0, len(p.buckets)+len(p.conc)+len(p.budgets))
	args = make([]any, 0, 6+2*len(p.buckets)+len(p.conc)+2*len(p.budgets))
	args = append(args, len(p.buckets), len(p.conc), len(p.budgets), int64(p.cost), id, r.leaseTTL.Milliseconds())
	for _, b := range p.buckets {
		keys = append(keys, r.bucketKey(b.kind, b.id))
		args = append(args, b.limit, b.amount)
	}
	for _, c := range p.conc {
		keys = append(keys, r.prefix+"conc:"+c.id)
		args = append(args, c.limit)
	}
	for _, b := range p.budgets {
		keys = append(keys, r.budgetKey(b.ID))
		// Plain int64s: go-redis would format a NanoUSD or a Duration
		// with its String method.
		args = append(args, int64(b.Limit), b.TTL.Milliseconds())
	}
	return keys, args
}

func parseState(p *plan, reply []int64) (*state, error) {
	nb, nc, nbud := len(p.buckets), len(p.conc), len(p.budgets)
	if len(reply) != 1+nb+nc+nbud {
		return nil, fmt.Errorf("rate limit script replied %d values, want %d", len(reply), 1+nb+nc+nbud)
	}
	st := &state{levels: reply[1 : 1+nb], counts: reply[1+nb : 1+nb+nc], spent: make([]usage.NanoUSD, nbud)}
	for i, v := range reply[1+nb+nc:] {
		st.spent[i] = usage.NanoUSD(v)
	}
	return st, nil
}

// Settle implements Limiter with one script. A Settle that fails can be
// retried.
func (r *Redis) Settle(ctx context.Context, res *Reservation, actual Actual) error {
	keys, args, err := r.startSettle(res, actual)
	if keys == nil {
		return err
	}
	return r.settled(res, r.batch.run(ctx, r.settle, keys, args...))
}

// SettleLater implements LaterSettler: Settle without waiting for the
// reply. When a round trip to Redis is in flight the script rides the
// next one, and otherwise a goroutine of the limiter's sends it; either
// way it goes ahead of every script queued after it. done is called
// once, with Settle's error, from the goroutine that got the reply (it
// must not block); it may be nil.
func (r *Redis) SettleLater(res *Reservation, actual Actual, done func(error)) {
	if done == nil {
		done = func(error) {}
	}
	keys, args, err := r.startSettle(res, actual)
	if keys == nil {
		done(err)
		return
	}
	r.batch.post(r.settle, keys, args, func(cmd *redis.Cmd) { done(r.settled(res, cmd)) })
}

// startSettle checks actual and claims res, returning the settle
// script's keys and arguments; nil keys when there is nothing to run
// (nothing reserved, settled already, or the error).
func (r *Redis) startSettle(res *Reservation, actual Actual) (keys []string, args []any, err error) {
	if res == nil {
		return nil, nil, nil
	}
	if err := validActual(actual); err != nil {
		return nil, nil, err
	}
	if !r.claim(res, true) {
		return nil, nil, nil
	}
	keys, args = r.settleCall(res, actual)
	return keys, args, nil
}

// settled is the outcome of res's settle script: a failed one leaves res
// unsettled, so that it can be tried again.
func (r *Redis) settled(res *Reservation, cmd *redis.Cmd) error {
	if err := cmd.Err(); err != nil {
		r.claim(res, false)
		return fmt.Errorf("run the rate limit settle script: %w", err)
	}
	return nil
}

// Flush waits until every SettleLater has had its reply, or ctx is
// done. Call it before closing the client.
func (r *Redis) Flush(ctx context.Context) error { return r.batch.wait(ctx) }

// claim sets res.settled to settled, reporting whether that changed it.
func (r *Redis) claim(res *Reservation, settled bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res.settled == settled {
		return false
	}
	res.settled = settled
	return true
}

func (r *Redis) settleCall(res *Reservation, actual Actual) (keys []string, args []any) {
	var tpm, conc []Limit
	for _, l := range res.Limits {
		if l.TPM > 0 {
			tpm = append(tpm, l)
		}
		if l.Concurrency > 0 {
			conc = append(conc, l)
		}
	}
	keys = make([]string, 0, len(tpm)+len(conc)+len(res.Budgets)+1)
	args = make([]any, 0, 7+len(tpm)+len(res.Budgets))
	debt := (actual.Tokens - res.Tokens) * unitsPerToken
	args = append(args, len(tpm), len(conc), len(res.Budgets), debt, int64(actual.Cost-res.Cost), res.ID, SettleMarkerTTL.Milliseconds())
	for _, l := range tpm {
		keys = append(keys, r.bucketKey(kindTokens, l.ID))
		args = append(args, l.TPM)
	}
	for _, l := range conc {
		keys = append(keys, r.prefix+"conc:"+l.ID)
	}
	for _, b := range res.Budgets {
		keys = append(keys, r.budgetKey(b.ID))
		args = append(args, b.TTL.Milliseconds())
	}
	keys = append(keys, r.prefix+"settled:"+res.ID)
	return keys, args
}

func (r *Redis) bucketKey(k kind, id string) string {
	if k == kindTokens {
		return r.prefix + "tpm:" + id
	}
	return r.prefix + "rpm:" + id
}

func (r *Redis) budgetKey(id string) string { return r.prefix + "budget:" + id }
