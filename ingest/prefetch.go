package ingest

import (
	"context"
)

// prefetch is an /updated page being downloaded and mapped while the page
// before it is mapped and committed: fetching, mapping and committing
// overlap, and the cursor still moves one committed page at a time.
type prefetch struct {
	from   int64
	cancel context.CancelFunc
	done   chan struct{}
	page   UpdatedPage
	mapped []mappedItem
	err    error
}

// fetchAhead starts downloading the page at seq, if the page just fetched
// says there is one: it was full, and the API counts items beyond it.
// A page past the head would cost an API request for nothing.
func (l *loop) fetchAhead(ctx context.Context, seq int64, fetched UpdatedPage) {
	if l.ahead != nil && l.ahead.from == seq {
		return // fetched while a write that failed was tried: still good
	}
	l.dropAhead()
	asked := fetched.Limit // the limit it was asked with, before adaptLimit
	if asked <= 0 {
		asked = l.limit
	}
	full := len(fetched.Items) >= asked
	if !full || fetched.CountKnown && fetched.Count <= 0 {
		return
	}
	actx, cancel := context.WithCancel(ctx)
	p := &prefetch{from: seq, cancel: cancel, done: make(chan struct{})}
	limit := l.limit
	go func() {
		defer close(p.done)
		p.page, p.err = l.r.client.Updated(actx, l.c.Name, seq, limit, l.c.Params)
		if p.err == nil && actx.Err() == nil {
			// The mapping is pure: mapping ahead only moves its CPU to
			// where the commit of the page before waits on the disk.
			p.mapped = l.mapAll(p.page.Items)
		}
	}()
	l.ahead = p
}

// takeAhead returns the prefetched page at seq and its mapped items,
// waiting for them, or reports that there is none (another position, or
// none started).
func (l *loop) takeAhead(ctx context.Context, seq int64) (UpdatedPage, []mappedItem, error, bool) {
	p := l.ahead
	if p == nil || p.from != seq {
		l.dropAhead()
		return UpdatedPage{}, nil, nil, false
	}
	l.ahead = nil
	select {
	case <-p.done:
	case <-ctx.Done():
		p.cancel()
		<-p.done
		return UpdatedPage{}, nil, ctx.Err(), true
	}
	p.cancel()
	return p.page, p.mapped, p.err, true
}

// dropAhead stops a prefetch and waits for its goroutine.
func (l *loop) dropAhead() {
	if p := l.ahead; p != nil {
		l.ahead = nil
		p.cancel()
		<-p.done
	}
}
