package mapping

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
)

// stixTime is STIX's millisecond UTC timestamp.
const stixTime = "2006-01-02T15:04:05.000Z"

type indicator struct {
	Type           string   `json:"type"`
	SpecVersion    string   `json:"spec_version"`
	ID             string   `json:"id"`
	CreatedByRef   string   `json:"created_by_ref"`
	Created        string   `json:"created"`
	Modified       string   `json:"modified"`
	Name           string   `json:"name"`
	IndicatorTypes []string `json:"indicator_types"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	Markings       []string `json:"object_marking_refs"`
}

// indicator builds the STIX indicator of one IOC. Its id depends on the
// collection, item and IOC only, so an update of the item is a new version
// of the same indicator.
func (i ioc) indicator(collection, itemID string, created, modified time.Time) (json.RawMessage, error) {
	seed := collection + "/" + itemID + "/" + i.kind + "/" + i.value
	return json.Marshal(indicator{
		Type: "indicator", SpecVersion: "2.1",
		ID:             "indicator--" + uuid.NewSHA1(Namespace, []byte(seed)).String(),
		CreatedByRef:   IdentityID,
		Created:        created.Format(stixTime),
		Modified:       modified.Format(stixTime),
		Name:           i.value,
		IndicatorTypes: []string{"malicious-activity"},
		Pattern:        i.pattern(),
		PatternType:    "stix",
		ValidFrom:      created.Format(stixTime),
		Markings:       []string{TLPAmber},
	})
}

// pattern is the STIX pattern of the IOC, with ' and \ escaped.
func (i ioc) pattern() string {
	lit := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(i.value) + "'"
	switch i.kind {
	case "MD5", "SHA-1", "SHA-256":
		return "[file:hashes.'" + i.kind + "' = " + lit + "]"
	}
	return "[" + i.kind + ":value = " + lit + "]"
}

var minIdentityJSON = mustJSON(map[string]any{
	"type": "identity", "spec_version": "2.1", "id": IdentityID,
	"created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
	"name": "Group-IB", "identity_class": "organization",
})

var amberJSON = mustJSON(map[string]any{
	"type": "marking-definition", "spec_version": "2.1", "id": TLPAmber,
	"created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:AMBER",
	"definition": map[string]string{"tlp": "amber"},
})

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
