package telemetry

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// File and directory modes for log files: logs are for the operator, not
// for every local user, even though they never hold keys or prompts.
const (
	logFileMode = 0o600
	logDirMode  = 0o750
)

// RotatingFile is an io.WriteCloser appending to a file that it rotates by
// size: when a write would take the file past MaxBytes, path becomes
// path.1, path.1 becomes path.2 and so on, the oldest beyond MaxFiles is
// replaced, and a new path is started. Each Write lands whole in one file
// (slog handlers write one record per call, so records are never split).
// It is safe for concurrent use.
type RotatingFile struct {
	path     string
	maxBytes int64
	maxFiles int

	mu     sync.Mutex
	f      *os.File // nil after a failed reopen; the next Write retries
	size   int64
	closed bool
}

var _ io.WriteCloser = (*RotatingFile)(nil)

// OpenRotatingFile opens (appending) or creates path, and its directory,
// rotating at maxBytes and keeping maxFiles old files. A maxBytes of 0 or
// less never rotates; a maxFiles of 0 or less keeps no old file.
func OpenRotatingFile(path string, maxBytes int64, maxFiles int) (*RotatingFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), logDirMode); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	r := &RotatingFile{path: path, maxBytes: maxBytes, maxFiles: maxFiles}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// Write appends p, rotating first if p would not fit in the current file.
// A p larger than the limit goes whole into a fresh file.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.f != nil && r.maxBytes > 0 && r.size > 0 && r.size+int64(len(p)) > r.maxBytes {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	if r.f == nil {
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// Close closes the current file. Writes after Close fail with
// os.ErrClosed; a second Close does nothing.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// open opens r.path for appending and records its current size, so a
// restart continues the file instead of overwriting it.
func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, logFileMode)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, info.Size()
	return nil
}

// rotate closes the current file, shifts the old ones up by one and opens
// a fresh file. The file is closed before it is renamed, which also works
// where open files cannot be renamed.
func (r *RotatingFile) rotate() error {
	err := r.f.Close()
	r.f = nil
	if r.maxFiles <= 0 {
		err = errors.Join(err, removeIfExists(r.path))
	} else {
		for i := r.maxFiles - 1; i >= 1; i-- {
			err = errors.Join(err, renameIfExists(r.numbered(i), r.numbered(i+1)))
		}
		err = errors.Join(err, renameIfExists(r.path, r.numbered(1)))
	}
	if err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	return r.open()
}

func (r *RotatingFile) numbered(i int) string { return fmt.Sprintf("%s.%d", r.path, i) }

func renameIfExists(from, to string) error {
	if err := os.Rename(from, to); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
