package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gib-taxii/gib-taxii/lookup"
)

// LookupUpstream is the client as the lookup service's view of the
// Group-IB API. Its requests are single attempts (WithoutRetries), and a
// 429, or the pause one put on the credential, becomes a
// lookup.BusyError: the caller is told when to come back, not that
// something broke, and is not held while ingest waits.
type LookupUpstream struct{ Client *Client }

var _ lookup.Upstream = LookupUpstream{}

func (u LookupUpstream) GlobalSearch(ctx context.Context, q string) ([]lookup.Hit, error) {
	hits, err := u.Client.GlobalSearch(WithoutRetries(ctx), q)
	out := make([]lookup.Hit, 0, len(hits))
	for _, h := range hits {
		out = append(out, lookup.Hit{Collection: h.Collection, Label: h.Label, Count: h.Count})
	}
	return out, busy(err)
}

func (u LookupUpstream) Query(ctx context.Context, collection, q string, limit int) ([]json.RawMessage, int64, error) {
	page, err := u.Client.Query(WithoutRetries(ctx), collection, q, limit)
	return page.Items, page.Count, busy(err)
}

func (u LookupUpstream) Item(ctx context.Context, collection, id string) (json.RawMessage, error) {
	item, err := u.Client.Item(WithoutRetries(ctx), collection, id)
	return item, busy(err)
}

func busy(err error) error {
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusTooManyRequests {
		wait := se.RetryAfter
		if wait <= 0 {
			wait = time.Minute
		}
		return &lookup.BusyError{RetryAfter: wait, Reason: "the Group-IB API answered 429 (too many requests)"}
	}
	return err
}
