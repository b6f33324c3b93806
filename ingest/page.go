package ingest

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gib-taxii/gib-taxii/storage"
)

// mapPage routes a page's mapped items (mapAll) to TAXII collections. An
// item whose mapping fails, or yields an invalid object, is skipped whole
// (logged with its id and counted): one bad item never fails a page. The
// objects are routed in item order, so a page always gives the same
// writes.
func (l *loop) mapPage(items []json.RawMessage, mapped []mappedItem) ([]storage.Write, int) {
	byCollection := map[string][]storage.Object{}
	seen := map[string]map[objectKey]bool{}
	skipped := 0
	var firstErr error
	for i, m := range mapped {
		if m.err != nil {
			skipped++
			firstErr = cmpFirst(firstErr, m.err)
			if skipped <= maxSkipLogs { // then only the page summary, not a flood
				l.log.Warn("item skipped", "item_id", string(headOf(items[i]).ID), "error", m.err.Error())
			}
			continue
		}
		for _, obj := range m.objs {
			for _, route := range l.c.Routes {
				if route.Types != nil && !route.Types[obj.Type] {
					continue
				}
				k := objectKey{obj.ID, obj.VersionText}
				if seen[route.Collection] == nil {
					seen[route.Collection] = map[objectKey]bool{}
				}
				if !seen[route.Collection][k] { // the identity and markings come with every item
					seen[route.Collection][k] = true
					byCollection[route.Collection] = append(byCollection[route.Collection], obj)
				}
			}
		}
	}
	if skipped > 0 {
		l.log.Warn("items skipped", "skipped", skipped, "items", len(items), "first_error", firstErr.Error())
	}
	var writes []storage.Write
	for _, route := range l.c.Routes {
		if objs := byCollection[route.Collection]; len(objs) > 0 {
			writes = append(writes, storage.Write{Collection: route.Collection, Objects: objs, Report: true})
			delete(byCollection, route.Collection)
		}
	}
	return writes, skipped
}

type mappedItem struct {
	objs []storage.Object
	err  error
}

// mapAll maps every item, on up to GOMAXPROCS goroutines that end with
// the call. Mapping is three quarters of ingest's CPU once commits are
// cheap; the engine is pure, so items map independently.
func (l *loop) mapAll(items []json.RawMessage) []mappedItem {
	out := make([]mappedItem, len(items))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(items); i = int(next.Add(1) - 1) {
				out[i].objs, out[i].err = l.mapItem(items[i])
			}
		})
	}
	wg.Wait()
	return out
}

// maxSkipLogs is how many skipped items a page logs one by one.
const maxSkipLogs = 10

type objectKey struct{ id, version string }

func (l *loop) mapItem(item json.RawMessage) (objs []storage.Object, err error) {
	defer func() {
		// A mapping that panics on one item (a custom mapping's bug) must
		// not kill the process and then crash-loop on the same page.
		if r := recover(); r != nil {
			objs, err = nil, fmt.Errorf("item %s: mapping panicked: %v", headOf(item).ID, r)
		}
	}()
	mapped, err := l.r.mapper.MapObjects(l.c.Name, item)
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", headOf(item).ID, err)
	}
	objs = make([]storage.Object, 0, len(mapped))
	for _, m := range mapped {
		h := m.Head
		obj, err := storage.ObjectFromFields(h.ID, h.Type, h.SpecVersion, h.Created, h.Modified, m.JSON)
		if err != nil {
			return nil, fmt.Errorf("item %s: mapped object: %w", headOf(item).ID, err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

func cmpFirst(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
