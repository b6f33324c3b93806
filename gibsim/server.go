package gibsim

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiPrefix is where the API lives, as in https://tap.group-ib.com/api/v2/.
const apiPrefix = "/api/v2/"

// Handler returns the simulator's HTTP handler, serving under /api/v2/.
func (s *Simulator) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Simulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if r.Method != http.MethodGet {
		writeMessage(w, http.StatusMethodNotAllowed, "only GET is supported")
		return
	}
	user, key, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.Username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.APIKey)) != 1 {
		writeMessage(w, http.StatusUnauthorized, "Bad Credentials")
		return
	}
	path, found := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !found {
		writeMessage(w, http.StatusNotFound, "no such endpoint")
		return
	}
	s.logQuery(r.URL.RequestURI())
	collection, rest := s.route(path)
	fault, faulty := s.takeFault(collection, r.URL.Query().Has("resultId"))
	if faulty && failWith(r.Context(), w, fault) {
		s.dropSession(r.URL.Query().Get("resultId")) // a failed call kills its resultId
		return
	}
	var body any
	var status int
	if collection == "" && path == "search" {
		body, status = s.globalSearch(r.Host, r.URL.Query())
	} else {
		body, status = s.respond(path, collection, rest, r.URL.Query(), faulty && fault.Kind == FaultExpireResultID)
	}
	s.write(w, status, body, faulty && fault.Kind == FaultTruncate)
}

// route splits a path into a known collection and what follows it.
func (s *Simulator) route(path string) (collection, rest string) {
	for _, name := range s.names {
		if path == name {
			return name, ""
		}
		if r, ok := strings.CutPrefix(path, name+"/"); ok {
			return name, r
		}
	}
	return "", path
}

func (s *Simulator) respond(path, collection, rest string, q url.Values, expire bool) (any, int) {
	switch {
	case collection == "" && path == "sequence_list":
		return s.sequenceList(q)
	case collection == "" && path == "user/granted_collections":
		return s.granted(), http.StatusOK
	case collection == "":
		return message("no such endpoint: " + path), http.StatusNotFound
	case rest == "updated":
		return s.updated(collection, q)
	case rest == "":
		return s.search(collection, q, expire)
	}
	return s.item(collection, rest)
}

// write sends a JSON body; truncate cuts it in half after promising the
// whole length, and then drops the connection.
func (s *Simulator) write(w http.ResponseWriter, status int, body any, truncate bool) {
	b, err := json.Marshal(body)
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if truncate {
		_, _ = w.Write(b[:len(b)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush() // the half body must reach the client before the cut
		}
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(b)
}

func message(m string) map[string]string { return map[string]string{"message": m} }

func writeMessage(w http.ResponseWriter, status int, m string) {
	b, _ := json.Marshal(message(m))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// sequenceList answers sequence_list?date=YYYY-MM-DD[&collection=C]: the
// cursor from which /updated returns what was updated since that date.
func (s *Simulator) sequenceList(q url.Values) (any, int) {
	day := s.cfg.Now().UTC().Truncate(24 * time.Hour)
	if d := q.Get("date"); d != "" {
		t, err := time.Parse("2006-01-02", d)
		if err != nil {
			return message("date must be YYYY-MM-DD"), http.StatusBadRequest
		}
		day = t
	}
	if !s.cfg.Epoch.IsZero() {
		day = s.cfg.Epoch.Add(-s.cfg.History).Truncate(24 * time.Hour) // the whole feed, whatever the client's clock
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := map[string]int64{}
	for _, name := range s.names {
		f := s.feeds[name]
		if f.spec.Mode != ModeUpdated || (q.Get("collection") != "" && q.Get("collection") != name) {
			continue
		}
		p := f.since(day)
		switch {
		case p < len(f.entries):
			list[name] = f.entries[p].seq - 1
		case len(f.entries) > 0:
			list[name] = f.entries[len(f.entries)-1].seq
		default:
			list[name] = scaled(day, f.spec.SeqDigits)
		}
	}
	if c := q.Get("collection"); c != "" && len(list) == 0 {
		return message("unknown or search-only collection " + c), http.StatusBadRequest
	}
	return map[string]any{"list": list}, http.StatusOK
}

func (s *Simulator) granted() []map[string]any {
	out := make([]map[string]any, 0, len(s.names))
	for _, name := range s.names {
		out = append(out, map[string]any{"collection": name, "huntingRulesUsed": false})
	}
	return out
}

// updated answers <collection>/updated?seqUpdate=&limit=: live entries
// after the cursor, ascending, with count = live entries still queued.
func (s *Simulator) updated(collection string, q url.Values) (any, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[collection]
	if f.spec.Mode != ModeUpdated {
		return message(collection + " cannot be used with /updated: use search"), http.StatusBadRequest
	}
	limit, err := parseLimit(q.Get("limit"), f.spec.MaxLimit)
	if err != nil {
		return message(err.Error()), http.StatusBadRequest
	}
	start := 0
	if v := q.Get("seqUpdate"); v != "" {
		seq, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return message("seqUpdate must be an integer"), http.StatusBadRequest
		}
		start = f.after(seq)
	} else if df := q.Get("df"); df != "" {
		t, err := parseDate(df)
		if err != nil {
			return message(err.Error()), http.StatusBadRequest
		}
		if s.cfg.Epoch.IsZero() {
			start = f.since(t)
		}
	}
	items := make([]map[string]any, 0, limit)
	p := start
	var last int64
	for ; p < len(f.entries) && len(items) < limit; p++ {
		if e := f.entries[p]; e.live {
			items = append(items, s.render(f, e))
			last = e.seq
		}
	}
	page := map[string]any{"count": f.liveFrom(p), "items": items}
	// Under drift the top-level seqUpdate is sometimes missing: clients
	// must fall back to the last item's.
	if len(items) > 0 && !s.dropSeqUpdate(collection, last) {
		page["seqUpdate"] = last
	}
	return page, http.StatusOK
}

// dropSeqUpdate decides, under drift, to leave out the top-level seqUpdate
// of a page ending at seq. With an epoch the decision depends on the page
// only, not on the requests served before it.
func (s *Simulator) dropSeqUpdate(collection string, seq int64) bool {
	if s.cfg.Drift <= 0 {
		return false
	}
	r := s.rng
	if !s.cfg.Epoch.IsZero() {
		r = newRand(s.cfg.Seed, collection+"/updated", int(seq), -3)
	}
	return r.Float64() < s.cfg.Drift
}

// item answers <collection>/<id>: the bare item.
func (s *Simulator) item(collection, id string) (any, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[collection]
	for index, p := range f.pos {
		if itemID(f.spec.IDForm, s.cfg.Seed, collection, index) == id {
			return s.render(f, f.entries[p]), http.StatusOK
		}
	}
	return message("no such item"), http.StatusNotFound
}

func parseLimit(v string, max int) (int, error) {
	if v == "" {
		return min(100, max), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errBadLimit
	}
	return min(n, max), nil // the server's per-collection maximum wins
}

// parseDate reads df/dt: YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.
func parseDate(v string) (time.Time, error) {
	for _, layout := range []string{TimeZ, DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errBadDate
}

type simError string

func (e simError) Error() string { return string(e) }

const (
	errBadLimit = simError("limit must be a positive integer")
	errBadDate  = simError("dates must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
)
