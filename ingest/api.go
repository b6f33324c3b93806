package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// UpdatedPage is one page of <collection>/updated.
type UpdatedPage struct {
	// Count is the number of items still queued after this page, when
	// CountKnown (the API sent count or total).
	Count      int64
	CountKnown bool
	Items      []json.RawMessage
	// Next is the cursor for the following request: the top-level
	// seqUpdate, else the last item's. It equals the request's cursor
	// when the page is empty.
	Next int64
	// Limit is the limit the successful attempt used (it halves after
	// timeouts and 5xx).
	Limit int
}

type updatedBody struct {
	Count     flexInt           `json:"count"`
	Total     flexInt           `json:"total"`
	Items     []json.RawMessage `json:"items"`
	SeqUpdate flexInt           `json:"seqUpdate"`
}

// SequenceList returns the cursor from which collection's /updated starts
// at the given day (sequence_list?date=&collection=).
// extra may carry apply_hunting_rules, which changes the feed and so its
// start cursor.
func (c *Client) SequenceList(ctx context.Context, collection string, day time.Time, extra url.Values) (int64, error) {
	params := url.Values{"date": {day.UTC().Format("2006-01-02")}, "collection": {collection}}
	if v := extra.Get("apply_hunting_rules"); v != "" {
		params.Set("apply_hunting_rules", v)
	}
	body, err := c.get(ctx, request{collection: collection, path: "sequence_list", params: params})
	if err != nil {
		return 0, err
	}
	var res struct {
		List map[string]flexInt `json:"list"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return 0, fmt.Errorf("group-ib %s: sequence_list: %w: %w", collection, ErrBadPage, err)
	}
	seq, ok := res.List[collection]
	if !ok || !seq.Valid {
		return 0, fmt.Errorf("group-ib %s: sequence_list has no cursor for %s: %w", collection, day.Format("2006-01-02"), ErrBadPage)
	}
	return seq.Value, nil
}

// Updated fetches the page after cursor seq. extra holds the collection's
// optional parameters (apply_hunting_rules, is_tailored, ...). A timeout
// or 5xx halves the limit for the next attempt: big pages are what fail.
func (c *Client) Updated(ctx context.Context, collection string, seq int64, limit int, extra url.Values) (UpdatedPage, error) {
	params := cloneValues(extra)
	params.Set("seqUpdate", strconv.FormatInt(seq, 10))
	params.Set("limit", strconv.Itoa(limit))
	r := request{collection: collection, path: collection + "/updated", params: params}
	r.onRetry = func(err error) {
		if limit > 1 && halvesLimit(err) {
			limit /= 2
			params.Set("limit", strconv.Itoa(limit))
		}
	}
	body, err := c.get(ctx, r)
	if err != nil {
		return UpdatedPage{}, err
	}
	var b updatedBody
	if err := json.Unmarshal(body, &b); err != nil {
		return UpdatedPage{}, fmt.Errorf("group-ib %s: GET %s: %w: %w", collection, describe(r), ErrBadPage, err)
	}
	page := UpdatedPage{Items: b.Items, Next: seq, Limit: limit, Count: b.Count.Value, CountKnown: b.Count.Valid || b.Total.Valid}
	if !b.Count.Valid {
		page.Count = b.Total.Value
	}
	if len(b.Items) == 0 {
		return page, nil
	}
	switch last, ok := lastSeqUpdate(b.Items); {
	case b.SeqUpdate.Valid:
		page.Next = b.SeqUpdate.Value
	case ok:
		page.Next = last
	default:
		return UpdatedPage{}, fmt.Errorf("group-ib %s: GET %s: %w: items but no seqUpdate to continue from", collection, describe(r), ErrBadPage)
	}
	if page.Next <= seq {
		return UpdatedPage{}, fmt.Errorf("group-ib %s: GET %s: %w: cursor went from %d back to %d", collection, describe(r), ErrBadPage, seq, page.Next)
	}
	return page, nil
}

// lastSeqUpdate returns the seqUpdate of the last item that has one: one
// item without it must not block the collection.
func lastSeqUpdate(items []json.RawMessage) (int64, bool) {
	for i := len(items) - 1; i >= 0; i-- {
		if h := headOf(items[i]).SeqUpdate; h.Valid {
			return h.Value, true
		}
	}
	return 0, false
}

// halvesLimit reports failures that a smaller page may avoid.
func halvesLimit(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// SearchPage is one page of a search session.
type SearchPage struct {
	// Count is the session's total number of items.
	Count    int64
	Items    []json.RawMessage
	ResultID string
}

// Search starts a search session over items updated between from and to.
func (c *Client) Search(ctx context.Context, collection string, from, to time.Time, limit int, extra url.Values) (SearchPage, error) {
	params := cloneValues(extra)
	params.Set("df", from.UTC().Format(time.RFC3339))
	params.Set("dt", to.UTC().Format(time.RFC3339))
	params.Set("limit", strconv.Itoa(limit))
	return c.searchPage(ctx, request{collection: collection, path: collection, params: params})
}

// SearchNext fetches the next page of a session. A resultId dies with any
// failure and after 10 idle minutes, so this is never retried: the caller
// restarts the window instead.
func (c *Client) SearchNext(ctx context.Context, collection, resultID string, limit int) (SearchPage, error) {
	return c.searchPage(ctx, request{collection: collection, path: collection,
		params: url.Values{"resultId": {resultID}, "limit": {strconv.Itoa(limit)}}})
}

func (c *Client) searchPage(ctx context.Context, r request) (SearchPage, error) {
	var body []byte
	var err error
	if r.params.Has("resultId") {
		body, _, err = c.attempt(ctx, r)
	} else {
		body, err = c.get(ctx, r)
	}
	if err != nil {
		return SearchPage{}, err
	}
	var b struct {
		Count    flexInt           `json:"count"`
		Items    []json.RawMessage `json:"items"`
		ResultID flexString        `json:"resultId"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return SearchPage{}, fmt.Errorf("group-ib %s: GET %s: %w: %w", r.collection, describe(r), ErrBadPage, err)
	}
	return SearchPage{Count: b.Count.Value, Items: b.Items, ResultID: string(b.ResultID)}, nil
}

// SearchHit is one collection's line of a global search (search?q=).
type SearchHit struct {
	// Collection is the API path of the collection ("apiPath").
	Collection string
	Label      string
	// Count is how many of its items match.
	Count int64
}

// GlobalSearch asks which collections hold items matching q, and how many.
func (c *Client) GlobalSearch(ctx context.Context, q string) ([]SearchHit, error) {
	body, err := c.get(ctx, request{collection: "search", path: "search", params: url.Values{"q": {q}}})
	if err != nil {
		return nil, err
	}
	var raw []struct {
		APIPath flexString `json:"apiPath"`
		Label   flexString `json:"label"`
		Count   flexInt    `json:"count"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("group-ib: search: %w: %w", ErrBadPage, err)
	}
	hits := make([]SearchHit, 0, len(raw))
	for _, h := range raw {
		if h.APIPath != "" {
			hits = append(hits, SearchHit{Collection: string(h.APIPath), Label: string(h.Label), Count: h.Count.Value})
		}
	}
	return hits, nil
}

// Query starts a search session over a collection's items matching q
// (<collection>?q=&limit=), newest first; SearchNext pages on.
func (c *Client) Query(ctx context.Context, collection, q string, limit int) (SearchPage, error) {
	return c.searchPage(ctx, request{collection: collection, path: collection,
		params: url.Values{"q": {q}, "limit": {strconv.Itoa(limit)}}})
}

// Item fetches one item by id (<collection>/<id>).
func (c *Client) Item(ctx context.Context, collection, id string) (json.RawMessage, error) {
	body, err := c.get(ctx, request{collection: collection, path: collection + "/" + url.PathEscape(id)})
	return json.RawMessage(body), err
}

// GrantedCollections lists the collections the account may read.
func (c *Client) GrantedCollections(ctx context.Context) ([]string, error) {
	body, err := c.get(ctx, request{collection: "user", path: "user/granted_collections"})
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("group-ib: user/granted_collections: %w: %w", ErrBadPage, err)
	}
	var names []string
	for _, r := range raw {
		var name string
		var obj struct {
			Collection string `json:"collection"`
		}
		switch {
		case json.Unmarshal(r, &name) == nil:
		case json.Unmarshal(r, &obj) == nil:
			name = obj.Collection
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
