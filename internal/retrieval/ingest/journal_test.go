package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// journaled sets up the corpus in a temporary directory (made the working
// directory) and returns the options of a deterministic journaled run
// (one call at a time, one chunk per call) and the records of an
// uninterrupted run without a journal.
func journaled(t *testing.T) (Options, []Record) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, corpus())
	t.Chdir(dir)
	want := mustRun(t, []string{"."}, testOptions(&fakeEmbedder{})).Records
	o := testOptions(nil)
	o.BatchSize = 1
	o.Concurrency = 1
	o.Journal = filepath.Join(t.TempDir(), "index.journal")
	return o, want
}

// rerun runs again with a new embedder and returns the result and the
// texts embedded.
func rerun(t *testing.T, o Options) (*Result, []string) {
	t.Helper()
	f := &fakeEmbedder{}
	o.Embedder = f
	res := mustRun(t, []string{"."}, o)
	_, texts := f.stats()
	return res, texts
}

func TestResume(t *testing.T) {
	o, want := journaled(t)
	// Cancel during the call after the first two files' chunks and one
	// more, as Ctrl-C would.
	finished := len(textsOf(want, "a.txt", "b.md"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o.Embedder = &fakeEmbedder{fail: func(ctx context.Context, call int, _ []string) error {
		if call == finished+2 {
			cancel()
			return ctx.Err()
		}
		return nil
	}}
	if _, err := Run(ctx, []string{"."}, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: got error %v, want context.Canceled", err)
	}
	// Only the files whose chunks were all embedded are journaled: not
	// c/d.html, whose first chunk was.
	if got := journalPaths(t, o.Journal); !cmp.Equal(got, []string{"a.txt", "b.md"}) {
		t.Errorf("journaled %q, want the first two files", got)
	}

	res, texts := rerun(t, o)
	wantTexts := textsOf(want, "c/d.html", "c/e.md", "c/f/g.txt", "c/f/h.markdown")
	if diff := cmp.Diff(wantTexts, texts); diff != "" {
		t.Errorf("resumed run embedded (-want +got):\n%s", diff)
	}
	if res.Stats.Resumed != finished || res.Stats.Embedded != len(wantTexts) {
		t.Errorf("stats: %d resumed, %d embedded; want %d, %d", res.Stats.Resumed, res.Stats.Embedded, finished, len(wantTexts))
	}
	if diff := cmp.Diff(want, res.Records); diff != "" {
		t.Errorf("resumed result differs from an uninterrupted run (-want +got):\n%s", diff)
	}

	// Everything is journaled now.
	res, texts = rerun(t, o)
	if len(texts) != 0 || res.Stats.Resumed != len(want) {
		t.Errorf("third run embedded %d texts, resumed %d; want 0, %d", len(texts), res.Stats.Resumed, len(want))
	}
	if diff := cmp.Diff(want, res.Records); diff != "" {
		t.Errorf("fully resumed result differs (-want +got):\n%s", diff)
	}
}

func TestResumeTornTail(t *testing.T) {
	tests := []struct {
		name string
		tear func(b []byte) []byte
		// last is whether the last record (the last file in walk order,
		// with one call at a time) is lost.
		last bool
	}{
		{"cut mid-record", func(b []byte) []byte { return b[:len(b)-10] }, true},
		{"cut mid-header", func(b []byte) []byte { return b[:len(b)-lastRecordSize(b)+3] }, true},
		{"flipped byte", func(b []byte) []byte { b[len(b)-5] ^= 0x40; return b }, true},
		{"junk appended", func(b []byte) []byte { return append(b, "garbage after a crash"...) }, false},
		{"huge length appended", func(b []byte) []byte {
			return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(b, 1<<31), 0)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, want := journaled(t)
			rerun(t, o)
			b, err := os.ReadFile(o.Journal)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(o.Journal, tt.tear(b), 0o600); err != nil {
				t.Fatal(err)
			}

			res, texts := rerun(t, o)
			var wantTexts []string
			if tt.last {
				wantTexts = textsOf(want, "c/f/h.markdown")
			}
			if diff := cmp.Diff(wantTexts, texts); diff != "" {
				t.Errorf("after the tear, embedded (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, res.Records); diff != "" {
				t.Errorf("result differs (-want +got):\n%s", diff)
			}
			// The torn tail was cut off, so what was appended after it
			// is readable, and nothing follows the last record.
			journalPaths(t, o.Journal)
			if _, texts := rerun(t, o); len(texts) != 0 {
				t.Errorf("after the repair, %d texts embedded again, want 0", len(texts))
			}
		})
	}
}

// journalPaths returns the paths journaled, in order, failing the test if
// the journal has bytes after its last good record.
func journalPaths(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	left := int64(len(b) - len(journalMagic))
	r := bytes.NewReader(b[len(journalMagic):])
	for {
		e, n, ok := readRecord(r, left)
		if !ok {
			break
		}
		for _, c := range e.chunks {
			if len(c.vector) == 0 {
				t.Errorf("%s journaled without all its vectors", e.path)
			}
		}
		paths = append(paths, e.path)
		left -= n
	}
	if left != 0 {
		t.Errorf("the journal has %d bytes after its last record", left)
	}
	return paths
}

// lastRecordSize returns the size of the last record of a journal.
func lastRecordSize(b []byte) int {
	off, last := len(journalMagic), 0
	for off+frameHeader <= len(b) {
		last = frameHeader + int(binary.LittleEndian.Uint32(b[off:]))
		off += last
	}
	return last
}

func TestResumeChanged(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, o *Options)
		// embedded are the sources embedded again; nil for all.
		embedded []string
	}{
		{"file edited", func(t *testing.T, _ *Options) {
			t.Helper()
			writeTree(t, ".", map[string]string{"c/e.md": prose("echo, edited,", 5)})
		}, []string{"c/e.md"}},
		{"markup edited, same text", func(t *testing.T, _ *Options) {
			t.Helper()
			// The content hash decides, not the extracted text.
			writeTree(t, ".", map[string]string{"b.md": "# [Bravo](https://example.com)\n\n" + prose("bravo", 6)})
		}, []string{"b.md"}},
		{"file touched, same content", func(t *testing.T, _ *Options) {
			t.Helper()
			writeTree(t, ".", map[string]string{"c/e.md": prose("echo", 5)})
		}, []string{}},
		{"model changed", func(_ *testing.T, o *Options) { o.Model = "fake-16" }, nil},
		{"chunker changed", func(_ *testing.T, o *Options) { o.Chunker.Overlap = 4 }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := journaled(t)
			rerun(t, o)
			tt.change(t, &o)
			fresh := mustRun(t, []string{"."}, Options{Embedder: &fakeEmbedder{}, Model: o.Model, Chunker: o.Chunker}).Records
			res, texts := rerun(t, o)
			wantTexts := textsOf(fresh, tt.embedded...)
			if tt.embedded == nil {
				wantTexts = textsOf(fresh, "a.txt", "b.md", "c/d.html", "c/e.md", "c/f/g.txt", "c/f/h.markdown")
			}
			if diff := cmp.Diff(wantTexts, texts); diff != "" {
				t.Errorf("embedded (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(fresh, res.Records); diff != "" {
				t.Errorf("result differs from a fresh run (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJournalRejectsOtherFiles(t *testing.T) {
	o, _ := journaled(t)
	const content = "precious data, not a journal"
	if err := os.WriteFile(o.Journal, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Embedder = &fakeEmbedder{}
	if _, err := Run(context.Background(), []string{"."}, o); err == nil {
		t.Error("got nil error for a file that is not a journal")
	}
	if b, _ := os.ReadFile(o.Journal); string(b) != content {
		t.Errorf("the file was changed to %q", b)
	}
}

func TestJournalTornHeader(t *testing.T) {
	o, want := journaled(t)
	if err := os.WriteFile(o.Journal, []byte(journalMagic[:3]), 0o600); err != nil {
		t.Fatal(err)
	}
	res, texts := rerun(t, o)
	if len(texts) != len(want) || res.Stats.Resumed != 0 {
		t.Errorf("embedded %d, resumed %d; want %d, 0", len(texts), res.Stats.Resumed, len(want))
	}
	if _, texts := rerun(t, o); len(texts) != 0 {
		t.Errorf("the rewritten journal did not resume: %d texts embedded", len(texts))
	}
}

func TestJournalEncoding(t *testing.T) {
	e := journalEntry{
		path:     "dir/ünï.md",
		hash:     sha256.Sum256([]byte("x")),
		settings: testChunker.settingsKey(),
		model:    "m",
		chunks:   []journalChunk{{id: "a", vector: []float32{1.5, -0, 3e-38}}, {id: "b", vector: []float32{2}}},
	}
	got, err := decodeEntry(encodeEntry(e))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e, got, cmp.AllowUnexported(journalEntry{}, journalChunk{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	p := encodeEntry(e)
	for _, bad := range [][]byte{nil, p[:len(p)-1], append(p, 0), append([]byte{9}, p[1:]...)} {
		if _, err := decodeEntry(bad); !errors.Is(err, errCorrupt) {
			t.Errorf("decoding %d bad bytes: got %v, want errCorrupt", len(bad), err)
		}
	}
}

func TestClean(t *testing.T) {
	o, _ := journaled(t)
	rerun(t, o)
	if err := Clean(o.Journal); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(o.Journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal still there: %v", err)
	}
	if err := Clean(o.Journal); err != nil {
		t.Errorf("Clean of a missing journal: %v", err)
	}
}

// TestResumeAfterKill kills (SIGKILL on Unix) a child process in the
// middle of a build and resumes it: what the child journaled before it
// died is not embedded again.
func TestResumeAfterKill(t *testing.T) {
	if dir := os.Getenv("INGEST_KILL_CHILD"); dir != "" {
		killChild(t, dir)
		return
	}
	o, want := journaled(t)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterKill$")
	cmd.Env = append(os.Environ(), "INGEST_KILL_CHILD="+dir, "INGEST_KILL_JOURNAL="+o.Journal)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the child to block (skipping any output of the test
	// framework's).
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if line == "blocked\n" {
			break
		}
		if err != nil {
			t.Fatalf("the child ended without blocking: %v (exit: %v)", err, cmd.Wait())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) {
		t.Fatalf("the killed child: got %v, want an exit error", err)
	}

	res, texts := rerun(t, o)
	finished := textsOf(want, "a.txt", "b.md")
	if res.Stats.Resumed != len(finished) {
		t.Errorf("%d chunks resumed, want %d (the files the child finished)", res.Stats.Resumed, len(finished))
	}
	if diff := cmp.Diff(textsOf(want, "c/d.html", "c/e.md", "c/f/g.txt", "c/f/h.markdown"), texts); diff != "" {
		t.Errorf("embedded after the kill (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, res.Records); diff != "" {
		t.Errorf("result differs from an uninterrupted run (-want +got):\n%s", diff)
	}
}

// killChild is the child of TestResumeAfterKill: it builds with one chunk
// per call and blocks, for the parent to kill it, in the call after the
// first two files.
func killChild(t *testing.T, dir string) {
	t.Helper()
	t.Chdir(dir)
	o := testOptions(nil)
	o.BatchSize = 1
	o.Concurrency = 1
	o.Journal = os.Getenv("INGEST_KILL_JOURNAL")
	files, _, err := walk([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	block := 1
	for _, f := range files[:2] {
		d := read(f, o.withDefaults())
		block += len(d.chunks)
	}
	o.Embedder = &fakeEmbedder{fail: func(_ context.Context, call int, _ []string) error {
		if call == block {
			fmt.Println("blocked")
			time.Sleep(time.Hour) // until killed
		}
		return nil
	}}
	_, err = Run(context.Background(), []string{"."}, o)
	t.Fatalf("the child was not killed: %v", err)
}
