package boltstore

import (
	"bytes"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	bolt "go.etcd.io/bbolt"
)

// collectionCheck checks one collection's buckets against each other.
type collectionCheck struct {
	b       *bolt.Bucket
	name    string
	rep     *CheckReport
	objects bool
}

func (cc *collectionCheck) run() {
	for _, old := range [][]byte{bucketHistory, bucketObjects, bucketIndex} {
		if cc.b.Bucket(old) != nil {
			cc.rep.Add("collection %s: a %s bucket, which schema %d no longer has", cc.name, old, SchemaVersion)
		}
	}
	cw, err := collectionBuckets(cc.b, false)
	if err != nil {
		cc.rep.Add("collection %s: %v", cc.name, err)
		return
	}
	if cc.b.Get(keyValuesFrom) != nil {
		cc.rep.Add("collection %s: its values index is half built", cc.name)
	}
	versions, values := cc.checkRecords(cw)
	for _, b := range []struct {
		name   []byte
		bucket *bolt.Bucket
		want   int
	}{{bucketIDs, cw.ids, versions}, {bucketTypes, cw.types, versions}, {bucketValues, cw.values, values}} {
		// Every record found its own entries in each: equal counts mean
		// there is no other.
		if n := b.bucket.Stats().KeyN; n != b.want {
			cc.rep.Add("collection %s: %d entries in %s, want %d", cc.name, n, b.name, b.want)
		}
	}
}

// checkRecords decodes every record, checks that its ids, types and
// values entries name it and that its flags are right, and counts the
// records and the values entries they call for.
func (cc *collectionCheck) checkRecords(cw *collectionWriter) (n, values int) {
	ids := cw.ids.Cursor()
	_ = cw.records.ForEach(func(k, v []byte) error {
		n++
		cc.rep.Versions++
		if len(k) != 8 {
			cc.rep.Add("collection %s: record key %q malformed", cc.name, k)
			return nil
		}
		added := stampAt(k)
		rec, err := decodeRecord(v)
		if err != nil || !storage.IsID(string(rec.id)) {
			cc.rep.Add("collection %s: record %s: malformed", cc.name, fmtStamp(added))
			return nil
		}
		key := idKey(string(rec.id), rec.version)
		if got := cw.ids.Get(key); !bytes.Equal(got, k) {
			cc.rep.Add("collection %s: record %s (%s): the ids entry names %x", cc.name, fmtStamp(added), rec.id, got)
		}
		typ := string(typeOfID(rec.id))
		if cw.types.Get(typeKey(typ, added)) == nil {
			cc.rep.Add("collection %s: record %s (%s) has no types entry", cc.name, fmtStamp(added), rec.id)
		}
		for _, v := range storage.IndexValues(typ, rec.json) {
			values++
			if found, _ := cw.values.Cursor().Seek(valueKey(v, added)); !bytes.Equal(found, valueKey(v, added)) {
				cc.rep.Add("collection %s: record %s (%s) has no values entry for %q", cc.name, fmtStamp(added), rec.id, v)
			}
		}
		cc.checkFlags(ids, added, key, rec)
		if cc.objects {
			cc.checkJSON(added, rec)
		}
		return nil
	})
	return n, values
}

// checkFlags: a record is flagged first (last) exactly when no version of
// its object sorts before (after) it.
func (cc *collectionCheck) checkFlags(ids *bolt.Cursor, added stamp, key []byte, rec record) {
	prefix := key[:len(key)-8]
	firstKey, _ := ids.Seek(prefix)
	lastKey, _ := lastWithPrefix(ids, prefix)
	for _, f := range []struct {
		flag byte
		name string
		is   bool
	}{{flagFirst, "first", bytes.Equal(firstKey, key)}, {flagLast, "last", bytes.Equal(lastKey, key)}} {
		if (rec.flags&f.flag != 0) != f.is {
			cc.rep.Add("collection %s: record %s (%s): %s flag %t, but it is the %s version: %t",
				cc.name, fmtStamp(added), rec.id, f.name, rec.flags&f.flag != 0, f.name, f.is)
		}
	}
}

func (cc *collectionCheck) checkJSON(added stamp, rec record) {
	obj, err := storage.ParseObject(rec.json)
	switch {
	case err != nil:
		cc.rep.Add("collection %s: object %s: %v", cc.name, rec.id, err)
	case obj.ID != string(rec.id) || stampOf(obj.Version) != rec.version:
		cc.rep.Add("collection %s: record %s of %s version %s holds %s version %s", cc.name, fmtStamp(added), rec.id,
			rec.version.time().Format(time.RFC3339Nano), obj.ID, obj.VersionText)
	}
}

func fmtStamp(s stamp) string { return s.time().Format("2006-01-02T15:04:05.000000Z") }
