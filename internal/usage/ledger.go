package usage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Sink stores batches of records; *store.DB implements it. It must not
// keep recs after it returns: the ledger reuses the slice.
type Sink interface {
	InsertUsage(ctx context.Context, recs []Record) error
}

// LedgerOptions tune a Ledger; the zero value is the default.
type LedgerOptions struct {
	// BatchSize is how many records one write holds at most; default 500.
	// A full batch is written at once, without waiting for Interval.
	BatchSize int
	// Interval is the longest a record waits in memory before it is
	// written; default 1s.
	Interval time.Duration
	// Buffer is how many records are held in memory before Record blocks
	// (back-pressure on the requests) while the sink is slow or failing;
	// default 16384.
	Buffer int
	// SpillFile is where records are appended as JSON lines when the sink
	// still fails as Close gives up, and where ReplaySpill finds them at
	// the next start; "" means such records are lost (and counted in
	// Close's error).
	SpillFile string
	// Logger reports failure streaks and recoveries (counts, never record
	// contents); nil means discard.
	Logger *slog.Logger

	// Test seams. ticks replaces the Interval ticker; backoff the wait
	// before the n-th retry of a failing write; onBlock is called (with
	// the ledger's lock held) when Record is about to wait for room.
	ticks   <-chan time.Time
	backoff func(failures int) time.Duration
	onBlock func()
}

// Defaults of LedgerOptions.
const (
	DefaultBatchSize = 500
	DefaultInterval  = time.Second
	DefaultBuffer    = 16384
)

// Retry waits of a failing sink, doubling from the first to the cap.
const (
	retryFirst = 100 * time.Millisecond
	retryMax   = 5 * time.Second
)

// lateWriteTimeout bounds the synchronous write of a record that arrives
// after Close.
const lateWriteTimeout = 10 * time.Second

// Ledger takes usage records off the request path and writes them to a
// Sink in batches, from one goroutine. It never drops a record: when the
// sink fails it keeps the batch and retries, and when its buffer is full
// Record waits.
type Ledger struct {
	sink Sink
	opts LedgerOptions
	log  *slog.Logger

	mu     sync.Mutex
	room   *sync.Cond // signalled when buf shrinks or the ledger closes
	buf    []Record
	closed bool

	// batch is the write in progress; only the goroutine touches it.
	batch []Record
	// failing is true from a failed write to the next good one.
	failing bool

	kick    chan struct{} // a full batch is waiting
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the goroutine has finished
	// ctx is the writes' context; Close cancels it when its own ends.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	closeErr  error
	spillMu   sync.Mutex
}

// NewLedger returns a ledger writing to sink and starts its goroutine;
// Close stops it.
func NewLedger(sink Sink, opts LedgerOptions) *Ledger {
	opts = opts.withDefaults()
	l := &Ledger{
		sink:    sink,
		opts:    opts,
		log:     opts.Logger,
		buf:     make([]Record, 0, min(opts.Buffer, 4*opts.BatchSize)),
		kick:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	l.room = sync.NewCond(&l.mu)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	ticks := opts.ticks
	var ticker *time.Ticker
	if ticks == nil {
		ticker = time.NewTicker(opts.Interval)
		ticks = ticker.C
	}
	go func() {
		if ticker != nil {
			defer ticker.Stop()
		}
		l.run(ticks)
	}()
	return l
}

func (o LedgerOptions) withDefaults() LedgerOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	// A batch larger than the buffer would never fill.
	o.BatchSize = min(o.BatchSize, o.Buffer)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.backoff == nil {
		o.backoff = retryWait
	}
	return o
}

// retryWait is the default backoff: retryFirst, doubled per failure, at
// most retryMax.
func retryWait(failures int) time.Duration {
	d := retryFirst
	for i := 1; i < failures && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// Record queues r for writing. It blocks while the buffer is full, and
// after Close it writes r itself (spilling it when that fails). It is
// safe for concurrent use.
func (l *Ledger) Record(r Record) {
	l.mu.Lock()
	for !l.closed && len(l.buf) >= l.opts.Buffer {
		if l.opts.onBlock != nil {
			l.opts.onBlock()
		}
		l.room.Wait()
	}
	if l.closed {
		l.mu.Unlock()
		l.writeLate(r)
		return
	}
	l.buf = append(l.buf, r)
	full := len(l.buf) >= l.opts.BatchSize
	l.mu.Unlock()
	if full {
		select {
		case l.kick <- struct{}{}:
		default: // a kick is pending already
		}
	}
}

// Close writes everything buffered and stops the goroutine. While the
// sink fails it retries until ctx ends; then it appends what is left to
// SpillFile (if set) and returns an error saying how many records could
// not be written. Later calls return the first call's result.
func (l *Ledger) Close(ctx context.Context) error {
	l.closeOnce.Do(func() {
		stop := context.AfterFunc(ctx, l.cancel)
		defer stop()
		l.mu.Lock()
		l.closed = true
		l.room.Broadcast()
		l.mu.Unlock()
		close(l.closing)
		<-l.done
		l.cancel()
	})
	return l.closeErr
}

// run is the goroutine: full batches when kicked, everything on a tick,
// and the final drain when closing.
func (l *Ledger) run(ticks <-chan time.Time) {
	defer close(l.done)
	for {
		select {
		case <-l.kick:
			l.flush(false)
		case <-ticks:
			l.flush(true)
		case <-l.closing:
			l.closeErr = l.drain()
			return
		}
	}
}

// flush writes full batches (all: and the last partial one) until the
// buffer has too few records, or the ledger closes.
func (l *Ledger) flush(all bool) {
	for l.take(all) {
		if !l.write() {
			return // closing; drain writes l.batch
		}
	}
}

// take moves the next batch from the buffer to l.batch; it reports false
// when there is no batch to write.
func (l *Ledger) take(all bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.buf)
	if n == 0 || (!all && n < l.opts.BatchSize) {
		return false
	}
	n = min(n, l.opts.BatchSize)
	l.batch = append(l.batch[:0], l.buf[:n]...)
	left := copy(l.buf, l.buf[n:])
	clear(l.buf[left:]) // let the moved records' strings be collected
	l.buf = l.buf[:left]
	l.room.Broadcast()
	return true
}

// write writes l.batch, retrying with backoff until it succeeds (true) or
// the ledger closes (false, l.batch kept).
func (l *Ledger) write() bool {
	for failures := 1; ; failures++ {
		err := l.sink.InsertUsage(l.ctx, l.batch)
		if err == nil {
			l.recovered()
			l.batch = l.batch[:0]
			return true
		}
		l.failed(len(l.batch), err)
		t := time.NewTimer(l.opts.backoff(failures))
		select {
		case <-t.C:
		case <-l.closing:
			t.Stop()
			return false
		}
	}
}

// drain writes the unfinished batch and the buffer, retrying until l.ctx
// ends, and hands what is left to giveUp.
func (l *Ledger) drain() error {
	l.mu.Lock()
	pending := append(l.batch, l.buf...)
	l.buf = nil
	l.mu.Unlock()
	var lastErr error
	for failures := 1; len(pending) > 0; {
		n := min(len(pending), l.opts.BatchSize)
		err := l.sink.InsertUsage(l.ctx, pending[:n])
		if err == nil {
			l.recovered()
			pending, failures = pending[n:], 1
			continue
		}
		lastErr = err
		l.failed(n, err)
		t := time.NewTimer(l.opts.backoff(failures))
		select {
		case <-t.C:
			failures++
		case <-l.ctx.Done():
			t.Stop()
			return l.giveUp(pending, lastErr)
		}
	}
	return nil
}

// failed logs the first failure of a streak.
func (l *Ledger) failed(records int, err error) {
	if l.failing {
		return
	}
	l.failing = true
	l.log.Warn("usage ledger: writing records failed; retrying", "records", records, "err", err)
}

// recovered logs the end of a failure streak.
func (l *Ledger) recovered() {
	if l.failing {
		l.failing = false
		l.log.Info("usage ledger: writing records works again")
	}
}

// giveUp spills the records Close could not write and says how many.
func (l *Ledger) giveUp(recs []Record, cause error) error {
	if l.opts.SpillFile == "" {
		return fmt.Errorf("usage ledger: %d records could not be written (no spill file): %w", len(recs), cause)
	}
	if err := l.spill(recs); err != nil {
		return fmt.Errorf("usage ledger: %d records could not be written nor spilled: %w",
			len(recs), errors.Join(cause, err))
	}
	l.log.Warn("usage ledger: records spilled", "records", len(recs), "file", l.opts.SpillFile)
	return fmt.Errorf("usage ledger: %d records could not be written, spilled to %s: %w",
		len(recs), l.opts.SpillFile, cause)
}

// writeLate writes a record that came after Close, spilling it when the
// sink fails.
func (l *Ledger) writeLate(r Record) {
	ctx, cancel := context.WithTimeout(context.Background(), lateWriteTimeout)
	defer cancel()
	err := l.sink.InsertUsage(ctx, []Record{r})
	if err == nil {
		return
	}
	if l.opts.SpillFile != "" {
		if serr := l.spill([]Record{r}); serr == nil {
			l.log.Warn("usage ledger: a record after close spilled", "err", err, "file", l.opts.SpillFile)
			return
		}
	}
	l.log.Error("usage ledger: a record after close was lost", "err", err)
}

// spill appends recs to SpillFile as JSON lines and syncs the file.
func (l *Ledger) spill(recs []Record) error {
	l.spillMu.Lock()
	defer l.spillMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(l.opts.SpillFile), 0o700); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f, err := os.OpenFile(l.opts.SpillFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	w := bufio.NewWriter(f)
	if err := encodeRecords(w, recs); err != nil {
		f.Close()
		return fmt.Errorf("spill: %w", err)
	}
	if err := errors.Join(w.Flush(), f.Sync()); err != nil {
		f.Close()
		return fmt.Errorf("spill: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// ReplaySpill writes the records of the spill file at path to sink, in
// batches of DefaultBatchSize, and removes the file; it returns how many
// it wrote. A missing file is no error. When a batch fails, the records
// not yet written are kept in the file for the next try. A last line cut
// short (a crash during the append) is ignored; any other malformed line
// is an error and nothing is written. Call it at startup, before the
// Ledger that spills to path exists.
func ReplaySpill(ctx context.Context, path string, sink Sink) (int, error) {
	recs, err := readSpill(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	written := 0
	for len(recs) > written {
		n := min(len(recs)-written, DefaultBatchSize)
		if err := sink.InsertUsage(ctx, recs[written:written+n]); err != nil {
			if rerr := rewriteSpill(path, recs[written:]); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return written, fmt.Errorf("usage: replay spill file %s: %w", path, err)
		}
		written += n
	}
	if err := os.Remove(path); err != nil {
		return written, fmt.Errorf("usage: remove replayed spill file: %w", err)
	}
	return written, nil
}

// readSpill decodes the JSON lines of a spill file.
func readSpill(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(data, []byte("\n"))
	torn := len(lines) - 1 // the part after the last newline: "" or a torn line
	var recs []Record
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			if i == torn {
				break
			}
			return nil, fmt.Errorf("usage: spill file %s line %d: %w", path, i+1, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// rewriteSpill replaces the spill file with recs, through a temporary
// file renamed over it so a crash leaves the old or the new one.
func rewriteSpill(path string, recs []Record) error {
	tmp := path + ".tmp"
	var b bytes.Buffer
	if err := encodeRecords(&b, recs); err != nil {
		return fmt.Errorf("rewrite spill file: %w", err)
	}
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("rewrite spill file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rewrite spill file: %w", err)
	}
	return nil
}

// encodeRecords writes recs as JSON lines, the spill file's format.
func encodeRecords(w io.Writer, recs []Record) error {
	enc := json.NewEncoder(w)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return err
		}
	}
	return nil
}
