package sse

import (
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oneByteReader returns one byte per Read.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// splitReader returns the input in chunks of random size.
type splitReader struct {
	b   []byte
	rng *rand.Rand
}

func (s *splitReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := 1 + s.rng.Intn(min(len(s.b), 17))
	n = copy(p, s.b[:min(n, len(p))])
	s.b = s.b[n:]
	return n, nil
}

type feed struct {
	name string
	mk   func(string) io.Reader
}

var feeds = []feed{
	{"whole", func(s string) io.Reader { return strings.NewReader(s) }},
	{"byte by byte", func(s string) io.Reader { return oneByteReader{strings.NewReader(s)} }},
	{"random splits", func(s string) io.Reader {
		return &splitReader{b: []byte(s), rng: rand.New(rand.NewSource(7))}
	}},
}

func readAll(t *testing.T, r io.Reader) ([]Event, error) {
	t.Helper()
	sr := NewReader(r)
	var out []Event
	for {
		ev, err := sr.Next()
		if err != nil {
			return out, err
		}
		ev.Data = append([]byte(nil), ev.Data...)
		out = append(out, ev)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Event
		wantErr error
	}{
		{
			name: "openai chunks",
			in:   "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n",
			want: []Event{{Data: []byte(`{"a":1}`)}, {Data: []byte(`{"b":2}`)}, {Data: []byte(`[DONE]`)}},
		},
		{
			name: "crlf and comments",
			in:   ": keep-alive\r\n\r\nevent: x\r\nid: 7\r\ndata: one\r\ndata: two\r\n\r\n",
			want: []Event{{Name: "x", ID: "7", Data: []byte("one\ntwo")}},
		},
		{
			name: "lone cr",
			in:   "data: a\r\rdata:b\r\r",
			want: []Event{{Data: []byte("a")}, {Data: []byte("b")}},
		},
		{
			name:    "cut inside an event",
			in:      "data: {\"a\":1}\n\ndata: {\"b\"",
			want:    []Event{{Data: []byte(`{"a":1}`)}},
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			// Lines several times the Reader's buffer, ending across
			// reads, with a "\r\n" split between two of them.
			name: "lines longer than the buffer",
			in:   "data: " + strings.Repeat("a", 3*readBuffer+5) + "\r\ndata: " + strings.Repeat("b", readBuffer) + "\n\ndata: x\n\n",
			want: []Event{{Data: []byte(strings.Repeat("a", 3*readBuffer+5) + "\n" + strings.Repeat("b", readBuffer))}, {Data: []byte("x")}},
		},
		{
			name: "event without data is skipped",
			in:   "event: ping\n\ndata: x\n\n",
			want: []Event{{Data: []byte("x")}},
		},
	}
	for _, tt := range tests {
		for _, f := range feeds {
			t.Run(tt.name+"/"+f.name, func(t *testing.T) {
				got, err := readAll(t, f.mk(tt.in))
				want := tt.wantErr
				if want == nil {
					want = io.EOF
				}
				if !errors.Is(err, want) {
					t.Errorf("got error %v, want %v", err, want)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add("data: {\"a\":1}\n\ndata: [DONE]\n\n")
	f.Add("data: a\r\rdata:b\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		whole, errWhole := readAll(t, strings.NewReader(in))
		bytewise, errByte := readAll(t, oneByteReader{strings.NewReader(in)})
		if diff := cmp.Diff(whole, bytewise); diff != "" {
			t.Fatalf("whole vs byte by byte (-whole +bytewise):\n%s", diff)
		}
		if (errWhole == nil) != (errByte == nil) || (errWhole != nil && errWhole.Error() != errByte.Error()) {
			t.Fatalf("errors differ: %v vs %v", errWhole, errByte)
		}
	})
}
