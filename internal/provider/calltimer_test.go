package provider

import (
	"context"
	"errors"
	"testing"
	"time"
)

var (
	errWhole = errors.New("whole call")
	errWait  = errors.New("header wait")
)

// startTimer starts a CallTimer over a fresh context.
func startTimer(t *testing.T, timeout, header time.Duration) (*CallTimer, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancelCause(context.Background())
	ct := &CallTimer{}
	ct.Start(cancel, timeout, errWhole, header, errWait)
	t.Cleanup(func() { ct.Stop(); cancel(nil) })
	return ct, ctx
}

// endedBy waits for ctx to end and returns its cause.
func endedBy(ctx context.Context, t *testing.T) error {
	t.Helper()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(10 * time.Second):
		t.Fatal("the call was never ended")
		return nil
	}
}

// stillRunning reports whether ctx is still running after d.
func stillRunning(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func TestCallTimerLimits(t *testing.T) {
	t.Run("the header wait passes first", func(t *testing.T) {
		_, ctx := startTimer(t, time.Hour, 10*time.Millisecond)
		if err := endedBy(ctx, t); !errors.Is(err, errWait) {
			t.Errorf("cause %v, want the header wait's", err)
		}
	})
	t.Run("the whole call passes first", func(t *testing.T) {
		_, ctx := startTimer(t, 10*time.Millisecond, time.Hour)
		if err := endedBy(ctx, t); !errors.Is(err, errWhole) {
			t.Errorf("cause %v, want the whole call's", err)
		}
	})
	t.Run("headers in time, then the whole call's limit", func(t *testing.T) {
		ct, ctx := startTimer(t, 150*time.Millisecond, 20*time.Millisecond)
		ct.HeaderDone()
		if !stillRunning(ctx, 60*time.Millisecond) {
			t.Fatalf("ended by %v after its headers came", context.Cause(ctx))
		}
		if err := endedBy(ctx, t); !errors.Is(err, errWhole) {
			t.Errorf("cause %v, want the whole call's", err)
		}
	})
	t.Run("a later attempt waits again", func(t *testing.T) {
		ct, ctx := startTimer(t, 0, 20*time.Millisecond)
		ct.HeaderDone()
		if !stillRunning(ctx, 60*time.Millisecond) {
			t.Fatalf("ended by %v between attempts", context.Cause(ctx))
		}
		ct.AwaitHeader()
		if err := endedBy(ctx, t); !errors.Is(err, errWait) {
			t.Errorf("cause %v, want the second attempt's wait", err)
		}
	})
	t.Run("no header limit: AwaitHeader sets none", func(t *testing.T) {
		ct, ctx := startTimer(t, 0, 0)
		ct.AwaitHeader()
		if ct.timer != nil {
			t.Error("a timer for a call without limits")
		}
		if !stillRunning(ctx, 30*time.Millisecond) {
			t.Errorf("ended by %v without limits", context.Cause(ctx))
		}
	})
	t.Run("stopped", func(t *testing.T) {
		ct, ctx := startTimer(t, 20*time.Millisecond, 10*time.Millisecond)
		ct.Stop()
		if !stillRunning(ctx, 60*time.Millisecond) {
			t.Errorf("ended by %v after Stop", context.Cause(ctx))
		}
	})
}

func TestCallTimerDeadline(t *testing.T) {
	ct, _ := startTimer(t, time.Minute, time.Second)
	d, ok := ct.Deadline()
	if !ok || time.Until(d) < 59*time.Second || time.Until(d) > time.Minute {
		t.Errorf("Deadline() = %v, %v; want a minute from now", d, ok)
	}
	ct, _ = startTimer(t, 0, time.Second)
	if d, ok := ct.Deadline(); ok {
		t.Errorf("Deadline() = %v without a timeout", d)
	}
}
