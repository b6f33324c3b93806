package loadtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// benchEnvelope is a page of 1,000 STIX indicators, about 600 KB.
func benchEnvelope() []byte {
	var objs []string
	for i := range 1000 {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-1111-4222-8333-444444444444",`+
			`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-02T00:00:00.000Z","name":"C2 server \"%d\"",`+
			`"description":"Seen in campaign {X}\nwith [brackets]","pattern":"[ipv4-addr:value = '198.51.100.%d']",`+
			`"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["malicious-activity"],"confidence":80,`+
			`"external_references":[{"source_name":"gib","url":"https://example.com/%d"}],"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}`,
			i, i, i%256, i))
	}
	return []byte(`{"more":true,"next":"abc","objects":[` + strings.Join(objs, ",") + `]}`)
}

// The scanner against what it replaces: decoding each element into a
// json.RawMessage.
func BenchmarkLoadtestScan(b *testing.B) {
	body := benchEnvelope()
	for name, withIDs := range map[string]bool{"first": false, "walk": true} {
		b.Run(name, func(b *testing.B) {
			s := &scanner{}
			if withIDs {
				s.onObject = func(id, version []byte) {}
			}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				s.reset()
				for i := 0; i < len(body); i += 32 << 10 {
					s.Write(body[i:min(i+32<<10, len(body))])
				}
				if env, err := s.finish(); err != nil || env.objects != 1000 {
					b.Fatal(env, err)
				}
			}
		})
	}
	b.Run("encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var env struct {
				More    bool              `json:"more"`
				Next    string            `json:"next"`
				Objects []json.RawMessage `json:"objects"`
			}
			if err := json.Unmarshal(body, &env); err != nil || len(env.Objects) != 1000 {
				b.Fatal(err)
			}
		}
	})
}
