package boltstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/require"
)

// BenchmarkCheck measures each part of Check on a store of realistic
// objects (about 450 bytes; one in ten with a second version), to decide
// what serve can afford at start-up:
//
//	go test ./storage/boltstore -run '^$' -bench Check -benchtime 1x -timeout 1h
//
// GIB_TAXII_CHECK_SIZE sets the number of objects (default 1,000,000).
func BenchmarkCheck(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("GIB_TAXII_CHECK_SIZE")); err == nil && v > 0 {
		n = v
	}
	path := filepath.Join(b.TempDir(), "store.db")
	s, err := Open(path, Options{NoSync: true})
	require.NoError(b, err)
	defer s.Close()
	fillCheckBench(b, s, n)
	st, _ := os.Stat(path)
	b.Logf("%d objects, %d MB", n, st.Size()>>20)
	for _, tc := range []struct {
		name string
		opts CheckOptions
	}{
		{"pages", CheckOptions{SkipInvariants: true}},
		{"invariants", CheckOptions{SkipPages: true}},
		{"objects", CheckOptions{SkipPages: true, Objects: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				rep, err := s.Check(context.Background(), tc.opts)
				require.NoError(b, err)
				require.True(b, rep.OK(), "%v", rep.Problems)
			}
		})
	}
}

func fillCheckBench(b *testing.B, s *Store, n int) {
	batch := make([]storage.Object, 0, 1100)
	for i := range n {
		batch = append(batch, checkBenchObject(b, i, 0))
		if i%10 == 5 {
			batch = append(batch, checkBenchObject(b, i-5, 1))
		}
		if len(batch) >= 1000 || i == n-1 {
			mustCommit(b, s, "c1", batch...)
			batch = batch[:0]
		}
	}
}

func checkBenchObject(tb testing.TB, n, version int) storage.Object {
	mod := t0.Add(time.Duration(version) * time.Hour).Format("2006-01-02T15:04:05.000Z")
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2020-01-01T00:00:00.000Z","modified":%q,`+
		`"created_by_ref":"identity--2b5c7f4e-8d1a-4e6b-9c3f-7a0d1e2f3b4c","name":"C2 server %d of a tracked botnet",`+
		`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix",`+
		`"valid_from":"2025-01-01T00:00:00Z","confidence":80,"labels":["botnet","c2"],`+
		`"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}`,
		n, mod, n, n>>16&255, n>>8&255, n&255)
	obj, err := storage.ParseObject([]byte(raw))
	require.NoError(tb, err)
	return obj
}
