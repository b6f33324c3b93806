package ingest

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

var (
	// ErrAccessDenied marks failures no retry can fix: bad credentials, an
	// account problem, or a public IP missing from the API access list.
	// The loop of that collection pauses for a long time.
	ErrAccessDenied = errors.New("access denied by the Group-IB API")

	// ErrBadPage marks a response that decoded but cannot be used.
	ErrBadPage = errors.New("unusable page")

	// ErrStore marks a failure to write to the local store (a full or
	// read-only disk, a damaged file): retrying the Group-IB API cannot
	// fix it, so the loop retries the write, not the download.
	ErrStore = errors.New("local store write failed")
)

// StatusError is a non-2xx answer of the API. It names the collection and
// the request (path and query; credentials travel in a header and never
// appear here).
type StatusError struct {
	Collection string
	Request    string
	Status     int
	// Message is the server's explanation, if it gave one.
	Message string
	// RetryAfter is the server's Retry-After, if any.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("group-ib %s: GET %s: HTTP %d", e.Collection, e.Request, e.Status)
	if hint := statusHint(e.Status); hint != "" {
		msg += ": " + hint
	}
	if e.Message != "" {
		msg += ": server says: " + e.Message
	}
	return msg
}

// Unwrap classifies the error for errors.Is.
func (e *StatusError) Unwrap() error {
	switch e.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusMovedPermanently, http.StatusFound:
		return ErrAccessDenied
	}
	return nil
}

// statusHint is what a user can do about a status, in the words of
// Group-IB's own client where it has them.
func statusHint(status int) string {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound:
		return "redirected: your public IP address is not on the Group-IB API access list; ask Group-IB to allow-list it"
	case http.StatusUnauthorized:
		return "bad credentials: check the username (your portal e-mail) and the API key"
	case http.StatusForbidden:
		return "forbidden: check the API access list, the API key, the username and that the collection is granted to your account"
	case http.StatusBadRequest:
		return "bad request"
	case http.StatusNotFound:
		return "no such data or endpoint"
	case http.StatusTooManyRequests:
		return "rate limited: lower groupib.rate_limit or raise the page limit"
	}
	if status >= 500 {
		return "Group-IB server error"
	}
	return ""
}

// retryable reports whether a request that failed with err may succeed
// when sent again.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	return !errors.Is(err, ErrBadPage) && !errors.Is(err, errCanceled)
}

// errCanceled wraps context cancellation, which is never retried.
var errCanceled = errors.New("canceled")
