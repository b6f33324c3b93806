package taxii

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

var (
	errUnsupportedMedia = &Error{Status: http.StatusUnsupportedMediaType, Title: "Unsupported media type",
		Description: "send the envelope with Content-Type: " + MediaTypeTAXII}
	errCannotWrite = &Error{Status: http.StatusForbidden, Title: "Forbidden",
		Description: "you may not add objects to or delete objects from this collection"}
)

func tooLarge(limit int) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Title: "Request entity too large",
		Description: fmt.Sprintf("the body is over this API root's max_content_length of %d bytes: send fewer objects per request", limit)}
}

func unprocessable(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Title: "Unprocessable entity", Description: clip(fmt.Sprintf(format, args...), 512)}
}

// handleAddObjects serves POST .../collections/{id}/objects/ (§5.5). The
// objects are validated one by one and stored (see commitSubmission), and
// the status is answered with 202: processing is complete before the
// answer, so the status is never pending and never claims an object the
// store does not hold.
func (s *Server) handleAddObjects(c echo.Context) error {
	received := s.cfg.Now()
	coll, perm, err := s.writableCollection(c, false)
	if err != nil {
		return err
	}
	req, root := c.Request(), rootOf(c)
	if !isTAXIIContent(req.Header.Get(echo.HeaderContentType)) {
		return errUnsupportedMedia // item 79
	}
	limit := root.MaxContentLength
	if req.ContentLength > int64(limit) {
		return tooLarge(limit) // item 36: exactly what the API root advertises
	}
	raws, err := readEnvelope(http.MaxBytesReader(c.Response(), req.Body, int64(limit)))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(limit)
	}
	if err != nil {
		return err
	}
	c.Set(ctxObjects, len(raws))
	sub, err := s.submission(coll, raws)
	if err != nil {
		return err
	}
	sub.canRead = perm.Read
	status := statusResource{ID: uuid.NewString(), Status: "complete", RequestTimestamp: formatTimestamp(received)}
	body, err := s.commitSubmission(c, coll, sub, status)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusAccepted, MediaTypeTAXII, body)
}

// commitChunk is how many objects one transaction of a POST holds. bbolt
// splits pages only at commit, so one transaction of ten thousands of
// objects spends most of its time moving entries inside oversized pages;
// in chunks the same POST is several times faster.
const commitChunk = 1000

// commitSubmission stores the accepted objects chunk by chunk and the
// status with the last chunk. A crash before the last commit leaves some
// objects stored and no status: the client got no 202 and sends again,
// and what was stored already succeeds as a duplicate (item 80). The
// status never claims an object the store does not hold.
func (s *Server) commitSubmission(c echo.Context, coll *collection, sub submission, status statusResource) ([]byte, error) {
	ctx := c.Request().Context()
	reports := make([]storage.ObjectReport, 0, len(sub.objects))
	var body []byte
	for start := 0; ; start += commitChunk {
		end := min(start+commitChunk, len(sub.objects))
		b := storage.Batch{Writes: []storage.Write{{Collection: coll.ID, Objects: sub.objects[start:end], Report: true}}}
		last := end == len(sub.objects)
		if last {
			b.Receipt = &storage.Receipt{
				Key: statusKey(rootOf(c), status.ID), Owner: principalOf(c).name(), Expires: s.cfg.Now().Add(s.cfg.StatusRetention),
				Build: func(res storage.CommitResult) ([]byte, error) {
					all := append(reports, reportsOf(res)...)
					var err error
					body, err = json.Marshal(sub.status(status, all))
					return body, err
				},
			}
		}
		res, err := s.store.Commit(ctx, b)
		if err != nil {
			return nil, err
		}
		if last {
			return body, nil
		}
		reports = append(reports, reportsOf(res)...)
	}
}

func reportsOf(res storage.CommitResult) []storage.ObjectReport {
	if len(res.Reports) == 0 {
		return nil
	}
	return res.Reports[0]
}

// maxEnvelopeObjects bounds the objects of one POST: the status lists
// each one, and ten megabytes of "{}" would be three million of them.
const maxEnvelopeObjects = 100_000

// isTAXIIContent accepts the TAXII 2.1 media type with any spacing, case
// and extra parameters (a charset), and nothing else.
func isTAXIIContent(header string) bool {
	mediaType, params, err := mime.ParseMediaType(header)
	return err == nil && mediaType == "application/taxii+json" && params["version"] == "2.1"
}

// readEnvelope decodes a TAXII envelope from r as it arrives, keeping each
// object's bytes and nothing else: one copy of the body at most. A body
// that is not an envelope of JSON objects is a 422; the reader's own
// errors (a body over the limit) are returned as they are.
func readEnvelope(r io.Reader) ([][]byte, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var raws [][]byte
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bodyError(err)
		}
		switch key := tok.(string); key {
		case "objects":
			if seen {
				return nil, unprocessable("objects is given twice")
			}
			seen = true
			if raws, err = readObjects(dec); err != nil {
				return nil, err
			}
		case "type":
			var typ any
			if err := dec.Decode(&typ); err != nil {
				return nil, bodyError(err)
			}
			if typ == "bundle" {
				return nil, unprocessable(`this is a STIX bundle: TAXII 2.1 takes an envelope, {"objects": [...]}, with the bundle's objects`)
			}
		default: // more, next and extensions: nothing to do with them
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bodyError(err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, unprocessable("the body is not a TAXII envelope: data after its end")
	}
	if len(raws) == 0 {
		return nil, unprocessable("the envelope holds no objects")
	}
	return raws, nil
}

func readObjects(dec *json.Decoder) ([][]byte, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	var raws [][]byte
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bodyError(err)
		}
		if raw[0] != '{' {
			return nil, unprocessable("objects[%d] is not a JSON object", len(raws))
		}
		if len(raws) == maxEnvelopeObjects {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Title: "Request entity too large",
				Description: fmt.Sprintf("more than %d objects in one envelope: send fewer per request", maxEnvelopeObjects)}
		}
		raws = append(raws, raw)
	}
	return raws, expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return bodyError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return unprocessable("the body is not a TAXII envelope: expected %q, found %v", string(want), tok)
	}
	return nil
}

// bodyError makes JSON errors a 422 and passes the reader's own errors
// (a body over the limit, a connection that broke) through.
func bodyError(err error) error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return unprocessable("the body is not a TAXII envelope: %v", err)
	}
	return err
}

// ParseForCollection is the default Config.Accept, and the last step of
// any other: storage's own checks and the collection's types.
func ParseForCollection(raw []byte, types []string) (storage.Object, error) {
	obj, err := storage.ParseObject(raw)
	if err != nil {
		return storage.Object{}, err
	}
	if len(types) > 0 && !slices.Contains(types, obj.Type) {
		return storage.Object{}, fmt.Errorf("type %s is not one this collection takes (types: %s)", obj.Type, strings.Join(types, ", "))
	}
	return obj, nil
}

// claimed is what an object says of itself, for the status of an object
// that could not be parsed for storage.
type claimed struct {
	ID          any `json:"id"`
	Modified    any `json:"modified"`
	Created     any `json:"created"`
	SpecVersion any `json:"spec_version"`
}

func claimsOf(raw []byte) claimed {
	var c claimed
	_ = json.NewDecoder(bytes.NewReader(raw)).Decode(&c)
	return c
}

// text is a claimed value as a status can show it.
func text(v any) string {
	if s, ok := v.(string); ok {
		return clip(s, 256)
	}
	return ""
}
