package vectorindex

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// castagnoli is CRC-32C, which amd64 and arm64 compute in hardware: the
// checksum of a 300 MB file costs tens of milliseconds, not a second.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// wordsPerBlock is how many 4-byte words a slab is encoded or decoded in
// at a time: 64 KiB blocks, so a 300 MB slab needs no 300 MB byte copy.
const wordsPerBlock = 16 << 10

// encoder writes the file format's little-endian fields, checksumming
// them, with a sticky error.
type encoder struct {
	w   *bufio.Writer
	crc uint32
	n   int64
	err error
	buf []byte
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 1<<20), buf: make([]byte, 0, 4*wordsPerBlock)}
}

// write writes p and adds it to the checksum.
func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	e.crc = crc32.Update(e.crc, castagnoli, p)
	var n int
	n, e.err = e.w.Write(p)
	e.n += int64(n)
}

func (e *encoder) u8(v byte)    { e.write([]byte{v}) }
func (e *encoder) u32(v uint32) { e.write(binary.LittleEndian.AppendUint32(e.buf[:0], v)) }
func (e *encoder) u64(v uint64) { e.write(binary.LittleEndian.AppendUint64(e.buf[:0], v)) }

// str writes a length-prefixed string.
func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.write([]byte(s))
}

// words writes a slab of 4-byte words (float32 bits or uint32s).
func words[T float32 | uint32](e *encoder, s []T, bits func(T) uint32) {
	for len(s) > 0 && e.err == nil {
		n := min(len(s), wordsPerBlock)
		b := e.buf[:0]
		for _, v := range s[:n] {
			b = binary.LittleEndian.AppendUint32(b, bits(v))
		}
		e.write(b)
		s = s[n:]
	}
}

// finish writes the checksum of everything before it and flushes.
func (e *encoder) finish() error {
	if e.err == nil {
		sum := e.crc
		e.write(binary.LittleEndian.AppendUint32(e.buf[:0], sum))
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

// ErrBadFile is wrapped by every error of Read and Open about the file's
// content: not an index file, another format version, truncated, or
// corrupt (a checksum or a structure that does not add up).
var ErrBadFile = errors.New("vectorindex: bad index file")

// errTruncated reports a file that ends early.
var errTruncated = errors.New("file is truncated")

// decoder reads the file format's fields, checksumming them, with a
// sticky error. When the input's size is known (remain >= 0), a length
// that claims more than is left fails before anything is allocated for
// it; when not, slabs grow as their bytes arrive, so a corrupt length
// costs at most what the input really holds.
type decoder struct {
	r      *bufio.Reader
	crc    uint32
	remain int64 // bytes left, -1 when unknown
	err    error
	small  [8]byte
	buf    []byte // a block for slabs and long strings, made on first use
}

// newDecoder reads r, of size bytes or -1 when unknown, through a buffer
// no larger than the input.
func newDecoder(r io.Reader, size int64) *decoder {
	bufSize := 64 << 10
	if size >= 0 {
		bufSize = int(min(max(size, 16), 1<<20))
	}
	return &decoder{r: bufio.NewReaderSize(r, bufSize), remain: size}
}

// block returns the decoder's block buffer.
func (d *decoder) block() []byte {
	if d.buf == nil {
		d.buf = make([]byte, 4*wordsPerBlock)
	}
	return d.buf
}

// fail records the first error, wrapped in ErrBadFile.
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrBadFile, fmt.Sprintf(format, args...))
	}
}

// read fills p and adds it to the checksum.
func (d *decoder) read(p []byte) {
	if d.err != nil {
		return
	}
	if _, err := io.ReadFull(d.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			d.fail("%v", errTruncated)
			return
		}
		d.err = fmt.Errorf("vectorindex: read index: %w", err)
		return
	}
	d.crc = crc32.Update(d.crc, castagnoli, p)
	if d.remain >= 0 {
		d.remain -= int64(len(p))
	}
}

// need fails when fewer than n bytes are known to be left.
func (d *decoder) need(n int64, what string) bool {
	if d.err == nil && d.remain >= 0 && n > d.remain {
		d.fail("%s needs %d bytes, %d left: %v", what, n, d.remain, errTruncated)
	}
	return d.err == nil
}

func (d *decoder) u8() byte {
	d.read(d.small[:1])
	return d.small[0]
}

func (d *decoder) u32() uint32 {
	d.read(d.small[:4])
	return binary.LittleEndian.Uint32(d.small[:])
}

func (d *decoder) u64() uint64 {
	d.read(d.small[:8])
	return binary.LittleEndian.Uint64(d.small[:])
}

// str reads a length-prefixed string of at most limit bytes.
func (d *decoder) str(limit int, what string) string {
	n := d.u32()
	if d.err != nil {
		return ""
	}
	if int64(n) > int64(limit) {
		d.fail("%s is %d bytes, at most %d", what, n, limit)
		return ""
	}
	if !d.need(int64(n), what) {
		return ""
	}
	return string(d.bytes(int(n)))
}

// bytes reads n bytes: in one allocation when they are known to be
// there, else growing block by block as they arrive.
func (d *decoder) bytes(n int) []byte {
	if !d.need(int64(n), "bytes") {
		return nil
	}
	if d.remain >= 0 || n <= 4*wordsPerBlock {
		b := make([]byte, n)
		d.read(b)
		return b
	}
	var b []byte
	buf := d.block()
	for len(b) < n && d.err == nil {
		m := min(n-len(b), len(buf))
		d.read(buf[:m])
		b = append(b, buf[:m]...)
	}
	return b
}

// readWords reads a slab of n 4-byte words, decoded block by block by
// fill (fillF32 or fillU32: a call per block, not per word).
func readWords[T float32 | uint32](d *decoder, n int, fill func(dst []T, b []byte)) []T {
	if !d.need(4*int64(n), "slab") {
		return nil
	}
	var s []T
	if d.remain >= 0 {
		s = make([]T, 0, n)
	}
	buf := d.block()
	for len(s) < n && d.err == nil {
		m := min(n-len(s), wordsPerBlock)
		b := buf[:4*m]
		d.read(b)
		if d.err != nil {
			break
		}
		start := len(s)
		if cap(s)-start >= m {
			s = s[:start+m] // already zeroed by make
		} else {
			s = append(s, make([]T, m)...)
		}
		fill(s[start:start+m], b)
	}
	return s
}

// finish reads the trailing checksum, compares it with the checksum of
// everything before it, and requires the input to end there.
func (d *decoder) finish() error {
	if d.err != nil {
		return d.err
	}
	want := d.crc
	got := d.u32()
	if d.err != nil {
		return d.err
	}
	if got != want {
		return fmt.Errorf("%w: checksum %08x, content sums to %08x: file is corrupt", ErrBadFile, got, want)
	}
	if _, err := d.r.ReadByte(); !errors.Is(err, io.EOF) {
		if err != nil {
			return fmt.Errorf("vectorindex: read index: %w", err)
		}
		return fmt.Errorf("%w: data after the checksum", ErrBadFile)
	}
	return nil
}

// fillF32 and fillU32 decode little-endian words from b into dst.
func fillF32(dst []float32, b []byte) {
	b = b[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func fillU32(dst []uint32, b []byte) {
	b = b[:4*len(dst)]
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
}

// f32Bits and u32Same convert a word to its file form for words.
func f32Bits(f float32) uint32 { return math.Float32bits(f) }
func u32Same(u uint32) uint32  { return u }
