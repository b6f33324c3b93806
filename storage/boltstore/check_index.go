package boltstore

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// entryNames checks that an entry dated added names a stored version
// whose record carries the same date_added; it returns that version's key.
func (cc *collectionCheck) entryNames(objects *bolt.Bucket, what string, key []byte, added stamp) bool {
	v := objects.Get(key)
	if v == nil {
		cc.rep.Add("collection %s: %s entry at %s names %q, which is not stored", cc.name, what, added.time(), key)
		return false
	}
	rec, err := decodeRecord(v)
	if err == nil && rec.added != added {
		cc.rep.Add("collection %s: %s entry at %s names %q, added at %s", cc.name, what, added.time(), key, rec.added.time())
		return false
	}
	return err == nil
}

// checkIndex walks the index families: 'A' holds every version once
// (untyped and typed), 'F' and 'L' every id once, naming its first and
// last version.
func (cc *collectionCheck) checkIndex(objects, index *bolt.Bucket) {
	counts := map[string]int{}
	cur := objects.Cursor()
	_ = index.ForEach(func(k, v []byte) error {
		kind, typ, added, ok := splitIndexKey(k)
		if !ok {
			cc.rep.Add("collection %s: index key %q malformed", cc.name, k)
			return nil
		}
		family := string(kind)
		if typ != nil {
			family += "+type"
			// typ points into the memory map: compare, never append to it.
			if !bytes.HasPrefix(v, typ) || !bytes.HasPrefix(v[len(typ):], []byte("--")) {
				cc.rep.Add("collection %s: %s index of type %s names %q", cc.name, string(kind), typ, v)
			}
		}
		counts[family]++
		if !cc.entryNames(objects, "index", v, added) || kind == kindAll {
			return nil
		}
		cc.checkBound(cur, kind, v)
		return nil
	})
	for _, kind := range []byte{kindAll, kindFirst, kindLast} {
		want := cc.ids
		if kind == kindAll {
			want = cc.versions
		}
		for _, family := range []string{string(kind), string(kind) + "+type"} {
			if counts[family] != want {
				cc.rep.Add("collection %s: %d entries in index %s, want %d", cc.name, counts[family], family, want)
			}
		}
	}
}

// checkBound: a first/last entry names the id's first/last version.
func (cc *collectionCheck) checkBound(cur *bolt.Cursor, kind byte, key []byte) {
	id, _, ok := splitIDKey(key)
	if !ok {
		return
	}
	prefix := idPrefix(string(id))
	var want []byte
	if kind == kindLast {
		want, _ = lastWithPrefix(cur, prefix)
	} else {
		want, _ = cur.Seek(prefix)
	}
	if !bytes.Equal(want, key) {
		cc.rep.Add("collection %s: index %c names %s, not the %s version", cc.name, kind, fmtKey(key), map[byte]string{kindFirst: "first", kindLast: "last"}[kind])
	}
}

func fmtKey(key []byte) string {
	id, v, ok := splitIDKey(key)
	if !ok {
		return fmt.Sprintf("%q", key)
	}
	return fmt.Sprintf("%s@%s", id, v.time().Format("2006-01-02T15:04:05.000000Z"))
}
