package storage_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseObject(t *testing.T) {
	obj, err := storage.ParseObject([]byte(`{
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
	marking, err := storage.ParseObject([]byte(`{"type":"marking-definition","spec_version":"2.1",
		"id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z"}`))
	require.NoError(t, err)
	assert.Equal(t, "2017-01-20T00:00:00.000Z", marking.VersionText, "no modified: version is created")

	sco, err := storage.ParseObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db","value":"198.51.100.7"}`))
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
			_, err := storage.ParseObject([]byte(raw))
			assert.ErrorIs(t, err, storage.ErrInvalidObject)
		})
	}
}

func TestParseObjectNanosecondZerosAreFine(t *testing.T) {
	obj, err := storage.ParseObject([]byte(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1","created":"2016-04-06T20:03:48.123456000Z"}`))
	require.NoError(t, err)
	assert.Equal(t, 123456000, obj.Version.Nanosecond())
}

func TestIsID(t *testing.T) {
	assert.True(t, storage.IsID("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"))
	assert.True(t, storage.IsID("x-custom-thing--8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f"))
	for _, bad := range []string{"", "indicator", "indicator--", "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F",
		"indi\x00cator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\x00"} {
		assert.False(t, storage.IsID(bad), "%q", bad)
	}
	assert.False(t, storage.IsType("indicator\x00"))
}
