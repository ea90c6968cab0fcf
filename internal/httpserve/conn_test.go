package httpserve

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection, the server
// end wrapped as the listener wraps what it accepts.
func tcpPair(t *testing.T, readBufferSize int) (*watchConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newListener(ln, readBufferSize)
	t.Cleanup(func() { _ = l.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	wc := c.(*watchConn)
	t.Cleanup(func() { _ = wc.Close() })
	if wc.raw == nil {
		t.Fatal("an accepted TCP connection has no raw connection")
	}
	return wc, client
}

// TestReadAhead: a one-byte read returns the first byte and keeps what
// else arrived, in order, for the next reads, holding the pooled buffer
// only until it is drained; what did not fit comes from the socket after
// it.
func TestReadAhead(t *testing.T) {
	wc, client := tcpPair(t, 8)
	go func() {
		time.Sleep(20 * time.Millisecond) // the read waits for it
		_, _ = client.Write([]byte("hello, world"))
	}()
	var one [1]byte
	if n, err := wc.Read(one[:]); n != 1 || err != nil || one[0] != 'h' {
		t.Fatalf("first read: %d %v %q", n, err, one[:n])
	}
	if string(wc.early) != "ello, w" || wc.buf == nil {
		t.Fatalf("kept %q (buffer %v), want the rest of the 8-byte read", wc.early, wc.buf != nil)
	}
	p := make([]byte, 4)
	if n, _ := wc.Read(p); string(p[:n]) != "ello" || wc.buf == nil {
		t.Fatalf("second read %q", p[:n])
	}
	if n, _ := wc.Read(p); string(p[:n]) != ", w" || wc.buf != nil {
		t.Fatalf("third read %q, buffer still held: %v", p[:n], wc.buf != nil)
	}
	rest, err := io.ReadAll(io.LimitReader(wc, 4))
	if string(rest) != "orld" || err != nil {
		t.Fatalf("from the socket: %q %v", rest, err)
	}
	// A single byte arrived: nothing kept.
	_, _ = client.Write([]byte("x"))
	if n, err := wc.Read(one[:]); n != 1 || err != nil || one[0] != 'x' || len(wc.early) != 0 || wc.buf != nil {
		t.Fatalf("one byte: %d %v %q, kept %q", n, err, one[:n], wc.early)
	}
	// The read deadline ends the wait.
	_ = wc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := wc.Read(one[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	_ = wc.SetReadDeadline(time.Time{})
	// The client's end is the end.
	_ = client.Close()
	if n, err := wc.Read(one[:]); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the client closed: %d %v, want io.EOF", n, err)
	}
}

// TestReadAheadWithoutDescriptor: a connection without one is read as
// it comes.
func TestReadAheadWithoutDescriptor(t *testing.T) {
	a, b := net.Pipe()
	defer func() { _ = a.Close(); _ = b.Close() }()
	l := newListener(nil, 8)
	wc := &watchConn{Conn: a, l: l}
	go func() { _, _ = b.Write([]byte("hi")) }()
	var one [1]byte
	if n, err := wc.Read(one[:]); n != 1 || err != nil || one[0] != 'h' || len(wc.early) != 0 {
		t.Fatalf("%d %v %q, kept %q", n, err, one[:n], wc.early)
	}
	if n, err := wc.Read(one[:]); n != 1 || err != nil || one[0] != 'i' {
		t.Fatalf("%d %v %q", n, err, one[:n])
	}
}
