package ingest

import (
	"context"
	"encoding/json"
	"time"
)

// reaperMax is the most entries a compromised/reaper search returns:
// fuller windows are narrowed until they fit.
const reaperMax = 10000

// searchWindow reads one date window of a search-only collection, from
// the checkpoint to now, in one session, committing page by page. The
// checkpoint moves only when the window is complete; a failure restarts
// the window (a resultId dies with any failed call), and re-read items
// are no-ops in the store. more reports a narrowed window, after which
// the next one follows at once.
func (l *loop) searchWindow(ctx context.Context, st *State) (bool, error) {
	now := l.r.now().UTC().Truncate(time.Second)
	from := now.Add(-l.c.Lookback)
	if st.Checkpoint != nil {
		from = *st.Checkpoint
	}
	to := now
	page, err := l.r.client.Search(ctx, l.c.Name, from, to, l.c.Limit, l.c.Params)
	for err == nil && l.c.SearchMax > 0 && page.Count >= int64(l.c.SearchMax) && to.Sub(from) > time.Minute {
		to = from.Add(to.Sub(from) / 2).Truncate(time.Second)
		page, err = l.r.client.Search(ctx, l.c.Name, from, to, l.c.Limit, l.c.Params)
	}
	if err != nil {
		return false, err
	}
	narrowed := to.Before(now)
	newest, fetched := from, int64(0)
	for {
		began := time.Now()
		fetched += int64(len(page.Items))
		newest = latestUpdate(newest, page.Items)
		st.Queued = max(page.Count-fetched, 0)
		res, err := l.commit(ctx, st, page.Items)
		if err != nil {
			return false, err
		}
		l.logPage(page.Items, res, st.Queued, time.Since(began), "window", from.Format(time.RFC3339)+"/"+to.Format(time.RFC3339))
		if len(page.Items) == 0 || fetched >= page.Count || page.ResultID == "" {
			break
		}
		if page, err = l.r.client.SearchNext(ctx, l.c.Name, page.ResultID); err != nil {
			return false, err
		}
	}
	// A narrowed window is complete up to its end; an open one only up to
	// the newest item seen, in case the API indexes late.
	checkpoint := newest
	if narrowed {
		checkpoint = to
	}
	st.Checkpoint = &checkpoint
	if _, err := l.commit(ctx, st, nil); err != nil {
		return false, err
	}
	return narrowed, nil
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
