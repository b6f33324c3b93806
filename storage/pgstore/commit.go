package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
	state, err := c.StateAfter(res)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO cursors (source, state) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET state = EXCLUDED.state",
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
	for i, obj := range w.Objects {
		if !storage.IsID(obj.ID) || !strings.HasPrefix(obj.ID, obj.Type+"--") || len(obj.JSON) == 0 {
			return fmt.Errorf("collection %s: object %d (%s): %w: object was not built by storage.ParseObject",
				w.Collection, i, obj.ID, storage.ErrInvalidObject)
		}
	}
	cw, err := s.lockCollection(ctx, tx, w.Collection)
	if err != nil {
		return fmt.Errorf("collection %s: %w", w.Collection, err)
	}
	known, err := cw.storedVersions(ctx, w.Objects)
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
	var p pending
	for i, obj := range w.Objects {
		outcome, added := cw.place(&p, known, obj)
		if w.Report {
			reports[i] = storage.ObjectReport{DateAdded: fromMicros(added), New: outcome == putAdded, Conflict: outcome == putConflict}
		}
		if outcome == putAdded {
			res.Added++
		} else {
			res.Unchanged++
		}
	}
	if err := cw.flush(ctx, &p); err != nil {
		return fmt.Errorf("collection %s: %w", w.Collection, err)
	}
	return cw.saveLast(ctx)
}

type putOutcome int

const (
	putAdded putOutcome = iota
	putUnchanged
	putConflict
)

// version is one version of an object: stored (row nil), or added by
// this write (row is its pending insert).
type version struct {
	version, added int64
	json           []byte
	row            []any
}

// Columns of a pending records row that flags change.
const (
	colFirst = 7
	colLast  = 8
)

// pending is what a write sends once it has placed every object: rows
// to copy, and stored versions that lose their first or last flag.
type pending struct {
	records, values   [][]any
	notFirst, notLast []int64
}

// storedVersions reads every stored version of the write's objects, by
// id, oldest first: one query for the whole write, with the JSON of the
// versions the write also holds.
func (cw *collectionWriter) storedVersions(ctx context.Context, objs []storage.Object) (map[string][]*version, error) {
	ids, versions := make([]string, len(objs)), make([]int64, len(objs))
	for i, o := range objs {
		ids[i], versions[i] = o.ID, micros(o.Version)
	}
	// The bytes only of the versions the write brings again (to tell a
	// re-send from a conflict): an updated object's older versions are
	// needed for their order alone.
	rows, err := cw.tx.Query(ctx, `SELECT r.id, r.version, r.date_added, CASE WHEN w.id IS NULL THEN NULL ELSE r.json END
		FROM records r LEFT JOIN (SELECT DISTINCT * FROM unnest($2::text[], $3::bigint[]) AS u(id, version)) w
			ON w.id = r.id AND w.version = r.version
		WHERE r.collection = $1 AND r.id = ANY($2) ORDER BY r.id, r.version`,
		cw.collection, ids, versions)
	if err != nil {
		return nil, err
	}
	known := map[string][]*version{}
	var id string
	var v version
	_, err = pgx.ForEachRow(rows, []any{&id, &v.version, &v.added, &v.json}, func() error {
		c := v
		known[id] = append(known[id], &c)
		v = version{}
		return nil
	})
	return known, err
}

// place decides what one object does: nothing (its id and version are
// there), or a new version with its flags, taking them from the versions
// it displaces.
func (cw *collectionWriter) place(p *pending, known map[string][]*version, obj storage.Object) (putOutcome, int64) {
	v := micros(obj.Version)
	vs := known[obj.ID]
	i, found := slices.BinarySearchFunc(vs, v, func(x *version, t int64) int { return cmp.Compare(x.version, t) })
	if found {
		if storage.SameJSON(vs[i].json, obj.JSON) {
			return putUnchanged, vs[i].added
		}
		return putConflict, vs[i].added
	}
	added := cw.allocate()
	var earlier, later *version
	if i > 0 {
		earlier = vs[i-1]
	}
	if i < len(vs) {
		later = vs[i]
	}
	row := []any{cw.collection, added, obj.ID, obj.Type, v, obj.VersionText, obj.SpecVersion, earlier == nil, later == nil, obj.JSON}
	if later == nil && earlier != nil {
		unflag(p, earlier, colLast)
	}
	if earlier == nil && later != nil {
		unflag(p, later, colFirst)
	}
	known[obj.ID] = slices.Insert(vs, i, &version{version: v, added: added, json: obj.JSON, row: row})
	p.records = append(p.records, row)
	for _, value := range storage.IndexValues(obj.Type, obj.JSON) {
		p.values = append(p.values, []any{cw.collection, value, added})
	}
	return putAdded, added
}

// unflag takes a first or last flag from a version: in its pending row,
// or by an update of the stored one.
func unflag(p *pending, v *version, col int) {
	switch {
	case v.row != nil:
		v.row[col] = false
	case col == colFirst:
		p.notFirst = append(p.notFirst, v.added)
	default:
		p.notLast = append(p.notLast, v.added)
	}
}

// flush sends a write's rows and flag changes: a few statements, whatever
// the number of objects.
func (cw *collectionWriter) flush(ctx context.Context, p *pending) error {
	for _, u := range []struct {
		column string
		added  []int64
	}{{"is_first", p.notFirst}, {"is_last", p.notLast}} {
		if len(u.added) == 0 {
			continue
		}
		if _, err := cw.tx.Exec(ctx, "UPDATE records SET "+u.column+" = false WHERE collection = $1 AND date_added = ANY($2)",
			cw.collection, u.added); err != nil {
			return err
		}
	}
	if len(p.records) > 0 {
		if _, err := cw.tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordColumns, pgx.CopyFromRows(p.records)); err != nil {
			return fmt.Errorf("copy records: %w", err)
		}
	}
	if len(p.values) > 0 {
		if _, err := cw.tx.CopyFrom(ctx, pgx.Identifier{"record_values"}, valueColumns, pgx.CopyFromRows(p.values)); err != nil {
			return fmt.Errorf("copy values: %w", err)
		}
	}
	return nil
}

// The columns of records and record_values rows, in the order the rows
// hold them.
var (
	recordColumns = []string{"collection", "date_added", "id", "type", "version", "version_text", "spec_version", "is_first", "is_last", "json"}
	valueColumns  = []string{"collection", "value", "date_added"}
)

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
	body, err := r.BodyAfter(res)
	if err != nil {
		return err
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
