// Package measure reads what gib-taxii bench and the benchmarks report of
// this process: bytes written, anonymous memory (from /proc on Linux; 0
// elsewhere), and the bytes an HTTP handler sent, so that a simulator in
// the same process can be taken out of the written figure.
package measure

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// Written is the bytes this process has passed to write calls.
func Written() int64 { return procField("/proc/self/io", "wchar:", 1) }

// AnonymousMemory is the process's resident anonymous memory in bytes:
// the heap and stacks, not the store file's pages mapped from disk.
func AnonymousMemory() int64 { return procField("/proc/self/status", "RssAnon:", 1024) }

// procField reads the number after key in a /proc file, times unit.
func procField(path, key string, unit int64) int64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n * unit
		}
	}
	return 0
}

// CountBytes counts into n the response bytes h writes.
func CountBytes(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(counter{w, n}, r) })
}

type counter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w counter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}
