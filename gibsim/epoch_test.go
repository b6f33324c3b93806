package gibsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawGet returns the status and exact body of one request.
func rawGet(t *testing.T, srv *httptest.Server, path string, q url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+apiPrefix+path+"?"+q.Encode(), nil)
	require.NoError(t, err)
	req.SetBasicAuth("user@example.com", "api-key")
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, body
}

// epochSim is a simulator whose clock reads now, served on loopback.
func epochSim(t *testing.T, now time.Time, epoch time.Time) (*Simulator, *httptest.Server, *testkit.Clock) {
	clk := testkit.NewClock(now)
	sim := New(Config{Seed: 42, Epoch: epoch, Items: 60, Drift: 0.3, Now: clk.Now,
		Collections: []string{"ioc/common", "malware/cnc", "compromised/breached"}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv, clk
}

// clientPass replays what a client does from its own clock: the start cursor
// for "today minus 3 days", every /updated page from it, a search window
// ending now with its resultId pages, and one item by id. It returns every
// answer's body, in order.
func clientPass(t *testing.T, sim *Simulator, srv *httptest.Server, clk *testkit.Clock) [][]byte {
	t.Helper()
	var out [][]byte
	add := func(path string, q url.Values) []byte {
		status, body := rawGet(t, srv, path, q)
		require.Equal(t, http.StatusOK, status, "%s?%s: %s", path, q.Encode(), body)
		out = append(out, body)
		return body
	}
	day := clk.Now().Add(-72 * time.Hour).UTC().Format(DateOnly)
	add("sequence_list", url.Values{"date": {day}})
	var id string
	for _, c := range []string{"ioc/common", "malware/cnc"} {
		var sl page
		require.NoError(t, json.Unmarshal(add("sequence_list", url.Values{"date": {day}, "collection": {c}}), &sl))
		seq, items := sl.List[c], 0
		for range 100 {
			var p page
			require.NoError(t, json.Unmarshal(add(c+"/updated", url.Values{"seqUpdate": {strconv.FormatInt(seq, 10)}, "limit": {"7"}}), &p))
			if len(p.Items) == 0 {
				break
			}
			items += len(p.Items)
			var h itemHead
			require.NoError(t, json.Unmarshal(p.Items[len(p.Items)-1], &h))
			seq, id = h.SeqUpdate, h.ID
		}
		require.Equal(t, len(sim.Latest(c)), items, "%s: the whole feed, whatever the client's clock", c)
	}
	add("malware/cnc/"+id, nil)
	now := clk.Now().UTC()
	var p page
	require.NoError(t, json.Unmarshal(add("compromised/breached", url.Values{"df": {now.Add(-24 * time.Hour).Format(TimeZ)},
		"dt": {now.Format(TimeZ)}, "limit": {"25"}}), &p))
	assert.Equal(t, len(sim.Latest("compromised/breached")), p.Count)
	for range 10 {
		var next page
		require.NoError(t, json.Unmarshal(add("compromised/breached", url.Values{"resultId": {p.ResultID}}), &next))
		if len(next.Items) == 0 {
			break
		}
	}
	return out
}

// Two simulators with the same seed and epoch, built at different times
// (eight months apart) and asked with dates from their own clocks, answer
// the same bytes, even when one has served other requests before; after
// the same Advance calls too. Without an epoch they do not.
func TestEpochMakesTheFeedIndependentOfTheClock(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	simA, a, clkA := epochSim(t, time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), epoch)
	simB, b, clkB := epochSim(t, time.Date(2026, 11, 20, 17, 45, 12, 0, time.UTC), epoch)
	for range 5 { // requests A never gets
		rawGet(t, b, "ioc/common/updated", url.Values{"seqUpdate": {"0"}, "limit": {"3"}})
	}
	wantA, wantB := clientPass(t, simA, a, clkA), clientPass(t, simB, b, clkB)
	require.Equal(t, len(wantA), len(wantB))
	for i := range wantA {
		require.True(t, bytes.Equal(wantA[i], wantB[i]), "answer %d differs:\n%s\n%s", i, wantA[i], wantB[i])
	}
	assert.Equal(t, simA.Items("malware/cnc"), simB.Items("malware/cnc"))

	clkA.Advance(time.Hour)
	clkB.Advance(30 * 24 * time.Hour)
	simA.Advance(10)
	simB.Advance(10)
	assert.Equal(t, simA.Latest("ioc/common"), simB.Latest("ioc/common"))
	afterA, afterB := clientPass(t, simA, a, clkA), clientPass(t, simB, b, clkB)
	require.Equal(t, len(afterA), len(afterB))
	for i := range afterA {
		require.True(t, bytes.Equal(afterA[i], afterB[i]), "answer %d after Advance differs:\n%s\n%s", i, afterA[i], afterB[i])
	}

	// The control: without an epoch the timeline follows the clock.
	_, c, _ := epochSim(t, time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), time.Time{})
	_, d, _ := epochSim(t, time.Date(2026, 11, 20, 17, 45, 12, 0, time.UTC), time.Time{})
	_, bc := rawGet(t, c, "ioc/common/updated", url.Values{"seqUpdate": {"0"}, "limit": {"7"}})
	_, bd := rawGet(t, d, "ioc/common/updated", url.Values{"seqUpdate": {"0"}, "limit": {"7"}})
	assert.NotEqual(t, string(bc), string(bd))
}

// Under an epoch, bad dates are still refused.
func TestEpochStillChecksDates(t *testing.T) {
	_, srv, _ := epochSim(t, time.Now(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	status, _ := rawGet(t, srv, "sequence_list", url.Values{"date": {"10/11/2026"}})
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = rawGet(t, srv, "compromised/breached", url.Values{"df": {"yesterday"}})
	assert.Equal(t, http.StatusBadRequest, status)
}
