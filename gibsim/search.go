package gibsim

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// session is a search session: a snapshot of the matching entries, newest
// first, paged by resultId.
type session struct {
	collection string
	entries    []entry
	total      int // what count reports: all matches, even beyond what is served
	next       int
	limit      int
	lastUsed   time.Time
}

// search answers <collection>?df=&dt=&q=&limit= (a new session over the
// items updated in the window that match q) and <collection>?resultId=
// (its next page). count is the session's total.
func (s *Simulator) search(collection string, q url.Values, expire bool) (any, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rid := q.Get("resultId"); rid != "" {
		return s.continueSession(rid, expire)
	}
	s.sweepSessions()
	f := s.feeds[collection]
	limit, err := parseLimit(q.Get("limit"), f.spec.MaxLimit)
	if err != nil {
		return message(err.Error()), http.StatusBadRequest
	}
	from, to, err := s.window(q)
	if err != nil {
		return message(err.Error()), http.StatusBadRequest
	}
	match, err := queryOf(q)
	if err != nil {
		return message("wrong search query: " + err.Error()), http.StatusBadRequest
	}
	sess := &session{collection: collection, limit: limit, lastUsed: s.cfg.Now()}
	for p := len(f.entries) - 1; p >= 0; p-- {
		e := f.entries[p]
		if e.live && !e.at.Before(from) && !e.at.After(to) && (match == nil || match.matches(s.render(f, e))) {
			sess.entries = append(sess.entries, e)
		}
	}
	sess.total = len(sess.entries)
	if collection == "compromised/reaper" && sess.total > s.cfg.SearchMax {
		sess.entries = sess.entries[:s.cfg.SearchMax] // reaper serves at most SearchMax entries
	}
	s.nextID++
	rid := fmt.Sprintf("%040x", s.nextID^s.cfg.Seed<<20)
	s.sessions[rid] = sess
	return s.sessionPage(rid, sess), http.StatusOK
}

func (s *Simulator) window(q url.Values) (from, to time.Time, err error) {
	to = s.cfg.Now()
	if v := q.Get("df"); v != "" {
		if from, err = parseDate(v); err != nil {
			return from, to, err
		}
	}
	if v := q.Get("dt"); v != "" {
		if to, err = parseDate(v); err != nil {
			return from, to, err
		}
		if len(v) == len(DateOnly) {
			to = to.Add(24*time.Hour - time.Nanosecond) // a date means the whole day
		}
	}
	if !s.cfg.Epoch.IsZero() {
		return time.Time{}, s.cfg.Epoch, nil // the whole feed, whatever the client's clock
	}
	return from, to, nil
}

func (s *Simulator) continueSession(rid string, expire bool) (any, int) {
	sess := s.sessions[rid]
	if sess == nil || expire || s.cfg.Now().Sub(sess.lastUsed) > s.cfg.ResultIDTTL {
		delete(s.sessions, rid)
		return message("resultId " + rid + " is expired or unknown: start a new search"), http.StatusBadRequest
	}
	sess.lastUsed = s.cfg.Now()
	return s.sessionPage(rid, sess), http.StatusOK
}

func (s *Simulator) sessionPage(rid string, sess *session) map[string]any {
	f := s.feeds[sess.collection]
	end := min(sess.next+sess.limit, len(sess.entries))
	items := make([]map[string]any, 0, end-sess.next)
	for _, e := range sess.entries[sess.next:end] {
		items = append(items, s.render(f, e))
	}
	sess.next = end
	if len(items) == 0 {
		delete(s.sessions, rid)
	}
	return map[string]any{"count": sess.total, "items": items, "resultId": rid}
}

// dropSession forgets a session whose request failed.
func (s *Simulator) dropSession(rid string) {
	if rid == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, rid)
}

// sweepSessions forgets sessions idle for longer than their lifetime.
func (s *Simulator) sweepSessions() {
	now := s.cfg.Now()
	for rid, sess := range s.sessions {
		if now.Sub(sess.lastUsed) > s.cfg.ResultIDTTL {
			delete(s.sessions, rid)
		}
	}
}
