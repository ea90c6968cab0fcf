package provider

import (
	"context"
	"sync"
	"time"
)

// CallTimer ends an upstream call when one of its limits passes: the
// whole call's timeout, and the wait of the attempt in flight for its
// response headers. Each limit ends the call's context with a cause of
// its own. One runtime timer serves both, armed at the nearer limit: a
// call that gets its headers in time costs one timer rather than one a
// limit, and no timer at all when it has no limits. The zero value has
// no limits; Start sets them. It is safe for concurrent use.
type CallTimer struct {
	mu       sync.Mutex
	cancel   context.CancelCauseFunc
	timer    *time.Timer
	stopped  bool
	deadline time.Time // of the whole call; zero: none
	errLimit error
	header   time.Duration // the wait for headers allowed an attempt
	headerAt time.Time     // of the attempt waiting; zero: none waits
	errWait  error
}

// Start sets the limits of a call whose first attempt starts now:
// timeout for the whole call and header for each attempt's wait for its
// headers (zero: none), with the causes cancel is given when they pass.
// The first attempt's wait counts from here; later attempts call
// AwaitHeader.
func (t *CallTimer) Start(cancel context.CancelCauseFunc, timeout time.Duration, errTimeout error, header time.Duration, errHeader error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cancel, t.errLimit, t.header, t.errWait = cancel, errTimeout, header, errHeader
	if timeout > 0 {
		t.deadline = now.Add(timeout)
	}
	if header > 0 {
		t.headerAt = now.Add(header)
	}
	t.armLocked(now)
}

// Deadline is when the whole call's limit passes, if it has one.
func (t *CallTimer) Deadline() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.deadline, !t.deadline.IsZero()
}

// AwaitHeader starts another attempt's wait for its headers.
func (t *CallTimer) AwaitHeader() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.header > 0 {
		t.headerAt = now.Add(t.header)
		t.armLocked(now)
	}
}

// HeaderDone ends the wait of the attempt in flight: its headers came,
// or it failed. The timer is left as it is; if it fires at the wait's
// old limit, it moves on to the call's.
func (t *CallTimer) HeaderDone() {
	t.mu.Lock()
	t.headerAt = time.Time{}
	t.mu.Unlock()
}

// Stop ends the limits; the call is over.
func (t *CallTimer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	if t.timer != nil {
		t.timer.Stop()
	}
}

// next is the nearer limit, zero when none is set.
func (t *CallTimer) next() time.Time {
	at := t.deadline
	if !t.headerAt.IsZero() && (at.IsZero() || t.headerAt.Before(at)) {
		at = t.headerAt
	}
	return at
}

// armLocked sets the timer for the nearer limit, if there is one.
func (t *CallTimer) armLocked(now time.Time) {
	at := t.next()
	if at.IsZero() || t.stopped {
		return
	}
	if t.timer == nil {
		t.timer = time.AfterFunc(at.Sub(now), t.fire)
		return
	}
	t.timer.Reset(at.Sub(now))
}

// fire ends the call with the cause of the limit that passed, the
// earlier one if both did, or sets the timer again for the one that has
// not (the timer was set for a wait that ended, or was moved).
func (t *CallTimer) fire() {
	now := time.Now()
	t.mu.Lock()
	var cause error
	switch header := !t.headerAt.IsZero() && !now.Before(t.headerAt); {
	case t.stopped:
	case header && (t.deadline.IsZero() || !t.deadline.Before(t.headerAt)):
		cause = t.errWait
	case !t.deadline.IsZero() && !now.Before(t.deadline):
		cause = t.errLimit
	default:
		t.armLocked(now)
	}
	cancel := t.cancel
	t.mu.Unlock()
	if cause != nil {
		cancel(cause)
	}
}
