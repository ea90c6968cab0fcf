package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RetryClassifier is an ability an Embedder may have: deciding which of
// its errors are worth retrying. Without it, an error is retried unless it
// is context.Canceled, or it has a Retryable() bool method (as the
// provider package's *UpstreamError does) that says no: most embedding
// failures (throttling, timeouts, a server error) are transient, and a
// build is long enough to meet one.
type RetryClassifier interface {
	// Retryable reports whether another attempt of the call that failed
	// with err may succeed.
	Retryable(err error) bool
}

// embedRun embeds the chunks of one Run.
type embedRun struct {
	opts    Options
	prog    *progress
	journal *journal                // nil without Options.Journal
	entries map[string]journalEntry // what the journal held at the start

	// records holds every chunk in result order; workers fill in the
	// vectors under mu.
	records           []Record
	embedded, resumed int
	calls, retries    atomic.Int64

	mu  sync.Mutex
	dim int // the vectors' dimension, once one is known
}

// pendingFile is a file whose chunks are being embedded.
type pendingFile struct {
	doc   *fileDoc
	first int // the index of its first record
	left  int // chunks still without a vector (under embedRun.mu)
}

// slot is one chunk of a batch.
type slot struct {
	rec  int // index in embedRun.records
	file *pendingFile
}

// run lays out the records, takes what it can from the journal, and
// embeds the rest.
func (r *embedRun) run(ctx context.Context, docs []fileDoc) error {
	total := 0
	for _, d := range docs {
		total += len(d.chunks)
	}
	r.records = make([]Record, 0, total)
	var pending []*pendingFile
	for i := range docs {
		d := &docs[i]
		first := len(r.records)
		for _, c := range d.chunks {
			r.records = append(r.records, Record{Chunk: c})
		}
		if r.reuse(d, r.records[first:]) {
			r.resumed += len(d.chunks)
			continue
		}
		pending = append(pending, &pendingFile{doc: d, first: first, left: len(d.chunks)})
	}
	r.prog.start(total, r.resumed)
	err := r.embedAll(ctx, r.batches(pending))
	r.prog.finish(err)
	return err
}

// reuse fills in recs' vectors from the journal if it holds the file with
// the same content, chunker settings, model and chunk IDs.
func (r *embedRun) reuse(d *fileDoc, recs []Record) bool {
	e, ok := r.entries[d.src.path]
	if !ok || e.hash != d.hash || e.settings != r.opts.Chunker.settingsKey() || e.model != r.opts.Model || len(e.chunks) != len(recs) {
		return false
	}
	for i, c := range e.chunks {
		if c.id != recs[i].ID || len(c.vector) == 0 || (r.dim != 0 && len(c.vector) != r.dim) {
			return false
		}
	}
	for i, c := range e.chunks {
		recs[i].Vector = c.vector
	}
	r.dim = len(e.chunks[0].vector)
	return true
}

// batches cuts the pending files' chunks into batches of BatchSize, in
// order. Batches span files, so that a tree of small files does not cost
// one call per file.
func (r *embedRun) batches(pending []*pendingFile) [][]slot {
	var all [][]slot
	var cur []slot
	for _, f := range pending {
		for i := range f.doc.chunks {
			cur = append(cur, slot{rec: f.first + i, file: f})
			if len(cur) == r.opts.BatchSize {
				all = append(all, cur)
				cur = nil
			}
		}
	}
	if len(cur) > 0 {
		all = append(all, cur)
	}
	return all
}

// embedAll runs the batches on at most Concurrency workers. The first
// failure cancels the rest and is returned.
func (r *embedRun) embedAll(ctx context.Context, batches [][]slot) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan []slot)
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, len(batches)) {
		wg.Go(func() {
			for b := range work {
				if err := r.embedBatch(ctx, b); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
feed:
	for _, b := range batches {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		// The parent's cancellation (context.Canceled) or the first
		// worker's error.
		return fmt.Errorf("ingest: %w", context.Cause(ctx))
	}
	return nil
}

// embedBatch embeds one batch, stores its vectors, and journals every file
// it completes.
func (r *embedRun) embedBatch(ctx context.Context, b []slot) error {
	texts := make([]string, len(b))
	for i, s := range b {
		texts[i] = r.records[s.rec].Text // Text is never written after run lays it out
	}
	vecs, err := r.embed(ctx, texts)
	if err == nil && len(vecs) != len(texts) {
		err = fmt.Errorf("the embedder returned %d vectors for %d texts", len(vecs), len(texts))
	}
	if err != nil {
		return fmt.Errorf("embedding %s: %w", describe(b), err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, v := range vecs {
		if len(v) == 0 || (r.dim != 0 && len(v) != r.dim) {
			return fmt.Errorf("embedding %s: a vector of %d dimensions, want %d", b[i].file.doc.src.path, len(v), r.dim)
		}
		r.dim = len(v)
	}
	for i, s := range b {
		r.records[s.rec].Vector = vecs[i]
		if s.file.left--; s.file.left == 0 {
			if err := r.finish(s.file); err != nil {
				return err
			}
		}
	}
	r.embedded += len(b)
	r.prog.add(len(b))
	return nil
}

// finish journals a file all of whose chunks are embedded.
func (r *embedRun) finish(f *pendingFile) error {
	if r.journal == nil {
		return nil
	}
	e := journalEntry{
		path:     f.doc.src.path,
		hash:     f.doc.hash,
		settings: r.opts.Chunker.settingsKey(),
		model:    r.opts.Model,
		chunks:   make([]journalChunk, len(f.doc.chunks)),
	}
	for i := range e.chunks {
		rec := &r.records[f.first+i]
		e.chunks[i] = journalChunk{id: rec.ID, vector: rec.Vector}
	}
	if err := r.journal.append(e); err != nil {
		return fmt.Errorf("journaling %s: %w", e.path, err)
	}
	return nil
}

// embed makes one Embed call, retried with capped exponential backoff and
// jitter while the error is retryable and ctx is live.
func (r *embedRun) embed(ctx context.Context, texts []string) ([][]float32, error) {
	for attempt := 0; ; attempt++ {
		r.calls.Add(1)
		vecs, err := r.opts.Embedder.Embed(ctx, texts)
		switch {
		case err == nil:
			return vecs, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case !r.retryable(err):
			return nil, err
		case attempt >= r.opts.Retries:
			return nil, fmt.Errorf("giving up after %d attempts: %w", attempt+1, err)
		}
		r.retries.Add(1)
		if err := sleep(ctx, backoff(r.opts.Backoff, r.opts.MaxBackoff, attempt)); err != nil {
			return nil, err
		}
	}
}

// retryable classifies an Embed error (see RetryClassifier).
func (r *embedRun) retryable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if c, ok := r.opts.Embedder.(RetryClassifier); ok {
		return c.Retryable(err)
	}
	var re interface{ Retryable() bool }
	if errors.As(err, &re) {
		return re.Retryable()
	}
	return true
}

// backoff returns the wait before retry number attempt+1: base doubled
// attempt times, capped at limit, then drawn at random from its upper half
// ("equal jitter": spread out, yet never much shorter than planned).
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := limit
	if attempt < 32 && base<<attempt > 0 && base<<attempt < limit {
		d = base << attempt
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// describe names the files of a batch for an error message.
func describe(b []slot) string {
	var names []string
	for _, s := range b {
		if p := s.file.doc.src.path; !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more files", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}
