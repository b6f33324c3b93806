package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func indicatorFor(t *testing.T, n int, modified time.Time, value string) storage.Object {
	t.Helper()
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2020-01-01T00:00:00.000Z","modified":%q,`+
		`"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`,
		ID("indicator", n), modified.Format("2006-01-02T15:04:05.000Z"), value)
	obj, err := storage.ParseObject([]byte(raw))
	require.NoError(t, err)
	return obj
}

// A value finds the latest version of each object carrying it: a newer
// version that no longer carries it hides the object, deleting that
// version brings the older one back, and another collection is apart.
func testValueRecordsFollowVersions(t *testing.T, b Backend) {
	s := b.Open(t, Options{Now: NewClock().Now})
	ctx := context.Background()
	found := func(coll, v string) []string {
		recs, err := s.ValueRecords(ctx, coll, v, 10)
		require.NoError(t, err)
		return IDs(storage.Page{Records: recs})
	}
	ip, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
	require.NoError(t, err)
	MustCommit(t, s, "c1", indicatorFor(t, 1, T0, "198.51.100.7"), ip, indicatorFor(t, 2, T0, "198.51.100.8"))
	assert.Equal(t, []string{ip.ID, ID("indicator", 1)}, found("c1", "198.51.100.7"), "newest first")
	assert.Empty(t, found("c2", "198.51.100.7"))
	assert.Empty(t, found("c1", "198.51.100.9"))

	MustCommit(t, s, "c1", indicatorFor(t, 1, T0.Add(time.Hour), "198.51.100.9"))
	assert.Equal(t, []string{ip.ID}, found("c1", "198.51.100.7"), "the indicator's latest version carries another value")
	assert.Equal(t, []string{ID("indicator", 1)}, found("c1", " 198.51.100.9 "), "values are normalised")

	_, err = s.Delete(ctx, storage.Deletion{Collection: "c1", ID: ID("indicator", 1), Versions: storage.Versions{Last: true}})
	require.NoError(t, err)
	assert.Equal(t, []string{ip.ID, ID("indicator", 1)}, found("c1", "198.51.100.7"))
	assert.Empty(t, found("c1", "198.51.100.9"))
	recs, err := s.ValueRecords(ctx, "c1", "198.51.100.7", 1)
	require.NoError(t, err)
	require.Len(t, recs, 1, "limit")
	assert.JSONEq(t, string(ip.JSON), string(recs[0].JSON))
}

var valuesTests = []test{
	{"ValueRecordsFollowVersions", testValueRecordsFollowVersions},
}
