package mapping

import (
	"encoding/json"
	"testing"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mapped(t *testing.T, collection, item string) map[string]storage.Object {
	t.Helper()
	raws, err := Minimal{}.Map(collection, json.RawMessage(item))
	require.NoError(t, err)
	out := map[string]storage.Object{}
	for _, raw := range raws {
		obj, err := storage.ParseObject(raw)
		require.NoError(t, err, string(raw))
		out[obj.ID] = obj
	}
	return out
}

func patterns(objs map[string]storage.Object) []string {
	var out []string
	for _, o := range objs {
		var v struct {
			Pattern string `json:"pattern"`
		}
		_ = json.Unmarshal(o.JSON, &v)
		if v.Pattern != "" {
			out = append(out, v.Pattern)
		}
	}
	return out
}

func TestMinimalIOCCommon(t *testing.T) {
	item := `{"id":"ioc-1","url":["https://a.example/x'y"],"domain":"a.example","ip":["192.0.2.1","2001:db8::1"],
		"hash":["d41d8cd98f00b204e9800998ecf8427e"],"dateFirstSeen":"2025-01-01T03:00:00+03:00","dateLastSeen":"2025-01-05T00:00:00+00:00","seqUpdate":1}`
	objs := mapped(t, "ioc/common", item)
	assert.Len(t, objs, 7, "identity, marking and 5 indicators")
	assert.ElementsMatch(t, []string{
		`[url:value = 'https://a.example/x\'y']`,
		`[domain-name:value = 'a.example']`,
		`[ipv4-addr:value = '192.0.2.1']`,
		`[ipv6-addr:value = '2001:db8::1']`,
		`[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']`,
	}, patterns(objs))
	for _, o := range objs {
		if o.Type == "indicator" {
			assert.Equal(t, "2025-01-05T00:00:00.000Z", o.VersionText)
		}
	}

	// Deterministic: the same item gives the same bytes; an update keeps
	// the ids and moves modified.
	again := mapped(t, "ioc/common", item)
	for id, o := range objs {
		assert.Equal(t, string(o.JSON), string(again[id].JSON))
	}
	updated := mapped(t, "ioc/common", `{"id":"ioc-1","url":"https://a.example/x'y","dateFirstSeen":"2025-01-01T00:00:00Z","dateLastSeen":"2025-02-01T00:00:00Z"}`)
	for id, o := range updated {
		if o.Type == "indicator" {
			require.Contains(t, objs, id)
			assert.True(t, o.Version.After(objs[id].Version))
		}
	}
}

func TestMinimalMalwareCnC(t *testing.T) {
	objs := mapped(t, "malware/cnc", `{"id":"c1","cnc":"https://c2.example/gate","url":"https://c2.example/gate","domain":"c2.example",
		"ipv4":[{"ip":"198.51.100.9","asn":null}],"file":null,"dateDetected":"2021-04-25T13:37:23+00:00","dateLastSeen":"2021-04-24T00:00:00+00:00"}`)
	assert.ElementsMatch(t, []string{`[url:value = 'https://c2.example/gate']`, `[domain-name:value = 'c2.example']`,
		`[ipv4-addr:value = '198.51.100.9']`}, patterns(objs))
}

func TestMinimalRefuses(t *testing.T) {
	_, err := Minimal{}.Map("apt/threat", json.RawMessage(`{"id":"x"}`))
	assert.ErrorIs(t, err, ErrNoRule)
	for _, item := range []string{`{"id":"x","dateFirstSeen":"yesterday"}`, `{"url":"a"}`, `[1]`} {
		_, err := Minimal{}.Map("ioc/common", json.RawMessage(item))
		assert.Error(t, err, item)
	}
}
