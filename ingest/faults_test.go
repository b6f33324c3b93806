package ingest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/gibsim"
	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Transient faults are retried inside a pass; more of them than the
// retry budget fail the pass, which shows in the state and the logs, and
// the next pass completes with nothing lost.
func TestTransientFaultsAreSurvived(t *testing.T) {
	for _, f := range []gibsim.Fault{
		{Kind: gibsim.FaultTooManyRequests, RetryAfter: time.Second},
		{Kind: gibsim.FaultServerError, Status: 502},
		{Kind: gibsim.FaultServerError, Status: 504},
		{Kind: gibsim.FaultReset},
		{Kind: gibsim.FaultTruncate},
		{Kind: gibsim.FaultSlow, Delay: 2 * time.Second},
	} {
		t.Run(string(f.Kind), func(t *testing.T) {
			e := newEnv(t, gibsim.Config{Seed: 6, Items: 30, Collections: []string{"malware/cnc"}})
			opts := runnerOpts{maxAttempts: 3, timeout: 500 * time.Millisecond, limit: 10}
			f.Collection = "malware/cnc"

			f.Times = 2 // within the retry budget: the pass succeeds
			e.sim.Inject(f)
			require.NoError(t, e.runner(opts).RunOnce(context.Background()))
			e.assertInSync("malware/cnc")
			assert.Contains(t, e.logs.String(), "retrying")

			e.clock.Advance(time.Hour)
			e.sim.Advance(15)
			f.Times = 3 // beyond it: the pass fails and says so
			e.sim.Inject(f)
			err := e.runner(opts).RunOnce(context.Background())
			require.Error(t, err)
			st := e.state("malware/cnc")
			assert.NotEmpty(t, st.LastError)
			assert.Equal(t, 1, st.ConsecutiveErrors)
			assert.Empty(t, st.Stopped, "transient faults do not stop the collection")
			assert.Contains(t, e.logs.String(), "pass failed")

			require.NoError(t, e.runner(opts).RunOnce(context.Background()))
			e.assertInSync("malware/cnc")
			assert.Empty(t, e.state("malware/cnc").LastError, "a good pass clears the error")
		})
	}
}

// 401, 403 and 301/302 stop the collection with a message a user can act
// on, kept in the state for status and health checks.
func TestAccessProblemsStopTheCollection(t *testing.T) {
	for kind, want := range map[gibsim.FaultKind]string{
		gibsim.FaultUnauthorized: "bad credentials: check the username (your portal e-mail) and the API key",
		gibsim.FaultForbidden:    "forbidden: check the API access list",
		gibsim.FaultRedirect:     "not on the Group-IB API access list",
	} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, gibsim.Config{Seed: 7, Items: 10, Collections: []string{"ioc/common"}})
			e.sim.Inject(gibsim.Fault{Kind: kind, Times: 1})
			err := e.runner(runnerOpts{}).RunOnce(context.Background())
			require.ErrorIs(t, err, ingest.ErrAccessDenied)
			assert.Contains(t, err.Error(), want)
			assert.Contains(t, err.Error(), "ioc/common")
			assert.NotContains(t, err.Error(), "api-key", "the API key never appears")
			st := e.state("ioc/common")
			assert.Contains(t, st.Stopped, want)
			assert.Contains(t, e.logs.String(), "collection stopped")
			assert.Equal(t, int64(1), e.sim.Requests(), "not retried")
		})
	}
}

// A resultId that expires mid-session fails the pass and restarts the
// window; the checkpoint only moves when a window is complete.
func TestSearchSessionExpiryRestartsWindow(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 8, Items: 45, Collections: []string{"compromised/breached"}})
	e.sim.Inject(gibsim.Fault{Kind: gibsim.FaultExpireResultID, Collection: "compromised/breached", Times: 1})
	opts := runnerOpts{limit: 10}
	oneWindow := func(c *ingest.CollectionConfig) { c.MaxWindow = 60 * 24 * time.Hour }
	err := e.runnerWith(opts, oneWindow).RunOnce(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expired")
	st := e.state("compromised/breached")
	assert.Nil(t, st.Checkpoint, "no checkpoint from an incomplete window")
	assert.Equal(t, int64(10), st.Items, "the first page was committed")

	require.NoError(t, e.runnerWith(opts, oneWindow).RunOnce(context.Background()))
	e.assertInSync("compromised/breached")
	st = e.state("compromised/breached")
	require.NotNil(t, st.Checkpoint)
	assert.Equal(t, 45, e.allVersions("compromised/breached"), "re-read items stored nothing new")
}

// compromised/reaper windows holding its search maximum or more (10,000
// in the real API; 25 here) are narrowed until they fit: nothing is lost
// to the cap.
func TestReaperWindowsAreNarrowed(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 9, Items: 120, SearchMax: 25, Collections: []string{"compromised/reaper"}})
	require.NoError(t, e.runner(runnerOpts{limit: 10, searchMax: 25}).RunOnce(context.Background()))
	e.assertInSync("compromised/reaper")
	assert.Contains(t, e.logs.String(), "window=")
}

// A burst of reaper entries within one instant, more than one search
// serves, is read by narrowing down to one-second windows; nothing is lost
// as long as a second holds fewer than the cap.
func TestReaperBurstIsNarrowedNotLost(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 12, Items: 10, SearchMax: 25, Collections: []string{"compromised/reaper"}})
	opts := runnerOpts{limit: 10, searchMax: 25}
	require.NoError(t, e.runner(opts).RunOnce(context.Background()))
	for range 4 { // 4 bursts of 20 events, each at its own second, about 60 within a minute
		e.clock.Advance(time.Second)
		e.sim.Advance(20)
	}
	e.clock.Advance(30 * time.Second)
	require.NoError(t, e.runner(opts).RunOnce(context.Background()))
	e.assertInSync("compromised/reaper")
}

// Windows are bounded and a failing window is retried smaller, so a long
// lookback of a busy collection still makes progress under faults.
func TestSearchWindowsBoundedAndShrinkOnFailure(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 13, Items: 300, Collections: []string{"compromised/breached"}})
	r := e.runnerWith(runnerOpts{limit: 10}, func(c *ingest.CollectionConfig) { c.MaxWindow = 10 * 24 * time.Hour })
	e.sim.Inject(gibsim.Fault{Kind: gibsim.FaultExpireResultID, Collection: "compromised/breached", Times: 3})
	for range 10 {
		if r.RunOnce(context.Background()) == nil {
			break
		}
	}
	e.assertInSync("compromised/breached")
	assert.Contains(t, e.logs.String(), "window=")
}

// After a failure halved the page size, the following pages keep the
// smaller size instead of failing again at the full one.
func TestLoweredPageSizeIsKept(t *testing.T) {
	e := newEnv(t, gibsim.Config{Seed: 14, Items: 60, Collections: []string{"ioc/common"}})
	e.sim.Inject(gibsim.Fault{Kind: gibsim.FaultServerError, Collection: "ioc/common", Times: 1})
	require.NoError(t, e.runner(runnerOpts{limit: 20}).RunOnce(context.Background()))
	e.assertInSync("ioc/common")
	var limits []string
	for _, q := range e.sim.Queries() {
		if strings.Contains(q, "/updated") {
			u, err := url.Parse(q)
			require.NoError(t, err)
			limits = append(limits, u.Query().Get("limit"))
		}
	}
	assert.Equal(t, []string{"20", "10", "10", "10", "10", "10", "10"}, limits,
		"the failure, then 6 pages of 10; a pass stops at the head, without asking for an empty page")
	assert.Contains(t, e.logs.String(), "lowering the page size")
}
