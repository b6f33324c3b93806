package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var malformedN = flag.Int("malformed.n", 3000, "malformed requests TestMalformedRequestReplay sends (the long run: 50000)")

// malformedSeeds are hostile or broken requests; each run also sends
// seeded random mutations of them.
var malformedSeeds = []string{
	"GET /taxii2/ HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /gib/collections/indicators/objects/?limit=-1&added_after=2026-13-45T99:99:99Z HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YW5hbHlzdDpzM2NyZXQ=\r\n\r\n",
	"GET /gib/collections/indicators/objects/?match[type]=%zz&next=%00%ff HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YW5hbHlzdDpzM2NyZXQ=\r\n\r\n",
	"GET /gib/collections/indicators/objects/?next=" + strings.Repeat("A", 4000) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YW5hbHlzdDpzM2NyZXQ=\r\n\r\n",
	"GET /gib/collections/indicators/manifest/?match[version]=first,last,all,2026-01-01T00:00:00Z,x HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YW5hbHlzdDpzM2NyZXQ=\r\nAccept: application/taxii+json;version=3.0\r\n\r\n",
	"GET /gib/collections/indicators/objects/indicator--00000001-1111-4222-8333-444444444444/versions/?match[spec_version]=2.0 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YW5hbHlzdDpzM2NyZXQ=\r\n\r\n",
	"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("u", 3000)+":p")) + "\r\n\r\n",
	"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n",
	"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!\r\n\r\n",
	"GET /taxii2/ HTTP/9.9\r\nHost: x\r\n\r\n",
	"GET /taxii2/\r\n\r\n",
	"BREW /taxii2/ HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /gib/collections/indicators/objects/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/taxii+json;version=2.1\r\nContent-Length: 20\r\n\r\n{\"objects\":[1,2,3]}",
	"POST /gib/collections/indicators/objects/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbroken\r\n0\r\n\r\n",
	"DELETE /gib/collections/indicators/objects/indicator--00000001-1111-4222-8333-444444444444/ HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /gib/collections/indicators/objects/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
	"GET /gib/collections/indicators/objects/ HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	"GET /" + strings.Repeat("%2e%2e/", 500) + " HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /gib/collections/\x00/ HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 40<<10) + "\r\n\r\n",
	"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAccept: " + strings.Repeat("application/taxii+json;q=0.1,", 500) + "\r\n\r\n",
}

// mutate damages a seed: a flipped, dropped, duplicated or random byte
// run, or a cut.
func mutate(r *rand.Rand, s string) string {
	b := []byte(s)
	for range 1 + r.IntN(4) {
		if len(b) == 0 {
			break
		}
		i := r.IntN(len(b))
		switch r.IntN(5) {
		case 0:
			b[i] ^= byte(1 << r.IntN(8))
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append([]byte{b[i], b[i]}, b[i+1:]...)...)
		case 3:
			junk := make([]byte, 1+r.IntN(64))
			for j := range junk {
				junk[j] = byte(r.Uint32())
			}
			b = append(b[:i], append(junk, b[i:]...)...)
		default:
			b = b[:i]
		}
	}
	return string(b)
}

// TestMalformedRequestReplay sends thousands of malformed and oversized
// requests over real connections: the server must answer each with a 4xx
// (or the 501 and 505 Go's server itself gives an unknown transfer
// encoding or HTTP version), never a 500 or a panic, and end with the
// goroutines and heap it started with.
func TestMalformedRequestReplay(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	_, cfg := writeConfig(t)
	cfg.TAXII.Timeouts.ReadHeader, cfg.TAXII.Timeouts.Read = 200*time.Millisecond, 300*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewJSONHandler(logs, nil)), func(a *app) { addr <- a.Addr() })
	}()
	base := <-addr
	runtime.GC()
	goroutines := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	r := rand.New(rand.NewPCG(9, uint64(*malformedN)))
	reqs := make(chan string)
	results := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for req := range reqs {
				status := send(t, base, req)
				if status == http.StatusInternalServerError {
					t.Errorf("500 for %q", req)
				}
				results <- status
			}
		})
	}
	go func() {
		for i := range *malformedN {
			req := malformedSeeds[i%len(malformedSeeds)]
			if i >= len(malformedSeeds) {
				req = mutate(r, req)
			}
			reqs <- req
		}
		close(reqs)
		wg.Wait()
		close(results)
	}()
	statuses := map[int]int{}
	for status := range results {
		statuses[status]++
	}
	t.Logf("%d requests, statuses %v", *malformedN, statuses)
	for status, n := range statuses {
		assert.True(t, status == 0 || status < 500 || status == http.StatusNotImplemented || status == http.StatusHTTPVersionNotSupported,
			"%d answers %d", n, status)
	}
	assert.NotContains(t, logs.String(), "panic")
	if t.Failed() {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Log(line)
			}
		}
	}

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	assert.Less(t, int64(after.HeapInuse)-int64(before.HeapInuse), int64(32<<20), "heap bounded")
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines+5 }, 5*time.Second, 20*time.Millisecond,
		"goroutines back to %d", goroutines)
	cancel()
	require.NoError(t, <-done)
}

// send writes one raw request on a new connection and returns the status
// of the answer, or 0 when the server closed without one (which Go's
// server does for some malformed input).
func send(t *testing.T, addr, raw string) int {
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	go func() {
		_, _ = io.WriteString(conn, raw)
		// The request ends here: a cut one must not wait for a timeout.
		_ = conn.(*net.TCPConn).CloseWrite()
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errorAs(err, &ne) && ne.Timeout() {
			t.Errorf("no answer within 5s to %q", fmt.Sprintf("%.80s", raw))
		}
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}
