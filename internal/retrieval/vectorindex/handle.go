package vectorindex

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWatchInterval is how often Watch checks the file when given no
// interval.
const DefaultWatchInterval = 5 * time.Second

// Handle holds the index loaded from a file and swaps in a replacement
// of the file while queries run: a query takes Current once and keeps
// that index to its end, so it never sees two. Replace the file with
// WriteFile (or any write to a temporary file and a rename); a file
// rewritten in place is read while half-written, refused by its checksum,
// and loaded at the next check after it is whole.
type Handle struct {
	path string
	cur  atomic.Pointer[Index]

	mu     sync.Mutex // serialises Reload; guards the fields below
	loaded fileID     // the file Current came from
	failed fileID     // the last file that did not load, and why
	err    error
}

// fileID identifies a version of a file without reading it: the inode
// (os.SameFile), size, modification time and the trailing checksum, so
// that a new file of the same size on a reused inode within the clock's
// resolution is still noticed.
type fileID struct {
	info os.FileInfo
	sum  uint32
}

// same reports whether a and b are the same version of a file.
func (a fileID) same(b fileID) bool {
	return a.info != nil && b.info != nil && os.SameFile(a.info, b.info) &&
		a.info.Size() == b.info.Size() && a.info.ModTime().Equal(b.info.ModTime()) && a.sum == b.sum
}

// OpenHandle loads the index file at path into a new Handle.
func OpenHandle(path string) (*Handle, error) {
	h := &Handle{path: path}
	if _, err := h.Reload(); err != nil {
		return nil, err
	}
	return h, nil
}

// Path returns the file the handle loads.
func (h *Handle) Path() string { return h.path }

// Current returns the index in use. It never returns nil for a Handle
// from OpenHandle (the zero Handle holds none).
func (h *Handle) Current() *Index { return h.cur.Load() }

// Reload loads the file if it changed since it was last loaded and, if
// the new file loads cleanly, swaps it in and reports changed. A file
// that fails to load leaves the current index in place and returns the
// error; until that file changes again, Reload returns the same error
// without reading it again.
func (h *Handle) Reload() (changed bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, err := os.Open(h.path)
	if err != nil {
		return false, fmt.Errorf("vectorindex: reload: %w", err)
	}
	defer f.Close()
	// Identify the open file, not the path, so what is compared is what
	// would be read even if the path is replaced meanwhile.
	id, err := identify(f)
	if err != nil {
		return false, fmt.Errorf("vectorindex: reload %s: %w", h.path, err)
	}
	if id.same(h.loaded) {
		return false, nil
	}
	if id.same(h.failed) {
		return false, h.err
	}
	ix, _, err := readFile(f)
	if err != nil {
		h.failed, h.err = id, fmt.Errorf("%w (%s)", err, h.path)
		return false, h.err
	}
	h.cur.Store(ix)
	h.loaded, h.failed, h.err = id, fileID{}, nil
	return true, nil
}

// identify stats f and reads its last four bytes, the checksum of a
// whole index file.
func identify(f *os.File) (fileID, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, err
	}
	id := fileID{info: fi}
	if fi.Size() >= 4 {
		var b [4]byte
		if _, err := f.ReadAt(b[:], fi.Size()-4); err != nil {
			return fileID{}, err
		}
		id.sum = binary.LittleEndian.Uint32(b[:])
	}
	return id, nil
}

// Watch calls Reload every interval (0 means DefaultWatchInterval) until
// ctx ends, and passes its errors to onErr (which may be nil): each
// distinct failure once, not at every check. It blocks; run it in its
// own goroutine.
func (h *Handle) Watch(ctx context.Context, every time.Duration, onErr func(error)) {
	if every <= 0 {
		every = DefaultWatchInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := h.Reload()
		switch {
		case err == nil:
			last = ""
		case err.Error() != last:
			last = err.Error()
			if onErr != nil {
				onErr(err)
			}
		}
	}
}
