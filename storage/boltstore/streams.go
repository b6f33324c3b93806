package boltstore

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// entry is one collection entry met during a read: its date_added and its
// objects key. exact is set when the source already guarantees the entry
// matches the query's versions (first, last, or a looked-up version).
type entry struct {
	added stamp
	key   []byte
	exact bool
}

// stream yields entries in ascending date_added order.
type stream interface {
	peek() (entry, bool)
	advance()
}

// indexStream walks one index family from a date_added onwards.
type indexStream struct {
	c      *bolt.Cursor
	prefix []byte
	k, v   []byte
	exact  bool
}

func newIndexStream(index *bolt.Bucket, kind byte, typ string, from stamp, exact bool) *indexStream {
	s := &indexStream{c: index.Cursor(), prefix: indexPrefix(kind, typ), exact: exact}
	seek := from.appendTo(append([]byte(nil), s.prefix...))
	s.k, s.v = s.c.Seek(seek)
	return s
}

func (s *indexStream) peek() (entry, bool) {
	if s.k == nil || len(s.k) != len(s.prefix)+8 || !bytes.HasPrefix(s.k, s.prefix) {
		return entry{}, false
	}
	return entry{added: stampAt(s.k[len(s.prefix):]), key: s.v, exact: s.exact}, true
}

func (s *indexStream) advance() { s.k, s.v = s.c.Next() }

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
// (the same date_added, hence the same collection entry) comes out once,
// exact if any source vouched for it.
type merger struct{ streams []stream }

func (m *merger) next() (entry, bool) {
	best, ok := m.peek()
	if !ok {
		return entry{}, false
	}
	for _, s := range m.streams {
		if e, ok := s.peek(); ok && e.added == best.added {
			best.exact = best.exact || e.exact
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
