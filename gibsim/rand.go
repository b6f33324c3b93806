package gibsim

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// newRand returns a random source determined by the seed, the collection,
// the item index and the revision (-1 for revision-independent values).
func newRand(seed uint64, collection string, index, revision int) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(collection))
	binary.LittleEndian.PutUint64(b[:], uint64(index))
	h.Write(b[:])
	s1 := h.Sum64()
	binary.LittleEndian.PutUint64(b[:], uint64(int64(revision)))
	h.Write(b[:])
	return rand.New(rand.NewPCG(s1, h.Sum64()))
}

// newItem prepares the generator context of one item revision.
func newItem(spec *Spec, seed uint64, drift float64, index, revision int, firstSeen, updated time.Time) *Item {
	return &Item{
		Collection: spec.Name,
		ID:         itemID(spec.IDForm, seed, spec.Name, index),
		Index:      index,
		Revision:   revision,
		FirstSeen:  firstSeen,
		Updated:    updated,
		rng:        newRand(seed, spec.Name, index, revision),
		stable:     newRand(seed^0x5eed, spec.Name, index, -1),
		drift:      drift,
	}
}
