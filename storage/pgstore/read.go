package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/jackc/pgx/v5"
)

// Records returns the entries of a collection that match q, ascending by
// date_added, at most q.Limit of them (capped by MaxLimit): one indexed
// range scan from the resume point.
func (s *Store) Records(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := ctx.Err(); err != nil {
		return storage.Page{}, err
	}
	if none, err := q.Runnable(); none || err != nil {
		return storage.Page{}, err
	}
	limit := q.PageLimit(s.maxLimit)
	sql, args, ok := s.recordsQuery(q, limit+1)
	if !ok {
		return storage.Page{}, nil
	}
	rows, err := s.reads.Query(ctx, sql, args...)
	if err != nil {
		return storage.Page{}, fmt.Errorf("read collection %s: %w", q.Collection, err)
	}
	defer rows.Close()
	page := storage.Page{Records: make([]storage.Record, 0, min(limit, 1024))}
	for rows.Next() {
		var added, version int64
		var r storage.Record
		var json []byte
		if err := rows.Scan(&added, &r.ID, &version, &r.VersionText, &r.SpecVersion, &json); err != nil {
			return storage.Page{}, err
		}
		r.DateAdded, r.Version = fromMicros(added), fromMicros(version)
		if len(page.Records) == limit {
			page.More, page.Next = true, storage.Position{DateAdded: page.Records[limit-1].DateAdded}
			break
		}
		switch {
		case q.Emit != nil:
			q.Emit(json)
		case !q.WithoutObjects:
			r.JSON = json
		}
		page.Records = append(page.Records, r)
	}
	if err := rows.Err(); err != nil {
		return storage.Page{}, fmt.Errorf("read collection %s: %w", q.Collection, err)
	}
	return page, nil
}

// recordsQuery builds a query's SQL; ok is false when it can match
// nothing (every type or id given is malformed). Each type is its own
// range scan of the (collection, type, date_added) index, merged by
// date_added: one "type = ANY" scan would come out ordered by type and
// need a sort of every match.
func (s *Store) recordsQuery(q storage.Query, limit int) (string, []any, bool) {
	cols := "date_added, id, version, version_text, spec_version, json"
	if q.WithoutObjects {
		cols = "date_added, id, version, version_text, spec_version, NULL::bytea"
	}
	args := []any{q.Collection, lowerBound(q)}
	where := []string{"collection = $1", "date_added >= $2"}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var types []string
	if len(q.Types) > 0 {
		if types = uniqueSorted(filtered(q.Types, storage.IsType)); len(types) == 0 {
			return "", nil, false
		}
	}
	if len(q.IDs) > 0 {
		ids := filtered(q.IDs, storage.IsID)
		if len(ids) == 0 {
			return "", nil, false
		}
		where = append(where, "id = ANY("+arg(ids)+")")
	}
	v := q.Versions
	if v.IsZero() {
		v.Last = true
	}
	if !v.All {
		var any []string
		if v.First {
			any = append(any, "is_first")
		}
		if v.Last {
			any = append(any, "is_last")
		}
		if len(v.At) > 0 {
			at := make([]int64, len(v.At))
			for i, t := range v.At {
				at[i] = micros(t)
			}
			// An unversioned object's version is its date_added.
			any = append(any, "(CASE WHEN version_text = '' THEN date_added ELSE version END) = ANY("+arg(at)+")")
		}
		where = append(where, "("+strings.Join(any, " OR ")+")")
	}
	lim := arg(limit)
	if len(types) == 0 {
		return "SELECT " + cols + " FROM records WHERE " + strings.Join(where, " AND ") + " ORDER BY date_added LIMIT " + lim, args, true
	}
	parts := make([]string, len(types))
	for i, typ := range types {
		parts[i] = "(SELECT " + cols + " FROM records WHERE " + strings.Join(where, " AND ") + " AND type = " + arg(typ) +
			" ORDER BY date_added LIMIT " + lim + ")"
	}
	return "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") t ORDER BY date_added LIMIT " + lim, args, true
}

func uniqueSorted(values []string) []string {
	out := slices.Clone(values)
	slices.Sort(out)
	return slices.Compact(out)
}

func filtered(values []string, keep func(string) bool) []string {
	var out []string
	for _, v := range values {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// lowerBound is the first date_added a query may return, in microseconds.
func lowerBound(q storage.Query) int64 {
	if from, ok := q.From(); ok {
		return micros(from)
	}
	return -1 << 62
}

// ObjectExists reports whether any version of the object is in the collection.
func (s *Store) ObjectExists(ctx context.Context, collection, id string) (bool, error) {
	if !storage.IsID(id) {
		return false, ctx.Err()
	}
	var found bool
	err := s.reads.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM records WHERE collection = $1 AND id = $2)", collection, id).Scan(&found)
	return found, err
}

// ValueRecords returns the latest versions of the objects carrying an
// indicator value, newest first, at most limit.
func (s *Store) ValueRecords(ctx context.Context, collection, value string, limit int) ([]storage.Record, error) {
	value = storage.NormalizeValue(value)
	if value == "" || strings.ContainsRune(value, 0) || limit <= 0 {
		return nil, ctx.Err()
	}
	rows, err := s.reads.Query(ctx, `SELECT r.date_added, r.id, r.version, r.version_text, r.spec_version, r.json
		FROM record_values v JOIN records r ON r.collection = v.collection AND r.date_added = v.date_added
		WHERE v.collection = $1 AND v.value = $2 AND r.is_last ORDER BY v.date_added DESC LIMIT $3`,
		collection, value, min(limit, s.maxLimit))
	if err != nil {
		return nil, err
	}
	var out []storage.Record
	var added, version int64
	var r storage.Record
	_, err = pgx.ForEachRow(rows, []any{&added, &r.ID, &version, &r.VersionText, &r.SpecVersion, &r.JSON}, func() error {
		r.DateAdded, r.Version = fromMicros(added), fromMicros(version)
		out = append(out, r)
		r = storage.Record{}
		return nil
	})
	return out, err
}

// Receipt returns the receipt stored under key, expired or not.
func (s *Store) Receipt(ctx context.Context, key string) (storage.Receipt, error) {
	r := storage.Receipt{Key: key}
	var expires int64
	err := s.pool.QueryRow(ctx, "SELECT owner, expires, json FROM receipts WHERE key = $1", key).Scan(&r.Owner, &expires, &r.JSON)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Receipt{}, fmt.Errorf("receipt %q: %w", key, storage.ErrNotFound)
	}
	r.Expires = fromMicros(expires)
	return r, err
}

// PruneReceipts removes receipts that expired before now, a bounded number
// per call.
func (s *Store) PruneReceipts(ctx context.Context) error {
	return pruneReceipts(ctx, s.pool, micros(s.now()))
}
