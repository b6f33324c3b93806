//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// replica is one serve process on the shared database, with a count of
// the ingest pages it committed (from its log).
type replica struct {
	base, ops string
	stop      func(kill bool)
	pages     *atomic.Int64
}

// startReplica runs `gib-taxii serve` until it answers, counting its
// "page committed" log lines.
func startReplica(t *testing.T, bin, cfgPath, base string) (stop func(kill bool), pages *atomic.Int64) {
	t.Helper()
	pages = &atomic.Int64{}
	stop = startServeLogging(t, bin, cfgPath, base, func(line string) {
		if strings.Contains(line, `"msg":"page committed"`) {
			pages.Add(1)
		}
	})
	return stop, pages
}

// writeReplicaConfig is the crash test's collections, on PostgreSQL, with
// a reader and the operations port.
func writeReplicaConfig(t *testing.T, dir, name, simURL, pgURL string, port, opsPort int) string {
	t.Helper()
	taxii, gib := crashCollectionsYAML()
	yaml := fmt.Sprintf(`storage: {postgres: {url: %q}}
taxii:
  listen: 127.0.0.1:%d
  api_roots:
    - path: gib
      title: Group-IB
      collections:
%susers:
  - {name: analyst, password_hash: %q, permissions: {"*": read}}
ops: {listen: 127.0.0.1:%d}
groupib:
  url: %s
  timeout: 30s
  rate_limit: 1000
  burst: 100
  collections:
%slog: {level: info, format: json}
`, pgURL, port, taxii, analystHash(t), opsPort, simURL, gib)
	path := filepath.Join(dir, name+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

// role asks a replica's operations port which part it plays in ingest.
func (r replica) role() string {
	res, err := http.Get(r.ops + "/readyz")
	if err != nil {
		return "down"
	}
	defer res.Body.Close()
	var v struct {
		Ingest string `json:"ingest"`
	}
	_ = json.NewDecoder(res.Body).Decode(&v)
	return v.Ingest
}

// walkRoundRobin pages a collection's every version by next, each page
// from the next replica, and counts each id+version it meets.
func walkRoundRobin(t *testing.T, replicas []replica, alias string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	next := ""
	for page := 0; ; page++ {
		require.Less(t, page, 10000, "the walk did not end")
		u := replicas[page%len(replicas)].base + "collections/" + alias + "/objects/?match%5Bversion%5D=all&limit=50"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		status, _, env := get(t, u, "analyst", "s3cret")
		require.Equal(t, http.StatusOK, status, "%s page %d: %v", alias, page, env)
		objs, _ := env["objects"].([]any)
		for _, o := range objs {
			m := o.(map[string]any)
			version, _ := m["modified"].(string)
			if version == "" {
				version, _ = m["created"].(string) // as the store versions objects without modified
			}
			seen[fmt.Sprint(m["id"])+" "+version]++
		}
		if more, _ := env["more"].(bool); !more {
			return seen
		}
		next, _ = env["next"].(string)
	}
}

// Three serve processes on one database: exactly one ingests; SIGKILLed
// mid-ingest, another takes over; the feed ends up stored exactly as one
// ingest --once into a bbolt file stores it, with no duplicate and no gap,
// read by a client that pages round-robin across the replicas by next.
func TestReplicasFailover(t *testing.T) {
	pgURL := testkit.PostgresSchema(t)
	bin := buildBinary(t)
	dir := t.TempDir()

	// The reference: the same feed into a bbolt file by one process.
	refCfg, refPath := writeCrashConfig(t, dir, "reference", startSimProcess(t, bin))
	ref := runIngestProcess(t, bin, refCfg, 0)
	require.NoError(t, ref.err, "reference run: %s", ref.tail())
	want := snapshotStore(t, refPath)

	simURL := startSimProcess(t, bin)
	var replicas []replica
	for i := range 3 {
		port, opsPort := freePort(t), freePort(t)
		cfg := writeReplicaConfig(t, dir, fmt.Sprintf("replica%d", i), simURL, pgURL, port, opsPort)
		base := fmt.Sprintf("http://127.0.0.1:%d/gib/", port)
		stop, pages := startReplica(t, bin, cfg, base)
		r := replica{base: base, ops: fmt.Sprintf("http://127.0.0.1:%d", opsPort), stop: stop, pages: pages}
		t.Cleanup(func() { r.stop(true) })
		replicas = append(replicas, r)
	}
	leader := waitForLeader(t, replicas)

	// Kill the leader after its first pages, while most are still to come.
	for i := 0; replicas[leader].pages.Load() < 3; i++ {
		require.Less(t, i, 3000, "ingest did not start")
		time.Sleep(10 * time.Millisecond)
	}
	replicas[leader].stop(true)
	killedAfter := replicas[leader].pages.Load()
	live := append(append([]replica(nil), replicas[:leader]...), replicas[leader+1:]...)
	next := waitForLeader(t, live)
	t.Logf("the leader was killed after %d pages; another replica took over", killedAfter)

	// Meanwhile, walks round-robin meet no version twice.
	for _, c := range crashTAXII[:2] {
		for key, n := range walkRoundRobin(t, live, c.alias) {
			require.Equal(t, 1, n, "%s: %s met twice while ingest wrote", c.alias, key)
		}
	}

	// Wait for the rest of the feed, then compare.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		done := true
		for _, c := range crashTAXII {
			if len(walkRoundRobin(t, live, c.alias)) < len(want.objects[c.id]) {
				done = false
				break
			}
		}
		if done {
			break
		}
		require.True(t, time.Now().Before(deadline), "the new leader did not finish the feed")
		time.Sleep(500 * time.Millisecond)
	}
	for _, c := range crashTAXII {
		seen := walkRoundRobin(t, live, c.alias)
		var dups, gaps, extra []string
		for key, n := range seen {
			if n > 1 {
				dups = append(dups, key)
			}
			if _, ok := want.objects[c.id][key]; !ok {
				extra = append(extra, key)
			}
		}
		for key := range want.objects[c.id] {
			if seen[key] == 0 {
				gaps = append(gaps, key)
			}
		}
		assert.Empty(t, dups, "%s: met twice", c.alias)
		assert.Empty(t, gaps, "%s: gaps (of %d)", c.alias, len(want.objects[c.id]))
		assert.Empty(t, extra, "%s: not in the reference", c.alias)
		t.Logf("%s: %d versions, each met once", c.alias, len(seen))
	}
	assert.Positive(t, live[next].pages.Load(), "the new leader committed pages of its own: the kill came mid-ingest")
}

// waitForLeader waits until exactly one replica leads, and returns its
// index.
func waitForLeader(t *testing.T, replicas []replica) int {
	t.Helper()
	for i := 0; i < 300; i++ {
		leaders := []int{}
		for j, r := range replicas {
			if r.role() == "leader" {
				leaders = append(leaders, j)
			}
		}
		require.LessOrEqual(t, len(leaders), 1, "two replicas lead at once")
		if len(leaders) == 1 {
			return leaders[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no replica took the ingest lease within 30 s")
	return -1
}
