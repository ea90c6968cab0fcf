package vectorindex

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// The file format, version 1. Every integer is little-endian; a string
// is a uint32 byte length and the bytes.
//
//	magic           8 bytes "OCVINDEX"
//	version         uint32, 1
//	dim, n          uint32, uint32: vector size and count
//	metric, flags   uint8 (1 cosine, 2 dot, 3 l2), uint8 (bit 0: has graph)
//	reserved        uint16, 0
//	m, efc, efs     uint32 x 3: Options.M, EfConstruction, EfSearch
//	exact_below     int64: Options.ExactBelow
//	seed            int64: Options.Seed
//	model           string
//	[graph]         uint32 entry node, uint32 top level
//	vectors         n*dim float32, one slab, vector i at i*dim
//	[graph]         levels: n uint8; layer 0: n slots of 1+2m uint32 (count,
//	                links); upper: for each node i in order, levels[i] slots
//	                of 1+m uint32
//	chunks          n x (id, text, source, title strings; uint32 pair count;
//	                key, value strings, keys sorted)
//	checksum        uint32 CRC-32C (Castagnoli) of every byte before it
//
// The layout mirrors memory, so loading is a few large reads. A reader
// refuses a file that is truncated, has another magic or version, fails
// its checksum or does not add up (a link to a node that does not exist).
const (
	fileMagic   = "OCVINDEX"
	fileVersion = 1
	flagGraph   = 1
	// maxString bounds a chunk's strings: 1 GiB, far beyond any passage.
	maxString = 1 << 30
)

// WriteTo writes the index in the file format to w. It implements
// io.WriterTo.
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w)
	ix.encodeHeader(e)
	words(e, ix.vecs, f32Bits)
	if g := ix.graph; g != nil {
		e.write(g.levels)
		words(e, g.links0, u32Same)
		words(e, g.upper, u32Same)
	}
	for i := range ix.chunks {
		encodeChunk(e, &ix.chunks[i])
	}
	err := e.finish()
	if err != nil {
		return e.n, fmt.Errorf("vectorindex: write index: %w", err)
	}
	return e.n, nil
}

func (ix *Index) encodeHeader(e *encoder) {
	o := ix.opts
	e.write([]byte(fileMagic))
	e.u32(fileVersion)
	e.u32(uint32(o.Dim))
	e.u32(uint32(ix.Len()))
	e.u8(o.Metric.code())
	var flags byte
	if ix.graph != nil {
		flags |= flagGraph
	}
	e.u8(flags)
	e.write([]byte{0, 0})
	e.u32(uint32(o.M))
	e.u32(uint32(o.EfConstruction))
	e.u32(uint32(o.EfSearch))
	e.u64(uint64(int64(o.ExactBelow)))
	e.u64(uint64(o.Seed))
	e.str(o.Model)
	if g := ix.graph; g != nil {
		e.u32(g.entry)
		e.u32(uint32(g.top))
	}
}

func encodeChunk(e *encoder, c *Chunk) {
	e.str(c.ID)
	e.str(c.Text)
	e.str(c.Source)
	e.str(c.Title)
	e.u32(uint32(len(c.Metadata)))
	keys := make([]string, 0, len(c.Metadata))
	for k := range c.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.str(k)
		e.str(c.Metadata[k])
	}
}

// WriteFile writes the index to path atomically: to a temporary file in
// the same directory, synced, renamed over path, and the directory
// synced. A reader of path sees the old file or the new one, never part
// of one, and a crash leaves the old file whole. The file is made
// readable by everyone (0644): it holds what the service serves.
func (ix *Index) WriteFile(path string) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := ix.WriteTo(w)
		return err
	})
}

// writeFileAtomic writes path with write as WriteFile describes.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("vectorindex: write index: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("vectorindex: write index: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("vectorindex: write index: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("vectorindex: write index: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("vectorindex: write index: %w", err)
	}
	// The rename is durable only once the directory is: without this a
	// crash can bring back the old file, or neither.
	return syncDir(dir)
}

// syncDir fsyncs a directory.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("vectorindex: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("vectorindex: sync %s: %w", dir, err)
	}
	return nil
}

// Open loads the index file at path. A file that is not a whole, valid
// index is an error wrapping ErrBadFile.
func Open(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vectorindex: %w", err)
	}
	defer f.Close()
	ix, _, err := readFile(f)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return ix, nil
}

// readFile reads an open index file and returns it with its stat.
func readFile(f *os.File) (*Index, os.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("vectorindex: %w", err)
	}
	ix, err := decode(newDecoder(f, fi.Size()))
	return ix, fi, err
}

// Read reads an index in the file format from r, which must end where
// the index does. When r has a Len method (bytes.Reader, bytes.Buffer)
// lengths are checked against it before allocating; otherwise slabs grow
// as they arrive. Errors about the content wrap ErrBadFile.
func Read(r io.Reader) (*Index, error) {
	size := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	return decode(newDecoder(r, size))
}

// decode reads a whole index.
func decode(d *decoder) (*Index, error) {
	opts, n, g := decodeHeader(d)
	if d.err != nil {
		return nil, d.err
	}
	if int64(n)*int64(opts.Dim) > math.MaxInt {
		return nil, fmt.Errorf("%w: %d vectors of %d do not fit in memory", ErrBadFile, n, opts.Dim)
	}
	if !d.need(int64(n)*int64(opts.Dim)*4, "vectors") {
		return nil, d.err
	}
	vecs := readWords(d, n*opts.Dim, fillF32)
	if g != nil {
		decodeGraph(d, g, n)
	}
	chunks := decodeChunks(d, n)
	if err := d.finish(); err != nil {
		return nil, err
	}
	if g != nil {
		if err := g.validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadFile, err)
		}
	}
	return newIndex(opts, vecs, chunks, g), nil
}

// decodeHeader reads and checks the header; g is nil without a graph.
func decodeHeader(d *decoder) (opts Options, n int, g *graph) {
	magic := make([]byte, len(fileMagic))
	d.read(magic)
	if d.err != nil {
		return opts, 0, nil
	}
	if string(magic) != fileMagic {
		d.fail("not an index file (magic %q, want %q)", magic, fileMagic)
		return opts, 0, nil
	}
	if v := d.u32(); d.err == nil && v != fileVersion {
		d.fail("format version %d, this build reads %d", v, fileVersion)
	}
	dim, count := d.u32(), d.u32()
	// Bounded before converting, so a 32-bit int cannot go negative.
	opts.Dim, n = int(min(dim, MaxDim+1)), int(min(count, MaxLen))
	metric, flags := d.u8(), d.u8()
	d.u8()
	d.u8()
	opts.M = int(d.u32())
	opts.EfConstruction = int(d.u32())
	opts.EfSearch = int(d.u32())
	opts.ExactBelow = int(clampInt64(int64(d.u64())))
	opts.Seed = int64(d.u64())
	opts.Model = d.str(maxModel, "model name")
	if d.err != nil {
		return opts, 0, nil
	}
	var ok bool
	if opts.Metric, ok = metricOfCode(metric); !ok {
		d.fail("unknown metric code %d", metric)
	} else if err := opts.validate(); err != nil {
		d.fail("invalid options: %v", err)
	} else if count > MaxLen {
		d.fail("%d vectors, at most %d", count, MaxLen)
	} else if flags&^flagGraph != 0 {
		d.fail("unknown flags %#x", flags)
	}
	if d.err != nil || flags&flagGraph == 0 {
		return opts, n, nil
	}
	g = &graph{m: opts.M, m0: 2 * opts.M, entry: d.u32()}
	top := d.u32()
	if n == 0 || top > maxLevel {
		d.fail("graph of %d nodes with top level %d", n, top)
	}
	g.top = int(top)
	return opts, n, g
}

// clampInt64 keeps a file's int64 within int on 32-bit platforms.
func clampInt64(v int64) int64 {
	return min(max(v, math.MinInt), math.MaxInt)
}

// decodeGraph reads the graph's three slabs into g.
func decodeGraph(d *decoder, g *graph, n int) {
	if !d.need(int64(n)*(1+4*int64(g.m0+1)), "graph") {
		return
	}
	g.levels = d.bytes(n)
	if d.err != nil {
		return
	}
	for id, l := range g.levels {
		if int(l) > g.top {
			d.fail("hnsw node %d has level %d above the top %d", id, l, g.top)
			return
		}
	}
	g.links0 = readWords(d, n*(g.m0+1), fillU32)
	size, err := g.layoutUpper()
	if err != nil {
		d.fail("%v", err)
		return
	}
	g.upper = readWords(d, size, fillU32)
}

// decodeChunks reads n chunks.
func decodeChunks(d *decoder, n int) []Chunk {
	// A chunk takes at least 20 bytes (five lengths).
	if !d.need(20*int64(n), "chunks") {
		return nil
	}
	var chunks []Chunk
	if d.remain >= 0 {
		chunks = make([]Chunk, 0, n)
	}
	for range n {
		c := Chunk{
			ID:     d.str(maxString, "chunk id"),
			Text:   d.str(maxString, "chunk text"),
			Source: d.str(maxString, "chunk source"),
			Title:  d.str(maxString, "chunk title"),
		}
		pairs := d.u32()
		if !d.need(8*int64(pairs), "chunk metadata") {
			return nil
		}
		if pairs > 0 {
			c.Metadata = make(map[string]string, min(pairs, 64))
		}
		for range pairs {
			k := d.str(maxString, "metadata key")
			v := d.str(maxString, "metadata value")
			if d.err != nil {
				return nil
			}
			c.Metadata[k] = v
		}
		if d.err != nil {
			return nil
		}
		chunks = append(chunks, c)
	}
	return chunks
}
