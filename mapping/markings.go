package mapping

import (
	"encoding/json"
	"strings"

	"github.com/google/uuid"
)

// tlp2Extension is the OASIS TLP 2.0 marking extension.
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// tlp2 are the OASIS TLP 2.0 marking definitions by level. The stix2
// library cannot marshal them (STIX-NOTES.md), so they are static JSON.
var tlp2 = map[string]string{
	"clear":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"green":        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"amber":        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"red":          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// tlpOrder ranks TLP levels from least to most restrictive.
var tlpOrder = map[string]int{"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}

// tlpLevel normalises a TLP name as Group-IB writes it: white is TLP 2.0's
// clear, and "TLP:" prefixes and case are ignored.
func tlpLevel(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "TLP:")))
	s = strings.ReplaceAll(s, " ", "")
	if s == "white" {
		s = "clear"
	}
	if _, ok := tlp2[s]; !ok {
		return ""
	}
	return s
}

// tlpMarking returns the marking-definition id of a TLP name, or "".
func tlpMarking(s string) string { return tlp2[tlpLevel(s)] }

// markingJSON is the marking definition of a TLP 2.0 level.
func markingJSON(level string) json.RawMessage { return markingDefs[level] }

func markingHead(level string) Head {
	return Head{ID: tlp2[level], Type: "marking-definition", SpecVersion: "2.1", Created: markingCreated}
}

// markingCreated is the created of the TLP 2.0 marking definitions.
const markingCreated = "2022-10-01T00:00:00.000Z"

// identityHead is the head of the Group-IB identity.
var identityHead = Head{ID: groupIBIdentity, Type: "identity", SpecVersion: "2.1", Created: identityCreated, Modified: identityCreated}

const identityCreated = "2024-01-01T00:00:00.000Z"

// markingDefs and identityDef are rendered once: they never change.
var (
	markingDefs = func() map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for level := range tlp2 {
			m[level] = renderMarking(level)
		}
		return m
	}()
	identityDef = renderIdentity()
)

func renderMarking(level string) json.RawMessage {
	b, err := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": tlp2[level],
		"created": markingCreated, "name": "TLP:" + strings.ToUpper(level),
		"extensions": map[string]any{tlp2Extension: map[string]string{
			"extension_type": "property-extension", "tlp_2_0": level,
		}},
	})
	if err != nil {
		panic(err) // static input
	}
	return b
}

// groupIBIdentity is the identity every mapped object is created by.
var groupIBIdentity = "identity--" + uuid.NewSHA1(Namespace, []byte("identity/group-ib")).String()

func identityJSON() json.RawMessage { return identityDef }

func renderIdentity() json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"type": "identity", "spec_version": "2.1", "id": groupIBIdentity,
		"created": identityCreated, "modified": identityCreated,
		"name": "Group-IB", "identity_class": "organization", "sectors": []string{"technology"},
		"description":         "Group-IB Threat Intelligence, the source of these objects.",
		"contact_information": "https://www.group-ib.com",
	})
	return b
}
