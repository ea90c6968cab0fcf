package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// errClosed is what Recv returns after Close.
var errClosed = errors.New("demo: stream closed")

// event is one value of a stream and whether to pause before it (tokens
// pause; role, finish and usage chunks do not; nor does the first event).
type event[T any] struct {
	value T
	pause bool
}

// stream hands out prepared events, pausing before tokens. The pause runs
// inside Recv, so no goroutine lives behind the stream, and it ends at once
// when the request context is done or the stream is closed.
type stream[T any] struct {
	ctx    context.Context
	delay  time.Duration
	events []event[T]
	next   int
	timer  *time.Timer

	closeOnce sync.Once
	closed    chan struct{}
}

func newStream[T any](ctx context.Context, delay time.Duration, events []event[T]) *stream[T] {
	return &stream[T]{ctx: ctx, delay: delay, events: events, closed: make(chan struct{})}
}

// Recv returns the next event, io.EOF after the last one, or the context's
// error once the request is cancelled.
func (s *stream[T]) Recv() (T, error) {
	var zero T
	if err := s.ctx.Err(); err != nil {
		return zero, fmt.Errorf("demo stream: %w", err)
	}
	select {
	case <-s.closed:
		return zero, errClosed
	default:
	}
	if s.next >= len(s.events) {
		return zero, io.EOF
	}
	ev := s.events[s.next]
	// The first event never waits, so that the server can answer with
	// headers at once.
	if ev.pause && s.delay > 0 && s.next > 0 {
		if err := s.wait(); err != nil {
			return zero, err
		}
	}
	s.next++
	return ev.value, nil
}

// wait sleeps for the token delay unless the context ends or the stream is
// closed first.
func (s *stream[T]) wait() error {
	if s.timer == nil {
		s.timer = time.NewTimer(s.delay)
	} else {
		s.timer.Reset(s.delay)
	}
	select {
	case <-s.timer.C:
		return nil
	case <-s.ctx.Done():
		s.timer.Stop()
		return fmt.Errorf("demo stream: %w", s.ctx.Err())
	case <-s.closed:
		s.timer.Stop()
		return errClosed
	}
}

// Close ends the stream; a Recv waiting on a token delay returns at once.
// It may be called more than once and from another goroutine.
func (s *stream[T]) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// interleave merges per-choice event lists round-robin, as OpenAI
// interleaves the choices of an n > 1 stream.
func interleave[T any](lists [][]event[T]) []event[T] {
	var out []event[T]
	for k := 0; ; k++ {
		more := false
		for _, l := range lists {
			if k < len(l) {
				out = append(out, l[k])
				more = true
			}
		}
		if !more {
			return out
		}
	}
}
