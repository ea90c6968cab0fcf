package usage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// waitLimit bounds every wait for the ledger's goroutine, so a broken
// ledger fails the test instead of hanging it.
const waitLimit = 10 * time.Second

// fakeSink records what it was given. Its knobs are set before use.
type fakeSink struct {
	// failFirst calls fail; failAll makes every call fail.
	failFirst int
	failAll   bool
	// gate, when set, holds each call until it can receive (or the call's
	// context ends); entered hears of each call as it starts.
	gate    chan struct{}
	entered chan struct{}
	// writes hears the size of each successful write.
	writes chan int

	mu    sync.Mutex
	calls int
	rows  []Record
	sizes []int
}

func newFakeSink() *fakeSink {
	return &fakeSink{writes: make(chan int, 1024), entered: make(chan struct{}, 1024)}
}

func (s *fakeSink) InsertUsage(ctx context.Context, recs []Record) error {
	select {
	case s.entered <- struct{}{}:
	default: // enough callers have been announced
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failAll || s.calls <= s.failFirst {
		return fmt.Errorf("sink down (call %d)", s.calls)
	}
	s.rows = append(s.rows, recs...) // a copy: the ledger reuses recs
	s.sizes = append(s.sizes, len(recs))
	s.writes <- len(recs)
	return nil
}

func (s *fakeSink) snapshot() (rows []Record, sizes []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.rows...), append([]int(nil), s.sizes...)
}

// waitWrite waits for the sink's next successful write and returns its
// size.
func waitWrite(t *testing.T, s *fakeSink) int {
	t.Helper()
	select {
	case n := <-s.writes:
		return n
	case <-time.After(waitLimit):
		t.Fatal("no write within the wait limit")
		return 0
	}
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("%s did not happen within the wait limit", what)
	}
}

// record returns a distinct record.
func record(i int) Record {
	return Record{
		Time:      time.Date(2025, 3, 1, 12, 0, 0, i, time.UTC),
		RequestID: fmt.Sprintf("req-%06d", i),
		KeyID:     "key_a", Model: "sonnet", Route: "POST /v1/chat/completions",
		Status: 200, InputTokens: int64(i), OutputTokens: 7, Cost: NanoUSD(i * 10),
		Latency: time.Duration(i) * time.Millisecond,
	}
}

// noTicks is a tick channel that never fires: only size and Close write.
func noTicks() <-chan time.Time { return make(chan time.Time) }

// closeLedger closes l with a deadline of waitLimit.
func closeLedger(t *testing.T, l *Ledger) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	return l.Close(ctx)
}

// closeAtEnd closes l when the test ends, failing it on an error.
func closeAtEnd(t *testing.T, l *Ledger) {
	t.Helper()
	t.Cleanup(func() {
		if err := closeLedger(t, l); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

func (l *Ledger) buffered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buf)
}

func TestLedgerBatchesBySize(t *testing.T) {
	s := newFakeSink()
	l := NewLedger(s, LedgerOptions{BatchSize: 10, Buffer: 100, ticks: noTicks()})
	for i := range 25 {
		l.Record(record(i))
	}
	for range 2 {
		if n := waitWrite(t, s); n != 10 {
			t.Errorf("got a write of %d, want 10", n)
		}
	}
	if err := closeLedger(t, l); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rows, sizes := s.snapshot()
	if diff := cmp.Diff([]int{10, 10, 5}, sizes); diff != "" {
		t.Errorf("write sizes (-want +got):\n%s", diff)
	}
	checkRows(t, rows, 25)
}

// checkRows checks rows are records 0..n-1, each once, in any order.
func checkRows(t *testing.T, rows []Record, n int) {
	t.Helper()
	if len(rows) != n {
		t.Fatalf("got %d rows, want %d", len(rows), n)
	}
	seen := make(map[string]bool, n)
	for _, r := range rows {
		if seen[r.RequestID] {
			t.Fatalf("record %s written twice", r.RequestID)
		}
		seen[r.RequestID] = true
	}
	for i := range n {
		if !seen[record(i).RequestID] {
			t.Fatalf("record %d not written", i)
		}
	}
}

func TestLedgerBatchesByInterval(t *testing.T) {
	s := newFakeSink()
	ticks := make(chan time.Time)
	l := NewLedger(s, LedgerOptions{BatchSize: 100, ticks: ticks})
	closeAtEnd(t, l)
	for i := range 3 {
		l.Record(record(i))
	}
	if _, sizes := s.snapshot(); len(sizes) != 0 || l.buffered() != 3 {
		t.Fatalf("before the tick: got writes %v and %d buffered, want none and 3", sizes, l.buffered())
	}
	ticks <- time.Now()
	if n := waitWrite(t, s); n != 3 {
		t.Errorf("got a write of %d, want 3", n)
	}
	// A tick with nothing buffered writes nothing.
	ticks <- time.Now()
	l.Record(record(3))
	ticks <- time.Now()
	if n := waitWrite(t, s); n != 1 {
		t.Errorf("got a write of %d, want 1", n)
	}
}

// TestLedgerRealInterval uses the real ticker: a partial batch is written
// without Close.
func TestLedgerRealInterval(t *testing.T) {
	s := newFakeSink()
	l := NewLedger(s, LedgerOptions{BatchSize: 100, Interval: 10 * time.Millisecond})
	closeAtEnd(t, l)
	l.Record(record(0))
	if n := waitWrite(t, s); n != 1 {
		t.Errorf("got a write of %d, want 1", n)
	}
}

// TestLedgerConcurrentRecord records from many goroutines (run it with
// -race) and checks Close wrote every record once.
func TestLedgerConcurrentRecord(t *testing.T) {
	const goroutines, each = 16, 1250
	s := newFakeSink()
	s.writes = make(chan int, goroutines*each)
	l := NewLedger(s, LedgerOptions{BatchSize: 64, Buffer: 256, Interval: time.Millisecond})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				l.Record(record(g*each + i))
			}
		})
	}
	wg.Wait()
	if err := closeLedger(t, l); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rows, sizes := s.snapshot()
	checkRows(t, rows, goroutines*each)
	for _, n := range sizes {
		if n > 64 {
			t.Fatalf("got a write of %d, want at most BatchSize 64", n)
		}
	}
}

func TestLedgerBackPressure(t *testing.T) {
	s := newFakeSink()
	s.gate = make(chan struct{})
	blocked := make(chan struct{}, 16)
	l := NewLedger(s, LedgerOptions{
		BatchSize: 2, Buffer: 4, ticks: noTicks(),
		onBlock: func() {
			select {
			case blocked <- struct{}{}:
			default:
			}
		},
	})
	l.Record(record(0))
	l.Record(record(1))                         // a full batch: the goroutine takes it ...
	waitSignal(t, s.entered, "the first write") // ... and the sink holds it
	for i := 2; i < 6; i++ {
		l.Record(record(i)) // fills the buffer; none of these waits
	}
	returned := make(chan struct{})
	go func() {
		l.Record(record(6))
		close(returned)
	}()
	waitSignal(t, blocked, "Record blocking")
	select {
	case <-returned:
		t.Fatal("Record returned with the buffer full, want it to wait")
	default:
	}
	close(s.gate) // the sink recovers
	waitSignal(t, returned, "Record returning after the sink recovered")
	if err := closeLedger(t, l); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rows, _ := s.snapshot()
	checkRows(t, rows, 7)
}

func TestLedgerRetriesFailingSink(t *testing.T) {
	s := newFakeSink()
	s.failFirst = 3
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	var waits []time.Duration
	l := NewLedger(s, LedgerOptions{
		BatchSize: 5, ticks: noTicks(), Logger: logger,
		backoff: func(failures int) time.Duration {
			waits = append(waits, retryWait(failures)) // only the goroutine calls it
			return 0
		},
	})
	for i := range 5 {
		l.Record(record(i))
	}
	if n := waitWrite(t, s); n != 5 {
		t.Errorf("got a write of %d, want 5", n)
	}
	if err := closeLedger(t, l); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rows, _ := s.snapshot()
	checkRows(t, rows, 5)
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("backoff waits (-want +got):\n%s", diff)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if got := strings.Count(out, "level=WARN"); got != 1 {
		t.Errorf("got %d warnings, want 1 per failure streak:\n%s", got, out)
	}
	if got := strings.Count(out, "works again"); got != 1 {
		t.Errorf("got %d recovery messages, want 1:\n%s", got, out)
	}
	if strings.Contains(out, "req-") {
		t.Errorf("the log shows record contents:\n%s", out)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func TestRetryWait(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{6, 3200 * time.Millisecond},
		{7, 5 * time.Second},
		{100, 5 * time.Second},
	}
	for _, tt := range tests {
		if got := retryWait(tt.failures); got != tt.want {
			t.Errorf("retryWait(%d): got %v, want %v", tt.failures, got, tt.want)
		}
	}
}

// TestLedgerSpillAndReplay: the sink is down through Close, so the
// records go to the spill file; at the next start ReplaySpill writes them.
func TestLedgerSpillAndReplay(t *testing.T) {
	spill := filepath.Join(t.TempDir(), "spill", "usage.jsonl")
	down := newFakeSink()
	down.failAll = true
	l := NewLedger(down, LedgerOptions{
		BatchSize: 4, SpillFile: spill, ticks: noTicks(),
		backoff: func(int) time.Duration { return time.Millisecond },
	})
	var want []Record
	for i := range 7 {
		l.Record(record(i))
		want = append(want, record(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := l.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "7 records") || !strings.Contains(err.Error(), spill) {
		t.Fatalf("Close: got %v, want an error naming 7 records and the spill file", err)
	}
	if again := l.Close(context.Background()); again == nil || again.Error() != err.Error() {
		t.Errorf("second Close: got %v, want the first result %v", again, err)
	}
	fi, err := os.Stat(spill)
	if err != nil {
		t.Fatalf("spill file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("spill file mode: got %v, want 0600", fi.Mode().Perm())
	}

	up := newFakeSink()
	n, err := ReplaySpill(context.Background(), spill, up)
	if err != nil || n != 7 {
		t.Fatalf("ReplaySpill: got %d, %v, want 7, nil", n, err)
	}
	rows, _ := up.snapshot()
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("replayed records (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(spill); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spill file after replay: got %v, want it removed", err)
	}
}

func TestLedgerCloseWithoutSpillFile(t *testing.T) {
	down := newFakeSink()
	down.failAll = true
	l := NewLedger(down, LedgerOptions{ticks: noTicks(), backoff: func(int) time.Duration { return time.Millisecond }})
	l.Record(record(0))
	l.Record(record(1))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Close(ctx); err == nil || !strings.Contains(err.Error(), "2 records could not be written") {
		t.Errorf("Close: got %v, want an error counting 2 records", err)
	}
}

// TestLedgerCloseCancelsStuckWrite: a sink that hangs (honouring its
// context) cannot hold Close past its deadline.
func TestLedgerCloseCancelsStuckWrite(t *testing.T) {
	s := newFakeSink()
	s.gate = make(chan struct{}) // never opened
	l := NewLedger(s, LedgerOptions{BatchSize: 1, ticks: noTicks()})
	l.Record(record(0))
	waitSignal(t, s.entered, "the write")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Close(ctx); err == nil || !strings.Contains(err.Error(), "1 records") {
		t.Errorf("Close: got %v, want an error counting 1 record", err)
	}
}

func TestLedgerRecordAfterClose(t *testing.T) {
	s := newFakeSink()
	l := NewLedger(s, LedgerOptions{ticks: noTicks()})
	if err := closeLedger(t, l); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l.Record(record(0)) // must not panic, and writes at once
	rows, sizes := s.snapshot()
	checkRows(t, rows, 1)
	if diff := cmp.Diff([]int{1}, sizes); diff != "" {
		t.Errorf("write sizes (-want +got):\n%s", diff)
	}

	spill := filepath.Join(t.TempDir(), "usage.jsonl")
	down := newFakeSink()
	down.failAll = true
	l = NewLedger(down, LedgerOptions{ticks: noTicks(), SpillFile: spill})
	if err := closeLedger(t, l); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l.Record(record(1))
	got, err := readSpill(spill)
	if err != nil {
		t.Fatalf("readSpill: %v", err)
	}
	if diff := cmp.Diff([]Record{record(1)}, got); diff != "" {
		t.Errorf("spilled (-want +got):\n%s", diff)
	}
}

func TestReplaySpill(t *testing.T) {
	line := func(i int) string {
		var b bytes.Buffer
		if err := encodeRecords(&b, []Record{record(i)}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	tests := []struct {
		name     string
		content  string // "" for no file
		want     int
		wantErr  bool
		wantKept bool
	}{
		{"missing file", "", 0, false, false},
		{"two records", line(0) + line(1), 2, false, false},
		{"torn last line", line(0) + line(1)[:20], 1, false, false},
		{"blank lines", "\n" + line(0) + "\n", 1, false, false},
		{"malformed line", line(0) + "{oops}\n" + line(1), 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "usage.jsonl")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s := newFakeSink()
			n, err := ReplaySpill(context.Background(), path, s)
			if n != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("got %d, %v, want %d and error %v", n, err, tt.want, tt.wantErr)
			}
			if rows, _ := s.snapshot(); len(rows) != tt.want {
				t.Errorf("got %d rows in the sink, want %d", len(rows), tt.want)
			}
			_, statErr := os.Stat(path)
			if kept := statErr == nil; kept != tt.wantKept {
				t.Errorf("file kept: got %v, want %v", kept, tt.wantKept)
			}
		})
	}
}

// TestReplaySpillPartial: a sink failing on the second batch leaves the
// unwritten records, and only those, in the file.
func TestReplaySpillPartial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.jsonl")
	var recs []Record
	for i := range DefaultBatchSize + 100 {
		recs = append(recs, record(i))
	}
	var b bytes.Buffer
	if err := encodeRecords(&b, recs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &failSecond{}
	n, err := ReplaySpill(context.Background(), path, s)
	if err == nil || n != DefaultBatchSize {
		t.Fatalf("ReplaySpill: got %d, %v, want %d and an error", n, err, DefaultBatchSize)
	}
	left, err := readSpill(path)
	if err != nil {
		t.Fatalf("readSpill: %v", err)
	}
	if diff := cmp.Diff(recs[DefaultBatchSize:], left); diff != "" {
		t.Errorf("records left in the file (-want +got):\n%s", diff)
	}
}

// failSecond succeeds once, then fails.
type failSecond struct{ calls int }

func (s *failSecond) InsertUsage(context.Context, []Record) error {
	s.calls++
	if s.calls > 1 {
		return errors.New("sink down")
	}
	return nil
}

func TestLedgerOptionsDefaults(t *testing.T) {
	got := LedgerOptions{}.withDefaults()
	if got.BatchSize != DefaultBatchSize || got.Interval != DefaultInterval || got.Buffer != DefaultBuffer || got.Logger == nil {
		t.Errorf("got %+v, want the defaults", got)
	}
	if got := (LedgerOptions{BatchSize: 100, Buffer: 10}).withDefaults(); got.BatchSize != 10 {
		t.Errorf("got BatchSize %d with Buffer 10, want 10", got.BatchSize)
	}
}

// discard is a sink that keeps nothing.
type discard struct{}

func (discard) InsertUsage(context.Context, []Record) error { return nil }

// BenchmarkLedgerRecord is the cost Record adds to a request.
func BenchmarkLedgerRecord(b *testing.B) {
	r := record(1)
	b.Run("serial", func(b *testing.B) {
		l := NewLedger(discard{}, LedgerOptions{})
		defer l.Close(context.Background())
		for b.Loop() {
			l.Record(r)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		l := NewLedger(discard{}, LedgerOptions{})
		defer l.Close(context.Background())
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Record(r)
			}
		})
	})
}
