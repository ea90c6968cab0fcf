package httpserve

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// listener wraps each accepted connection in a watchConn and keeps the
// open ones, so that Close can cut them.
type listener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*watchConn]struct{}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &watchConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[wc] = struct{}{}
	l.mu.Unlock()
	return wc, nil
}

// closeAll closes every open connection.
func (l *listener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Conn.Close()
	}
}

// watchConn is a connection whose reads can be watched while a handler
// runs: the watch reads the socket itself to learn that the client went
// away, and what it reads (a pipelined request's first byte, or the
// end of the connection) is kept for fasthttp's next Read, in order.
//
// The watch and fasthttp never read at the same time: fasthttp has read
// the whole request before the handler starts, and does not read again
// until the watch has ended (see exchange).
type watchConn struct {
	net.Conn
	l *listener
	// early is what a watch read ahead of fasthttp; earlyErr, the error
	// that ended it. Both go to the next Reads.
	early    []byte
	earlyErr error
	one      [1]byte
	closed   sync.Once
	// remote is the client's address as a string (see remoteAddr); only
	// the connection's goroutine sets it.
	remote string
	// work feeds the connection's worker: the goroutine its handlers run
	// on, one request after the other, so that the stack a handler grew
	// serves the next request on the connection too.
	work chan *exchange
}

// dispatch runs x's handler on the connection's worker, which it starts
// for the first request. It waits while the worker still finishes the
// previous request (one whose answer went out early). Only the
// connection's goroutine calls it.
func (c *watchConn) dispatch(x *exchange) {
	if c.work == nil {
		c.work = make(chan *exchange)
		go worker(c.work)
	}
	c.work <- x
}

func worker(work <-chan *exchange) {
	for x := range work {
		x.handle()
	}
}

func (c *watchConn) Read(p []byte) (int, error) {
	if len(c.early) > 0 {
		n := copy(p, c.early)
		c.early = c.early[n:]
		return n, nil
	}
	if c.earlyErr != nil {
		return 0, c.earlyErr
	}
	return c.Conn.Read(p)
}

func (c *watchConn) Close() error {
	c.closed.Do(func() {
		if c.work != nil {
			close(c.work)
		}
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

// watching reports whether a watch may read: nothing is kept from an
// earlier one. After a pipelined byte or the connection's end, the
// client's going away can no longer be seen this way (as with net/http).
func (c *watchConn) watching() bool { return len(c.early) == 0 && c.earlyErr == nil }

// watch blocks reading the socket until interrupt is called, the client
// sends a byte, or the connection ends. It reports whether the client is
// gone. The caller has cleared the read deadline before anything could
// interrupt.
func (c *watchConn) watch() (gone bool) {
	n, err := c.Conn.Read(c.one[:])
	if n > 0 {
		c.early = c.one[:n]
	}
	if err == nil {
		return false
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false // interrupted
	}
	c.earlyErr = err
	return true
}

// interrupt ends a watch in progress, or the next one to start before
// rearm.
func (c *watchConn) interrupt() { _ = c.SetReadDeadline(aLongTimeAgo) }

// rearm clears the read deadline after a watch.
func (c *watchConn) rearm() { _ = c.SetReadDeadline(time.Time{}) }

var aLongTimeAgo = time.Unix(1, 0)
