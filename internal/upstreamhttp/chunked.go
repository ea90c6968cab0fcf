package upstreamhttp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// chunkedReader decodes a chunked body (RFC 9112 §7.1) in the caller's
// buffer: each Read reads the connection into p and removes the framing
// in place, so no buffer of its own stays behind between reads. That is
// for event streams, which stay open for minutes with a consumer above
// that buffers anyway (the SSE reader, the event-stream decoder's
// reader); one read takes in every chunk that came.
//
// What it holds between reads is a framing line cut by the end of a read
// (a chunk size, the CRLF after the data, a trailer field) and, until
// they are read, the bytes the header's reader took in beyond the
// header.
type chunkedReader struct {
	src io.Reader
	// held is the header's reader while it holds bytes beyond the
	// header, which come before src's; drop takes it back once they
	// were read.
	held  *bufio.Reader
	drop  func(*bufio.Reader)
	state chunkState
	left  int64 // data bytes left in the chunk (stateData)
	// line gathers a framing line across reads; short ones fit in
	// lineBuf.
	line    []byte
	lineBuf [32]byte
	err     error // sticky
}

type chunkState uint8

const (
	stateSize  chunkState = iota // a chunk-size line
	stateData                    // the chunk's data
	stateCRLF                    // the line break after the data
	stateTrail                   // trailer fields, up to the empty line
	stateDone                    // the message ended
)

// maxChunkLine bounds a framing line (a chunk size with its extensions,
// a trailer field), as net/http's chunked reader does.
const maxChunkLine = 4096

var (
	errChunkLineTooLong = errors.New("upstreamhttp: chunked encoding: line too long")
	errChunkMalformed   = errors.New("upstreamhttp: malformed chunked encoding")
	errAfterChunked     = errors.New("upstreamhttp: bytes after the end of a chunked body")
)

// reset readies c to read the body from src, after what held has
// buffered (nil: nothing), and to give held to drop once that was read.
func (c *chunkedReader) reset(src io.Reader, held *bufio.Reader, drop func(*bufio.Reader)) {
	*c = chunkedReader{src: src, held: held, drop: drop}
	c.line = c.lineBuf[:0]
	c.release(false)
}

// release gives the header's reader back once it holds nothing more
// (all: whatever it holds).
func (c *chunkedReader) release(all bool) {
	if c.held != nil && (all || c.held.Buffered() == 0) {
		c.drop(c.held)
		c.held = nil
	}
}

// Read returns the body's next data bytes, and io.EOF once the message
// ended (after the last chunk and the trailer). A connection that ends
// before gives io.ErrUnexpectedEOF.
func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		var n int
		var err error
		if c.held != nil {
			n, _ = c.held.Read(p) // what it holds: no read below
			c.release(false)
		} else {
			n, err = c.src.Read(p)
		}
		w, derr := c.decode(p[:n])
		switch {
		case derr != nil:
			c.err = derr
			return w, derr
		case c.state == stateDone:
			c.err = io.EOF
			return w, io.EOF
		case err != nil:
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			c.err = err
			return w, err
		case w > 0:
			return w, nil
		}
		// Only framing came: read again.
	}
}

// decode removes the framing from b in place and returns how many data
// bytes are now at its start.
func (c *chunkedReader) decode(b []byte) (int, error) {
	w := 0
	for r := 0; r < len(b); {
		if c.state == stateData {
			k := len(b) - r
			if int64(k) > c.left {
				k = int(c.left)
			}
			w += copy(b[w:], b[r:r+k])
			r += k
			c.left -= int64(k)
			if c.left == 0 {
				c.state = stateCRLF
			}
			continue
		}
		if c.state == stateDone {
			// An upstream may not send before the next request: the
			// connection is out of step.
			return w, errAfterChunked
		}
		line, next, err := c.nextLine(b, r)
		if err != nil {
			return w, err
		}
		r = next
		if line == nil {
			continue // the line goes on in the next read
		}
		if err := c.framing(line); err != nil {
			return w, err
		}
	}
	return w, nil
}

// nextLine returns the line that starts at b[r] (or in c.line, carried
// from the last read) through its '\n', and where the rest of b starts.
// A line the end of b cuts is kept in c.line and nil is returned.
func (c *chunkedReader) nextLine(b []byte, r int) (line []byte, next int, err error) {
	i := bytes.IndexByte(b[r:], '\n')
	if i < 0 {
		if len(c.line)+len(b)-r > maxChunkLine {
			return nil, 0, errChunkLineTooLong
		}
		c.line = append(c.line, b[r:]...)
		return nil, len(b), nil
	}
	end := r + i + 1
	if len(c.line) == 0 {
		if i+1 > maxChunkLine {
			return nil, 0, errChunkLineTooLong
		}
		return b[r:end], end, nil
	}
	if len(c.line)+i+1 > maxChunkLine {
		return nil, 0, errChunkLineTooLong
	}
	c.line = append(c.line, b[r:end]...)
	line = c.line
	c.line = c.lineBuf[:0]
	return line, end, nil
}

// framing acts on one framing line, its line break included.
func (c *chunkedReader) framing(line []byte) error {
	line = trimEOL(line)
	switch c.state {
	case stateCRLF:
		if len(line) != 0 {
			return errChunkMalformed
		}
		c.state = stateSize
	case stateSize:
		size, err := chunkSize(line)
		if err != nil {
			return err
		}
		if size == 0 {
			c.state = stateTrail
		} else {
			c.left, c.state = size, stateData
		}
	case stateTrail:
		if len(line) == 0 {
			c.state = stateDone
		}
		// A trailer field is dropped, as before the body was handed on.
	}
	return nil
}

func trimEOL(line []byte) []byte {
	line = line[:len(line)-1] // the '\n'
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// chunkSize parses a chunk-size line: hex digits, then optional
// whitespace and extensions (";name=value"), which are ignored.
func chunkSize(line []byte) (int64, error) {
	var size int64
	digits := 0
	i := 0
	for ; i < len(line); i++ {
		d := hexDigit(line[i])
		if d < 0 {
			break
		}
		if digits == 15 { // 16 hex digits could overflow int64
			return 0, errChunkMalformed
		}
		size = size<<4 | int64(d)
		digits++
	}
	if digits == 0 {
		return 0, errChunkMalformed
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i < len(line) && line[i] != ';' {
		return 0, errChunkMalformed
	}
	return size, nil
}

func hexDigit(ch byte) int {
	switch {
	case '0' <= ch && ch <= '9':
		return int(ch - '0')
	case 'a' <= ch && ch <= 'f':
		return int(ch-'a') + 10
	case 'A' <= ch && ch <= 'F':
		return int(ch-'A') + 10
	}
	return -1
}
