package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// Records returns the entries of a collection that match q, ascending by
// date_added, at most q.Limit of them (capped by MaxLimit; a Limit <= 0
// means MaxLimit). A collection with no entries yields an empty page. The
// returned records own their memory.
func (s *Store) Records(ctx context.Context, q storage.Query) (storage.Page, error) {
	if err := ctx.Err(); err != nil {
		return storage.Page{}, err
	}
	if none, err := q.Runnable(); none || err != nil {
		return storage.Page{}, err
	}
	var page storage.Page
	err := s.view(func(tx *bolt.Tx) error {
		r := s.newReader(tx, q)
		if r == nil {
			return nil
		}
		var err error
		page, err = r.run()
		return err
	})
	if err != nil {
		return storage.Page{}, fmt.Errorf("read collection %s: %w", q.Collection, err)
	}
	return page, nil
}

// ObjectExists reports whether any version of the object is in the collection.
func (s *Store) ObjectExists(ctx context.Context, collection, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if !storage.IsID(id) {
		return false, nil
	}
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		if ids := collectionBucket(tx, collection, bucketIDs); ids != nil {
			k, _ := ids.Cursor().Seek(idPrefix(id))
			found = k != nil && bytes.HasPrefix(k, idPrefix(id))
		}
		return nil
	})
	return found, err
}

// reader runs one query inside one read transaction.
type reader struct {
	q       storage.Query
	records *bolt.Bucket
	ids     *bolt.Bucket
	limit   int
	budget  int
	from    stamp
	at      map[stamp]bool
	types   map[string]bool
	specs   map[string]bool
	m       merger
}

// newReader returns nil when the collection has never been written.
func (s *Store) newReader(tx *bolt.Tx, q storage.Query) *reader {
	records, ids := collectionBucket(tx, q.Collection, bucketRecords), collectionBucket(tx, q.Collection, bucketIDs)
	if records == nil || ids == nil {
		return nil
	}
	r := &reader{q: q, records: records, ids: ids, limit: q.PageLimit(s.maxLimit), budget: s.budget,
		from: lowerBound(q), types: setOf(q.Types), specs: setOf(q.SpecVersions)}
	if len(q.Versions.At) > 0 {
		r.at = make(map[stamp]bool, len(q.Versions.At))
		for _, t := range q.Versions.At {
			r.at[stampOf(t)] = true
		}
	}
	if q.Versions.IsZero() {
		r.q.Versions.Last = true
	}
	switch {
	case len(q.IDs) > 0:
		r.m.streams = r.idStreams()
	case len(q.Types) > 0:
		r.m.streams = r.typeStreams(collectionBucket(tx, q.Collection, bucketTypes))
	default:
		r.m.streams = []stream{newRecordStream(records, r.from)}
	}
	return r
}

// lowerBound is the first date_added a query may return, as a stamp.
func lowerBound(q storage.Query) stamp {
	if from, ok := q.From(); ok {
		return stampOf(from)
	}
	return 0
}

func setOf(values []string) map[string]bool {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

func (r *reader) typeStreams(types *bolt.Bucket) []stream {
	if types == nil {
		return nil
	}
	var streams []stream
	for _, typ := range uniq(r.q.Types) {
		if storage.IsType(typ) { // anything else cannot be stored, and must not be framed into a key
			streams = append(streams, newTypeStream(types, typ, r.from))
		}
	}
	return streams
}

func (r *reader) idStreams() []stream {
	var streams []stream
	for _, id := range uniq(r.q.IDs) {
		if !storage.IsID(id) {
			continue
		}
		typ, _, _ := strings.Cut(id, "--")
		if r.types != nil && !r.types[typ] {
			continue
		}
		if entries := r.idEntries(id); len(entries) > 0 {
			streams = append(streams, &sliceStream{entries: entries})
		}
	}
	return streams
}

// idEntries looks up the candidate versions of one object in the ids
// bucket (resolve then applies the version filter to each).
func (r *reader) idEntries(id string) []entry {
	var entries []entry
	add := func(v []byte) {
		if len(v) == 8 && stampAt(v) >= r.from {
			entries = append(entries, entry{added: stampAt(v)})
		}
	}
	prefix := idPrefix(id)
	c := r.ids.Cursor()
	if r.q.Versions.All { // an object has few versions: all of them, by date_added
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			add(v)
		}
	}
	if r.q.Versions.First {
		if k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
			add(v)
		}
	}
	if r.q.Versions.Last {
		_, v := lastWithPrefix(c, prefix)
		add(v)
	}
	for at := range r.at {
		if at != unversioned {
			add(r.ids.Get(idKey(id, at)))
		}
	}
	if len(r.at) > 0 { // an unversioned object's version is its date_added
		add(r.ids.Get(idKey(id, unversioned)))
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.added, b.added) })
	return slices.CompactFunc(entries, func(a, b entry) bool { return a.added == b.added })
}

func uniq(values []string) []string {
	out := slices.Clone(values)
	slices.Sort(out)
	return slices.Compact(out)
}

// run pulls merged entries until the page holds limit matches and one more
// match proves there are more, the streams end, or the scan budget is spent.
func (r *reader) run() (storage.Page, error) {
	// Sized for a full page up front: growing it cost a quarter of a
	// page's read in a profile.
	page := storage.Page{Records: make([]storage.Record, 0, min(r.limit, 1024))}
	var pos stamp
	for scanned := 0; ; scanned++ {
		if scanned == r.budget {
			if _, more := r.m.peek(); more {
				page.More, page.Next = true, storage.Position{DateAdded: pos.time()}
			}
			return page, nil
		}
		e, ok := r.m.next()
		if !ok {
			return page, nil
		}
		rec, json, match, err := r.resolve(e)
		if err != nil {
			return storage.Page{}, err
		}
		if match {
			if len(page.Records) == r.limit {
				page.More, page.Next = true, storage.Position{DateAdded: pos.time()}
				return page, nil
			}
			switch {
			case r.q.Emit != nil:
				r.q.Emit(json)
			case !r.q.WithoutObjects:
				rec.JSON = bytes.Clone(json)
			}
			page.Records = append(page.Records, rec)
		}
		pos = e.added
	}
}

// resolve reads the entry's record and applies the filters its stream did
// not already apply. The JSON returned points into the transaction's pages.
func (r *reader) resolve(e entry) (storage.Record, []byte, bool, error) {
	v := e.record
	if v == nil {
		if v = r.records.Get(e.added.appendTo(nil)); v == nil {
			return storage.Record{}, nil, false, fmt.Errorf("entry %s names a missing record", e.added.time())
		}
	}
	rec, err := decodeRecord(v)
	if err != nil {
		return storage.Record{}, nil, false, fmt.Errorf("record %s: %w", e.added.time(), err)
	}
	if r.specs != nil && !r.specs[string(rec.specVersion)] {
		return storage.Record{}, nil, false, nil
	}
	if !r.selects(rec, e.added) {
		return storage.Record{}, nil, false, nil
	}
	out := storage.Record{
		ID:          string(rec.id),
		DateAdded:   e.added.time(),
		Version:     rec.version.time(),
		VersionText: string(rec.versionText),
		SpecVersion: storage.SpecVersion, // all that is stored; no copy per record
	}
	if string(rec.specVersion) != storage.SpecVersion {
		out.SpecVersion = string(rec.specVersion)
	}
	return out, rec.json, true, nil
}

// selects applies match[version] to one record.
func (r *reader) selects(rec record, added stamp) bool {
	v := r.q.Versions
	return v.All ||
		(v.First && rec.flags&flagFirst != 0) ||
		(v.Last && rec.flags&flagLast != 0) ||
		r.at[rec.effectiveVersion(added)]
}

// ValueRecords returns the objects of a collection that carry an
// indicator value (see storage.IndexValues), each at its latest version,
// newest first, at most limit of them, with their JSON.
func (s *Store) ValueRecords(ctx context.Context, collection, value string, limit int) ([]storage.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	value = storage.NormalizeValue(value)
	if value == "" || strings.ContainsRune(value, 0) || limit <= 0 {
		return nil, nil
	}
	limit = min(limit, s.maxLimit)
	var out []storage.Record
	err := s.view(func(tx *bolt.Tx) error {
		values, records := collectionBucket(tx, collection, bucketValues), collectionBucket(tx, collection, bucketRecords)
		if values == nil || records == nil {
			return nil
		}
		prefix := valuePrefix(value)
		c := values.Cursor()
		k, _ := lastWithPrefix(c, prefix)
		for scanned := 0; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit && scanned < s.budget; k, _ = c.Prev() {
			scanned++
			added := stampAt(k[len(k)-8:])
			v := records.Get(k[len(k)-8:])
			if v == nil {
				return fmt.Errorf("values entry %q names a missing record %s", value, added.time())
			}
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("record %s: %w", added.time(), err)
			}
			if rec.flags&flagLast == 0 {
				continue // an older version: its object's latest is met too, or carries the value no more
			}
			out = append(out, storage.Record{ID: string(rec.id), DateAdded: added.time(), Version: rec.version.time(),
				VersionText: string(rec.versionText), SpecVersion: string(rec.specVersion), JSON: bytes.Clone(rec.json)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read collection %s: %w", collection, err)
	}
	return out, nil
}
