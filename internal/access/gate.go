// Package access admits requests: whether the principal may use the model,
// whether its rate limits, the model's and its budget leave room, and,
// once the request is over, what it really used (settled with the limiter)
// and what it cost (written to the usage ledger). It also manages virtual
// keys for the admin API and the CLI (keys.go).
package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/internal/auth"
	"github.com/outcrop/outcrop/internal/middleware"
	"github.com/outcrop/outcrop/internal/openai"
	"github.com/outcrop/outcrop/internal/provider"
	"github.com/outcrop/outcrop/internal/ratelimit"
	"github.com/outcrop/outcrop/internal/usage"
)

// SpendFunc sums a key's settled spend in the ledger from since on; it
// seeds a budget counter the limiter does not hold yet.
type SpendFunc func(ctx context.Context, keyID string, since time.Time) (usage.NanoUSD, error)

// Recorder takes usage records: *usage.Ledger.
type Recorder interface{ Record(usage.Record) }

// Options configure a Gate.
type Options struct {
	// Limiter holds rate limits and budgets; required.
	Limiter ratelimit.Limiter
	// Prices prices tokens; nil prices nothing (keys with a budget are
	// then refused).
	Prices *usage.PriceTable
	// Ledger receives a record per request; nil for none.
	Ledger Recorder
	// Spend seeds budgets; nil starts them at zero.
	Spend SpendFunc
	// ModelLimits limit public model names across keys.
	ModelLimits map[string]Limits
	// OutputTokenEstimate is the output assumed for a request that sets
	// no max_tokens. Default 4096.
	OutputTokenEstimate int64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives settle failures; nil discards them.
	Logger *slog.Logger
}

// Limits are per-minute limits; zero means none.
type Limits struct{ RPM, TPM, Concurrency int64 }

// Gate admits and accounts for requests.
type Gate struct {
	opts Options
}

// NewGate returns a Gate for opts.
func NewGate(opts Options) *Gate {
	if opts.OutputTokenEstimate <= 0 {
		opts.OutputTokenEstimate = 4096
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Gate{opts: opts}
}

// Admission is one request asking to go upstream.
type Admission struct {
	// Model is the public model name asked for; Route what it resolved to.
	Model string
	Route *provider.Route
	// Estimate is the request's token estimate.
	Estimate Estimate
}

// Begin prepares the request's accounting: whatever happens next, its end
// writes one ledger record. Call it once the request is authenticated.
func (g *Gate) Begin(sc *middleware.Scope) {
	t := &ticket{g: g, sc: sc}
	sc.OnDone, sc.Ticket = t.done, t
}

// Admit checks an authenticated request against its key's models, limits
// and budget, and the model's limits, and charges them. It sets OpenAI's
// x-ratelimit-* headers on h (and Retry-After on a denial). The
// reservation is settled when the request ends (Scope.OnDone).
func (g *Gate) Admit(ctx context.Context, h http.Header, a Admission) error {
	sc := middleware.ScopeFrom(ctx)
	if t, ok := ticketOf(sc); ok {
		t.route = a.Route
	}
	res, tokens, err := g.charge(ctx, h, sc.Principal, a)
	if err != nil || res == nil {
		return err
	}
	if t, ok := ticketOf(sc); ok {
		t.res, t.estimate = res, tokens
	} else {
		// No Begin: settle at once would undo the charge, so hold it till
		// the end anyway.
		t := &ticket{g: g, sc: sc, res: res, route: a.Route, estimate: tokens}
		sc.OnDone, sc.Ticket = t.done, t
	}
	return nil
}

// charge checks a against p's models, limits and budget and the model's
// limits, and reserves what a may use. It returns the reservation (nil
// when nothing limits p) and the tokens reserved.
func (g *Gate) charge(ctx context.Context, h http.Header, p *auth.Principal, a Admission) (*ratelimit.Reservation, int64, error) {
	if !modelAllowed(p, a) {
		return nil, 0, &openai.Error{
			Status: http.StatusForbidden, Type: openai.TypePermission, Code: "model_not_allowed",
			Message: fmt.Sprintf("This API key may not use the model `%s`.", a.Model),
		}
	}
	if p != nil && p.Master {
		return nil, 0, nil
	}
	req, err := g.request(ctx, p, a)
	if err != nil {
		return nil, 0, err
	}
	if len(req.Limits) == 0 && len(req.Budgets) == 0 {
		return nil, 0, nil
	}
	dec, res, err := g.opts.Limiter.Allow(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		g.opts.Logger.Error("rate limiter unavailable", "error", err)
		return nil, 0, &openai.Error{
			Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: "rate_limiter_unavailable",
			Message: "The rate limiter cannot be reached, so the request was not sent. Please retry.",
		}
	}
	if h != nil {
		setHeaders(h, dec)
	}
	if !dec.Allowed {
		if h == nil {
			h = http.Header{}
		}
		return nil, 0, denial(h, dec, a.Model, p)
	}
	return res, req.Tokens, nil
}

// modelAllowed reports whether p may use the model a asks for: by the name
// asked for (a listed alias) or by the name of the model that serves it
// (so an alias of a listed model works too).
func modelAllowed(p *auth.Principal, a Admission) bool {
	return p.ModelAllowed(a.Model) || (a.Route != nil && p.ModelAllowed(a.Route.Name))
}

// request builds the limiter's request for a.
func (g *Gate) request(ctx context.Context, p *auth.Principal, a Admission) (ratelimit.Request, error) {
	var req ratelimit.Request
	out := a.Estimate.MaxOutput
	if out <= 0 && !a.Estimate.NoOutput {
		out = g.outputCap(a.Route)
	}
	// Clamped to what the limiter can count: a request asking for more
	// than any limit can hold is refused as too large, not as an error.
	req.Tokens = min(a.Estimate.Prompt+max(out, 0), ratelimit.MaxLimit)
	// Model limits apply to the model served, whatever alias named it.
	model := a.Model
	if a.Route != nil && a.Route.Name != "" {
		model = a.Route.Name
	}
	if l, ok := g.opts.ModelLimits[model]; ok {
		req.Limits = append(req.Limits, ratelimit.Limit{ID: limitID("model:", model, l.RPM, l.TPM), RPM: l.RPM, TPM: l.TPM, Concurrency: l.Concurrency})
	}
	if p == nil || p.Key == nil {
		return req, nil
	}
	k := p.Key
	if k.RPM > 0 || k.TPM > 0 || k.Concurrency > 0 {
		req.Limits = append(req.Limits, ratelimit.Limit{ID: limitID("key:", k.ID, k.RPM, k.TPM), RPM: k.RPM, TPM: k.TPM, Concurrency: k.Concurrency})
	}
	if k.Budget <= 0 || k.BudgetPeriod == "" {
		return req, nil
	}
	cost, ok := g.worstCost(a.Route, a.Estimate.Prompt, out)
	if !ok {
		return req, &openai.Error{
			Status: http.StatusForbidden, Type: openai.TypePermission, Code: "model_not_priced",
			Message: fmt.Sprintf("The model `%s` has no price, so a key with a budget cannot use it. An operator can add it under `prices`.", a.Model),
		}
	}
	start, end, since := period(k, g.opts.Now())
	b := ratelimit.Budget{ID: budgetID(k, start, since), Limit: k.Budget, ResetAt: end}
	if !end.IsZero() {
		b.TTL = end.Sub(g.opts.Now()) + 24*time.Hour
	}
	if g.opts.Spend != nil {
		id := k.ID
		b.Seed = func(ctx context.Context) (usage.NanoUSD, error) { return g.opts.Spend(ctx, id, since) }
	}
	req.Budgets = append(req.Budgets, b)
	req.Cost = min(cost, ratelimit.MaxNanoUSD)
	return req, nil
}

// limitID names a limit's buckets by what they limit and their sizes, so
// a changed limit starts from a full bucket at once rather than refilling
// at the new rate from the old level (a raised limit would otherwise wait
// out the old one's debt).
func limitID(kind, id string, rpm, tpm int64) string {
	var buf [96]byte // on the stack: the string is the one allocation
	b := append(append(buf[:0], kind...), id...)
	b = strconv.AppendInt(append(b, ':'), rpm, 10)
	b = strconv.AppendInt(append(b, ':'), tpm, 10)
	return string(b)
}

// OutputCapper is a provider that knows the output cap it sends when a
// request sets none (the Bedrock client: the model table's
// default_max_tokens).
type OutputCapper interface {
	DefaultMaxTokens(model string) int
}

// outputCap is the most output a request without max_tokens can get on
// the route: the largest cap its deployments send, or
// Options.OutputTokenEstimate for those that send none (an OpenAI-style
// upstream then allows up to the model's limit, which only it knows).
func (g *Gate) outputCap(rt *provider.Route) int64 {
	var most int64
	if rt == nil {
		return g.opts.OutputTokenEstimate
	}
	for _, d := range rt.Deployments {
		c, ok := d.Provider.(OutputCapper)
		if !ok {
			most = max(most, g.opts.OutputTokenEstimate)
			continue
		}
		if n := int64(c.DefaultMaxTokens(d.Model)); n > 0 {
			most = max(most, n)
		} else {
			most = max(most, g.opts.OutputTokenEstimate)
		}
	}
	if most == 0 {
		most = g.opts.OutputTokenEstimate
	}
	return most
}

// worstCost prices a request at the dearest of the route's deployments,
// since a fallback may serve it; false when one of them has no price.
func (g *Gate) worstCost(rt *provider.Route, prompt, output int64) (usage.NanoUSD, bool) {
	if g.opts.Prices == nil || rt == nil {
		return 0, false
	}
	var worst usage.NanoUSD
	for _, d := range rt.Deployments {
		pr, ok := g.opts.Prices.Lookup(d.Model)
		if !ok {
			return 0, false
		}
		worst = max(worst, pr.Cost(usage.Tokens{Input: prompt, Output: output}))
	}
	return worst, true
}

// ticket is one request's accounting, finished by Scope.OnDone.
type ticket struct {
	g        *Gate
	sc       *middleware.Scope
	res      *ratelimit.Reservation
	route    *provider.Route
	estimate int64
	// parts counts the parts admitted under this request's ticket.
	parts atomic.Int32
}

// ticketOf finds the ticket Begin installed. The Scope holds OnDone only,
// so the ticket is remembered beside it.
func ticketOf(sc *middleware.Scope) (*ticket, bool) {
	t, ok := sc.Ticket.(*ticket)
	return t, ok
}

// done settles the reservation with the real usage and writes the ledger
// record. A request made of parts (AdmitPart) has its parts recorded
// instead, unless none was admitted.
func (t *ticket) done(status int) {
	sc := t.sc
	if t.parts.Load() > 0 {
		return
	}
	t.finish(outcome{usage: sc.Usage, model: sc.Model, deployment: sc.Deployment, stream: sc.Stream, status: status})
}

// outcome is how one upstream call ended.
type outcome struct {
	usage             *openai.Usage
	model, deployment string
	stream            bool
	status            int
}

// finish settles the ticket's reservation for o and writes its ledger
// record.
func (t *ticket) finish(o outcome) {
	sc := t.sc
	tokens := tokensOf(o.usage)
	cost := t.cost(o.deployment, tokens)
	charged := tokens.Input + tokens.Output
	if o.usage == nil {
		charged = 0 // failed before any token: give it all back
		if maybeBilled(o) {
			// The upstream may have produced tokens it never reported: a
			// client gone mid-stream, a cut stream, a server that sends
			// no usage. Keep what was reserved, so that leaving early
			// saves neither limit nor budget.
			charged = t.estimate
			if t.res != nil {
				cost = t.res.Cost
			}
		}
	}
	if t.res != nil {
		t.settle(ratelimit.Actual{Tokens: charged, Cost: cost})
	}
	if t.g.opts.Ledger == nil {
		return
	}
	t.g.opts.Ledger.Record(usage.Record{
		Time:             sc.Start,
		RequestID:        sc.RequestID,
		KeyID:            sc.Principal.KeyID(),
		Model:            o.model,
		Deployment:       o.deployment,
		Route:            sc.Route,
		Status:           o.status,
		Stream:           o.stream,
		InputTokens:      tokens.Input,
		OutputTokens:     tokens.Output,
		CacheReadTokens:  tokens.CacheRead,
		CacheWriteTokens: tokens.CacheWrite,
		Cost:             cost,
		Latency:          time.Since(sc.Start),
	})
}

// settle settles the ticket's reservation. The answer is out, so
// nothing waits for a limiter that can settle later (Redis: the script
// rides the next round trip).
func (t *ticket) settle(actual ratelimit.Actual) {
	logger, id := t.g.opts.Logger, t.sc.RequestID
	failed := func(err error) {
		if err != nil {
			logger.Warn("cannot settle rate limits", "request_id", id, "error", err)
		}
	}
	if l, ok := t.g.opts.Limiter.(ratelimit.LaterSettler); ok {
		l.SettleLater(t.res, actual, failed)
		return
	}
	// The request's context is over; settling must not be cut by it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed(t.g.opts.Limiter.Settle(ctx, t.res, actual))
}

// maybeBilled reports whether the upstream may have charged for a call: a
// deployment took it, and it did not end in an error the upstream
// answered (a client that went away, 499, may have been billed).
func maybeBilled(o outcome) bool {
	return o.deployment != "" && (o.status < 400 || o.status == middleware.StatusClientClosed)
}

// cost prices the usage at the deployment that served it.
func (t *ticket) cost(deployment string, tokens usage.Tokens) usage.NanoUSD {
	if t.g.opts.Prices == nil || t.route == nil || deployment == "" {
		return 0
	}
	for _, d := range t.route.Deployments {
		if d.Name == deployment {
			if pr, ok := t.g.opts.Prices.Lookup(d.Model); ok {
				return pr.Cost(tokens)
			}
		}
	}
	return 0
}

func tokensOf(u *openai.Usage) usage.Tokens {
	if u == nil {
		return usage.Tokens{}
	}
	t := usage.Tokens{Input: int64(u.PromptTokens), Output: int64(u.CompletionTokens)}
	if d := u.PromptTokensDetails; d != nil {
		t.CacheRead, t.CacheWrite = int64(d.CachedTokens), int64(d.CacheWriteTokens)
	}
	return t
}

// setHeaders writes OpenAI's rate-limit headers for the limits that exist.
// Their values share one string and one slice, instead of two
// allocations each through Header.Set (the names are canonical already).
func setHeaders(h http.Header, d ratelimit.Decision) {
	var names [6]string
	var ends [6]int
	var buf []byte
	n := 0
	add := func(w ratelimit.Window, limit, remaining, reset string) {
		if w.Limit <= 0 {
			return
		}
		if buf == nil {
			buf = make([]byte, 0, 96)
		}
		buf = strconv.AppendInt(buf, w.Limit, 10)
		names[n], ends[n] = limit, len(buf)
		buf = strconv.AppendInt(buf, max(w.Remaining, 0), 10)
		names[n+1], ends[n+1] = remaining, len(buf)
		buf = appendReset(buf, w.Reset)
		names[n+2], ends[n+2] = reset, len(buf)
		n += 3
	}
	add(d.Requests, "X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests")
	add(d.Tokens, "X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens")
	if n == 0 {
		return
	}
	all := string(buf)
	vals := make([]string, n)
	start := 0
	for i := range n {
		vals[i] = all[start:ends[i]]
		h[names[i]] = vals[i : i+1 : i+1]
		start = ends[i]
	}
}

// resetString formats a reset time as OpenAI does: "120ms", "1s", "6m0s".
func resetString(d time.Duration) string { return string(appendReset(nil, d)) }

// appendReset appends resetString(d) to b.
func appendReset(b []byte, d time.Duration) []byte {
	switch {
	case d <= 0:
		return append(b, "0s"...)
	case d < time.Second:
		return append(strconv.AppendInt(b, int64(math.Ceil(float64(d)/float64(time.Millisecond))), 10), "ms"...)
	}
	return append(b, d.Round(time.Millisecond).String()...)
}

// denial is the 429 for a request the limiter refused, with Retry-After
// (seconds, as HTTP has it) and retry-after-ms (which the official OpenAI
// SDKs prefer). Denials that waiting cannot cure carry x-should-retry:
// false, which the SDKs obey instead of retrying.
func denial(h http.Header, d ratelimit.Decision, model string, p *auth.Principal) error {
	if d.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(d.RetryAfter.Seconds())), 10))
		h.Set("Retry-After-Ms", strconv.FormatInt(d.RetryAfter.Milliseconds(), 10))
	}
	who := "this API key"
	if strings.HasPrefix(d.LimitID, "model:") {
		who = "the model `" + model + "`"
	}
	wait := ""
	if d.RetryAfter > 0 {
		wait = " Please try again in " + resetString(d.RetryAfter) + "."
	}
	e := &openai.Error{Status: http.StatusTooManyRequests, Type: "requests", Code: "rate_limit_exceeded"}
	switch d.Reason {
	case "requests":
		e.Message = fmt.Sprintf("Rate limit reached for %s on requests per min (RPM): Limit %d.%s", who, d.Requests.Limit, wait)
	case "tokens":
		e.Type = "tokens"
		e.Message = fmt.Sprintf("Rate limit reached for %s on tokens per min (TPM): Limit %d, Remaining %d.%s", who, d.Tokens.Limit, max(d.Tokens.Remaining, 0), wait)
	case "too_large":
		e.Type = "tokens"
		h.Set("X-Should-Retry", "false")
		e.Message = fmt.Sprintf("Request too large for %s on tokens per min (TPM): Limit %d. The prompt or max_tokens must be reduced in order to run successfully.", who, d.Tokens.Limit)
	case "concurrency":
		e.Message = fmt.Sprintf("Too many concurrent requests for %s.%s", who, wait)
	case "budget":
		h.Set("X-Should-Retry", "false")
		e.Type, e.Code = openai.TypeInsufficientQuota, "insufficient_quota"
		e.Message = "You exceeded your current quota: the budget of this API key is spent"
		if p != nil && p.Key != nil {
			e.Message += fmt.Sprintf(" (%s per %s)", p.Key.Budget, p.Key.BudgetPeriod)
		}
		e.Message += "."
	default:
		e.Message = "Rate limit reached." + wait
	}
	return e
}

// ErrLimited reports whether err is a limiter's refusal.
func ErrLimited(err error) bool {
	var oe *openai.Error
	return errors.As(err, &oe) && oe.Status == http.StatusTooManyRequests
}
