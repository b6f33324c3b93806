package gibsim

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// FaultKind names a failure the simulator can inject.
type FaultKind string

// The fault classes the real API (or the network to it) shows.
const (
	FaultTooManyRequests FaultKind = "429"
	FaultServerError     FaultKind = "5xx"
	FaultSlow            FaultKind = "slow"
	FaultReset           FaultKind = "reset"
	FaultTruncate        FaultKind = "truncate"
	FaultRedirect        FaultKind = "redirect"
	FaultUnauthorized    FaultKind = "401"
	FaultForbidden       FaultKind = "403"
	// FaultExpireResultID makes the next search continuation find its
	// resultId gone, as after 10 idle minutes.
	FaultExpireResultID FaultKind = "expire-result-id"
)

// transientFaults are what FaultRate draws from.
var transientFaults = []FaultKind{FaultTooManyRequests, FaultServerError, FaultSlow, FaultReset, FaultTruncate}

// Fault is one injected failure.
type Fault struct {
	Kind FaultKind
	// Collection limits the fault to requests for one collection; empty
	// means any request.
	Collection string
	// Times is how many matching requests fail (default 1).
	Times int
	// Status is the code of a FaultServerError (default 503).
	Status int
	// RetryAfter is sent with FaultTooManyRequests (default 1s).
	RetryAfter time.Duration
	// Delay is how long FaultSlow stalls before answering (default 2s).
	Delay time.Duration
}

// takeFault returns the first injected fault matching the collection,
// consuming one of its times, or a random transient one at FaultRate. A
// resultId expiry only matches search continuations.
func (s *Simulator) takeFault(collection string, continuation bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Collection != "" && f.Collection != collection || f.Kind == FaultExpireResultID && !continuation {
			continue
		}
		if f.Times <= 1 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		} else {
			s.faults[i].Times--
		}
		return f, true
	}
	if s.cfg.FaultRate > 0 && s.rng.Float64() < s.cfg.FaultRate {
		return Fault{Kind: transientFaults[s.rng.IntN(len(transientFaults))], Delay: 200 * time.Millisecond}, true
	}
	return Fault{}, false
}

// failWith writes a fault and reports whether the request is finished.
// A slow fault only delays: the request then proceeds normally.
func failWith(ctx context.Context, w http.ResponseWriter, f Fault) bool {
	switch f.Kind {
	case FaultTooManyRequests:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		writeMessage(w, http.StatusTooManyRequests, "Maximum count of requests per second reached")
	case FaultServerError:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		writeMessage(w, status, "Internal server error, try again later")
	case FaultSlow:
		d := f.Delay
		if d <= 0 {
			d = 2 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return false
	case FaultReset:
		panic(http.ErrAbortHandler) // the server closes the connection
	case FaultTruncate:
		return false // handled when the body is written
	case FaultRedirect:
		// Relative, so that a client that does follow it stays on the simulator.
		w.Header().Set("Location", "/login")
		w.WriteHeader(http.StatusFound)
	case FaultUnauthorized:
		writeMessage(w, http.StatusUnauthorized, "Bad Credentials")
	case FaultForbidden:
		writeMessage(w, http.StatusForbidden, "Access denied: check your access list, API key and username")
	case FaultExpireResultID:
		return false // handled by the search endpoint
	default:
		writeMessage(w, http.StatusInternalServerError, fmt.Sprintf("unknown fault %q", f.Kind))
	}
	return true
}
