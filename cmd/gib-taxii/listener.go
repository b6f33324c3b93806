package main

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// limitListener serves at most cap(slots) connections at once. One more is
// answered at once, with a TAXII 503 on plain HTTP, and closed: left in the
// kernel's backlog (as golang.org/x/net/netutil's limiter does) it would
// look like a hung server to every client while slow ones hold the slots.
type limitListener struct {
	net.Listener
	slots chan struct{}
	// busy is the raw 503 written to refused connections; nil when TLS
	// wraps this listener (a plain answer would only garble a handshake).
	busy     []byte
	refused  func()
	drainers chan struct{}
}

func newLimitListener(ln net.Listener, max int, plain bool, refused func()) *limitListener {
	l := &limitListener{Listener: ln, slots: make(chan struct{}, max), refused: refused, drainers: make(chan struct{}, 32)}
	if plain {
		body := `{"title":"Service unavailable","description":"the server has as many connections as it serves at once; retry shortly","http_status":"503"}`
		l.busy = fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/taxii+json;version=2.1\r\n"+
			"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	return l
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
		default:
			l.refuse(c)
		}
	}
}

func (l *limitListener) refuse(c net.Conn) {
	if l.refused != nil {
		l.refused()
	}
	if l.busy == nil {
		_ = c.Close()
		return
	}
	// A fresh socket's send buffer takes this at once; the deadline only
	// guards against the impossible.
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(l.busy)
	// Closing with the request unread would reset the connection and
	// could destroy the answer before the client reads it: end our side,
	// read a little of theirs, then close, as net/http does. Drainers are
	// few and short, so a flood cannot pile them up.
	tcp, ok := c.(*net.TCPConn)
	select {
	case l.drainers <- struct{}{}:
	default:
		ok = false
	}
	if !ok {
		_ = c.Close()
		return
	}
	_ = tcp.CloseWrite()
	go func() {
		defer func() { <-l.drainers }()
		_ = tcp.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, _ = io.Copy(io.Discard, io.LimitReader(tcp, 256<<10))
		_ = tcp.Close()
	}()
}

// limitConn frees its slot once, on the first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
