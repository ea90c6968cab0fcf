package vectorindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// smallIndexes are one exact and one HNSW index, each metric once.
func smallIndexes(t *testing.T) map[string]*Index {
	t.Helper()
	return map[string]*Index{
		"exact cosine": build(t, Options{Dim: 12, Model: "m1"}, randomVectors(200, 12, 1), "a"),
		"exact l2":     build(t, Options{Dim: 12, Metric: L2}, randomVectors(50, 12, 2), "a"),
		"hnsw dot":     build(t, Options{Dim: 12, Metric: Dot, ExactBelow: 1, M: 6}, randomVectors(300, 12, 3), "a"),
		"hnsw cosine":  build(t, Options{Dim: 12, ExactBelow: 100, Model: "m2", Seed: 9}, randomVectors(400, 12, 4), "a"),
	}
}

// encode returns ix in the file format.
func encode(t *testing.T, ix *Index) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := ix.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func TestRoundTripPreservesSearches(t *testing.T) {
	for name, ix := range smallIndexes(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.idx")
			if err := ix.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			got, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ix.Options(), got.Options()); diff != "" {
				t.Errorf("options differ (-wrote +read):\n%s", diff)
			}
			if got.HasGraph() != ix.HasGraph() || got.Len() != ix.Len() {
				t.Fatalf("got %d vectors, graph %v; want %d, %v", got.Len(), got.HasGraph(), ix.Len(), ix.HasGraph())
			}
			if diff := cmp.Diff(ix.chunks, got.chunks); diff != "" {
				t.Errorf("chunks differ (-wrote +read):\n%s", diff)
			}
			for _, q := range randomVectors(20, ix.Dim(), 99) {
				want, err := ix.Search(q, 10)
				if err != nil {
					t.Fatal(err)
				}
				res, err := got.Search(q, 10)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, res); diff != "" {
					t.Fatalf("search results differ (-before +after):\n%s", diff)
				}
			}
		})
	}
}

func TestReadRefusesDamagedFiles(t *testing.T) {
	data := encode(t, smallIndexes(t)["hnsw dot"])
	type damage struct {
		name string
		data []byte
		want string
	}
	var cases []damage
	for _, at := range []int{0, 3, 8, 12, 20, 60, len(data) / 3, len(data) / 2, len(data) - 5, len(data) - 1} {
		cases = append(cases, damage{name: "truncated", data: data[:at], want: "truncated"})
	}
	for _, at := range []int{len(fileMagic) + 5, 100, len(data) / 2, len(data) - 20, len(data) - 2} {
		b := bytes.Clone(data)
		b[at] ^= 0x40
		cases = append(cases, damage{name: "flipped", data: b, want: ""})
	}
	cases = append(cases,
		damage{name: "trailing data", data: append(bytes.Clone(data), 0), want: "after the checksum"},
		damage{name: "not an index", data: []byte("hello, this is not an index file at all"), want: "not an index file"},
		damage{name: "other version", data: withVersion(data, 2), want: "format version 2"},
		damage{name: "bad link, good checksum", data: withBadLink(t, data), want: "links to"},
	)
	for _, tt := range cases {
		readers := map[string]func() io.Reader{
			"sized":   func() io.Reader { return bytes.NewReader(tt.data) },
			"unsized": func() io.Reader { return struct{ io.Reader }{bytes.NewReader(tt.data)} },
		}
		for rname, r := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				ix, err := Read(r())
				if !errors.Is(err, ErrBadFile) {
					t.Fatalf("got %v, %v; want an error wrapping ErrBadFile", ix, err)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %q, want it to say %q", err, tt.want)
				}
			})
		}
	}
}

// withVersion returns data with another format version and a checksum
// to match, so only the version is wrong.
func withVersion(data []byte, v uint32) []byte {
	b := bytes.Clone(data)
	binary.LittleEndian.PutUint32(b[len(fileMagic):], v)
	return resum(b)
}

// withBadLink returns data whose first layer-0 link points past the last
// node, with a checksum to match.
func withBadLink(t *testing.T, data []byte) []byte {
	t.Helper()
	ix, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ix.graph.links0[1] = uint32(ix.Len() + 5)
	return encode(t, ix)
}

// resum recomputes the trailing checksum of a file.
func resum(b []byte) []byte {
	if len(b) < 4 {
		return b
	}
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
	return b
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none.idx"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping os.ErrNotExist", err)
	}
}

// TestInterruptedWriteKeepsOldFile checks the crash cases: a write that
// fails half-way, and one that dies before its rename (leaving its
// temporary file behind), both leave the old file loadable.
func TestInterruptedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.idx")
	old := build(t, Options{Dim: 4}, randomVectors(10, 4, 1), "old")
	if err := old.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	next := encode(t, build(t, Options{Dim: 4}, randomVectors(20, 4, 2), "new"))

	diskFull := errors.New("disk full")
	err := writeFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(next[:len(next)/2]); err != nil {
			return err
		}
		return diskFull
	})
	if !errors.Is(err, diskFull) {
		t.Fatalf("got %v, want %v", err, diskFull)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("got %d files after a failed write, want the temporary file removed", len(entries))
	}
	checkGeneration(t, path, "old", 10)

	// A crash between writing and renaming leaves a temporary file.
	if err := os.WriteFile(filepath.Join(dir, ".x.idx.tmp-123"), next[:len(next)-7], 0o644); err != nil {
		t.Fatal(err)
	}
	checkGeneration(t, path, "old", 10)

	if _, err := old.WriteTo(failingWriter{}); err == nil {
		t.Error("WriteTo a failing writer: got no error, want one")
	}
}

// checkGeneration checks that path loads as an index of n chunks tagged
// gen.
func checkGeneration(t *testing.T, path, gen string, n int) {
	t.Helper()
	ix, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != n || ix.chunks[0].Metadata["gen"] != gen {
		t.Errorf("got %d chunks of generation %q, want %d of %q", ix.Len(), ix.chunks[0].Metadata["gen"], n, gen)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteFileIsReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	if err := build(t, Options{Dim: 2}, nil, "a").WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o644 {
		t.Errorf("got mode %v, want 0644", got)
	}
}

// FuzzRead feeds Read arbitrary bytes: it must refuse or accept them
// without panicking, and an index it accepts must be searchable. Each
// input is also tried with its checksum fixed, so the fuzzer gets past
// the checksum to the structure checks.
func FuzzRead(f *testing.F) {
	for _, ix := range []*Index{
		build(f, Options{Dim: 3, Metric: L2}, randomVectors(4, 3, 1), "a"),
		build(f, Options{Dim: 2, ExactBelow: 1, M: 2}, randomVectors(6, 2, 2), "b"),
	} {
		var buf bytes.Buffer
		if _, err := ix.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, b := range [][]byte{data, resum(bytes.Clone(data))} {
			for _, r := range []io.Reader{bytes.NewReader(b), struct{ io.Reader }{bytes.NewReader(b)}} {
				ix, err := Read(r)
				if err != nil {
					continue
				}
				q := make([]float32, ix.Dim())
				q[0] = 1
				if _, err := ix.Search(q, 3); err != nil {
					t.Errorf("accepted index: search: %v", err)
				}
			}
		}
	})
}
