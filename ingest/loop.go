package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
)

// loop polls one Group-IB collection. It is used by one goroutine.
type loop struct {
	r   *Runner
	c   CollectionConfig
	log *slog.Logger
	// limit is the page size in use: lowered when big pages fail, raised
	// back towards c.Limit after limitRecovery good pages.
	limit     int
	goodPages int
	// span bounds search windows; it halves after a failed window.
	span time.Duration
	// st is the collection's state: read from the store once, then kept
	// here, so that failures count even when the store cannot record them.
	st *State
	// rate is the smoothed ingest rate in items per second, for the ETA.
	rate float64
	// once bounds a one-off pass (RunOnce); nil for the poll loop.
	once *passBound
	// held is an /updated page fetched but not stored (the store failed):
	// the next attempt stores it instead of downloading it again.
	held *heldPage
	// ahead is the next /updated page, downloading while this one is
	// committed; nil when none is.
	ahead *prefetch
}

// heldPage is an /updated page, its mapped items and the position it was
// fetched from.
type heldPage struct {
	from   int64
	page   UpdatedPage
	mapped []mappedItem
}

// limitRecovery is how many good pages double a lowered page size.
const limitRecovery = 10

func (r *Runner) newLoop(c CollectionConfig) *loop {
	return &loop{r: r, c: c, log: r.log.With("gib_collection", c.Name), limit: c.Limit, span: c.MaxWindow}
}

// run polls until ctx ends: read everything available, wait, repeat. A
// damaged store ends it: writing on would spread the damage.
func (l *loop) run(ctx context.Context) {
	defer l.dropAhead()
	for {
		err := l.catchUp(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, storage.ErrCorrupt) {
			l.log.Error("ingest stopped: the store file is damaged", "error", err.Error())
			return
		}
		wait := l.c.PollInterval
		if err != nil {
			wait = l.pause(err)
		}
		if sleep(ctx, wait) != nil {
			return
		}
	}
}

// catchUp reads pages until the API has nothing more. A failure is
// recorded in the collection's state and returned.
func (l *loop) catchUp(ctx context.Context) (err error) {
	defer func() {
		// A page fetched ahead is kept across a failed write (the retry
		// needs it next, and a download costs API quota); otherwise a
		// pass leaves no download running.
		if !errors.Is(err, ErrStore) {
			l.dropAhead()
		}
	}()
	if l.st == nil {
		st, err := LoadState(ctx, l.r.store, l.c.Name)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrStore, err)
		}
		l.st = &st
		l.r.setHealth(l.c.Name, st)
	}
	if l.st.ConsecutiveErrors > 0 && l.st.LastErrorStore {
		// Nothing is downloaded until the store takes a write again.
		if err := l.saveState(ctx); err != nil {
			l.recordError(ctx, l.st, err)
			return err
		}
	}
	for {
		var more bool
		if l.c.Search {
			more, err = l.searchWindow(ctx, l.st)
		} else {
			more, err = l.updatedPage(ctx, l.st)
		}
		if err != nil {
			l.recordError(ctx, l.st, err)
			return err
		}
		l.r.setHealth(l.c.Name, *l.st)
		if !more {
			return nil
		}
	}
}

// pause is how long to wait after a failed pass: long for access
// problems, which need an operator; exponential in the failures in a
// row for the rest (counted in memory, so a store that cannot record
// them still backs off).
func (l *loop) pause(err error) time.Duration {
	if errors.Is(err, ErrAccessDenied) {
		return l.r.accessPause
	}
	n := 1
	if l.st != nil {
		n = l.st.ConsecutiveErrors
	}
	d := l.c.PollInterval / 16 << min(max(n-1, 0), 10)
	return min(max(d, time.Second), l.r.errorPause)
}

// updatedPage fetches and commits one /updated page. more reports that
// the page had items, so the next one may too.
func (l *loop) updatedPage(ctx context.Context, st *State) (bool, error) {
	next := *st
	if next.SeqUpdate == nil {
		start := l.r.now().Add(-l.c.Lookback)
		seq, err := l.r.client.SequenceList(ctx, l.c.Name, start, l.c.Params)
		if err != nil {
			return false, err
		}
		next.SeqUpdate = &seq
		l.log.Info("starting collection", "since", start.Format(time.DateOnly), "seq_update", seq)
	}
	began := time.Now()
	from := *next.SeqUpdate
	page, mapped, err := l.fetchUpdated(ctx, from)
	if err != nil {
		return false, err
	}
	next.SeqUpdate, next.Queued = &page.Next, page.Count
	if page.Next != from && (l.once == nil || !l.once.reached(len(page.Items), page.Count)) {
		l.fetchAhead(ctx, page.Next, page)
	}
	res, err := l.commit(ctx, &next, page.Items, mapped)
	if err != nil {
		// Keep the start position and the page in memory (and the one
		// fetched ahead): the retry stores them without asking the API
		// again.
		st.SeqUpdate = &from
		l.held = &heldPage{from: from, page: page, mapped: mapped}
		return false, err
	}
	l.held = nil
	*st = next
	l.logPage(page.Items, res, page.Count, time.Since(began), "seq_update", page.Next)
	return len(page.Items) > 0 && (!page.CountKnown || l.onceWants(len(page.Items), page.Count)), nil
}

// onceWants reports whether a one-off pass reads on after a page of n
// items with queued left: until the items queued at its first page are
// read, whatever arrives meanwhile. (Without a count from the API, a pass
// reads until an empty page.)
func (l *loop) onceWants(n int, queued int64) bool {
	switch {
	case l.once == nil:
		return true
	case l.once.queued < 0:
		l.once.queued = queued
	default:
		l.once.queued -= int64(n)
	}
	return l.once.queued > 0
}

// fetchUpdated returns the page held from a failed store write at seq,
// the one prefetched, or downloads it; with its items mapped, unless it
// was just downloaded.
func (l *loop) fetchUpdated(ctx context.Context, seq int64) (UpdatedPage, []mappedItem, error) {
	if l.held != nil && l.held.from == seq {
		return l.held.page, l.held.mapped, nil
	}
	l.held = nil
	page, mapped, err, ok := l.takeAhead(ctx, seq)
	if !ok {
		page, err = l.r.client.Updated(ctx, l.c.Name, seq, l.limit, l.c.Params)
	}
	if err == nil {
		l.adaptLimit(page.Limit)
	}
	return page, mapped, err
}

// adaptLimit keeps a page size that had to be lowered, so that the next
// pages do not time out again, and recovers it gradually.
func (l *loop) adaptLimit(used int) {
	switch {
	case used < l.limit:
		l.limit, l.goodPages = used, 0
		l.log.Warn("lowering the page size after failures", "limit", used)
	case l.limit < l.c.Limit:
		if l.goodPages++; l.goodPages >= limitRecovery {
			l.limit, l.goodPages = min(l.limit*2, l.c.Limit), 0
		}
	}
}

// pageResult counts what a committed page did.
type pageResult struct {
	storage.CommitResult
	skipped int
}

// commit routes the mapped items (mapping them when mapped is nil) and
// commits their objects with the new state in one transaction; the
// state's totals are computed inside it. The state is updated in place
// only on success.
func (l *loop) commit(ctx context.Context, st *State, items []json.RawMessage, mapped []mappedItem) (pageResult, error) {
	if mapped == nil {
		mapped = l.mapAll(items)
	}
	writes, skipped := l.mapPage(items, mapped)
	next := *st
	next.Items += int64(len(items))
	next.Skipped += int64(skipped)
	next.LastSuccess = l.r.now()
	next.LastError, next.ConsecutiveErrors, next.Stopped, next.LastErrorStore = "", 0, "", false
	base := next.Objects
	cur := &storage.Cursor{Source: SourcePrefix + l.c.Name, Update: func(res storage.CommitResult) ([]byte, error) {
		next.Objects = base + int64(res.Added)
		return json.Marshal(next)
	}}
	res, err := l.r.store.Commit(ctx, storage.Batch{Writes: writes, Cursor: cur})
	if err != nil {
		return pageResult{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	l.logConflicts(writes, res)
	*st = next
	return pageResult{CommitResult: res, skipped: skipped}, nil
}

// logConflicts logs the objects a commit did not store because another
// object was stored under their id and version: an unversioned SCO the
// mapping made with other content from another item, or an object a TAXII
// client pushed into a fed collection (allow_writes_to_feed) first.
func (l *loop) logConflicts(writes []storage.Write, res storage.CommitResult) {
	var first *storage.Object
	n := 0
	for wi, reports := range res.Reports {
		for i, r := range reports {
			if r.Conflict {
				if n++; first == nil {
					first = &writes[wi].Objects[i]
				}
			}
		}
	}
	if n > 0 {
		l.log.Debug("objects not stored: the collection holds other content under the same id and version",
			"objects", n, "first_id", first.ID, "first_version", first.VersionText)
	}
}

// recordError counts the failure in the collection's state in memory and
// tries to store it, so that status and health checks show it either way.
func (l *loop) recordError(ctx context.Context, st *State, err error) {
	if ctx.Err() != nil {
		return // shutting down is not a failure
	}
	st.ConsecutiveErrors++
	st.LastError, st.LastErrorAt = err.Error(), l.r.now()
	st.LastErrorStore = errors.Is(err, ErrStore)
	l.r.metrics.Failure(l.c.Name, ErrorClass(err))
	switch {
	case errors.Is(err, storage.ErrCorrupt):
		st.Stopped = "the store file is damaged: " + err.Error()
	case errors.Is(err, ErrAccessDenied):
		st.Stopped = err.Error()
		l.log.Error("collection stopped: the Group-IB API refused access; fix the cause, the loop retries in "+l.r.accessPause.String(),
			"error", err.Error())
	case st.LastErrorStore:
		l.log.Error("cannot write to the store; nothing more is downloaded until a write succeeds", "error", err.Error(),
			"consecutive_errors", st.ConsecutiveErrors)
	default:
		l.log.Warn("pass failed; will retry", "error", err.Error(), "consecutive_errors", st.ConsecutiveErrors)
	}
	l.r.setHealth(l.c.Name, *st)
	if !st.LastErrorStore {
		if serr := l.saveState(ctx); serr != nil {
			l.log.Error("could not record the failure", "error", serr.Error())
		}
	}
}

// saveState commits the in-memory state alone.
func (l *loop) saveState(ctx context.Context) error {
	cur, err := l.st.cursor(l.c.Name)
	if err != nil {
		return err
	}
	if _, err := l.r.store.Commit(ctx, storage.Batch{Cursor: cur}); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

func (l *loop) logPage(items []json.RawMessage, res pageResult, queued int64, took time.Duration, posKey string, pos any) {
	rate := l.smoothRate(len(items), took)
	attrs := []any{"items", len(items), "objects", res.Added, "unchanged", res.Unchanged, "skipped", res.skipped,
		posKey, pos, "queued", queued, "items_per_second", int(rate), "duration", took}
	if queued > 0 && rate > 0 {
		attrs = append(attrs, "eta", (time.Duration(float64(queued)/rate) * time.Second).Round(time.Second))
	}
	l.log.Info("page committed", attrs...)
	l.r.metrics.Page(l.c.Name, len(items), res.Added, res.skipped, queued)
}

// smoothRate is the ingest rate averaged over recent pages (an
// exponentially weighted mean), so that one fast or slow page does not
// swing the ETA between seconds and hours.
func (l *loop) smoothRate(items int, took time.Duration) float64 {
	rate := float64(items) / max(took.Seconds(), 1e-6)
	if l.rate == 0 {
		l.rate = rate
	} else {
		l.rate = 0.2*rate + 0.8*l.rate
	}
	return l.rate
}
