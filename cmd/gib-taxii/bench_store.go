package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/google/uuid"
)

// benchCollection is the id of the bench store's one collection.
const benchCollection = "6f1e2d3c-4b5a-4c69-8d7e-1f2a3b4c5d6e"

// builtStore is a bench store and what went into it.
type builtStore struct {
	path              string
	versions, objects int
	jsonBytes         int64 // compact JSON of every stored version
	fileBytes         int64
	rareType          string // about 1% of the objects
	buckets           map[string]int64
	middle            time.Time
}

// buildBenchStore writes n distinct objects (about 60% indicators, 30%
// observables, 10% SDOs and relationships, 1% malware among them; 5% of
// the objects get two or three versions) in commits of 1,000, as ingest
// would, and reports the file's size against the JSON it holds.
func buildBenchStore(ctx context.Context, dir string, n int, seed uint64) (builtStore, error) {
	b := builtStore{path: filepath.Join(dir, "bench.db"), rareType: "malware"}
	store, err := boltstore.Open(b.path, boltstore.Options{NoSync: true})
	if err != nil {
		return b, err
	}
	defer store.Close()
	rng := rand.New(rand.NewPCG(seed, 2))
	gen := benchGen{rng: rng, base: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var batch []storage.Object
	var again []int // objects that get more versions, written after all
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := store.Commit(ctx, storage.Batch{Writes: []storage.Write{{Collection: benchCollection, Objects: batch}}})
		batch = batch[:0]
		return err
	}
	add := func(raw string) error {
		obj, err := storage.ParseObject([]byte(raw))
		if err != nil {
			return fmt.Errorf("bench object: %w", err)
		}
		batch, b.versions, b.jsonBytes = append(batch, obj), b.versions+1, b.jsonBytes+int64(len(obj.JSON))
		if len(batch) == 1000 {
			return flush()
		}
		return nil
	}
	for i := range n {
		if i == n/2 {
			if err := flush(); err != nil {
				return b, err
			}
			b.middle = time.Now().UTC()
		}
		if rng.IntN(20) == 0 {
			again = append(again, i)
		}
		if err := add(gen.object(i, 0)); err != nil {
			return b, err
		}
	}
	for _, i := range again {
		for v := 1; v <= 1+rng.IntN(2); v++ {
			if err := add(gen.object(i, v)); err != nil {
				return b, err
			}
		}
	}
	if err := flush(); err != nil {
		return b, err
	}
	b.objects = n
	if b.buckets, err = store.BucketBytes(ctx, benchCollection); err != nil {
		return b, err
	}
	if err := store.Close(); err != nil {
		return b, err
	}
	fi, err := os.Stat(b.path)
	b.fileBytes = fi.Size()
	return b, err
}

// benchGen makes the bench store's objects: object i's kind and id are
// fixed by i, its content by the version v.
type benchGen struct {
	rng  *rand.Rand
	base time.Time
}

func (g benchGen) object(i, v int) string {
	id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/%d", i)).String()
	created := g.base.Add(time.Duration(i) * time.Second)
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	modified := ts(created.Add(time.Duration(v) * time.Hour))
	ip := fmt.Sprintf("198.%d.%d.%d", 18+i%2, i/256%256, i%256)
	switch k := i % 100; {
	case k < 60:
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"%s","modified":"%s",`+
			`"name":"C2 %s","description":"Command and control server of the family seen in report %d, version %d.",`+
			`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix",`+
			`"valid_from":"%s","labels":["c2","botnet"],"confidence":%d,"x_opencti_score":%d,`+
			`"created_by_ref":"identity--5a2d1e7c-8f4b-5c3a-9e6d-0b1c2d3e4f5a","object_marking_refs":["marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"]}`,
			id, ts(created), modified, ip, i/7, v, ip, ts(created), 50+i%50, 40+i%60)
	case k < 90:
		return fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%s","value":"%s"}`, id, ip)
	case k < 91:
		return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--%s","created":"%s","modified":"%s","name":"Family %d",`+
			`"is_family":true,"malware_types":["backdoor"],"description":"A backdoor family, version %d."}`, id, ts(created), modified, i, v)
	case k < 96:
		return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":"%s","modified":"%s",`+
			`"relationship_type":"indicates","source_ref":"indicator--%s","target_ref":"malware--%s"}`,
			id, ts(created), modified, uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/%d", i-1)), uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench/%d", i+1)))
	default:
		return fmt.Sprintf(`{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--%s","created":"%s","modified":"%s",`+
			`"name":"Technique %d","external_references":[{"source_name":"mitre-attack","external_id":"T%04d"}]}`, id, ts(created), modified, i, i%10000)
	}
}
