package storagetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Versions arrive in random order and random ones are deleted; after
// every step, match[version]=first and =last (records flags, moved by
// later versions and deletions) agree with a model of what is stored, by
// the unfiltered scan, by type and by id. The cleanup check then verifies
// every flag against the ids bucket.
func testFirstAndLastFollowArrivalsAndDeletions(t *testing.T, b Backend) {
	s := b.Open(t, Options{Now: NewClock().Now})
	r := rand.New(rand.NewPCG(7, 7))
	stored := map[int][]int{} // object -> versions (hours after T0), sorted
	for step := range 300 {
		obj, v := r.IntN(5), r.IntN(12)
		if r.IntN(4) == 0 && len(stored[obj]) > 0 {
			which := []storage.Versions{{First: true}, {Last: true}, {At: []time.Time{T0.Add(time.Duration(stored[obj][r.IntN(len(stored[obj]))]) * time.Hour)}}}[r.IntN(3)]
			_, err := s.Delete(context.Background(), storage.Deletion{Collection: "c", ID: ID("malware", obj), Versions: which})
			require.NoError(t, err)
			vs := stored[obj]
			switch {
			case which.First:
				stored[obj] = vs[1:]
			case which.Last:
				stored[obj] = vs[:len(vs)-1]
			default:
				at := int(which.At[0].Sub(T0) / time.Hour)
				stored[obj] = slices.DeleteFunc(slices.Clone(vs), func(x int) bool { return x == at })
			}
		} else {
			MustCommit(t, s, "c", Object(t, "malware", obj, T0.Add(time.Duration(v)*time.Hour)))
			if !slices.Contains(stored[obj], v) {
				stored[obj] = append(stored[obj], v)
				slices.Sort(stored[obj])
			}
		}
		var firsts, lasts []string
		for o := range 5 {
			if vs := stored[o]; len(vs) > 0 {
				firsts = append(firsts, key(o, vs[0]))
				lasts = append(lasts, key(o, vs[len(vs)-1]))
			}
		}
		for _, q := range []storage.Query{{}, {Types: []string{"malware"}}} {
			q.Collection = "c"
			q.Versions = storage.Versions{First: true}
			assert.ElementsMatch(t, firsts, keys(MustRecords(t, s, q)), "step %d: first", step)
			q.Versions = storage.Versions{Last: true}
			assert.ElementsMatch(t, lasts, keys(MustRecords(t, s, q)), "step %d: last", step)
		}
		o := r.IntN(5)
		p := MustRecords(t, s, storage.Query{Collection: "c", IDs: []string{ID("malware", o)}, Versions: storage.Versions{First: true, Last: true}})
		var want []string
		if vs := stored[o]; len(vs) > 0 {
			want = slices.Compact([]string{key(o, vs[0]), key(o, vs[len(vs)-1])})
		}
		assert.ElementsMatch(t, want, keys(p), "step %d: match[id] first and last", step)
	}
}

func key(obj, hours int) string {
	return ID("malware", obj) + "@" + T0.Add(time.Duration(hours)*time.Hour).Format(time.RFC3339)
}

func keys(p storage.Page) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.ID+"@"+r.Version.Format(time.RFC3339))
	}
	return out
}

var flagsTests = []test{
	{"FirstAndLastFollowArrivalsAndDeletions", testFirstAndLastFollowArrivalsAndDeletions},
}
