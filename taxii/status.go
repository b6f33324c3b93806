package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// statusResource is the TAXII status resource (§4.3.1). The counts add up
// to the total, and a list, when present, is as long as its count:
// taxii2client checks both (trap T13). Empty lists are left out (item 28),
// and so are lists longer than maxStatusDetails: they are optional, and a
// status must stay small whatever was posted.
type statusResource struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []statusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []statusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []statusDetail `json:"pendings,omitempty"`
}

// statusDetail is a status-details entry (item 82).
type statusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// submission is a posted envelope after validation: the objects to store,
// in the order sent, and the objects refused before storage.
type submission struct {
	total   int
	objects []storage.Object
	// refused have an empty Version when the object stated none.
	refused []statusDetail
	// canRead is whether the poster may read the collection: if not, the
	// status says nothing of what the collection already held.
	canRead bool
}

// submission validates each posted object with the configured checks and
// the collection's types (item 80: each object succeeds or fails on its
// own). An envelope whose objects all claim another STIX version is not
// STIX 2.1 at all: 422.
func (s *Server) submission(coll *collection, raws [][]byte) (submission, error) {
	sub := submission{total: len(raws)}
	otherVersion := 0
	for i, raw := range raws {
		obj, err := s.cfg.Accept(raw, coll.Types)
		raws[i] = nil // the object's bytes now live in obj, or nowhere
		if err == nil {
			sub.objects = append(sub.objects, obj)
			continue
		}
		c := claimsOf(raw)
		// STIX 2.0 objects have no spec_version, but a created.
		if v := text(c.SpecVersion); v != "" && v != storage.SpecVersion || v == "" && c.Created != nil {
			otherVersion++
		}
		version := text(c.Modified)
		if version == "" {
			version = text(c.Created)
		}
		sub.refused = append(sub.refused, statusDetail{ID: text(c.ID), Version: version, Message: clip(err.Error(), 512)})
	}
	if otherVersion == len(raws) {
		return sub, unprocessable("no object in the envelope is STIX 2.1 (spec_version \"2.1\"): this server stores STIX 2.1 only")
	}
	return sub, nil
}

// status reports the submission after its commit: refused objects and
// versions stored with other content failed; the rest succeeded, whether
// new or exact duplicates of a stored version (item 80).
func (sub submission) status(st statusResource, reports []storage.ObjectReport) statusResource {
	st.Successes = make([]statusDetail, 0, len(sub.objects))
	st.Failures = append(make([]statusDetail, 0, len(sub.refused)), sub.refused...)
	for i := range st.Failures {
		if st.Failures[i].Version == "" { // item 82 wants one: the request's time
			st.Failures[i].Version = st.RequestTimestamp
		}
	}
	for i, obj := range sub.objects {
		d := statusDetail{ID: obj.ID, Version: obj.VersionText}
		var r storage.ObjectReport
		if i < len(reports) {
			r = reports[i]
		}
		if d.Version == "" { // unversioned: its date_added, as the manifest says
			d.Version = formatTimestamp(r.DateAdded)
			if !sub.canRead {
				d.Version = st.RequestTimestamp
			}
		}
		switch {
		case r.Conflict:
			d.Message = "another object with this id and version is stored: a changed object needs a new modified"
			st.Failures = append(st.Failures, d)
			continue
		case !r.New && sub.canRead:
			d.Message = "already stored"
		}
		st.Successes = append(st.Successes, d)
	}
	st.TotalCount = sub.total
	st.SuccessCount, st.FailureCount, st.PendingCount = len(st.Successes), len(st.Failures), 0
	st.Successes, st.Failures = capDetails(st.Successes), capDetails(st.Failures)
	return st
}

// maxStatusDetails is the longest status-details list a status carries.
const maxStatusDetails = 20_000

func capDetails(ds []statusDetail) []statusDetail {
	if len(ds) > maxStatusDetails {
		return nil
	}
	return ds
}

// statusKey names a status in the store: per API root, so that one root's
// users never see another's.
func statusKey(root *apiRoot, id string) string { return root.Path + "/" + id }

// handleStatus serves GET /{api-root}/status/{status-id}/ (§4.3). A status
// is shown only to the user who made the request it reports, until it
// expires; to everyone else it does not exist (items 75, 77).
func (s *Server) handleStatus(c echo.Context) error {
	root := rootOf(c)
	if err := requireServerAccess(c, root.anyAnonymous); err != nil {
		return err
	}
	id := c.Param("status")
	missing := notFound("no status with id " + id + " (statuses are kept for " + s.cfg.StatusRetention.String() + ")")
	p := principalOf(c)
	if _, err := uuid.Parse(id); err != nil || p.user == nil {
		return missing
	}
	r, err := s.store.Receipt(c.Request().Context(), statusKey(root, id))
	if errors.Is(err, storage.ErrNotFound) {
		return missing
	}
	if err != nil {
		return err
	}
	if r.Owner != p.name() || !s.cfg.Now().Before(r.Expires) {
		return missing
	}
	if !json.Valid(r.JSON) {
		return fmt.Errorf("status %s: %w: not JSON", id, storage.ErrCorrupt)
	}
	return c.Blob(http.StatusOK, MediaTypeTAXII, r.JSON)
}
