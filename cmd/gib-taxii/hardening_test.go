package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hardened serves the writeConfig store with short read timeouts and a
// small connection cap, and returns its address.
func hardened(t *testing.T, edit func(*Config)) string {
	t.Helper()
	_, cfg := writeConfig(t)
	cfg.TAXII.Timeouts.ReadHeader = 300 * time.Millisecond
	cfg.TAXII.Timeouts.Read = 600 * time.Millisecond
	cfg.TAXII.MaxConnections = 64
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.DiscardHandler), func(a *app) { addr <- a.Addr() }) }()
	t.Cleanup(func() { cancel(); <-done })
	return <-addr
}

// closedWithin reports whether the server closes conn (EOF or reset)
// within d; whatever it answered first is returned.
func closedWithin(conn net.Conn, d time.Duration) (bool, string) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if err != nil && (errorAs(err, &ne) && ne.Timeout()) {
		return false, string(b)
	}
	return true, string(b)
}

func errorAs(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

// A client that declares a body and trickles it, or never sends it, or
// never finishes its header, is cut off after the read timeouts, without
// credentials. Before, 50 trickling connections were still held at 60 s
// and 10 silent ones past 330 s.
func TestSlowClientsAreCutOff(t *testing.T) {
	addr := hardened(t, nil)
	attacks := map[string]func(net.Conn){
		"trickled body": func(c net.Conn) {
			fmt.Fprintf(c, "POST /gib/collections/indicators/objects/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
			for range 40 {
				if _, err := c.Write([]byte("x")); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		},
		"silent body": func(c net.Conn) {
			fmt.Fprintf(c, "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
		},
		"unfinished header": func(c net.Conn) {
			fmt.Fprintf(c, "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		},
	}
	for name, attack := range attacks {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					conn, err := net.Dial("tcp", addr)
					require.NoError(t, err)
					defer conn.Close()
					go attack(conn)
					closed, _ := closedWithin(conn, 5*time.Second)
					assert.True(t, closed, "the server closes the connection")
				})
			}
			wg.Wait()
		})
	}
}

// 200 connections each sending an unfinished 1 MB header once took the
// process from 7 MB to 335-544 MB. Now headers stop at max_header_bytes
// (Go answers 431 itself and closes) and the heap stays small.
func TestHeaderFloodIsBounded(t *testing.T) {
	addr := hardened(t, func(c *Config) { c.TAXII.Timeouts.ReadHeader = 3 * time.Second; c.TAXII.MaxConnections = 512 })
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[string]int{}
	chunk := []byte(strings.Repeat("a", 64<<10))
	for range 200 {
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			go func() {
				_, _ = fmt.Fprintf(conn, "GET /taxii2/ HTTP/1.1\r\nHost: x\r\nX-Big: ")
				for range 16 { // 1 MB, never finished
					if _, err := conn.Write(chunk); err != nil {
						return
					}
				}
			}()
			_, got := closedWithin(conn, 10*time.Second)
			mu.Lock()
			answers[statusOf(got)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("answers %v; heap in use %d MB -> %d MB", answers, before.HeapInuse>>20, after.HeapInuse>>20)
	assert.Equal(t, 200, answers["431 Request Header Fields Too Large"]+answers["none"], "%v", answers)
	assert.Positive(t, answers["431 Request Header Fields Too Large"], "oversized headers are refused")
	assert.Less(t, int64(after.HeapInuse)-int64(before.HeapInuse), int64(64<<20), "the flood costs less than 64 MB")
}

// Past max_connections a connection is answered 503 with Retry-After at
// once, even one that sends a large body (no reset before the answer),
// while the connections within the cap are served.
func TestConnectionCapAnswers503(t *testing.T) {
	addr := hardened(t, func(c *Config) { c.TAXII.Timeouts.ReadHeader = 10 * time.Second; c.TAXII.MaxConnections = 8 })
	var held []net.Conn
	for range 8 { // hold every slot with an unfinished header
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		fmt.Fprintf(conn, "GET /taxii2/ HTTP/1.1\r\n")
		held = append(held, conn)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	body := []byte(strings.Repeat("x", 1<<20))
	for i := range 10 {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		go func() {
			fmt.Fprintf(conn, "POST /gib/collections/indicators/objects/ HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
			_, _ = conn.Write(body)
		}()
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "connection %d: an answer, not a reset", i)
		assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		assert.Equal(t, "1", res.Header.Get("Retry-After"))
		assert.Equal(t, "application/taxii+json;version=2.1", res.Header.Get("Content-Type"))
		conn.Close()
	}
}

func statusOf(raw string) string {
	if res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil); err == nil {
		return res.Status
	}
	return "none"
}

// Paths that net/http's ServeMux would clean with an HTML redirect get a
// TAXII error, as every other answer of the TAXII port.
func TestOddPathsGetTAXIIErrors(t *testing.T) {
	addr := hardened(t, nil)
	for _, path := range []string{"/gib/../taxii2/", "//taxii2/", "/gib//collections/", "/gib/collections/./indicators/"} {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YW5hbHlzdDpzM2NyZXQ=\r\nConnection: close\r\n\r\n", path)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, path)
		body, _ := io.ReadAll(res.Body)
		conn.Close()
		assert.Equal(t, http.StatusNotFound, res.StatusCode, path)
		assert.Equal(t, "application/taxii+json;version=2.1", res.Header.Get("Content-Type"), path)
		assert.Contains(t, string(body), `"http_status":"404"`, path)
	}
}
