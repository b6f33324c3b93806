package mapping

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Objects from outside the mapping are checked by the mapping's own code:
// the three that import once stored as valid are refused, with the reason.
func TestValidateObject(t *testing.T) {
	const base = `"spec_version":"2.1","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z"`
	valid := map[string]string{
		"indicator": `{"type":"indicator",` + base + `,"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":80}`,
		"sighting":  `{"type":"sighting",` + base + `,"id":"sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","count":3}`,
		"tlp":       `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:AMBER","definition":{"tlp":"amber"}}`,
		"custom":    `{"type":"x-acme-widget",` + base + `,"id":"x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","anything":1}`,
		"sco":       `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"198.51.100.1"}`,
	}
	const ext = `"extensions":{"extension-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":{"extension_type":"new-sdo"}}`
	for name, raw := range map[string]string{ // valid STIX 2.1 a first version refused
		"sco without spec_version": `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"1.2.3.4"}`,
		"open vocabulary":          `{"type":"report",` + base + `,"id":"report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"r","published":"2026-01-01T00:00:00Z","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],"report_types":["internal-report"]}`,
		"finer modified":           `{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.123Z","modified":"2026-01-01T00:00:00.123456Z","name":"x","is_family":true}`,
		"x- sco":                   `{"type":"x-acme-sco","spec_version":"2.1","id":"x-acme-sco--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","value":"v"}`,
		"extension-defined type":   `{"type":"acme-thing",` + base + `,"id":"acme-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","rank":3,` + ext + `}`,
		"top-level extension prop": `{"type":"mutex","spec_version":"2.1","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"m","rank":3,` + ext + `}`,
		"observed-data objects":    `{"type":"observed-data",` + base + `,"id":"observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","first_observed":"2026-01-01T00:00:00Z","last_observed":"2026-01-01T00:00:00Z","number_observed":1,"objects":{"0":{"type":"ipv4-addr","value":"1.2.3.4"}}}`,
	} {
		assert.NoError(t, ValidateObject([]byte(raw)), name)
	}
	for name, raw := range map[string]string{
		"closed vocabulary":             `{"type":"opinion",` + base + `,"id":"opinion--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","opinion":"maybe","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}`,
		"modified before, finer":        `{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.1235Z","modified":"2026-01-01T00:00:00.123Z","name":"x","is_family":true}`,
		"observed-data without objects": `{"type":"observed-data",` + base + `,"id":"observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","first_observed":"2026-01-01T00:00:00Z","last_observed":"2026-01-01T00:00:00Z","number_observed":1}`,
		"sdo without spec_version":      `{"type":"malware","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x","is_family":true}`,
	} {
		assert.Error(t, ValidateObject([]byte(raw)), name)
	}
	for name, raw := range valid {
		assert.NoError(t, ValidateObject([]byte(raw)), name)
	}
	invalid := map[string]struct{ raw, want string }{
		"broken pattern":        {`{"type":"indicator",` + base + `,"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, "pattern"},
		"malware without dates": {`{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"x","is_family":true}`, "created is missing"},
		"no spec_version":       {`{"type":"malware",` + `"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"x","is_family":true}`, "spec_version"},
		"unknown type":          {`{"type":"foo",` + base + `,"id":"foo--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, "not a STIX 2.1 type"},
		"id of another type":    {`{"type":"malware",` + base + `,"id":"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"x","is_family":true}`, "not a malware identifier"},
		"confidence 300":        {`{"type":"sighting",` + base + `,"id":"sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","confidence":300}`, "confidence"},
		"unknown property":      {`{"type":"mutex","spec_version":"2.1","id":"mutex--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"m","colour":"red"}`, "colour is not a property"},
		"not an object":         {`[1,2]`, "not a JSON object"},
	}
	for name, tc := range invalid {
		err := ValidateObject([]byte(tc.raw))
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), tc.want, name)
		}
	}
}
