package ratelimit

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// batcher runs the limiter's scripts for concurrent callers in shared
// round trips (group commit): a caller that finds no round trip in
// flight sends its script at once; those that arrive meanwhile queue,
// and the first of them that waits for its reply sends the whole queue
// as one pipeline when the round trip in flight is back. No caller waits
// for a timer, an idle gateway pays one round trip per script as before,
// and a loaded one pays far fewer: each script is still atomic on the
// server, and the pipeline keeps them in the order they were queued.
//
// A script can also be posted: queued without waiting for its reply,
// which a callback gets (Settle, whose client need not wait a round
// trip, nor its caller be woken after it). A posted script with no round
// trip in flight, or a round trip back to a queue of posted scripts
// only, is sent by a goroutine of the batcher's, so that no caller is
// held for a round trip that is not its own.
type batcher struct {
	client redis.UniversalClient
	mu     sync.Mutex
	busy   bool // a round trip is in flight, or its sender is deciding who sends next
	queue  []*scriptCall
	posted sync.WaitGroup // posted scripts without their reply yet
}

type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	// done is closed once cmd holds the reply; lead, when the call is
	// to send the queue. A posted call has neither, and then instead.
	done, lead chan struct{}
	then       func(*redis.Cmd)
}

// run runs s as Script.Run would (EVALSHA, EVAL when the server does not
// know the script), possibly in one pipeline with other callers'.
func (b *batcher) run(ctx context.Context, s *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := &scriptCall{script: s, keys: keys, args: args, done: make(chan struct{})}
	b.mu.Lock()
	if b.busy {
		c.lead = make(chan struct{})
		b.queue = append(b.queue, c)
		b.mu.Unlock()
		select {
		case <-c.done:
			return c.cmd
		case <-c.lead:
		}
		b.mu.Lock()
	} else {
		b.busy = true
		b.queue = append(b.queue, c)
	}
	b.sendQueue(ctx)
	return c.cmd
}

// post runs s as run does, and then calls then with its reply instead
// of returning it, from whichever goroutine sends the script. It never
// waits for a round trip: when one is in flight the script rides the
// next, and when none is a goroutine of the batcher's sends it. Its
// caller may be the connection's own goroutine, whose client is waiting
// for the next answer (httpserve's inline handlers).
func (b *batcher) post(s *redis.Script, keys []string, args []any, then func(*redis.Cmd)) {
	c := &scriptCall{script: s, keys: keys, args: args, then: then}
	b.posted.Add(1)
	b.mu.Lock()
	b.queue = append(b.queue, c)
	if b.busy {
		b.mu.Unlock()
		return
	}
	b.busy = true
	b.mu.Unlock()
	go func() {
		b.mu.Lock()
		b.sendQueue(context.Background())
	}()
}

// sendQueue sends the queue as one round trip; b.mu is held and b.busy
// set, and it returns with b.mu released. What queued meanwhile goes to
// its first caller that waits, else to a goroutine of its own, else
// nowhere: the batcher is idle again.
func (b *batcher) sendQueue(ctx context.Context) {
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()

	b.send(ctx, batch)

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.busy = false
		return
	}
	for _, q := range b.queue {
		if q.lead != nil {
			close(q.lead)
			return
		}
	}
	go func() {
		b.mu.Lock()
		b.sendQueue(context.Background())
	}()
}

// send runs the batch and hands each call its reply. A lone call runs
// under the context it came with (its caller's, or none for a posted
// one); a batch under none of its callers' (one that gives up must not
// fail the others), bounded by the client's own timeouts.
func (b *batcher) send(ctx context.Context, batch []*scriptCall) {
	if len(batch) == 1 {
		c := batch[0]
		c.cmd = c.script.Run(ctx, b.client, c.keys, c.args...)
		b.finish(c)
		return
	}
	ctx = context.WithoutCancel(ctx)
	pipe := b.client.Pipeline()
	for _, c := range batch {
		c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx) // each command holds its own error
	for _, c := range batch {
		if err := c.cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			c.cmd = c.script.Run(ctx, b.client, c.keys, c.args...)
		}
		b.finish(c)
	}
}

func (b *batcher) finish(c *scriptCall) {
	if c.then == nil {
		close(c.done)
		return
	}
	c.then(c.cmd)
	b.posted.Done()
}

// wait returns once every posted script has had its reply, or when ctx
// is done.
func (b *batcher) wait(ctx context.Context) error {
	idle := make(chan struct{})
	go func() {
		b.posted.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
