package upstreamhttp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httputil"
	"strings"
	"testing"
)

// splitReader hands out src in reads of the sizes next gives.
type splitReader struct {
	src  []byte
	next func() int
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.src) == 0 {
		return 0, io.EOF
	}
	n := min(s.next(), len(p), len(s.src))
	copy(p, s.src[:n])
	s.src = s.src[n:]
	return n, nil
}

// encodeChunked frames data as chunks of the sizes size gives, with
// extensions and a trailer when asked.
func encodeChunked(data []byte, size func() int, ext, trailer bool) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(size(), len(data))
		if ext {
			fmt.Fprintf(&b, "%X;name=\"v\"\r\n", n)
		} else {
			fmt.Fprintf(&b, "%x\r\n", n)
		}
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n")
	if trailer {
		b.WriteString("X-Checksum: abc\r\nX-Other: " + strings.Repeat("t", 100) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// newChunked returns a chunkedReader on src, with held in front of it
// in a header's reader, and a count of the times it gave that reader
// back.
func newChunked(t testing.TB, src io.Reader, held []byte) (*chunkedReader, *int) {
	t.Helper()
	var br *bufio.Reader
	if len(held) > 0 {
		br = bufio.NewReaderSize(bytes.NewReader(held), len(held)+16)
		if _, err := br.Peek(len(held)); err != nil {
			t.Fatal(err)
		}
	}
	dropped := new(int)
	c := &chunkedReader{}
	c.reset(src, br, func(got *bufio.Reader) {
		if got != br {
			t.Error("gave back another reader")
		}
		*dropped++
	})
	return c, dropped
}

// readAllWith reads r to its end with reads of the buffer sizes buf
// gives.
func readAllWith(r io.Reader, buf func() int) ([]byte, error) {
	var out []byte
	for {
		p := make([]byte, buf())
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// TestChunkedReaderSplits decodes bodies fed whole, byte by byte and at
// random splits, with the held bytes of a header's reader in front, read
// with buffers of every size from 1 byte up; httputil's reader decodes
// each the same.
func TestChunkedReaderSplits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	data := make([]byte, 20000)
	for i := range data {
		data[i] = byte('a' + rng.IntN(26))
	}
	feeds := map[string]func() int{
		"whole":        func() int { return 1 << 30 },
		"byte by byte": func() int { return 1 },
		"random":       func() int { return 1 + rng.IntN(700) },
	}
	bufs := map[string]func() int{
		"1 byte": func() int { return 1 },
		"4 KiB":  func() int { return 4096 },
		"random": func() int { return 1 + rng.IntN(3000) },
	}
	for round := range 40 {
		n := rng.IntN(len(data))
		if round == 0 {
			n = 0 // the last chunk alone
		}
		body := data[:n]
		maxChunk := 1 + rng.IntN(1500)
		wire := encodeChunked(body, func() int { return 1 + rng.IntN(maxChunk) }, round%3 == 1, round%2 == 0)
		want, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(wire)))
		if err != nil || !bytes.Equal(want, body) {
			t.Fatalf("round %d: the reference reader: %v", round, err)
		}
		for fname, feed := range feeds {
			for bname, buf := range bufs {
				held := rng.IntN(min(len(wire), 4096) + 1)
				cr, dropped := newChunked(t, &splitReader{src: wire[held:], next: feed}, wire[:held])
				got, err := readAllWith(cr, buf)
				if !errors.Is(err, io.EOF) || !bytes.Equal(got, body) {
					t.Fatalf("round %d, fed %s, read %s, %d held: %d of %d bytes, %v", round, fname, bname, held, len(got), len(body), err)
				}
				if want := min(held, 1); *dropped != want {
					t.Fatalf("round %d: the header's reader given back %d times, want %d", round, *dropped, want)
				}
				if n, err := cr.Read(make([]byte, 8)); n != 0 || !errors.Is(err, io.EOF) {
					t.Fatalf("round %d: after the end: %d, %v", round, n, err)
				}
			}
		}
	}
}

func TestChunkedReaderErrors(t *testing.T) {
	long := strings.Repeat("0", maxChunkLine) + "5\r\nhello\r\n0\r\n\r\n"
	for _, c := range []struct {
		name string
		wire string
		want error
	}{
		{"cut in the data", "5\r\nhel", io.ErrUnexpectedEOF},
		{"cut in a size line", "5\r\nhello\r\n1", io.ErrUnexpectedEOF},
		{"cut in the trailer", "5\r\nhello\r\n0\r\nX-A: b\r\n", io.ErrUnexpectedEOF},
		{"no data at all", "", io.ErrUnexpectedEOF},
		{"no size", "\r\nhello\r\n0\r\n\r\n", errChunkMalformed},
		{"not hex", "5x\r\nhello\r\n0\r\n\r\n", errChunkMalformed},
		{"a size over int64", "10000000000000000\r\n", errChunkMalformed},
		{"data longer than its size", "3\r\nhello\r\n0\r\n\r\n", errChunkMalformed},
		{"a size line too long", long, errChunkLineTooLong},
		{"a trailer too long", "0\r\nX-A: " + strings.Repeat("b", maxChunkLine) + "\r\n\r\n", errChunkLineTooLong},
		{"whitespace before an extension", "5 ;a=b\r\nhello\r\n0\r\n\r\n", io.EOF},
		// Bytes after the end are caught when they come in the same
		// read: the upstream sent them before the next request.
		{"bytes after the end", "5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", errAfterChunked},
	} {
		t.Run(c.name, func(t *testing.T) {
			feeds := []int{1 << 20, 1, 7}
			if errors.Is(c.want, errAfterChunked) {
				feeds = feeds[:1]
			}
			for _, feed := range feeds {
				cr, _ := newChunked(t, &splitReader{src: []byte(c.wire), next: func() int { return feed }}, nil)
				_, err := readAllWith(cr, func() int { return 512 })
				if !errors.Is(err, c.want) {
					t.Fatalf("fed %d at a time: %v, want %v", feed, err, c.want)
				}
				// The error sticks.
				if _, again := cr.Read(make([]byte, 8)); !errors.Is(again, c.want) {
					t.Fatalf("read again: %v, want %v", again, c.want)
				}
			}
		})
	}
}

// TestChunkedReaderHoldsNothing checks that between reads a decoder
// keeps no buffer beyond a cut framing line's bytes: the header's
// reader goes back once its bytes were read.
func TestChunkedReaderHoldsNothing(t *testing.T) {
	wire := encodeChunked(bytes.Repeat([]byte("x"), 5000), func() int { return 300 }, false, false)
	cr, dropped := newChunked(t, &splitReader{src: wire[1000:], next: func() int { return 1000 }}, wire[:1000])
	p := make([]byte, 700)
	for reads := 1; ; reads++ {
		_, err := cr.Read(p)
		if err != nil {
			break
		}
		if held := cr.held != nil; held != (reads == 1) || *dropped != min(reads-1, 1) {
			t.Fatalf("read %d: holds the header's reader: %v, given back %d times", reads, held, *dropped)
		}
		if cap(cr.line) > len(cr.lineBuf) {
			t.Fatalf("read %d: holds a line of %d", reads, cap(cr.line))
		}
	}
}

func BenchmarkChunkedReader(b *testing.B) {
	event := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hello"}}]}` + "\n\n")
	var stream []byte
	for range 20 {
		stream = append(stream, encodeChunked(event, func() int { return len(event) }, false, false)...)
		stream = stream[:len(stream)-5] // drop "0\r\n\r\n": one body of 20 chunks
	}
	stream = append(stream, "0\r\n\r\n"...)
	p := make([]byte, 4096)
	b.Run("own", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			cr, _ := newChunked(b, bytes.NewReader(stream), nil)
			for {
				if _, err := cr.Read(p); err != nil {
					break
				}
			}
		}
	})
	b.Run("httputil", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			cr := httputil.NewChunkedReader(bytes.NewReader(stream))
			for {
				if _, err := cr.Read(p); err != nil {
					break
				}
			}
		}
	})
}
