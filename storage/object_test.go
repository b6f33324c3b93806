package storage

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseObject(t *testing.T) {
	obj, err := ParseObject([]byte(`{
		"type": "indicator", "spec_version": "2.1",
		"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.123456Z",
		"pattern": "[ipv4-addr:value = '198.51.100.7']"}`))
	require.NoError(t, err)
	assert.Equal(t, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", obj.ID)
	assert.Equal(t, "indicator", obj.Type)
	assert.Equal(t, "2.1", obj.SpecVersion)
	assert.Equal(t, "2016-04-06T20:03:48.123456Z", obj.VersionText)
	assert.Equal(t, time.Date(2016, 4, 6, 20, 3, 48, 123456000, time.UTC), obj.Version)
	assert.NotContains(t, string(obj.JSON), "\n", "stored JSON is compact")
	assert.Contains(t, string(obj.JSON), `"pattern":"[ipv4-addr:value = '198.51.100.7']"`, "string contents are untouched")
}

func TestParseObjectVersionFallbacks(t *testing.T) {
	marking, err := ParseObject([]byte(`{"type":"marking-definition","spec_version":"2.1",
		"id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z"}`))
	require.NoError(t, err)
	assert.Equal(t, "2017-01-20T00:00:00.000Z", marking.VersionText, "no modified: version is created")

	sco, err := ParseObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
	require.NoError(t, err)
	assert.Equal(t, "2.1", sco.SpecVersion, "an SCO may omit spec_version")
	assert.True(t, sco.Version.IsZero())
	assert.Empty(t, sco.VersionText)
}

func TestParseObjectRejects(t *testing.T) {
	const id = `"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`
	cases := map[string]string{
		"not an object":     `["indicator"]`,
		"bad JSON":          `{"type":"indicator",`,
		"no type":           `{` + id + `,"spec_version":"2.1"}`,
		"upper-case type":   `{"type":"Indicator",` + id + `}`,
		"no id":             `{"type":"indicator","spec_version":"2.1"}`,
		"id type mismatch":  `{"type":"malware",` + id + `,"spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"}`,
		"id not a uuid":     `{"type":"indicator","id":"indicator--1234","spec_version":"2.1"}`,
		"STIX 2.0":          `{"type":"indicator",` + id + `,"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z"}`,
		"spec_version 2.0":  `{"type":"indicator",` + id + `,"spec_version":"2.0"}`,
		"bad created":       `{"type":"indicator",` + id + `,"spec_version":"2.1","created":"yesterday"}`,
		"offset timestamp":  `{"type":"indicator",` + id + `,"spec_version":"2.1","created":"2016-04-06T20:03:48+02:00"}`,
		"modified < create": `{"type":"indicator",` + id + `,"spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"2015-04-06T20:03:48.000Z"}`,
		"type not string":   `{"type":7,` + id + `}`,
		"long fraction":     `{"type":"indicator",` + id + `,"spec_version":"2.1","created":"2016-04-06T20:03:48.` + strings.Repeat("0", 300) + `Z"}`,
		"below microsecond": `{"type":"indicator",` + id + `,"spec_version":"2.1","created":"2016-04-06T20:03:48.0000001Z"}`,
		"NUL in type":       `{"type":"indi\u0000cator","id":"indi\u0000cator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1"}`,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseObject([]byte(raw))
			assert.ErrorIs(t, err, ErrInvalidObject)
		})
	}
}

func TestParseObjectNanosecondZerosAreFine(t *testing.T) {
	obj, err := ParseObject([]byte(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1","created":"2016-04-06T20:03:48.123456000Z"}`))
	require.NoError(t, err)
	assert.Equal(t, 123456000, obj.Version.Nanosecond())
}

func TestIsID(t *testing.T) {
	assert.True(t, IsID("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))
	assert.True(t, IsID("x-custom-thing--8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f"))
	for _, bad := range []string{"", "indicator", "indicator--", "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F",
		"indi\x00cator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\x00"} {
		assert.False(t, IsID(bad), "%q", bad)
	}
	assert.False(t, IsType("indicator\x00"))
}

// The hand-written checks agree with the regular expressions they
// implement, on generated near-miss inputs.
func TestChecksMatchTheirRegexps(t *testing.T) {
	typeRE := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$`)
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	tsRE := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$`)
	r := rand.New(rand.NewPCG(1, 2))
	mutate := func(s string) string {
		b := []byte(s)
		switch r.IntN(4) {
		case 0:
			if len(b) > 0 {
				const alphabet = "aZ0-9.:TfF8x\x00"
				b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
			}
		case 1:
			if len(b) > 0 {
				i := r.IntN(len(b))
				b = append(b[:i], b[i+1:]...)
			}
		case 2:
			i := r.IntN(len(b) + 1)
			b = append(b[:i], append([]byte{"a-0.9Z"[r.IntN(6)]}, b[i:]...)...)
		}
		return string(b)
	}
	for range 20000 {
		typ := mutate([]string{"indicator", "x-custom-type", "ab", "a-b", strings.Repeat("a", 250)}[r.IntN(5)])
		require.Equal(t, typeRE.MatchString(typ), IsType(typ), "%q", typ)
		u := mutate([]string{"8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "12592121-be4c-5a93-a813-5a5af16e50db"}[r.IntN(2)])
		require.Equal(t, uuidRE.MatchString(u), isUUID(u), "%q", u)
		ts := mutate([]string{"2016-04-06T20:03:48Z", "2016-04-06T20:03:48.123Z", "2016-04-06T20:03:48.123456789Z"}[r.IntN(3)])
		require.Equal(t, tsRE.MatchString(ts), isTimestampShape(ts), "%q", ts)
	}
}

func TestSameJSON(t *testing.T) {
	a := `{"type":"indicator","name":"café","n":1,"labels":["a","b"]}`
	for _, b := range []string{
		`{"name":"café","type":"indicator","labels":["a","b"],"n":1}`,
		`{ "type" : "indicator", "name" : "caf\u00e9", "n" : 1, "labels" : [ "a", "b" ] }`,
	} {
		assert.True(t, SameJSON([]byte(a), []byte(b)), b)
	}
	for _, b := range []string{
		`{"type":"indicator","name":"cafe","n":1,"labels":["a","b"]}`,
		`{"type":"indicator","name":"café","n":1,"labels":["b","a"]}`,
		`{"type":"indicator","name":"café","n":1.0,"labels":["a","b"]}`,
		`{"type":"indicator","name":"café","n":1,"labels":["a","b"],"x":null}`,
		`not json`,
	} {
		assert.False(t, SameJSON([]byte(a), []byte(b)), b)
	}
}

func TestObjectFromFieldsRefusesBytesThatAreNotTheObject(t *testing.T) {
	id := "indicator--00000001-0000-4000-8000-000000000000"
	good := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"}`
	obj, err := ObjectFromFields(id, "indicator", "2.1", "2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z", []byte(good))
	require.NoError(t, err)
	assert.Equal(t, good, string(obj.JSON))
	for _, raw := range []string{
		`{`,
		good + ` trailing`,
		strings.Replace(good, id, "indicator--00000002-0000-4000-8000-000000000000", 1),
		`[` + good + `]`,
	} {
		_, err := ObjectFromFields(id, "indicator", "2.1", "2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z", []byte(raw))
		assert.ErrorIs(t, err, ErrInvalidObject, raw)
	}
	_, err = ObjectFromFields(id, "indicator", "", "2020-01-01T00:00:00.000Z", "", []byte(good))
	assert.ErrorIs(t, err, ErrInvalidObject, "an SDO needs its spec_version stated")
}
