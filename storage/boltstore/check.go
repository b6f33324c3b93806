package boltstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// CheckOptions choose how deep Check looks.
type CheckOptions struct {
	// Objects also parses every stored object and compares its id and
	// version with its key: the only way to notice damage inside values,
	// which bbolt does not checksum. It costs a JSON parse per version.
	Objects bool
	// SkipPages skips bbolt's own page-level consistency check.
	SkipPages bool
	// SkipInvariants stops after the page check: 1.5 s for a
	// million objects, against eleven for the invariants.
	SkipInvariants bool
}

// CheckReport is what Check examined and found.
type CheckReport struct {
	Collections int
	Versions    int
	Problems    []string // the first maxProblems
	Total       int      // problems found in all
	Duration    time.Duration
}

// OK reports that nothing was found.
func (r CheckReport) OK() bool { return r.Total == 0 }

const maxProblems = 50

// Add records a problem (for checks of what the store holds for others,
// such as ingest state); the first maxProblems are kept.
func (r *CheckReport) Add(format string, args ...any) {
	if r.Total++; len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check verifies the file in one read transaction: bbolt's page-level
// consistency check, then the store's own invariants: every record has
// exactly one ids entry and one types entry naming it, and no other entry
// exists; its first/last flags say whether it is its object's first/last
// version; and collection ids and meta values are well-formed (cursors
// are opaque here: their owner checks them). Problems
// are reported, not returned as an error; a store with problems is marked
// damaged (see Fault). The error is for a check that could not run.
func (s *Store) Check(ctx context.Context, opts CheckOptions) (CheckReport, error) {
	start := time.Now()
	var rep CheckReport
	if !opts.SkipPages {
		// bbolt's page check counts pages that writes committed after the
		// check's transaction began as freed, yet its snapshot still
		// reaches them: a false "reachable freed". Writes wait for it.
		defer s.lockWrites()()
	}
	err := s.view(func(tx *bolt.Tx) error {
		if !opts.SkipPages {
			if err := walk(tx); err != nil {
				return err
			}
			for err := range tx.Check() {
				rep.Add("bbolt: %v", err)
			}
		}
		if opts.SkipInvariants {
			return nil
		}
		checkMeta(tx, &rep)
		checkReceipts(tx, &rep)
		return tx.Bucket(bucketCollections).ForEachBucket(func(name []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			rep.Collections++
			cc := collectionCheck{b: tx.Bucket(bucketCollections).Bucket(name), name: string(name), rep: &rep, objects: opts.Objects}
			cc.run()
			return nil
		})
	})
	rep.Duration = time.Since(start)
	var d *DamagedError
	if errors.As(err, &d) {
		// bbolt gave up on a page while the invariants were walked: that
		// is a finding, not a failure to check.
		rep.Add("bbolt: %s", d.Detail)
		err = nil
	}
	if err != nil {
		return rep, fmt.Errorf("check %s: %w", s.path, err)
	}
	if !rep.OK() {
		s.damaged(fmt.Sprintf("check found %d problems, the first: %s", rep.Total, rep.Problems[0]))
	}
	return rep, nil
}

func checkMeta(tx *bolt.Tx, rep *CheckReport) {
	meta := tx.Bucket(bucketMeta)
	if v := string(meta.Get(keySchema)); v != strconv.Itoa(SchemaVersion) {
		rep.Add("meta: schema %q, want %d", v, SchemaVersion)
	}
	if v := meta.Get(keyMigrating); v != nil {
		rep.Add("meta: a migration from schema %s has not finished", v)
	}
	if n := len(meta.Get(keyPagingKey)); n != 32 {
		rep.Add("meta: paging key of %d bytes, want 32", n)
	}
	seen := map[string]string{}
	_ = tx.Bucket(bucketCollectionIDs).ForEach(func(k, v []byte) error {
		if _, err := uuid.Parse(string(v)); err != nil || len(v) != 36 {
			rep.Add("collection id of %q: %q is not a UUID", k, v)
		} else if other, dup := seen[string(v)]; dup {
			rep.Add("collection id %s given to both %q and %q", v, other, k)
		}
		seen[string(v)] = string(k)
		return nil
	})
}
