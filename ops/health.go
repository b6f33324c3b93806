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
	Status string `json:"status"` // ok, degraded or unavailable
	Store  string `json:"store"`
	// Ingest is this replica's part when replicas share a database:
	// "leader" (it runs ingest) or "standby".
	Ingest      string                      `json:"ingest,omitempty"`
	Collections map[string]CollectionHealth `json:"collections,omitempty"`
}

// Role says a replica's ingest part ("leader", "standby"), or "" alone.
type Role func() string

// Healthz answers while the process serves requests.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz runs the check: 503 when the store is unusable; otherwise 200,
// with status "degraded" and the reasons when a collection's ingest is
// stopped (bad credentials, IP not allow-listed) or failing: the TAXII API
// still serves what is stored.
func Readyz(check Check, role Role) http.HandlerFunc { return readyz(check, role, false) }

// ReadyzBare answers like Readyz with the status alone: for ports that
// anyone may reach, where error texts (file paths) and ingest details
// have no place.
func ReadyzBare(check Check) http.HandlerFunc { return readyz(check, nil, true) }

func readyz(check Check, role Role, bare bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		cols, err := check(ctx)
		status, res := http.StatusOK, readiness{Status: "ok", Store: "ok", Collections: cols}
		if err != nil {
			status, res = http.StatusServiceUnavailable, readiness{Status: "unavailable", Store: err.Error()}
		}
		if role != nil {
			res.Ingest = role()
		}
		for _, c := range cols {
			if c.Status == "degraded" {
				res.Status = "degraded"
			}
		}
		if bare {
			if err == nil {
				res.Status = "ok" // degraded ingest is a detail too
			}
			writeJSON(w, status, map[string]string{"status": res.Status})
			return
		}
		writeJSON(w, status, res)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
