package boltstore

import (
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
)

// The scan budget is this store's bound on the entries one query examines
// (a filter matching little cannot turn a page into a full scan): the
// page ends early with More. A database backend relies on its indexes.
func TestRecordsScanBudgetEndsPageEarly(t *testing.T) {
	s := MustOpen(t, Options{ScanBudget: 5})
	var objs []storage.Object
	for i := range 12 {
		objs = append(objs, stix(t, "indicator", i, t0))
	}
	objs = append(objs, stix(t, "indicator", 99, t0.Add(time.Hour)))
	mustCommit(t, s, "c1", objs...)

	// Only the last entry has this version: each page examines 5 entries.
	q := storage.Query{Collection: "c1", Versions: storage.Versions{At: []time.Time{t0.Add(time.Hour)}}}
	var pages int
	var got []string
	for pages = 1; pages < 10; pages++ {
		page := mustRecords(t, s, q)
		got = append(got, ids(page)...)
		if !page.More {
			break
		}
		q.Resume = page.Next
	}
	assert.Equal(t, []string{id("indicator", 99)}, got)
	assert.Equal(t, 3, pages, "13 entries at 5 per page")
}
