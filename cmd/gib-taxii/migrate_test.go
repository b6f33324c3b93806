package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/ingest"
	"github.com/gib-taxii/gib-taxii/internal/testkit"
	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/gib-taxii/gib-taxii/storage/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allRecords pages every version of a collection.
func allRecords(t *testing.T, s storage.Store, collection string) []storage.Record {
	t.Helper()
	var out []storage.Record
	q := storage.Query{Collection: collection, Versions: storage.Versions{All: true}, Limit: 1000}
	for {
		p, err := s.Records(context.Background(), q)
		require.NoError(t, err)
		out = append(out, p.Records...)
		if !p.More {
			return out
		}
		q.Resume = p.Next
	}
}

// migrate --to postgres copies a store that ingest filled, so that the
// database serves the same versions at the same date_added, with the
// same cursors, collection ids and paging key (clients' next tokens and
// bookmarks stay valid); a second run refuses to write over it.
func TestMigrateToPostgres(t *testing.T) {
	pgURL := testkit.PostgresSchema(t)
	srv := startSim(t)
	cfgPath, getenv := ingestConfig(t, srv.URL+"/api/v2/")
	ingestOnce(t, cfgPath, getenv)

	// Before the move: a receipt, and the latest entry deleted, so that
	// the collection's last date_added is one no record holds.
	cfg0, err := loadConfig(cfgPath, getenv)
	require.NoError(t, err)
	pre, err := boltstore.Open(cfg0.Storage.Path, boltstore.Options{})
	require.NoError(t, err)
	ctx0 := context.Background()
	_, err = pre.Commit(ctx0, storage.Batch{Receipt: &storage.Receipt{Key: "api/r1", Owner: "alice", Expires: time.Now().Add(time.Hour), JSON: []byte(`{"status":"complete"}`)}})
	require.NoError(t, err)
	before := allRecords(t, pre, testCollection)
	deleted := before[len(before)-1]
	_, err = pre.Delete(ctx0, storage.Deletion{Collection: testCollection, ID: deleted.ID})
	require.NoError(t, err)
	require.NoError(t, pre.Close())

	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	withPG := strings.Replace(string(raw), "storage: {path: ", "storage: {postgres: {url: \""+pgURL+"\"}, path: ", 1)
	pgCfg := filepath.Join(t.TempDir(), "pg.yaml")
	require.NoError(t, os.WriteFile(pgCfg, []byte(withPG), 0o600))
	e, _, errb := testEnv("")
	e.getenv = getenv
	require.NoError(t, run(context.Background(), e, []string{"migrate", "--config", pgCfg, "--to", "postgres"}))
	assert.Regexp(t, `migrated [1-9]\d* object versions`, errb.String())

	cfg, err := loadConfig(cfgPath, getenv)
	require.NoError(t, err)
	src, err := boltstore.Open(cfg.Storage.Path, boltstore.Options{})
	require.NoError(t, err)
	defer src.Close()
	dst, err := pgstore.Open(context.Background(), pgURL, pgstore.Options{})
	require.NoError(t, err)
	defer dst.Close()
	ctx := context.Background()

	want, got := allRecords(t, src, testCollection), allRecords(t, dst, testCollection)
	require.NotEmpty(t, want)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].ID, got[i].ID)
		assert.True(t, want[i].DateAdded.Equal(got[i].DateAdded), "date_added kept")
		assert.Equal(t, want[i].VersionText, got[i].VersionText)
		assert.Equal(t, string(want[i].JSON), string(got[i].JSON))
	}
	for _, q := range []storage.Query{{Collection: testCollection}, {Collection: testCollection, Versions: storage.Versions{First: true}}} {
		a, err := src.Records(ctx, q)
		require.NoError(t, err)
		b, err := dst.Records(ctx, q)
		require.NoError(t, err)
		assert.Equal(t, len(a.Records), len(b.Records), "the first/last flags came along")
	}
	assert.Equal(t, src.PagingKey(), dst.PagingKey(), "next tokens stay valid")
	for _, c := range cfg.ingestCollections() {
		a, err := src.Cursor(ctx, ingest.SourcePrefix+c.Name)
		require.NoError(t, err)
		b, err := dst.Cursor(ctx, ingest.SourcePrefix+c.Name)
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), "%s: ingest resumes where it was", c.Name)
	}
	r, err := dst.Receipt(ctx, "api/r1")
	require.NoError(t, err)
	assert.Equal(t, "alice", r.Owner)
	// Every value the store answers lookups for came along.
	checked := 0
	for _, rec := range want {
		for _, v := range storage.IndexValues(rec.ID[:strings.Index(rec.ID, "--")], rec.JSON) {
			if checked++; checked > 200 {
				break
			}
			a, err := src.ValueRecords(ctx, testCollection, v, 100)
			require.NoError(t, err)
			b, err := dst.ValueRecords(ctx, testCollection, v, 100)
			require.NoError(t, err)
			assert.Equal(t, len(a), len(b), "value %s", v)
		}
	}
	require.Positive(t, checked)
	// The next date_added follows the deleted entry's, never repeats it,
	// even on a host whose clock is an hour behind.
	behind, err := pgstore.Open(ctx, pgURL, pgstore.Options{Now: func() time.Time { return deleted.DateAdded.Add(-time.Hour) }})
	require.NoError(t, err)
	defer behind.Close()
	res, err := behind.Commit(ctx, storage.Batch{Writes: []storage.Write{{Collection: testCollection, Report: true,
		Objects: []storage.Object{mustParse(t, `{"type":"indicator","spec_version":"2.1","id":"indicator--8f0e2b4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.1']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}`)}}}})
	require.NoError(t, err)
	assert.True(t, res.Reports[0][0].DateAdded.After(deleted.DateAdded), "after the deleted entry's %s", deleted.DateAdded)

	a, err := src.CollectionIDs(ctx)
	require.NoError(t, err)
	b, err := dst.CollectionIDs(ctx)
	require.NoError(t, err)
	assert.Equal(t, a, b)

	require.NoError(t, src.Close())
	err = run(context.Background(), e, []string{"migrate", "--config", pgCfg, "--to", "postgres"})
	assert.ErrorContains(t, err, "already holds objects")
}

func mustParse(t *testing.T, raw string) storage.Object {
	t.Helper()
	o, err := storage.ParseObject([]byte(raw))
	require.NoError(t, err)
	return o
}
