package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/jackc/pgx/v5"
)

// Delete removes the versions of one object that d selects, with their
// values, and moves the first and last flags to the versions that remain;
// storage.ErrNotFound when it selects none. The collection's last_added
// stays: a date_added is never given again.
func (s *Store) Delete(ctx context.Context, d storage.Deletion) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	typ, _, ok := strings.Cut(d.ID, "--")
	if !storage.IsID(d.ID) || !ok || d.Collection == "" {
		return 0, fmt.Errorf("delete %q: %w", d.ID, storage.ErrNotFound)
	}
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cw, err := s.lockCollection(ctx, tx, d.Collection)
		if err != nil {
			return err
		}
		type stored struct{ added, version int64 }
		rows, err := tx.Query(ctx, `SELECT date_added, CASE WHEN version_text = '' THEN date_added ELSE version END
			FROM records WHERE collection = $1 AND id = $2 AND type = $3 ORDER BY version`, d.Collection, d.ID, typ)
		if err != nil {
			return err
		}
		var all []stored
		var v stored
		if _, err := pgx.ForEachRow(rows, []any{&v.added, &v.version}, func() error { all = append(all, v); return nil }); err != nil {
			return err
		}
		versions := make([]time.Time, len(all))
		for i, v := range all {
			versions[i] = fromMicros(v.version)
		}
		doomed, kept := d.Select(versions)
		if len(doomed) == 0 {
			return storage.ErrNotFound
		}
		for _, i := range doomed {
			if _, err := tx.Exec(ctx, "DELETE FROM record_values WHERE collection = $1 AND date_added = $2", d.Collection, all[i].added); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "DELETE FROM records WHERE collection = $1 AND date_added = $2", d.Collection, all[i].added); err != nil {
				return err
			}
		}
		n = len(doomed)
		if len(kept) > 0 {
			if err := cw.setFlag(ctx, "is_first", all[kept[0]].added, true); err != nil {
				return err
			}
			if err := cw.setFlag(ctx, "is_last", all[kept[len(kept)-1]].added, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete %s from %s: %w", d.ID, d.Collection, err)
	}
	return n, nil
}
