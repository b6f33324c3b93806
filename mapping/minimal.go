package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrNoRule reports a collection the mapper has no rule for.
var ErrNoRule = errors.New("no mapping rule for this collection")

// Namespace is gib-taxii's UUIDv5 namespace for SDO and SRO ids. It is
// not the STIX SCO namespace: these ids are ours, stable across re-ingest.
var Namespace = uuid.MustParse("6b1d4f3e-2a58-4c7e-9d1b-0f3a5c7e9b24")

// IdentityID is the Group-IB identity every mapped object is created by.
var IdentityID = "identity--" + uuid.NewSHA1(Namespace, []byte("identity/group-ib")).String()

// TLPAmber is the STIX 2.1 TLP:AMBER marking definition (TLP 1.0, OASIS id).
const TLPAmber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

// Minimal maps ioc/common and malware/cnc items to indicators, plus the
// Group-IB identity and the TLP marking they refer to.
type Minimal struct{}

// Map returns the STIX objects of one item, or ErrNoRule.
func (Minimal) Map(collection string, item json.RawMessage) ([]json.RawMessage, error) {
	var it minimalItem
	if err := json.Unmarshal(item, &it); err != nil {
		return nil, fmt.Errorf("decode item: %w", err)
	}
	if it.ID == "" {
		return nil, errors.New("item has no id")
	}
	var iocs []ioc
	switch collection {
	case "ioc/common":
		iocs = it.commonIOCs()
	case "malware/cnc":
		iocs = it.cncIOCs()
	default:
		return nil, fmt.Errorf("%s: %w", collection, ErrNoRule)
	}
	created, modified, err := it.dates()
	if err != nil {
		return nil, err
	}
	out := []json.RawMessage{minIdentityJSON, amberJSON}
	for _, i := range dedupeIOCs(iocs) {
		b, err := i.indicator(collection, string(it.ID), created, modified)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

type minimalItem struct {
	ID     text    `json:"id"`
	URL    strList `json:"url"`
	Domain strList `json:"domain"`
	IP     strList `json:"ip"`
	Hash   strList `json:"hash"`
	CnC    text    `json:"cnc"`
	IPv4   []struct {
		IP text `json:"ip"`
	} `json:"ipv4"`
	DateFirstSeen text `json:"dateFirstSeen"`
	DateDetected  text `json:"dateDetected"`
	DateLastSeen  text `json:"dateLastSeen"`
}

func (it minimalItem) commonIOCs() []ioc {
	var out []ioc
	for _, v := range it.URL {
		out = append(out, ioc{"url", v})
	}
	for _, v := range it.Domain {
		out = append(out, ioc{"domain-name", v})
	}
	for _, v := range it.IP {
		out = append(out, ioc{ipKind(v), v})
	}
	for _, v := range it.Hash {
		out = append(out, ioc{hashKind(v), v})
	}
	return out
}

func (it minimalItem) cncIOCs() []ioc {
	out := []ioc{}
	for _, v := range it.URL {
		out = append(out, ioc{"url", v})
	}
	for _, v := range it.Domain {
		out = append(out, ioc{"domain-name", v})
	}
	for _, ip := range it.IPv4 {
		out = append(out, ioc{"ipv4-addr", string(ip.IP)})
	}
	return out
}

// dates gives created (first seen) and modified (last seen or update),
// at millisecond precision, modified never before created.
func (it minimalItem) dates() (created, modified time.Time, err error) {
	first := string(it.DateFirstSeen)
	if first == "" {
		first = string(it.DateDetected)
	}
	if created, err = parseDate(first); err != nil {
		return created, modified, fmt.Errorf("dateFirstSeen: %w", err)
	}
	modified = created
	if it.DateLastSeen != "" {
		if modified, err = parseDate(string(it.DateLastSeen)); err != nil {
			return created, modified, fmt.Errorf("dateLastSeen: %w", err)
		}
	}
	if modified.Before(created) {
		modified = created
	}
	return created, modified, nil
}

// parseDate reads the date formats the Group-IB API uses.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

type ioc struct{ kind, value string }

func dedupeIOCs(iocs []ioc) []ioc {
	seen := map[ioc]bool{}
	out := iocs[:0:0]
	for _, i := range iocs {
		i.value = strings.TrimSpace(i.value)
		if i.value != "" && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

func ipKind(v string) string {
	if strings.Contains(v, ":") {
		return "ipv6-addr"
	}
	return "ipv4-addr"
}

func hashKind(v string) string {
	switch len(v) {
	case 40:
		return "SHA-1"
	case 64:
		return "SHA-256"
	}
	return "MD5"
}
