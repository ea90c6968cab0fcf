package ratelimit

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// batcher runs the limiter's scripts for concurrent callers in shared
// round trips (group commit): a caller that finds no round trip in
// flight sends its script at once; those that arrive meanwhile queue,
// and the first of them sends the whole queue as one pipeline when the
// round trip in flight is back. No caller waits for a timer, an idle
// gateway pays one round trip per script as before, and a loaded one
// pays far fewer: each script is still atomic on the server, and the
// pipeline keeps them in order.
type batcher struct {
	client redis.UniversalClient
	mu     sync.Mutex
	busy   bool
	queue  []*scriptCall
}

type scriptCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	// done is closed once cmd holds the reply; lead, when the call is
	// to send the queue.
	done, lead chan struct{}
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
	batch := b.queue
	b.queue = nil
	b.mu.Unlock()

	b.send(ctx, batch)

	b.mu.Lock()
	if len(b.queue) > 0 {
		close(b.queue[0].lead)
	} else {
		b.busy = false
	}
	b.mu.Unlock()
	return c.cmd
}

// send runs the batch and closes each call's done. A lone call runs
// under its caller's context; a batch under none of its callers' (one
// that gives up must not fail the others), bounded by the client's own
// timeouts.
func (b *batcher) send(ctx context.Context, batch []*scriptCall) {
	if len(batch) == 1 {
		c := batch[0]
		c.cmd = c.script.Run(ctx, b.client, c.keys, c.args...)
		close(c.done)
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
		close(c.done)
	}
}
