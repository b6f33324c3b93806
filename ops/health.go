package ops

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// CollectionHealth is the ingest health of one Group-IB collection.
type CollectionHealth struct {
	Status      string    `json:"status"` // ok, degraded or starting
	Reason      string    `json:"reason,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Queued      int64     `json:"queued"`
	Errors      int       `json:"consecutive_errors"`
}

// Check reports the store's usability (an error: not ready) and each
// collection's ingest health.
type Check func(ctx context.Context) (map[string]CollectionHealth, error)

type readiness struct {
	Status      string                      `json:"status"` // ok, degraded or unavailable
	Store       string                      `json:"store"`
	Collections map[string]CollectionHealth `json:"collections,omitempty"`
}

// Healthz answers while the process serves requests.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz runs the check: 503 when the store is unusable; otherwise 200,
// with status "degraded" and the reasons when a collection's ingest is
// stopped (bad credentials, IP not allow-listed) or failing: the TAXII API
// still serves what is stored.
func Readyz(check Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		cols, err := check(ctx)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, readiness{Status: "unavailable", Store: err.Error()})
			return
		}
		res := readiness{Status: "ok", Store: "ok", Collections: cols}
		for _, c := range cols {
			if c.Status == "degraded" {
				res.Status = "degraded"
			}
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// ReadyzBare answers like Readyz with the status alone: for ports that
// anyone may reach, where error texts (file paths) and ingest details
// have no place.
func ReadyzBare(check Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if _, err := check(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
