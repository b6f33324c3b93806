//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// The crash harness: TestCrashIngestConverges. The short version runs in
// every go test; the long one is e.g.
//
//	go test ./cmd/gib-taxii -run Crash -count=1 -v -crash.kills=25
var (
	crashKills = flag.Int("crash.kills", 3, "crash test: how many times ingest is SIGKILLed before it may finish")
	crashSeed  = flag.Uint64("crash.seed", 0, "crash test: seed of the kill delays (0: from the clock; the test logs the one it used)")
	crashItems = flag.Int("crash.items", 200, "crash test: items per simulated collection")
)

const (
	// crashEpoch fixes the simulator's timeline: the reference and the
	// crash run each have their own simulator process, started at
	// different times, and must be served the same feed.
	crashEpoch   = "2026-01-01T00:00:00Z"
	crashSimSeed = "7"
	crashUser    = "crash@example.com"
	crashKey     = "crash-api-key"
)

// crashTAXII are the TAXII collections of the crash test. Some are fed by
// several Group-IB collections, whose pages then commit concurrently into
// the same collection.
var crashTAXII = []struct {
	id, alias string
	sources   []string
}{
	{"3a1f6c2e-9b4d-4e7a-8c5f-1d2e3f4a5b6c", "indicators", []string{"ioc/common", "malware/cnc"}},
	{"8e7d6c5b-4a39-4281-9f0e-d1c2b3a4f5e6", "reports", []string{"apt/threat", "hi/threat"}},
	{"5b2c9d4e-7f1a-4c3b-8e6d-2a9f0b1c3d4e", "actors", []string{"apt/threat_actor", "malware/cnc"}},
	{"2d4f6a8c-1e3b-4d5f-9a7c-6b8d0e2f4a6c", "vulnerabilities", []string{"osi/vulnerability"}},
	{"6c3e8a1f-2b4d-4f6a-9c8e-0d1f2a3b4c5d", "context", []string{"suspicious_ip/tor_node"}},
	{"0f1e2d3c-4b5a-4697-a8b9-cadbecfd0e1f", "leaks", []string{"compromised/breached"}},
}

// crashGIB are the polled Group-IB collections and their settings: small
// pages, so that a run commits many times. The search-only one reads one
// window (the simulator ignores its dates under an epoch).
var crashGIB = map[string]string{
	"ioc/common":             "{limit: 20}",
	"malware/cnc":            "{limit: 20}",
	"apt/threat":             "{limit: 10}",
	"hi/threat":              "{limit: 10}",
	"apt/threat_actor":       "{limit: 20}",
	"osi/vulnerability":      "{limit: 20}",
	"suspicious_ip/tor_node": "{limit: 20}",
	"compromised/breached":   "{limit: 20, lookback: 1h}",
}

// TestCrashIngestConverges runs the real binary: ingest --once against
// the simulator to completion (the reference), then, with the same feed
// from another simulator process, into a second store that it SIGKILLs
// at random points -crash.kills times before letting a last run finish.
// Both stores must then hold exactly the same objects (every version's
// exact bytes; date_added aside), the same cursors and the same totals,
// and the crashed store must pass bbolt's consistency check after every
// kill.
func TestCrashIngestConverges(t *testing.T) {
	kills, seed := *crashKills, *crashSeed
	require.GreaterOrEqual(t, kills, 0, "-crash.kills")
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("crash test: %d kills, %d items per collection, kill delays from seed %d (-crash.seed=%d draws the same fractions of the reference run's duration)",
		kills, *crashItems, seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	bin := buildBinary(t)
	dir := t.TempDir()

	refCfg, refStore := writeCrashConfig(t, dir, "ref", startSimProcess(t, bin))
	ref := runIngestProcess(t, bin, refCfg, 0)
	require.False(t, ref.killed)
	require.NoError(t, ref.err, "reference run: %s", ref.tail())
	require.Positive(t, ref.pages, "the reference run committed no page")
	refProgress := checkBolt(t, refStore)
	startup, rest := ref.firstPage, ref.took-ref.firstPage
	t.Logf("reference run: %v, first page after %v, %d pages committed, %d items", ref.took.Round(time.Millisecond),
		startup.Round(time.Millisecond), ref.pages, refProgress)

	// The crash run's simulator starts only now: the epoch makes it serve
	// the reference's feed.
	crashCfg, crashStore := writeCrashConfig(t, dir, "crash", startSimProcess(t, bin))
	// Each run is killed at a random time between half the reference's
	// startup (until its first commit) and that startup plus 2/(kills+1) of
	// the rest of its run: the kills are expected to leave about
	// 1/(kills+1) of the work to the last run, and few land before a run
	// commits.
	window := startup/2 + 2*rest/time.Duration(kills+1)
	var mid, early, finished int
	for i := range kills {
		delay := startup/2 + time.Duration(rng.Int64N(int64(window)+1))
		r := runIngestProcess(t, bin, crashCfg, delay)
		progress := checkBolt(t, crashStore)
		switch {
		case !r.killed:
			finished++
			require.NoError(t, r.err, "crash run %d finished before its kill but failed: %s", i+1, r.tail())
		case r.pages > 0:
			mid++ // committing pages when killed: a commit may have been under way
		default:
			early++
		}
		t.Logf("kill %2d after %-8v %-8s %3d pages committed by this run, store at %d/%d items", i+1,
			delay.Round(time.Millisecond), r.outcome(), r.pages, progress, refProgress)
	}
	last := runIngestProcess(t, bin, crashCfg, 0)
	require.NoError(t, last.err, "last crash run: %s", last.tail())
	checkBolt(t, crashStore)

	want, got := snapshotStore(t, refStore), snapshotStore(t, crashStore)
	diffs := diffSnapshots(want, got)
	for i, d := range diffs {
		if i == 20 {
			t.Errorf("... and %d more differences", len(diffs)-i)
			break
		}
		t.Error(d)
	}
	t.Logf("crash test: %d kills (%d while committing pages, %d before the run's first commit, %d after it had finished), "+
		"last run %v with %d pages; %d objects in %d TAXII collections and %d Group-IB states compared: %d differences",
		kills, mid, early, finished, last.took.Round(time.Millisecond), last.pages, want.entries(), len(crashTAXII),
		len(crashGIB), len(diffs))
	if kills > 0 && mid == 0 {
		t.Errorf("no kill landed while pages were being committed: the run proved nothing (seed %d)", seed)
	}
}

// buildBinary builds cmd/gib-taxii with the go tool of the running Go.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go tool to build the binary with")
		}
	}
	bin := filepath.Join(t.TempDir(), "gib-taxii")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// childEnv is the environment of the processes the test starts: the
// credentials, and no proxy, so that everything stays on loopback.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY":
			continue
		}
		if !strings.HasPrefix(name, "GIB_") {
			env = append(env, kv)
		}
	}
	return append(env, "GIB_USERNAME="+crashUser, "GIB_API_KEY="+crashKey)
}

// lineWriter calls fn with every complete line written to it.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	fn  func(line string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// startSimProcess runs `gib-taxii sim` with the test's seed and epoch on
// a free loopback port until the test ends, and returns its API URL.
func startSimProcess(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "sim", "--listen", "127.0.0.1:0", "--seed", crashSimSeed, "--epoch", crashEpoch,
		"--items", strconv.Itoa(*crashItems), "--drift", "0.2", "--events", "0", "--username", crashUser, "--api-key", crashKey)
	cmd.Env = childEnv()
	cmd.WaitDelay = 5 * time.Second
	urls := make(chan string, 1)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &lineWriter{fn: func(line string) {
		if m := simLine.FindStringSubmatch(line); m != nil {
			select {
			case urls <- m[1]:
			default:
			}
		}
	}}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cancel(); <-exited })
	select {
	case u := <-urls:
		return u
	case <-exited:
		t.Fatalf("the simulator exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the simulator did not print its address within 30s")
	}
	return ""
}

// crashCollectionsYAML is the crash test's TAXII collections (the lines
// under an API root's collections) and Group-IB collections (the lines
// under groupib.collections).
func crashCollectionsYAML() (taxii, gib string) {
	var t, g strings.Builder
	for _, c := range crashTAXII {
		fmt.Fprintf(&t, "        - {id: %s, alias: %s, title: %s, sources: [%s]}\n", c.id, c.alias, c.alias, strings.Join(c.sources, ", "))
	}
	for _, n := range sortedKeys(crashGIB) {
		fmt.Fprintf(&g, "    %s: %s\n", n, crashGIB[n])
	}
	return t.String(), g.String()
}

// writeCrashConfig writes the config of one run with its own store.
func writeCrashConfig(t *testing.T, dir, name, simURL string) (cfgPath, storePath string) {
	t.Helper()
	taxii, gib := crashCollectionsYAML()
	storePath = filepath.Join(dir, name+".db")
	yaml := fmt.Sprintf(`storage: {path: %q}
taxii:
  listen: 127.0.0.1:0
  api_roots:
    - path: gib
      title: Group-IB
      collections:
%sgroupib:
  url: %s
  timeout: 30s
  rate_limit: 1000
  burst: 100
  collections:
%slog: {level: info, format: json}
`, storePath, taxii, simURL, gib)
	cfgPath = filepath.Join(dir, name+".yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(yaml), 0o600))
	return cfgPath, storePath
}

// ingestRun is what one `gib-taxii ingest --once` process did.
type ingestRun struct {
	killed bool
	err    error // of a run that ended by itself
	// pages is how many "page committed" lines it logged; firstPage when
	// the first came, after the start.
	pages     int
	firstPage time.Duration
	took      time.Duration
	lines     []string // its last log lines other than pages
}

func (r ingestRun) outcome() string {
	if r.killed {
		return "killed"
	}
	return "finished"
}

func (r ingestRun) tail() string { return strings.Join(r.lines, "\n") }

// runIngestProcess runs ingest --once and SIGKILLs it after killAfter
// (never when 0). Every run is bounded by two minutes.
func runIngestProcess(t *testing.T, bin, cfgPath string, killAfter time.Duration) ingestRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "ingest", "--once", "--config", cfgPath)
	cmd.Env = childEnv()
	cmd.WaitDelay = 5 * time.Second
	var r ingestRun
	var mu sync.Mutex
	start := time.Now()
	cmd.Stdout = io.Discard
	cmd.Stderr = &lineWriter{fn: func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(line, `"msg":"page committed"`) {
			if r.pages++; r.pages == 1 {
				r.firstPage = time.Since(start)
			}
			return
		}
		if r.lines = append(r.lines, line); len(r.lines) > 20 {
			r.lines = r.lines[1:]
		}
	}}
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var kill <-chan time.Time
	if killAfter > 0 {
		timer := time.NewTimer(killAfter)
		defer timer.Stop()
		kill = timer.C
	}
	var err error
	select {
	case err = <-done:
	case <-kill:
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err = <-done
	}
	took := time.Since(start)
	require.NoError(t, ctx.Err(), "ingest ran for more than two minutes")
	mu.Lock()
	defer mu.Unlock()
	r.took = took
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		r.killed = true
	} else {
		r.err = err
	}
	return r
}

// checkBolt runs bbolt's consistency check on a store file, read-only so
// that the binary stays its only writer, and returns the items committed
// so far by the /updated collections (the search-only one re-reads its
// window after a crash). It reads the states from the store's "ingest"
// bucket, where boltstore keeps the cursors.
func checkBolt(t *testing.T, path string) int64 {
	t.Helper()
	if fi, err := os.Stat(path); os.IsNotExist(err) || err == nil && fi.Size() == 0 {
		return 0 // killed before the store was created
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	require.NoError(t, err, "open %s", path)
	defer db.Close()
	var items int64
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		var errs []string
		for err := range tx.Check() {
			errs = append(errs, err.Error())
		}
		if len(errs) > 0 {
			return fmt.Errorf("bbolt check of %s: %s", path, strings.Join(errs, "; "))
		}
		b := tx.Bucket([]byte("ingest"))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			name, ok := strings.CutPrefix(string(k), ingest.SourcePrefix)
			if !ok || ingest.SearchOnly(name) {
				return nil
			}
			var st ingest.State
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("state of %s: %w", name, err)
			}
			items += st.Items
			return nil
		})
	}))
	return items
}

// storeSnapshot is what the comparison looks at in a store.
type storeSnapshot struct {
	// objects holds, per TAXII collection id, every stored version's
	// exact JSON by "id version".
	objects map[string]map[string][]byte
	states  map[string]ingest.State
}

func (s storeSnapshot) entries() int {
	n := 0
	for _, m := range s.objects {
		n += len(m)
	}
	return n
}

func snapshotStore(t *testing.T, path string) storeSnapshot {
	t.Helper()
	ctx := context.Background()
	store, err := boltstore.Open(path, boltstore.Options{LockTimeout: 10 * time.Second})
	require.NoError(t, err)
	defer store.Close()
	snap := storeSnapshot{objects: map[string]map[string][]byte{}, states: map[string]ingest.State{}}
	for _, c := range crashTAXII {
		m := map[string][]byte{}
		q := storage.Query{Collection: c.id, Versions: storage.Versions{All: true}, Limit: 1000}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100000, "%s: paging did not end", c.alias)
			page, err := store.Records(ctx, q)
			require.NoError(t, err)
			for _, r := range page.Records {
				key := r.ID + " " + r.VersionText
				if _, dup := m[key]; dup {
					t.Fatalf("%s: %s: %s is stored twice", path, c.alias, key)
				}
				m[key] = r.JSON
			}
			if !page.More {
				break
			}
			q.Resume = page.Next
		}
		snap.objects[c.id] = m
	}
	for name := range crashGIB {
		if snap.states[name], err = ingest.LoadState(ctx, store, name); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

// diffSnapshots lists every difference between the reference and the
// crashed store. A state's position and totals must match, except what
// legitimately depends on the run: the last success (a time), the search
// window's checkpoint (the real clock) and its items (a killed window is
// read again). The objects total of a Group-IB collection that shares a
// TAXII collection depends on which collection committed a shared object
// first, so those are compared per group of collections that share; and
// in each store the totals must add up to the entries stored.
func diffSnapshots(want, got storeSnapshot) []string {
	var diffs []string
	for _, c := range crashTAXII {
		w, g := want.objects[c.id], got.objects[c.id]
		if len(w) == 0 {
			diffs = append(diffs, fmt.Sprintf("%s: the reference holds no object", c.alias))
		}
		for _, k := range sortedKeys(w) {
			switch gv, ok := g[k]; {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("%s: %s is missing from the crashed store", c.alias, k))
			case !bytes.Equal(w[k], gv):
				diffs = append(diffs, fmt.Sprintf("%s: %s differs:\n  want %s\n  got  %s", c.alias, k, around(w[k], gv), around(gv, w[k])))
			}
		}
		for _, k := range sortedKeys(g) {
			if _, ok := w[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s: %s is only in the crashed store", c.alias, k))
			}
		}
	}
	for _, name := range sortedKeys(crashGIB) {
		w, g := want.states[name], got.states[name]
		if w.Items == 0 {
			diffs = append(diffs, fmt.Sprintf("%s: the reference read no item", name))
		}
		type compared struct {
			SeqUpdate          *int64
			Checkpoint         bool
			Queued, Skipped    int64
			ConsecutiveErrors  int
			LastError, Stopped string
			Items              int64
		}
		pos := func(st ingest.State) compared {
			p := compared{st.SeqUpdate, st.Checkpoint != nil, st.Queued, st.Skipped, st.ConsecutiveErrors, st.LastError, st.Stopped, st.Items}
			if ingest.SearchOnly(name) {
				p.Items = 0
			}
			return p
		}
		if wp, gp := pos(w), pos(g); !equalJSON(wp, gp) {
			diffs = append(diffs, fmt.Sprintf("%s: state differs:\n  want %s\n  got  %s", name, asJSON(wp), asJSON(gp)))
		}
	}
	for _, group := range sharingGroups() {
		var w, g int64
		for _, name := range group {
			w += want.states[name].Objects
			g += got.states[name].Objects
		}
		if w != g {
			diffs = append(diffs, fmt.Sprintf("objects total of %v: want %d, got %d", group, w, g))
		}
	}
	for which, s := range map[string]storeSnapshot{"reference": want, "crashed": got} {
		var total int64
		for _, st := range s.states {
			total += st.Objects
		}
		if total != int64(s.entries()) {
			diffs = append(diffs, fmt.Sprintf("%s store: the states count %d objects, the collections hold %d", which, total, s.entries()))
		}
	}
	return diffs
}

// sharingGroups partitions the Group-IB collections into groups that feed
// the same TAXII collections, directly or through each other.
func sharingGroups() [][]string {
	group := map[string]int{}
	for i, name := range sortedKeys(crashGIB) {
		group[name] = i
	}
	for changed := true; changed; {
		changed = false
		for _, c := range crashTAXII {
			low := group[c.sources[0]]
			for _, s := range c.sources {
				low = min(low, group[s])
			}
			for _, s := range c.sources {
				if group[s] != low {
					group[s], changed = low, true
				}
			}
		}
	}
	byGroup := map[int][]string{}
	for _, name := range sortedKeys(crashGIB) {
		byGroup[group[name]] = append(byGroup[group[name]], name)
	}
	var out [][]string
	for _, g := range byGroup {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// around quotes a's bytes around the first one that differs from b.
func around(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from, to := max(i-40, 0), min(i+40, len(a))
	return fmt.Sprintf("byte %d: ...%s...", i, a[from:to])
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func equalJSON(a, b any) bool { return asJSON(a) == asJSON(b) }
