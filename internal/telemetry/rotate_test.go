package telemetry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readLogs returns the contents of path, path.1 ... path.n; a missing file
// reads as "<missing>".
func readLogs(t *testing.T, path string, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i <= n; i++ {
		p := path
		if i > 0 {
			p = fmt.Sprintf("%s.%d", path, i)
		}
		b, err := os.ReadFile(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			out = append(out, "<missing>")
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, string(b))
		}
	}
	return out
}

func writeAll(t *testing.T, r *RotatingFile, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if n, err := r.Write([]byte(l)); err != nil || n != len(l) {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", l, n, err, len(l))
		}
	}
}

func TestRotatingFileRotates(t *testing.T) {
	tests := []struct {
		name     string
		maxBytes int64
		maxFiles int
		lines    []string
		want     []string // path, path.1, path.2, path.3
	}{
		{
			name: "below the limit", maxBytes: 100, maxFiles: 2,
			lines: []string{"aaaa\n", "bbbb\n"},
			want:  []string{"aaaa\nbbbb\n", "<missing>", "<missing>", "<missing>"},
		},
		{
			name: "exactly at the limit stays", maxBytes: 10, maxFiles: 2,
			lines: []string{"aaaa\n", "bbbb\n"},
			want:  []string{"aaaa\nbbbb\n", "<missing>", "<missing>", "<missing>"},
		},
		{
			name: "keeps the newest maxFiles", maxBytes: 10, maxFiles: 2,
			lines: []string{"1111\n", "2222\n", "3333\n", "4444\n", "5555\n", "6666\n", "7777\n"},
			want:  []string{"7777\n", "5555\n6666\n", "3333\n4444\n", "<missing>"},
		},
		{
			name: "oversized write goes whole into a fresh file", maxBytes: 4, maxFiles: 3,
			lines: []string{"ab\n", "0123456789\n", "cd\n"},
			want:  []string{"cd\n", "0123456789\n", "ab\n", "<missing>"},
		},
		{
			name: "no old files kept", maxBytes: 5, maxFiles: 0,
			lines: []string{"1111\n", "2222\n", "3333\n"},
			want:  []string{"3333\n", "<missing>", "<missing>", "<missing>"},
		},
		{
			name: "no limit", maxBytes: 0, maxFiles: 2,
			lines: []string{"1111\n", "2222\n", "3333\n"},
			want:  []string{"1111\n2222\n3333\n", "<missing>", "<missing>", "<missing>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outcrop.log")
			r, err := OpenRotatingFile(path, tt.maxBytes, tt.maxFiles)
			if err != nil {
				t.Fatal(err)
			}
			writeAll(t, r, tt.lines...)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, readLogs(t, path, 3)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRotatingFileAppends checks that reopening continues an existing file
// and counts its size toward the limit.
func TestRotatingFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outcrop.log")
	if err := os.WriteFile(path, []byte("old1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRotatingFile(path, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, r, "new1\n", "new2\n")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"new2\n", "old1\nnew1\n"}
	if diff := cmp.Diff(want, readLogs(t, path, 1)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestRotatingFileCreatesPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "a", "b", "outcrop.log")
	r, err := OpenRotatingFile(path, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, r, "one\n", "two\n")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".1"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != logFileMode {
			t.Errorf("%s: got mode %v, want %v", p, got, os.FileMode(logFileMode))
		}
	}
	info, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm() &^ logDirMode; got != 0 {
		t.Errorf("directory has mode %v, want at most %v", info.Mode().Perm(), os.FileMode(logDirMode))
	}
}

func TestRotatingFileClose(t *testing.T) {
	r, err := OpenRotatingFile(filepath.Join(t.TempDir(), "x.log"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: got %v, want os.ErrClosed", err)
	}
}

func TestOpenRotatingFileError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A regular file where the log directory should be.
	if _, err := OpenRotatingFile(filepath.Join(blocker, "x.log"), 0, 0); err == nil {
		t.Error("got nil error, want one for a directory that is a file")
	}
}

// TestRotatingFileConcurrent has many goroutines write lines through
// rotations, then checks that every line arrived exactly once, whole, and
// that no file exceeds the limit. Run it with -race.
func TestRotatingFileConcurrent(t *testing.T) {
	const (
		writers  = 8
		perWrite = 200
		maxBytes = 1000
	)
	path := filepath.Join(t.TempDir(), "outcrop.log")
	// Enough old files to keep everything: 8*200 lines of 10 bytes, 16 files.
	r, err := OpenRotatingFile(path, maxBytes, 100)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWrite {
				if _, err := fmt.Fprintf(r, "w%d-i%05d\n", w, i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	seen := make(map[string]int)
	for i, content := range readLogs(t, path, 100) {
		if content == "<missing>" {
			continue
		}
		if len(content) > maxBytes {
			t.Errorf("file %d has %d bytes, more than %d", i, len(content), maxBytes)
		}
		for _, line := range strings.SplitAfter(content, "\n") {
			if line == "" {
				continue
			}
			if len(line) != len("w0-i00000\n") || !strings.HasSuffix(line, "\n") {
				t.Errorf("torn line %q in file %d", line, i)
			}
			seen[line]++
		}
	}
	if got, want := len(seen), writers*perWrite; got != want {
		t.Errorf("got %d distinct lines, want %d", got, want)
	}
	for line, n := range seen {
		if n != 1 {
			t.Errorf("line %q written %d times, want once", line, n)
		}
	}
}
