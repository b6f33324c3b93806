//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashPost is one envelope the crash test posts, and what came back.
type crashPost struct {
	ids      []string
	body     string
	statusID string // set when a 202 arrived
}

// crashEnvelope makes envelope n: 2,500 new indicators (three commit
// chunks), ids derived from n so that a resend is the same envelope.
func crashEnvelope(n int) crashPost {
	var p crashPost
	var objs []string
	for i := 0; i < 2500; i++ {
		id := fmt.Sprintf("indicator--%08x-%04x-4000-8000-000000000000", n, i)
		p.ids = append(p.ids, id)
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-01-01T00:00:00.000Z",`+
			`"modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix",`+
			`"valid_from":"2026-01-01T00:00:00Z"}`, id, i/250, i%250))
	}
	p.body = `{"objects":[` + strings.Join(objs, ",") + `]}`
	return p
}

// TestCrashWhilePosting SIGKILLs a real serve while clients post large
// envelopes to a writable collection. After every crash: the store
// passes its check; every status a client received (and every status that
// can be read) names only objects the collection serves; an envelope
// whose answer never came is sent again and then succeeds in full, the
// objects stored before the crash as duplicates.
func TestCrashWhilePosting(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	hash := analystHash(t)
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`storage: {path: %q}
taxii:
  listen: %s
  api_roots:
    - path: gib
      title: Group-IB
      collections:
        - {id: %s, alias: submissions, title: Submissions, writable: true}
users:
  - {name: analyst, password_hash: %q, permissions: {submissions: read-write}}
log: {level: error}
ops: {listen: "off"}
`, filepath.Join(dir, "store.db"), addr, testCollection, hash)), 0o600))
	base := "http://" + addr + "/gib/"
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	var posts []*crashPost
	kills := 0
	// At least crash.kills rounds, and more (at most 20) until a kill has
	// landed between two chunks of a POST: the case this test is for.
	for round := 0; round < *crashKills || earlyStored(t, bin, cfgPath, base, posts) == 0 && round < 20; round++ {
		stop := startServe(t, bin, cfgPath, base)
		// One client posts envelopes one after another until the kill.
		results := make(chan *crashPost, 100)
		first := len(posts) // posts grows only after the client has stopped
		go func() {
			defer close(results)
			for n := first; n < first+50; n++ {
				p := crashEnvelope(n)
				status, st := tryPost(base+"collections/submissions/objects/", p.body)
				if status == http.StatusAccepted {
					p.statusID = st["id"].(string)
				}
				results <- &p
				if status == 0 {
					return // the server is gone
				}
			}
		}()
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		stop(true)
		kills++
		for p := range results {
			posts = append(posts, p)
		}
	}
	stop := startServe(t, bin, cfgPath, base)
	defer stop(false)
	stored := storedIDs(t, base)
	answered, early := 0, 0
	for _, p := range posts {
		for _, id := range p.ids {
			if p.statusID == "" && stored[id] {
				early++ // committed in a chunk before the crash
			}
		}
	}
	for i, p := range posts {
		if p.statusID == "" {
			// No answer: resend; the objects stored before the crash
			// succeed as duplicates.
			status, st := tryPost(base+"collections/submissions/objects/", p.body)
			require.Equal(t, http.StatusAccepted, status, "resend of envelope %d", i)
			assert.Equal(t, float64(len(p.ids)), st["success_count"], "resend of envelope %d", i)
			continue
		}
		answered++
		code, _, st := getRaw(t, base+"status/"+p.statusID+"/", "analyst", "s3cret")
		require.Equal(t, http.StatusOK, code, "the status of envelope %d outlives the crash", i)
		var status struct {
			SuccessCount int `json:"success_count"`
			Successes    []struct {
				ID string `json:"id"`
			} `json:"successes"`
		}
		require.NoError(t, json.Unmarshal(st, &status))
		assert.Equal(t, len(p.ids), status.SuccessCount)
		for _, s := range status.Successes {
			require.True(t, stored[s.ID], "envelope %d: the status names %s, which is not stored", i, s.ID)
		}
	}
	t.Logf("%d envelopes answered before %d kills, %d resent (%d of their objects were stored before the crash)",
		answered, kills, len(posts)-answered, early)
	require.NotZero(t, answered, "some posts completed between kills")
	require.NotZero(t, early, "a kill landed between two chunks of a POST")
	stored = storedIDs(t, base)
	for i, p := range posts {
		for _, id := range p.ids {
			require.True(t, stored[id], "envelope %d: %s not stored after the resend", i, id)
		}
	}
	stop(false)
	e, out, _ := testEnv("")
	require.NoError(t, run(context.Background(), e, []string{"check", "--config", cfgPath}), out.String())
}

// earlyStored counts the objects of unanswered envelopes that the store
// holds: committed in a chunk before a kill.
func earlyStored(t *testing.T, bin, cfgPath, base string, posts []*crashPost) int {
	if len(posts) == 0 {
		return 0
	}
	stop := startServe(t, bin, cfgPath, base)
	defer stop(false)
	stored, n := storedIDs(t, base), 0
	for _, p := range posts {
		for _, id := range p.ids {
			if p.statusID == "" && stored[id] {
				n++
			}
		}
	}
	return n
}

// startServe runs `gib-taxii serve` until it answers, and returns a stop
// function: SIGKILL, or SIGTERM and a clean exit.
func startServe(t *testing.T, bin, cfgPath, base string) (stop func(kill bool)) {
	t.Helper()
	return startServeLogging(t, bin, cfgPath, base, nil)
}

// startServeLogging is startServe with each line of serve's log handed
// to onLog (when set) instead of the test's stderr.
func startServeLogging(t *testing.T, bin, cfgPath, base string, onLog func(line string)) (stop func(kill bool)) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if onLog != nil {
		cmd.Stderr = &lineWriter{fn: onLog}
	}
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for i := 0; ; i++ {
		require.Less(t, i, 300, "serve did not answer within 30 s")
		if res, err := http.Get(strings.TrimSuffix(base, "gib/") + "healthz"); err == nil {
			res.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopped := false
	return func(kill bool) {
		if stopped {
			return
		}
		stopped = true
		sig := syscall.SIGTERM
		if kill {
			sig = syscall.SIGKILL
		}
		_ = cmd.Process.Signal(sig)
		select {
		case err := <-done:
			if !kill {
				require.NoError(t, err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("serve did not stop")
		}
	}
}

// tryPost posts an envelope as analyst; status 0 means no answer came.
func tryPost(url, body string) (int, map[string]any) {
	status, reply, err := postTAXII(url, body)
	var v map[string]any
	if err != nil || json.Unmarshal(reply, &v) != nil {
		return 0, nil
	}
	return status, v
}

// storedIDs pages the collection's manifest by next.
func storedIDs(t *testing.T, base string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	next := ""
	for pages := 0; pages < 10000; pages++ {
		u := base + "collections/submissions/manifest/?limit=1000"
		if next != "" {
			u += "&next=" + next
		}
		code, _, m := get(t, u, "analyst", "s3cret")
		require.Equal(t, http.StatusOK, code)
		objs, _ := m["objects"].([]any)
		for _, o := range objs {
			ids[o.(map[string]any)["id"].(string)] = true
		}
		if m["more"] != true {
			return ids
		}
		next = m["next"].(string)
	}
	t.Fatal("manifest did not end")
	return nil
}
