package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

const (
	// reaperMax is the most entries a compromised/reaper search returns.
	reaperMax = 10000
	// windowOverlap re-reads the last second of the previous window, in
	// case the API treats df as exclusive; re-read items are no-ops in the
	// store. (Late indexing is covered by checkpointing an open window only
	// up to the newest item it returned.)
	windowOverlap = time.Second
	// minWindow is the smallest window a narrowing or a failure leads to.
	minWindow = time.Second
)

// searchWindow reads one date window of a search-only collection in one
// session, committing page by page. The checkpoint moves only when the
// window was read completely. A failure restarts the window, smaller (a
// resultId dies with any failed call). more reports that the window ended
// before now, so the next one follows at once.
func (l *loop) searchWindow(ctx context.Context, st *State) (bool, error) {
	now := l.r.now().UTC().Truncate(time.Second)
	from := now.Add(-l.c.Lookback)
	// Every window must end after the checkpoint, so that narrowing can
	// never stall on the overlap.
	floor := from.Add(minWindow)
	if st.Checkpoint != nil {
		from = st.Checkpoint.Add(-windowOverlap)
		floor = st.Checkpoint.Add(minWindow)
	}
	to := latest(earliest(now, from.Add(l.span)), floor)
	page, to, err := l.openSession(ctx, from, to, floor)
	if err == nil {
		err = l.readSession(ctx, st, page, from, to)
	}
	if err != nil {
		l.span = max(to.Sub(from)/2, minWindow)
		return false, err
	}
	l.span = min(l.span*2, l.c.MaxWindow)
	if l.once != nil {
		return to.Before(l.once.start), nil
	}
	return to.Before(now), nil
}

// openSession starts a session on [from, to], halving the window while it
// holds more entries than the collection serves per search.
func (l *loop) openSession(ctx context.Context, from, to, floor time.Time) (SearchPage, time.Time, error) {
	for {
		page, err := l.r.client.Search(ctx, l.c.Name, from, to, l.limit, l.c.Params)
		if err != nil || l.c.SearchMax <= 0 || page.Count < int64(l.c.SearchMax) {
			return page, to, err
		}
		if !to.After(floor) {
			// A full search per second: read what the API serves and say
			// loudly what it could not.
			l.log.Error("more entries in one second than one search serves; some are not readable",
				"window_start", from, "entries", page.Count, "served", l.c.SearchMax)
			return page, to, nil
		}
		to = latest(from.Add(to.Sub(from)/2).Truncate(time.Second), floor)
	}
}

// readSession commits the session's pages, then the checkpoint. The
// window is complete only when the session ended with an empty page after
// serving every entry it counted (up to what one search serves).
func (l *loop) readSession(ctx context.Context, st *State, page SearchPage, from, to time.Time) error {
	expected := page.Count
	if l.c.SearchMax > 0 {
		expected = min(expected, int64(l.c.SearchMax))
	}
	newest, fetched := from, int64(0)
	for {
		began := time.Now()
		fetched += int64(len(page.Items))
		newest = latestUpdate(newest, page.Items)
		st.Queued = max(expected-fetched, 0)
		res, err := l.commit(ctx, st, page.Items, nil)
		if err != nil {
			return err
		}
		if len(page.Items) > 0 {
			l.logPage(page.Items, res, st.Queued, time.Since(began), "window", from.Format(time.RFC3339)+"/"+to.Format(time.RFC3339))
		}
		if len(page.Items) == 0 || page.ResultID == "" {
			break
		}
		if page, err = l.r.client.SearchNext(ctx, l.c.Name, page.ResultID, l.limit); err != nil {
			return err
		}
	}
	if fetched < expected {
		return fmt.Errorf("group-ib %s: search %s/%s ended after %d of %d entries: %w", l.c.Name,
			from.Format(time.RFC3339), to.Format(time.RFC3339), fetched, expected, ErrBadPage)
	}
	// A window ending before now is complete up to its end; an open one
	// only up to the newest item seen, in case the API indexes late.
	checkpoint := earliest(newest, to)
	if to.Before(l.r.now().UTC().Truncate(time.Second)) {
		checkpoint = to
	}
	if st.Checkpoint != nil {
		checkpoint = latest(checkpoint, *st.Checkpoint) // never backwards
	}
	st.Checkpoint = &checkpoint
	_, err := l.commit(ctx, st, nil, nil)
	return err
}

// latestUpdate returns the newest update time among items (updateTime in
// compromised/breached, datetime in compromised/reaper) and t.
func latestUpdate(t time.Time, items []json.RawMessage) time.Time {
	for _, item := range items {
		h := headOf(item)
		for _, v := range []flexString{h.UpdateTime, h.Datetime} {
			if u, ok := parseAPITime(string(v)); ok && u.After(t) {
				t = u.UTC().Truncate(time.Second)
			}
		}
	}
	return t
}

// parseAPITime reads the date formats the Group-IB API uses.
func parseAPITime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
