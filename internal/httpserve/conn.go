package httpserve

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// listener wraps each accepted connection in a watchConn and keeps the
// open ones, so that Close can cut them.
type listener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*watchConn]struct{}
	// ahead holds the buffers of read-aheads (see watchConn.readAhead),
	// each the size of fasthttp's read buffer.
	ahead sync.Pool
}

func newListener(ln net.Listener, readBufferSize int) *listener {
	l := &listener{Listener: ln, conns: map[*watchConn]struct{}{}}
	l.ahead.New = func() any {
		b := make([]byte, readBufferSize)
		return &b
	}
	return l
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &watchConn{Conn: c, l: l}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			wc.raw = raw
			wc.readFD = wc.readReady
		}
	}
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
	// raw reads the socket for readAhead (nil: a connection without a
	// descriptor, read as it comes); buf is the pooled buffer early
	// points into after a read-ahead, until it is drained.
	raw syscall.RawConn
	buf *[]byte
	// readFD is raw.Read's function for readAhead, bound once for the
	// connection, and ra what it read: a closure made for each read
	// would allocate itself and what it captures on every request.
	readFD func(fd uintptr) bool
	ra     struct {
		buf *[]byte
		n   int
		err error
	}
	closed sync.Once
	// remote is the client's address as a string (see remoteAddr); only
	// the connection's goroutine sets it.
	remote string
	// grace times awaitHanded, reused from request to request; handed
	// is the exchanges' (see exchange.handed), made for the first.
	grace  *time.Timer
	handed chan struct{}
	// An inline exchange's watch (armWatch): inline is the exchange the
	// timer watches for, watched the timer's signal that its watch
	// ended, and inlineGrace the timer, made for the first.
	inline      *exchange
	watched     chan struct{}
	inlineGrace *time.Timer
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

// watchGrace is how long a handler runs before the client is watched:
// a client that leaves is noticed this much later at most.
const watchGrace = time.Millisecond

// awaitHanded waits up to watchGrace for handed, and reports whether it
// came. Only the connection's goroutine calls it.
func (c *watchConn) awaitHanded(handed <-chan struct{}) bool {
	if c.grace == nil {
		c.grace = time.NewTimer(watchGrace)
	} else {
		c.grace.Reset(watchGrace)
	}
	select {
	case <-handed:
		c.grace.Stop()
		return true
	case <-c.grace.C:
		return false
	}
}

// inlineGrace is watchGrace for an inline handler, whose answer cannot
// stream: its watch costs a goroutine of its own besides the read, and
// a client that leaves during a buffered answer is noticed 20 ms later
// at most, long before a model's answer would have been paid for.
const inlineGrace = 20 * time.Millisecond

// armWatch starts x's watch after inlineGrace, on the timer's goroutine,
// for a handler that runs on the connection's goroutine (runInline). Only
// the connection's goroutine calls it, then disarmWatch once x has been
// handed over.
func (c *watchConn) armWatch(x *exchange) {
	c.inline = x
	if c.inlineGrace == nil {
		c.watched = make(chan struct{}, 1)
		c.inlineGrace = time.AfterFunc(inlineGrace, c.watchInline)
		return
	}
	c.inlineGrace.Reset(inlineGrace)
}

// watchInline is the grace timer's function: the watch of the exchange
// armWatch was given. The hand-over stops it (or keeps it from
// starting).
func (c *watchConn) watchInline() {
	x := c.inline
	c.rearm() // fasthttp's read deadline must not end the watch
	x.watchClient(phaseHandler)
	c.watched <- struct{}{}
}

// disarmWatch stops the grace timer, or waits for the watch it started
// to end, so that nothing but fasthttp reads the connection after it.
func (c *watchConn) disarmWatch() {
	if !c.inlineGrace.Stop() {
		<-c.watched // it fired: its watch was interrupted by the hand-over
	}
	c.inline = nil
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
		if len(c.early) == 0 && c.buf != nil {
			c.l.ahead.Put(c.buf)
			c.buf = nil
		}
		return n, nil
	}
	if c.earlyErr != nil {
		return 0, c.earlyErr
	}
	if len(p) == 1 && c.raw != nil {
		return c.readAhead(p)
	}
	return c.Conn.Read(p)
}

// readAhead serves a one-byte read, which is how fasthttp (with
// ReduceMemoryUsage) waits for a keep-alive connection's next request
// without holding a read buffer: it waits the same way, but reads what
// has arrived into a pooled buffer taken only once the socket is
// readable, keeping the rest for the next Reads. fasthttp's own wait
// reads the byte alone, and the rest of the request with a second read
// system call.
func (c *watchConn) readAhead(p []byte) (int, error) {
	err := c.raw.Read(c.readFD)
	buf, n, rerr := c.ra.buf, c.ra.n, c.ra.err
	c.ra.buf, c.ra.err = nil, nil
	switch {
	case err != nil: // the deadline passed, or the connection was closed
		return 0, err
	case rerr != nil || n <= 0:
		c.l.ahead.Put(buf)
		if rerr != nil {
			return 0, os.NewSyscallError("read", rerr)
		}
		return 0, io.EOF
	}
	p[0] = (*buf)[0]
	if n == 1 {
		c.l.ahead.Put(buf)
		return 1, nil
	}
	c.early, c.buf = (*buf)[1:n], buf
	return 1, nil
}

// readReady is readAhead's read once the socket may be readable: it
// reports false, with no buffer kept, when nothing had arrived yet.
func (c *watchConn) readReady(fd uintptr) bool {
	b := c.l.ahead.Get().(*[]byte)
	var (
		n   int
		err error
	)
	for {
		n, err = syscall.Read(int(fd), *b)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		c.l.ahead.Put(b)
		return false // wait until readable (or the deadline)
	}
	c.ra.buf, c.ra.n, c.ra.err = b, n, err
	return true
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
