package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// receiptsPrunedPerCommit bounds the expired receipts one commit removes.
const receiptsPrunedPerCommit = 256

// Commit writes a batch in one transaction: every object of every write,
// the cursor and the receipt, or nothing.
func (s *Store) Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error) {
	return s.commit(ctx, b, nil)
}

// commit runs a batch in one transaction, after check (when set) passes
// in it.
func (s *Store) commit(ctx context.Context, b storage.Batch, check func(context.Context, pgx.Tx) error) (storage.CommitResult, error) {
	var res storage.CommitResult
	if err := ctx.Err(); err != nil {
		return res, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = storage.CommitResult{}
		if check != nil {
			if err := check(ctx, tx); err != nil {
				return err
			}
		}
		for i, w := range b.Writes {
			if err := s.writeCollection(ctx, tx, i, w, &res); err != nil {
				return err
			}
		}
		if err := putCursor(ctx, tx, b.Cursor, res); err != nil {
			return err
		}
		return s.putReceipt(ctx, tx, b.Receipt, res)
	})
	if err != nil {
		return storage.CommitResult{}, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

func putCursor(ctx context.Context, tx pgx.Tx, c *storage.Cursor, res storage.CommitResult) error {
	if c == nil {
		return nil
	}
	if c.Source == "" {
		return errors.New("cursor: empty source")
	}
	state := c.State
	if c.Update != nil {
		var err error
		if state, err = c.Update(res); err != nil {
			return fmt.Errorf("cursor %s: %w", c.Source, err)
		}
	}
	_, err := tx.Exec(ctx, "INSERT INTO cursors (source, state) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET state = EXCLUDED.state",
		c.Source, state)
	return err
}

// collectionWriter writes one collection's objects in a transaction that
// holds the collection's row lock, and allocates its date_added values.
type collectionWriter struct {
	tx         pgx.Tx
	collection string
	last       int64
	now        func() int64
}

// lockCollection takes the collection's row lock and returns a writer
// positioned after the latest date_added ever given in it.
func (s *Store) lockCollection(ctx context.Context, tx pgx.Tx, collection string) (*collectionWriter, error) {
	if _, err := tx.Exec(ctx, "INSERT INTO collection_state (collection, last_added) VALUES ($1, $2) ON CONFLICT (collection) DO NOTHING",
		collection, int64(-1<<62)); err != nil {
		return nil, err
	}
	cw := &collectionWriter{tx: tx, collection: collection, now: func() int64 { return micros(s.now()) }}
	err := tx.QueryRow(ctx, "SELECT last_added FROM collection_state WHERE collection = $1 FOR UPDATE", collection).Scan(&cw.last)
	return cw, err
}

func (cw *collectionWriter) allocate() int64 {
	t := cw.now()
	if t <= cw.last {
		t = cw.last + 1
	}
	cw.last = t
	return t
}

func (cw *collectionWriter) saveLast(ctx context.Context) error {
	_, err := cw.tx.Exec(ctx, "UPDATE collection_state SET last_added = $2 WHERE collection = $1", cw.collection, cw.last)
	return err
}

func (s *Store) writeCollection(ctx context.Context, tx pgx.Tx, wi int, w storage.Write, res *storage.CommitResult) error {
	if w.Collection == "" {
		return errors.New("write: empty collection id")
	}
	cw, err := s.lockCollection(ctx, tx, w.Collection)
	if err != nil {
		return fmt.Errorf("collection %s: %w", w.Collection, err)
	}
	var reports []storage.ObjectReport
	if w.Report {
		for len(res.Reports) <= wi {
			res.Reports = append(res.Reports, nil)
		}
		reports = make([]storage.ObjectReport, len(w.Objects))
		res.Reports[wi] = reports
	}
	for i, obj := range w.Objects {
		outcome, added, err := cw.put(ctx, obj)
		if err != nil {
			return fmt.Errorf("collection %s: object %d (%s): %w", w.Collection, i, obj.ID, err)
		}
		if w.Report {
			reports[i] = storage.ObjectReport{DateAdded: fromMicros(added), New: outcome == putAdded, Conflict: outcome == putConflict}
		}
		if outcome == putAdded {
			res.Added++
		} else {
			res.Unchanged++
		}
	}
	return cw.saveLast(ctx)
}

type putOutcome int

const (
	putAdded putOutcome = iota
	putUnchanged
	putConflict
)

// put stores one version unless its id and version are stored, setting
// its first/last flags and taking them from the versions it displaces.
func (cw *collectionWriter) put(ctx context.Context, obj storage.Object) (putOutcome, int64, error) {
	if !storage.IsID(obj.ID) || !strings.HasPrefix(obj.ID, obj.Type+"--") || len(obj.JSON) == 0 {
		return 0, 0, fmt.Errorf("%w: object was not built by storage.ParseObject", storage.ErrInvalidObject)
	}
	version := micros(obj.Version)
	var added int64
	var stored []byte
	err := cw.tx.QueryRow(ctx, "SELECT date_added, json FROM records WHERE collection = $1 AND id = $2 AND version = $3",
		cw.collection, obj.ID, version).Scan(&added, &stored)
	switch {
	case err == nil && storage.SameJSON(stored, obj.JSON):
		return putUnchanged, added, nil
	case err == nil:
		return putConflict, added, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, 0, err
	}
	var earlier, later *int64
	if err := cw.tx.QueryRow(ctx, `SELECT
		(SELECT date_added FROM records WHERE collection = $1 AND id = $2 AND version < $3 ORDER BY version DESC LIMIT 1),
		(SELECT date_added FROM records WHERE collection = $1 AND id = $2 AND version > $3 ORDER BY version LIMIT 1)`,
		cw.collection, obj.ID, version).Scan(&earlier, &later); err != nil {
		return 0, 0, err
	}
	added = cw.allocate()
	if _, err := cw.tx.Exec(ctx, `INSERT INTO records (collection, date_added, id, type, version, version_text, spec_version, is_first, is_last, json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		cw.collection, added, obj.ID, obj.Type, version, obj.VersionText, obj.SpecVersion, earlier == nil, later == nil, obj.JSON); err != nil {
		return 0, 0, err
	}
	// The versions this one displaces as first or last lose that flag.
	if later == nil && earlier != nil {
		if err := cw.setFlag(ctx, "is_last", *earlier, false); err != nil {
			return 0, 0, err
		}
	}
	if earlier == nil && later != nil {
		if err := cw.setFlag(ctx, "is_first", *later, false); err != nil {
			return 0, 0, err
		}
	}
	for _, v := range storage.IndexValues(obj.Type, obj.JSON) {
		if _, err := cw.tx.Exec(ctx, "INSERT INTO record_values (collection, value, date_added) VALUES ($1, $2, $3)",
			cw.collection, v, added); err != nil {
			return 0, 0, err
		}
	}
	return putAdded, added, nil
}

// setFlag sets is_first or is_last of one record; column is one of those
// two names, never the caller's input.
func (cw *collectionWriter) setFlag(ctx context.Context, column string, added int64, on bool) error {
	_, err := cw.tx.Exec(ctx, "UPDATE records SET "+column+" = $3 WHERE collection = $1 AND date_added = $2",
		cw.collection, added, on)
	return err
}

func (s *Store) putReceipt(ctx context.Context, tx pgx.Tx, r *storage.Receipt, res storage.CommitResult) error {
	if r == nil {
		return nil
	}
	if r.Key == "" || len(r.Owner) > 255 {
		return errors.New("receipt: empty key or owner name over 255 bytes")
	}
	body := r.JSON
	if r.Build != nil {
		var err error
		if body, err = r.Build(res); err != nil {
			return fmt.Errorf("receipt %s: %w", r.Key, err)
		}
	}
	if err := pruneReceipts(ctx, tx, micros(s.now())); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, "INSERT INTO receipts (key, owner, expires, json) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
		r.Key, r.Owner, micros(r.Expires), body)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("receipt %s: already stored", r.Key)
	}
	return nil
}

// execer runs a statement: a transaction or the pool.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// pruneReceipts removes up to receiptsPrunedPerCommit expired receipts.
func pruneReceipts(ctx context.Context, q execer, now int64) error {
	_, err := q.Exec(ctx, "DELETE FROM receipts WHERE key IN (SELECT key FROM receipts WHERE expires < $1 ORDER BY expires LIMIT $2)",
		now, receiptsPrunedPerCommit)
	return err
}
