package storage

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The fuzz targets of this file run their seeds under plain go test; go
// test -fuzz explores from there. testdata/fuzz holds objects and bundles
// as the mapping engine emits them, and inputs that found bugs.

const (
	fuzzIndicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-06-01T00:00:00.000Z","modified":"2025-06-02T00:00:00.123456Z","pattern":"[ipv4-addr:value = '83.137.158.16']","pattern_type":"stix","valid_from":"2025-06-01T00:00:00Z","labels":["tor_node"]}`
	fuzzSCO       = `{"type":"ipv4-addr","id":"ipv4-addr--2b6bbe7c-ae33-5f66-9f65-4d6b2bbb6a2e","value":"83.137.158.16"}`
)

// FuzzParseObject: an object ParseObject accepts has a well-formed type and
// id of that type, spec_version 2.1, a version that is its version text
// parsed and that survives a round trip, and valid JSON that parses to
// the same object again. Refusals wrap ErrInvalidObject.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		fuzzIndicator, fuzzSCO, " \n" + fuzzSCO + "\t",
		`{"type":"identity","spec_version":"2.1","id":"identity--c1b58a86-e037-4ba3-9df7-3a45f24b1a1c","created":"2025-01-01T00:00:00Z","modified":"2025-01-01T00:00:00Z","name":"Group-IB","identity_class":"organization"}`,
		`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-06-01T00:00:00.000Z"}`,
		`{"type":"indicator","spec_version":"2.0","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-06-01T00:00:00.000Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F","created":"2025-06-01T00:00:00.000Z"}`,
		`{"type":"malware","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-06-01T00:00:00.000Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-06-02T00:00:00Z","modified":"2025-06-01T00:00:00Z"}`,
		`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-06-01T00:00:00.0000001Z"}`,
		`{"type":"x-gib-item","id":"x-gib-item--0b3c7d1e-5f2a-4b6c-8d9e-1a2b3c4d5e6f","type":"x-gib-item"}`,
		`{"type":"ab","id":"ab--0b3c7d1e-5f2a-4b6c-8d9e-1a2b3c4d5e6f"}`,
		`{"type":null,"id":1}`, `[]`, `{}`, `{`, ``, `{"type":"indicator"} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		obj, err := ParseObject(raw)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidObject)
			return
		}
		require.True(t, IsType(obj.Type), "type %q", obj.Type)
		require.True(t, IsID(obj.ID), "id %q", obj.ID)
		require.True(t, strings.HasPrefix(obj.ID, obj.Type+"--"), "id %q of type %q", obj.ID, obj.Type)
		require.Equal(t, SpecVersion, obj.SpecVersion)
		require.True(t, json.Valid(obj.JSON), "%s", obj.JSON)
		if obj.VersionText == "" {
			require.True(t, obj.Version.IsZero())
		} else {
			v, err := ParseTimestamp(obj.VersionText)
			require.NoError(t, err)
			require.True(t, v.Equal(obj.Version))
			again, err := ParseTimestamp(obj.Version.Format(time.RFC3339Nano))
			require.NoError(t, err, "version %s re-formatted", obj.VersionText)
			require.True(t, again.Equal(obj.Version))
		}
		again, err := ParseObject(obj.JSON)
		require.NoError(t, err, "the stored form %s", obj.JSON)
		require.Equal(t, obj, again)
	})
}

// FuzzParseTimestamp: an accepted STIX timestamp is UTC, whole
// microseconds, the instant the text states, and re-formats (RFC 3339 or
// the six-digit form) to text that parses to the same instant.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{
		"2025-06-01T00:00:00Z", "2025-06-01T00:00:00.000Z", "2025-06-02T00:00:00.123456Z", "2025-06-02T00:00:00.123456000Z",
		"2025-06-02T00:00:00.1234567Z", "2025-06-02T00:00:00.Z", "2025-06-02t00:00:00z", "2025-06-02T00:00:00+00:00",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "2025-02-29T00:00:00Z", "2025-06-01T24:00:00Z", "2025-06-01T23:59:60Z",
		"2025-06-01 00:00:00Z", "2025-06-01T00:00:00.0000000000Z", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			return
		}
		require.Equal(t, time.UTC, ts.Location())
		require.Zero(t, ts.Nanosecond()%1000, "%q is finer than a microsecond", s)
		stated, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		require.True(t, stated.Equal(ts))
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000000Z"} {
			again, err := ParseTimestamp(ts.Format(layout))
			require.NoError(t, err, "%q re-formatted as %q", s, ts.Format(layout))
			require.True(t, again.Equal(ts))
		}
	})
}

// FuzzDecodeObjects: every element handed over is valid JSON, with indexes
// counting up from 0, and a document DecodeObjects accepts is a complete
// JSON object with an "objects" property and no type other than bundle.
func FuzzDecodeObjects(f *testing.F) {
	for _, s := range []string{
		`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + fuzzIndicator + `,` + fuzzSCO + `]}`,
		`{"more":true,"next":"AQID","objects":[` + fuzzSCO + `]}`,
		`{"objects":[]}`, `{"objects":[],"type":"bundle"}`, `{"objects":[1,"two",[3],{"4":null}]}`, `{"type":"envelope","objects":[]}`,
		`{"objects":[{}`, `{"objects":{}}`, `{"id":"x"}`, `{}`, `[]`, ``, `{"objects":[] ,}`, `{"objects":[],"objects":[{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := 0
		err := DecodeObjects(bytes.NewReader(data), func(i int, raw json.RawMessage) error {
			if i == 0 {
				want = 0 // a repeated "objects" property counts again
			}
			require.Equal(t, want, i)
			want++
			require.True(t, json.Valid(raw), "%s", raw)
			return nil
		})
		if err != nil {
			return
		}
		var doc map[string]json.RawMessage
		require.NoError(t, json.NewDecoder(bytes.NewReader(data)).Decode(&doc), "accepted %q", data)
		require.Contains(t, doc, "objects")
		if typ, ok := doc["type"]; ok {
			require.JSONEq(t, `"bundle"`, string(typ))
		}
	})
}
