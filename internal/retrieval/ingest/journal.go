package ingest

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
)

// The journal is an append-only file: a header (journalMagic), then one
// record per finished file, each framed as
//
//	uint32 length of the payload, little-endian
//	uint32 CRC-32C (Castagnoli) of the payload
//	payload
//
// and fsynced before the next file's record is written. A crash can only
// tear the last record: its length runs past the end of the file or its
// checksum does not match, and it is ignored (and cut off, so that new
// records do not land behind garbage). JSON lines would do as well for the
// framing, but vectors are most of the payload and take a third of the
// space as raw float32 as they do as JSON numbers.
//
// The payload (version 1) is
//
//	byte     1 (the payload version)
//	string   path (uvarint length, bytes)
//	[32]byte SHA-256 of the file's content
//	string   chunker settings (Chunker.settingsKey)
//	string   embedding model (Options.Model)
//	uvarint  number of chunks, then per chunk:
//	  string  chunk ID
//	  uvarint dimensions, then that many float32 (IEEE 754 bits, little-endian)
const journalMagic = "OCINGJ1\n"

const (
	frameHeader    = 8
	payloadVersion = 1
)

// journalEntry is one finished file.
type journalEntry struct {
	path     string
	hash     [sha256.Size]byte
	settings string
	model    string
	chunks   []journalChunk
}

// journalChunk is one of a finished file's chunks, by ID: the text is not
// stored, it is cut again from the file, whose hash must match.
type journalChunk struct {
	id     string
	vector []float32
}

// journal appends records to an open journal file.
type journal struct {
	f    *os.File
	size int64 // the end of the last good record, where the next one goes
}

// openJournal opens (creating it if need be) the journal at path and
// returns the entries it holds, the last one per path winning. A torn
// tail is cut off. A file that is not a journal is an error: it is not
// overwritten.
func openJournal(path string) (*journal, map[string]journalEntry, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("opening journal: %w", err)
	}
	j := &journal{f: f}
	entries, err := j.load(path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return j, entries, nil
}

// load reads the header and the records, and leaves the file ready for
// appending after the last good record.
func (j *journal) load(path string) (map[string]journalEntry, error) {
	fi, err := j.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading journal: %w", err)
	}
	r := bufio.NewReaderSize(j.f, 1<<16)
	head := make([]byte, len(journalMagic))
	n, err := io.ReadFull(r, head)
	switch {
	case err == nil && string(head) == journalMagic:
	case (err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) && string(head[:n]) == journalMagic[:n]:
		// New, or torn while its header was being written.
		return map[string]journalEntry{}, j.create(path)
	case err != nil:
		return nil, fmt.Errorf("reading journal: %w", err)
	default:
		return nil, fmt.Errorf("%s is not an ingest journal", path)
	}
	entries := map[string]journalEntry{}
	j.size = int64(len(journalMagic))
	for {
		e, size, ok := readRecord(r, fi.Size()-j.size)
		if !ok {
			break
		}
		entries[e.path] = e
		j.size += size
	}
	if j.size < fi.Size() {
		if err := j.f.Truncate(j.size); err != nil {
			return nil, fmt.Errorf("cutting the journal's torn tail: %w", err)
		}
	}
	return entries, nil
}

// create writes the header of a new journal and makes the file's
// existence durable.
func (j *journal) create(path string) error {
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("creating journal: %w", err)
	}
	if _, err := j.f.WriteAt([]byte(journalMagic), 0); err != nil {
		return fmt.Errorf("creating journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("creating journal: %w", err)
	}
	j.size = int64(len(journalMagic))
	return syncDir(filepath.Dir(path))
}

// syncDir fsyncs a directory so that a file created in it survives a
// crash. Windows cannot sync a directory, and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing journal directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing journal directory: %w", err)
	}
	return nil
}

// readRecord reads one record with at most left bytes remaining in the
// file. ok is false at the end of the journal: a clean end, or a torn or
// corrupt record.
func readRecord(r io.Reader, left int64) (journalEntry, int64, bool) {
	var head [frameHeader]byte
	if left < frameHeader {
		return journalEntry{}, 0, false
	}
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return journalEntry{}, 0, false
	}
	n := int64(binary.LittleEndian.Uint32(head[0:4]))
	// The length is checked against what is left before it is trusted
	// with an allocation: a torn length is any number.
	if n > left-frameHeader {
		return journalEntry{}, 0, false
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return journalEntry{}, 0, false
	}
	if crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli)) != binary.LittleEndian.Uint32(head[4:8]) {
		return journalEntry{}, 0, false
	}
	e, err := decodeEntry(payload)
	if err != nil {
		return journalEntry{}, 0, false
	}
	return e, frameHeader + n, true
}

// append writes a file's record and fsyncs it: once append returns, the
// file is never embedded again for the same content and settings.
func (j *journal) append(e journalEntry) error {
	payload := encodeEntry(e)
	if len(payload) > math.MaxUint32 {
		return fmt.Errorf("journal record for %s is too large (%d bytes)", e.path, len(payload))
	}
	buf := make([]byte, frameHeader, frameHeader+len(payload))
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli)))
	buf = append(buf, payload...)
	if _, err := j.f.WriteAt(buf, j.size); err != nil {
		// A partial write would be a torn record in the middle of the
		// journal, hiding every record after it: cut it off.
		_ = j.f.Truncate(j.size)
		return fmt.Errorf("writing journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("syncing journal: %w", err)
	}
	j.size += int64(len(buf))
	return nil
}

// close closes the journal file.
func (j *journal) close() error { return j.f.Close() }

// Clean removes the journal at path. Call it once the index built from
// Run's Result is safely written: until then the journal is what lets a
// failed or interrupted build resume. A journal that does not exist is not
// an error.
func Clean(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ingest: removing journal: %w", err)
	}
	return nil
}

func encodeEntry(e journalEntry) []byte {
	size := 64 + len(e.path) + len(e.settings) + len(e.model)
	for _, c := range e.chunks {
		size += 16 + len(c.id) + 4*len(c.vector)
	}
	b := make([]byte, 0, size)
	b = append(b, payloadVersion)
	b = appendString(b, e.path)
	b = append(b, e.hash[:]...)
	b = appendString(b, e.settings)
	b = appendString(b, e.model)
	b = binary.AppendUvarint(b, uint64(len(e.chunks)))
	for _, c := range e.chunks {
		b = appendString(b, c.id)
		b = binary.AppendUvarint(b, uint64(len(c.vector)))
		for _, f := range c.vector {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errCorrupt reports a payload that passed its checksum but does not
// decode: written by another version, or a CRC collision.
var errCorrupt = errors.New("corrupt journal record")

func decodeEntry(p []byte) (journalEntry, error) {
	d := decoder{b: p}
	var e journalEntry
	if v := d.take(1); d.err != nil || v[0] != payloadVersion {
		return e, errCorrupt
	}
	e.path = d.str()
	copy(e.hash[:], d.take(sha256.Size))
	e.settings = d.str()
	e.model = d.str()
	n := d.count(2) // a chunk takes at least two bytes
	e.chunks = make([]journalChunk, 0, n)
	for range n {
		c := journalChunk{id: d.str()}
		dim := d.count(4)
		raw := d.take(4 * dim)
		if d.err != nil {
			break
		}
		c.vector = make([]float32, dim)
		for i := range c.vector {
			c.vector[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		e.chunks = append(e.chunks, c)
	}
	if d.err != nil || len(d.b) != 0 {
		return journalEntry{}, errCorrupt
	}
	return e, nil
}

// decoder reads a payload; the first failure sticks, and every later read
// returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// count reads a count of items of at least unit bytes each, refusing one
// that the rest of the payload cannot hold (so that a bad count cannot
// cause a huge allocation).
func (d *decoder) count(unit int) int {
	v, n := binary.Uvarint(d.b)
	if d.err != nil || n <= 0 || v > uint64(len(d.b)-n)/uint64(unit) {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) str() string { return string(d.take(d.count(1))) }
