package bedrock

import (
	"context"
	"sync"

	"github.com/outcrop/outcrop/internal/provider"
)

// maxParallelCalls bounds the Bedrock calls one client request runs at
// once: the prompts of a legacy completion, the inputs of a Titan or Nova
// embeddings request (one call each), the batches of a Cohere one. Eight
// keeps a 2048-input request from taking a whole account's
// requests-per-minute quota in one burst while still cutting its latency
// by nearly that factor.
const maxParallelCalls = 8

// fanOut runs call(ctx, i) for every i in [0, n), at most limit at a time,
// and waits for them. The first failure cancels the calls still running
// and is returned; later ones (mostly cancellations) are dropped. What the
// calls record for the access log (retries, Bedrock request IDs) is
// collected and handed to ctx's recorder once they are done, since the
// recorder is not safe for concurrent use.
func fanOut(ctx context.Context, n, limit int, call func(ctx context.Context, i int) error) error {
	if n == 1 {
		return call(ctx, 0)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := &callLog{}
	ctx = provider.WithRecorder(ctx, log)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, max(limit, 1))
launch:
	for i := range n {
		// A select with both cases ready picks at random: check first,
		// so that nothing starts once ctx ended.
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := call(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	log.replay(parent)
	if first != nil {
		return first
	}
	// The loop stops early only when ctx ended: either a call failed
	// (first is set) or the caller gave up.
	return parent.Err()
}

// callLog is a provider.Recorder that concurrent calls can share: it keeps
// what they report until replay.
type callLog struct {
	mu        sync.Mutex
	retries   []provider.Retry
	requestID string
}

// RecordRetry implements provider.Recorder.
func (l *callLog) RecordRetry(r provider.Retry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.retries = append(l.retries, r)
}

// RecordRequestID implements provider.Recorder. The last ID wins, as it
// does when calls are made one after the other.
func (l *callLog) RecordRequestID(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requestID = id
}

// replay reports what was recorded to ctx's recorder.
func (l *callLog) replay(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.retries {
		provider.RecordRetry(ctx, r)
	}
	provider.RecordRequestID(ctx, l.requestID)
}
