package taxii_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/taxii"
	"github.com/stretchr/testify/require"
)

// benchObject is an indicator of realistic size (about 450 bytes); every
// 100th object is a malware, to measure a rare match[type].
func benchObject(tb testing.TB, n, version int) storage.Object {
	typ := "indicator"
	if n%100 == 0 {
		typ = "malware"
	}
	mod := t0.Add(time.Duration(version) * time.Hour).Format("2006-01-02T15:04:05.000Z")
	raw := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":%q,`+
		`"created_by_ref":"identity--2b5c7f4e-8d1a-4e6b-9c3f-7a0d1e2f3b4c","name":"C2 server %d of a tracked botnet",`+
		`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix",`+
		`"valid_from":"2025-01-01T00:00:00Z","confidence":80,"labels":["botnet","c2"],`+
		`"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}`,
		typ, stixID(typ, n), mod, n, n>>16&255, n>>8&255, n&255)
	obj, err := storage.ParseObject([]byte(raw))
	require.NoError(tb, err)
	return obj
}

// fillBench stores n objects in 1,000-object commits; one in ten later
// gets a second version, so the store holds 1.1 n entries.
func fillBench(b *testing.B, f *fixture, n int) {
	start := time.Now()
	batch := make([]storage.Object, 0, 1000)
	flush := func() {
		_, err := f.store.Commit(context.Background(), storage.Batch{Writes: []storage.Write{{Collection: collIndicators, Objects: batch}}})
		require.NoError(b, err)
		batch = batch[:0]
		f.clock.Advance(time.Millisecond)
	}
	for i := range n {
		batch = append(batch, benchObject(b, i, 0))
		if i%10 == 5 {
			batch = append(batch, benchObject(b, i-5, 1))
		}
		if len(batch) >= 1000 {
			flush()
		}
	}
	flush()
	st, _ := os.Stat(f.path)
	b.Logf("filled %d objects in %s (%d MB)", n, time.Since(start).Round(time.Millisecond), st.Size()>>20)
}

// BenchmarkObjectsPage measures GET objects?limit=1000 and its neighbours
// through the whole HTTP handler on collections of growing size. A page
// must cost the same whatever the collection size.
//
//	go test ./taxii -run '^$' -bench ObjectsPage -benchtime 200x
//
// Set GIB_TAXII_BENCH_SIZES (comma-separated) to choose sizes; the default
// is 10000,100000,1000000.
func BenchmarkObjectsPage(b *testing.B) {
	sizes := []int{10_000, 100_000, 1_000_000}
	if s := os.Getenv("GIB_TAXII_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, v := range splitComma(s) {
			n, err := strconv.Atoi(v)
			require.NoError(b, err)
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		f := newFixture(b, func(c *taxii.Config) { c.MaxLimit, c.DefaultLimit = 1000, 100 })
		fillBench(b, f, n)
		middle := middleDateAdded(b, f)
		queries := map[string]string{
			"first-page":      "objects/?limit=1000",
			"added-after-mid": "objects/?limit=1000&added_after=" + url.QueryEscape(middle),
			"next-mid":        "objects/?limit=1000&next=" + url.QueryEscape(nextAt(b, f, middle)),
			"type-rare":       "objects/?limit=1000&match[type]=malware",
			"id":              "objects/?match[id]=" + stixID("indicator", n/2+5),
			"version-all":     "objects/?limit=1000&match[version]=all&added_after=" + url.QueryEscape(middle),
			"manifest":        "manifest/?limit=1000&added_after=" + url.QueryEscape(middle),
		}
		for name, q := range queries {
			b.Run(fmt.Sprintf("objects=%d/%s", n, name), func(b *testing.B) {
				path := api1 + collIndicators + "/" + q
				rec := f.get(path)
				require.Equal(b, http.StatusOK, rec.Code, rec.Body.String())
				b.SetBytes(int64(rec.Body.Len()))
				b.ResetTimer()
				for range b.N {
					if rec := f.get(path); rec.Code != http.StatusOK {
						b.Fatal(rec.Code)
					}
				}
			})
		}
	}
}

func middleDateAdded(b *testing.B, f *fixture) string {
	env := decode[manifest](b, f.get(api1+collIndicators+"/manifest/?limit=1"))
	first, err := time.Parse(stamp, env.Objects[0].DateAdded)
	require.NoError(b, err)
	// Entries are 1µs apart within a commit and commits 1ms apart on the
	// clock: the midpoint in time is near the middle of the collection.
	last := f.clock.Now()
	return first.Add(last.Sub(first) / 2).Format(stamp)
}

func nextAt(b *testing.B, f *fixture, after string) string {
	env := decode[envelope](b, f.get(api1+collIndicators+"/objects/?limit=1&added_after="+url.QueryEscape(after)))
	require.NotEmpty(b, env.Next)
	return env.Next
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
