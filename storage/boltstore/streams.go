package boltstore

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// entry is one collection entry met during a read: its date_added and,
// when the stream read it already, its record.
type entry struct {
	added  stamp
	record []byte
}

// stream yields entries in ascending date_added order.
type stream interface {
	peek() (entry, bool)
	advance()
}

// recordStream walks the records bucket from a date_added onwards: every
// version of every type.
type recordStream struct {
	c    *bolt.Cursor
	k, v []byte
}

func newRecordStream(records *bolt.Bucket, from stamp) *recordStream {
	s := &recordStream{c: records.Cursor()}
	s.k, s.v = s.c.Seek(from.appendTo(nil))
	return s
}

func (s *recordStream) peek() (entry, bool) {
	if len(s.k) != 8 {
		return entry{}, false
	}
	return entry{added: stampAt(s.k), record: s.v}, true
}

func (s *recordStream) advance() { s.k, s.v = s.c.Next() }

// typeStream walks one type's entries of the types bucket from a
// date_added onwards.
type typeStream struct {
	c      *bolt.Cursor
	prefix []byte
	k      []byte
}

func newTypeStream(types *bolt.Bucket, typ string, from stamp) *typeStream {
	s := &typeStream{c: types.Cursor(), prefix: typePrefix(typ)}
	s.k, _ = s.c.Seek(typeKey(typ, from))
	return s
}

func (s *typeStream) peek() (entry, bool) {
	if s.k == nil || len(s.k) != len(s.prefix)+8 || !bytes.HasPrefix(s.k, s.prefix) {
		return entry{}, false
	}
	return entry{added: stampAt(s.k[len(s.prefix):])}, true
}

func (s *typeStream) advance() { s.k, _ = s.c.Next() }

// sliceStream yields entries gathered up front, already sorted.
type sliceStream struct{ entries []entry }

func (s *sliceStream) peek() (entry, bool) {
	if len(s.entries) == 0 {
		return entry{}, false
	}
	return s.entries[0], true
}

func (s *sliceStream) advance() { s.entries = s.entries[1:] }

// merger merges streams by date_added. An entry present in several streams
// (the same date_added, hence the same collection entry) comes out once.
type merger struct{ streams []stream }

func (m *merger) next() (entry, bool) {
	if len(m.streams) == 1 { // the common case: nothing to merge
		e, ok := m.streams[0].peek()
		if ok {
			m.streams[0].advance()
		}
		return e, ok
	}
	best, ok := m.peek()
	if !ok {
		return entry{}, false
	}
	for _, s := range m.streams {
		if e, ok := s.peek(); ok && e.added == best.added {
			s.advance()
		}
	}
	return best, true
}

func (m *merger) peek() (entry, bool) {
	var best entry
	found := false
	for _, s := range m.streams {
		if e, ok := s.peek(); ok && (!found || e.added < best.added) {
			best, found = e, true
		}
	}
	return best, found
}
