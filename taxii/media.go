package taxii

import (
	"mime"
	"strconv"
	"strings"
)

// Media types of TAXII 2.1 resources and of the STIX content they carry.
const (
	MediaTypeTAXII = "application/taxii+json;version=2.1"
	MediaTypeSTIX  = "application/stix+json;version=2.1"
)

// acceptable reports whether a response in TAXII 2.1 may be sent for the
// request's Accept header. It is lenient on purpose (checklist trap T6):
// anything that does not explicitly ask for another TAXII or STIX version
// gets TAXII 2.1, including */*, application/json, q-values and types with
// no TAXII equivalent, which the spec allows us to serve anyway (item 17).
// Only a header whose every usable range names another version is refused.
func acceptable(header string) bool {
	if strings.TrimSpace(header) == "" {
		return true
	}
	sawOtherVersion := false
	for _, r := range strings.Split(header, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(r))
		if err != nil || refused(params["q"]) {
			continue
		}
		if mediaType != "application/taxii+json" && mediaType != "application/stix+json" {
			return true
		}
		if v, ok := params["version"]; ok && v != "2.1" {
			sawOtherVersion = true
			continue
		}
		return true
	}
	return !sawOtherVersion
}

// refused reports a q-value of zero, which means "not acceptable".
func refused(q string) bool {
	f, err := strconv.ParseFloat(q, 64)
	return err == nil && f == 0
}
