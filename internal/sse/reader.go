package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Event is one server-sent event.
type Event struct {
	// Name is the `event:` field, empty for the default "message".
	Name string
	// Data is the `data:` lines joined by "\n".
	Data []byte
	// ID is the `id:` field.
	ID string
}

// MaxEventSize is the largest event the Reader accepts. Chat chunks are
// small; a long tool-call argument or a base64 image in one event stays well
// below this.
const MaxEventSize = 8 << 20

// ErrEventTooLarge is returned for an event over MaxEventSize.
var ErrEventTooLarge = errors.New("sse: event too large")

// Reader reads events from a stream, tolerating any chunk boundary and all
// three line endings (\n, \r\n, \r), as the SSE specification requires.
type Reader struct {
	r    *bufio.Reader
	data []byte
	line []byte
	// skipLF is set after a line ended in "\r".
	skipLF bool
}

// readBuffer is the Reader's buffer. Longer lines are gathered across
// reads (readLine), so it bounds nothing; it is held for every open
// stream. Over the gateway's upstream client it is the only read buffer
// of a stream: the body below decodes its chunks in it.
const readBuffer = 4 << 10

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, readBuffer)}
}

// Buffered reports how many bytes are read ahead; a relay can flush its
// client when this is zero.
func (r *Reader) Buffered() int { return r.r.Buffered() }

// Next returns the next event with data. Comments and events without data
// lines are skipped. At the end of the stream it returns io.EOF; a stream
// cut inside an event returns io.ErrUnexpectedEOF.
func (r *Reader) Next() (Event, error) {
	var ev Event
	r.data = r.data[:0]
	hasData := false
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && (hasData || len(line) > 0) {
				if len(line) > 0 {
					r.field(&ev, line, &hasData)
				}
				if hasData {
					// A final event without its blank line: the stream was cut.
					return ev, io.ErrUnexpectedEOF
				}
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if hasData {
				ev.Data = r.data
				return ev, nil
			}
			ev = Event{}
			continue
		}
		r.field(&ev, line, &hasData)
		if len(r.data) > MaxEventSize {
			return Event{}, ErrEventTooLarge
		}
	}
}

func (r *Reader) field(ev *Event, line []byte, hasData *bool) {
	if line[0] == ':' {
		return
	}
	name, value, found := bytes.Cut(line, []byte(":"))
	if found && len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	switch string(name) {
	case "data":
		if *hasData {
			r.data = append(r.data, '\n')
		}
		r.data = append(r.data, value...)
		*hasData = true
	case "event":
		ev.Name = string(value)
	case "id":
		ev.ID = string(value)
	}
}

// readLine returns one line without its terminator.
func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	for {
		n := r.r.Buffered()
		if n == 0 {
			n = 1
		}
		buf, err := r.r.Peek(n)
		if len(buf) == 0 {
			return r.line, err
		}
		if r.skipLF {
			r.skipLF = false
			if buf[0] == '\n' {
				_, _ = r.r.Discard(1)
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			r.line = append(r.line, buf...)
			_, _ = r.r.Discard(len(buf))
			if len(r.line) > MaxEventSize {
				return nil, ErrEventTooLarge
			}
			continue
		}
		r.line = append(r.line, buf[:i]...)
		term := buf[i]
		_, _ = r.r.Discard(i + 1)
		// A "\r" may be the first half of "\r\n" whose "\n" has not arrived
		// yet; skip that "\n" when it comes instead of waiting for it here.
		r.skipLF = term == '\r'
		return r.line, nil
	}
}
