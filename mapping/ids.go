package mapping

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
)

// scoNamespace is the STIX 2.1 namespace for deterministic SCO ids (§2.9).
var scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")

// hashPreference is the order in which a file's hash contributes to its id.
var hashPreference = []string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// scoID computes an SCO id as the spec does: UUIDv5 in the SCO namespace
// over the JCS (RFC 8785) form of the id-contributing properties.
func scoID(typ string, spec typeSpec, obj map[string]any) (string, error) {
	contrib := map[string]any{}
	for _, p := range spec.idProps {
		v, ok := obj[p]
		if !ok {
			continue
		}
		if p == "hashes" {
			v = preferredHash(v)
		}
		contrib[p] = v
	}
	if len(contrib) == 0 {
		return "", fmt.Errorf("%s has none of its id-contributing properties (%s)", typ, strings.Join(spec.idProps, ", "))
	}
	raw, err := json.Marshal(contrib)
	if err != nil {
		return "", fmt.Errorf("%s id: %w", typ, err)
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		return "", fmt.Errorf("%s id: canonical JSON: %w", typ, err)
	}
	return typ + "--" + uuid.NewSHA1(scoNamespace, canon).String(), nil
}

// preferredHash keeps the one hash that contributes to a file's id.
func preferredHash(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, algo := range hashPreference {
		if h, ok := m[algo]; ok {
			return map[string]any{algo: h}
		}
	}
	return v
}

// sdoID is a deterministic UUIDv5 in gib-taxii's namespace, so that the
// same item always yields the same ids (the spec's SHOULD for UUIDv4 is
// traded for idempotent re-ingest).
func sdoID(typ, seed string) string {
	return typ + "--" + uuid.NewSHA1(Namespace, []byte(seed)).String()
}

// canonicalKey renders an "each" element as text for an id seed.
func canonicalKey(v any) string {
	if s := scalarString(v); s != "" {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
