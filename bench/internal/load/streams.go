package load

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/bench/internal/hist"
)

// Framing is how a stream answer is cut into events.
type Framing int

const (
	// SSE is text/event-stream: events end with a blank line; content
	// events carry a non-empty "content" string; the stream ends with
	// "data: [DONE]".
	SSE Framing = iota
	// EventStream is AWS's binary event stream (Bedrock): length-prefixed
	// frames; content frames are contentBlockDelta events; the stream
	// ends with a messageStop and a metadata event.
	EventStream
)

// Streams is a stream run: Count streams started evenly over Ramp, each
// read to its end, timed chunk by chunk.
type Streams struct {
	Count   int
	Ramp    time.Duration
	Framing Framing
	// Chunks is the number of content chunks each stream must carry.
	Chunks int
	// Stall is the longest gap between two content chunks that is not a
	// stall.
	Stall time.Duration
	// Timeout bounds each stream.
	Timeout time.Duration
	// OnTick, when set, is called every Tick with the number of streams
	// open (answer headers received, body not finished).
	OnTick func(open int)
	Tick   time.Duration
}

// StreamResult is what a stream run saw.
type StreamResult struct {
	Streams    int64
	Completed  int64
	Errors     int64
	FirstError string
	// Chunks is the number of content chunks received.
	Chunks int64
	// Stalled is the number of streams with a gap over Streams.Stall.
	Stalled int64
	// PeakOpen is the most streams open at once.
	PeakOpen int64
	Elapsed  time.Duration
	// TTFT is the time from a stream's due start to its first content
	// chunk; Gap the time between two content chunks (nanoseconds).
	TTFT *hist.Histogram
	Gap  *hist.Histogram
}

// streamRun is the shared state of RunStreams.
type streamRun struct {
	spec      Streams
	req       *Request
	client    *http.Client
	ttft, gap *hist.Histogram
	fail      failures
	completed atomic.Int64
	chunks    atomic.Int64
	stalled   atomic.Int64
	open      atomic.Int64
	peak      atomic.Int64
}

// RunStreams runs spec against req with client; m brackets the whole
// run.
func RunStreams(ctx context.Context, client *http.Client, req Request, spec Streams, m Meter) StreamResult {
	s := &streamRun{spec: spec, req: &req, client: client, ttft: new(hist.Histogram), gap: new(hist.Histogram)}
	stopTick := s.ticker()
	m.Begin()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range spec.Count {
		at := start.Add(time.Duration(i) * spec.Ramp / time.Duration(max(spec.Count, 1)))
		wg.Go(func() {
			if !sleepCtx(ctx, time.Until(at)) {
				s.fail.add(ctx.Err())
				return
			}
			if err := s.one(ctx, at); err != nil {
				s.fail.add(err)
				return
			}
			s.completed.Add(1)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	m.End()
	stopTick()
	return StreamResult{
		Streams: int64(spec.Count), Completed: s.completed.Load(), Errors: s.fail.n.Load(), FirstError: s.fail.first,
		Chunks: s.chunks.Load(), Stalled: s.stalled.Load(), PeakOpen: s.peak.Load(), Elapsed: elapsed,
		TTFT: s.ttft, Gap: s.gap,
	}
}

// ticker calls OnTick every Tick until the returned stop is called.
func (s *streamRun) ticker() (stop func()) {
	if s.spec.OnTick == nil || s.spec.Tick <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(s.spec.Tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.spec.OnTick(int(s.open.Load()))
			case <-done:
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// one runs one stream due at at.
func (s *streamRun) one(ctx context.Context, at time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.spec.Timeout)
	defer cancel()
	hr, err := s.req.httpRequest(ctx)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	s.peak.Store(max(s.peak.Load(), s.open.Add(1)))
	defer s.open.Add(-1)
	t := &chunkTimer{at: at, stall: s.spec.Stall, ttft: s.ttft, gap: s.gap}
	if err := read(resp.Body, s.spec.Framing, t); err != nil {
		return err
	}
	s.chunks.Add(int64(t.n))
	if t.stalled {
		s.stalled.Add(1)
	}
	if t.n != s.spec.Chunks {
		return fmt.Errorf("got %d content chunks, want %d", t.n, s.spec.Chunks)
	}
	return nil
}

// chunkTimer times the content chunks of one stream.
type chunkTimer struct {
	at        time.Time
	stall     time.Duration
	ttft, gap *hist.Histogram
	n         int
	last      time.Time
	stalled   bool
}

func (t *chunkTimer) chunk(now time.Time) {
	if t.n == 0 {
		t.ttft.RecordDuration(now.Sub(t.at))
	} else {
		g := now.Sub(t.last)
		t.gap.RecordDuration(g)
		if g > t.stall {
			t.stalled = true
		}
	}
	t.n++
	t.last = now
}

var (
	errUnfinished = errors.New("stream ended without its closing event")
	sseEnd        = []byte("\n\n")
	sseContent    = []byte(`"content":"`)
	sseDone       = []byte("data: [DONE]")
	esDelta       = []byte("contentBlockDelta")
	esEnd         = []byte("messageStop")
)

// read reads body to its end, calling t.chunk for each content event.
func read(body io.Reader, f Framing, t *chunkTimer) error {
	buf := make([]byte, 0, 8<<10)
	tmp := make([]byte, 4<<10)
	finished := false
	for {
		n, err := body.Read(tmp)
		if n > 0 {
			now := time.Now()
			buf = append(buf, tmp[:n]...)
			var used int
			var done bool
			if f == SSE {
				used, done = sseEvents(buf, now, t)
			} else {
				used, done = frames(buf, now, t)
			}
			buf = append(buf[:0], buf[used:]...)
			finished = finished || done
		}
		if errors.Is(err, io.EOF) {
			if !finished {
				return errUnfinished
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// sseEvents reads the complete events at the start of buf, and returns
// how many bytes they took and whether [DONE] was among them.
func sseEvents(buf []byte, now time.Time, t *chunkTimer) (used int, done bool) {
	for {
		i := bytes.Index(buf[used:], sseEnd)
		if i < 0 {
			return used, done
		}
		ev := buf[used : used+i]
		switch {
		case bytes.HasPrefix(ev, sseDone):
			done = true
		case isContent(ev):
			t.chunk(now)
		}
		used += i + len(sseEnd)
	}
}

// isContent reports whether an SSE event carries non-empty content.
func isContent(ev []byte) bool {
	i := bytes.Index(ev, sseContent)
	return i >= 0 && i+len(sseContent) < len(ev) && ev[i+len(sseContent)] != '"'
}

// frames reads the complete event-stream frames at the start of buf.
func frames(buf []byte, now time.Time, t *chunkTimer) (used int, done bool) {
	for len(buf)-used >= 4 {
		total := int(binary.BigEndian.Uint32(buf[used:]))
		if total < 16 {
			return len(buf), false // not an event stream: drop it, the end check fails
		}
		if len(buf)-used < total {
			break
		}
		fr := buf[used : used+total]
		switch {
		case bytes.Contains(fr, esDelta):
			t.chunk(now)
		case bytes.Contains(fr, esEnd):
			done = true
		}
		used += total
	}
	return used, done
}
