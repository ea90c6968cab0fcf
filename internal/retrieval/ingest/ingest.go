// Package ingest turns a tree of documents into embedded chunks for the
// vector index, resumably. Run walks the paths it is given, extracts the
// text of plain-text, Markdown and HTML files (PDF is not supported: the
// standard library cannot read it), cuts the text into overlapping chunks
// of a fixed number of approximate tokens, and embeds the chunks in
// batches, concurrently, with retries. A journal records every finished
// file with its vectors, so that a build interrupted by Ctrl-C, kill -9 or
// a crash resumes without embedding those files again.
//
// The caller writes the index from Run's Result and then removes the
// journal with Clean:
//
//	res, err := ingest.Run(ctx, paths, ingest.Options{
//		Embedder: emb, Model: "titan-embed-v2",
//		Journal: indexPath + ".journal",
//		Progress: os.Stderr, Terminal: isTerminal(os.Stderr),
//	})
//	if err != nil { ... }
//	// write res.Records to the index atomically, then
//	err = ingest.Clean(indexPath + ".journal")
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outcrop/outcrop/internal/retrieval"
)

// Defaults of Options.
const (
	DefaultBatchSize    = 32
	DefaultConcurrency  = 4
	DefaultRetries      = 5
	DefaultBackoff      = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultMaxFileBytes = 64 << 20
	DefaultLogInterval  = 10 * time.Second
)

// Options configure Run. Only Embedder is required; every zero value
// means the documented default.
type Options struct {
	// Embedder embeds the chunks' texts. Required. If it also implements
	// RetryClassifier, it decides which of its errors are retried.
	Embedder retrieval.Embedder
	// Model names the embedding model, e.g. "amazon.titan-embed-text-v2:0".
	// It is recorded in the journal: vectors journaled under another model
	// are not reused. Empty is a name like any other.
	Model string
	// Chunker sets the chunk size and overlap, in tokens; its zero value
	// means 400 and 60.
	Chunker Chunker
	// BatchSize is how many texts one Embed call carries. 0 means 32.
	// Batches span files: small files share calls.
	BatchSize int
	// Concurrency is how many Embed calls run at once at most. 0 means 4.
	Concurrency int
	// Retries is how many times a failed Embed call is retried before Run
	// fails. 0 means 5; a negative value means none.
	Retries int
	// Backoff is the wait before the first retry; it doubles with each
	// retry, up to MaxBackoff, and each wait is drawn at random between
	// half of it and all of it, so that concurrent callers do not retry in
	// step. 0 means 500ms.
	Backoff time.Duration
	// MaxBackoff caps the wait between retries. 0 means 30s.
	MaxBackoff time.Duration
	// Journal is the path of the resume journal, e.g. "docs.idx.journal".
	// Empty means no journal: an interrupted build starts over.
	Journal string
	// MaxFileBytes skips larger files, which are rarely prose (logs,
	// dumps) and are read whole into memory. 0 means 64 MiB.
	MaxFileBytes int64
	// Progress receives the progress report; nil means none.
	Progress io.Writer
	// Terminal draws a progress bar redrawn in place with \r, at most ten
	// times a second, for a Progress that is a terminal. Otherwise the
	// report is plain log lines (no control characters) every LogInterval
	// or every 10% of the chunks, whichever comes first.
	Terminal bool
	// LogInterval is the longest time between two plain progress lines.
	// 0 means 10s.
	LogInterval time.Duration
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Embedder == nil {
		errs = append(errs, errors.New("no embedder"))
	}
	if err := o.Chunker.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"batch size", int64(o.BatchSize)},
		{"concurrency", int64(o.Concurrency)},
		{"backoff", int64(o.Backoff)},
		{"maximum backoff", int64(o.MaxBackoff)},
		{"maximum file size", o.MaxFileBytes},
		{"log interval", int64(o.LogInterval)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s %d is negative", f.name, f.v))
		}
	}
	if o.MaxFileBytes > 1<<31-1 {
		errs = append(errs, fmt.Errorf("maximum file size %d is above 2 GiB", o.MaxFileBytes))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("ingest: invalid options: %w", err)
	}
	return nil
}

// withDefaults returns o with every zero value replaced by its default.
func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.BatchSize, DefaultBatchSize)
	def(&o.Concurrency, DefaultConcurrency)
	def(&o.Retries, DefaultRetries)
	o.Retries = max(o.Retries, 0)
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxFileBytes == 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.LogInterval == 0 {
		o.LogInterval = DefaultLogInterval
	}
	return o
}

// Record is an embedded chunk, ready for the vector index.
type Record struct {
	Chunk
	// Vector is the chunk's embedding.
	Vector []float32 `json:"vector"`
}

// Result is what Run produced.
type Result struct {
	// Records holds every chunk with its vector, ordered by file (in walk
	// order) and then by chunk index, however the calls completed.
	Records []Record
	// Skipped lists the files and directories passed over: first those
	// the walk passed over, then the files that could not be read or
	// decoded, each in walk order. Hidden entries are not listed.
	Skipped []Skipped
	// Stats counts the work.
	Stats Stats
}

// Stats counts a Run's work.
type Stats struct {
	// Files is the number of documents read (with or without chunks).
	Files int
	// Empty is the number of documents with no text, hence no chunk.
	Empty int
	// Repaired is the number of documents that were not valid UTF-8 and
	// had their invalid bytes replaced with U+FFFD.
	Repaired int
	// Skipped is len(Result.Skipped).
	Skipped int
	// Bytes is the size of the documents read.
	Bytes int64
	// Chunks is len(Result.Records).
	Chunks int
	// Tokens is the number of tokens in the documents' text (overlaps
	// counted once).
	Tokens int
	// Embedded is the number of chunks embedded by this run; Resumed the
	// number taken from the journal. Embedded + Resumed == Chunks.
	Embedded, Resumed int
	// Calls is the number of Embed calls, retries included; Retries the
	// number of retries among them.
	Calls, Retries int
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// fileDoc is a document read, extracted and chunked, before embedding.
type fileDoc struct {
	src    source
	hash   [sha256.Size]byte
	chunks []Chunk
}

// Run walks paths, chunks every supported document, and embeds the chunks
// that the journal does not already hold, journaling each file once all
// of its chunks are embedded. Everything is read and chunked before the
// first call, so that the progress total is known and a bad path fails
// fast. A failed call is retried (see RetryClassifier); once the retries
// are spent, Run fails with an error naming the file. When ctx is
// canceled Run returns ctx's error, and what it finished is journaled.
func Run(ctx context.Context, paths []string, opts Options) (*Result, error) {
	begin := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errors.New("ingest: no paths")
	}
	o := opts.withDefaults()
	srcs, skipped, err := walk(paths)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	prog := newProgress(o.Progress, o.Terminal, o.LogInterval, time.Now)
	r := &embedRun{opts: o, prog: prog}
	// The journal is opened before the documents are read: a journal
	// path that cannot be used fails in a moment, not after the reading.
	if o.Journal != "" {
		j, entries, err := openJournal(o.Journal)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		defer j.close()
		r.journal = j
		r.entries = entries
	}
	res := &Result{Skipped: skipped}
	docs, err := scan(ctx, srcs, o, res)
	if err != nil {
		return nil, err
	}
	prog.logf("%d files, %d chunks, %d tokens; %d skipped", res.Stats.Files, res.Stats.Chunks, res.Stats.Tokens, res.Stats.Skipped)
	if err := r.run(ctx, docs); err != nil {
		return nil, err
	}
	res.Records = r.records
	res.Stats.Embedded = r.embedded
	res.Stats.Resumed = r.resumed
	res.Stats.Calls = int(r.calls.Load())
	res.Stats.Retries = int(r.retries.Load())
	res.Stats.Elapsed = time.Since(begin)
	return res, nil
}

// scan reads and chunks every document, and fills in res's Skipped and
// counting Stats.
func scan(ctx context.Context, srcs []source, o Options, res *Result) ([]fileDoc, error) {
	results := readAll(ctx, srcs, o)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	var docs []fileDoc
	for i, d := range results {
		if d.reason != "" {
			res.Skipped = append(res.Skipped, Skipped{Path: srcs[i].path, Reason: d.reason})
			continue
		}
		res.Stats.Files++
		res.Stats.Bytes += d.size
		res.Stats.Tokens += d.tokens
		if d.repaired {
			res.Stats.Repaired++
		}
		if len(d.chunks) == 0 {
			res.Stats.Empty++
			continue
		}
		res.Stats.Chunks += len(d.chunks)
		docs = append(docs, d.fileDoc)
	}
	res.Stats.Skipped = len(res.Skipped)
	return docs, nil
}

// readDoc is a document read, with what scan counts.
type readDoc struct {
	fileDoc
	size     int64
	tokens   int
	repaired bool
	reason   string // why the file is skipped, if it is
}

// readAll reads the files on one worker per CPU (extracting and chunking
// take as long as reading), keeping the results in walk order. It stops
// early when ctx is done.
func readAll(ctx context.Context, srcs []source, o Options) []readDoc {
	docs := make([]readDoc, len(srcs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(srcs)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(srcs) {
					return
				}
				docs[i] = read(srcs[i], o)
			}
		})
	}
	wg.Wait()
	return docs
}

// read reads, extracts and chunks one file.
func read(src source, o Options) readDoc {
	data, err := readFile(src.osPath, o.MaxFileBytes)
	if err != nil {
		return readDoc{reason: err.Error()}
	}
	doc, err := extract(src.kind, path.Base(src.path), data)
	if err != nil {
		return readDoc{reason: err.Error()}
	}
	chunks := o.Chunker.Split(src.path, doc.title, doc.text)
	// Overlaps are exact, so the document's token count follows from its
	// chunks without tokenizing it again.
	tokens := 0
	for _, c := range chunks {
		tokens += c.Tokens
	}
	if len(chunks) > 1 {
		tokens -= (len(chunks) - 1) * o.Chunker.overlap()
	}
	return readDoc{
		fileDoc:  fileDoc{src: src, hash: sha256.Sum256(data), chunks: chunks},
		size:     int64(len(data)),
		tokens:   tokens,
		repaired: doc.repaired,
	}
}

// readFile reads a file of at most limit bytes. The limit is enforced on
// the read, not on a prior stat, so that a file growing meanwhile (a log)
// cannot slip past it.
func readFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, errors.New(unwrapPathError(err))
	}
	defer f.Close()
	// The size, when known, saves the buffer's regrowth.
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil {
		buf.Grow(int(min(fi.Size(), limit)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, errors.New(unwrapPathError(err))
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return buf.Bytes(), nil
}
