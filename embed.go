// Package gibtaxii holds the assets gib-taxii ships inside its binary.
package gibtaxii

import _ "embed"

//go:embed mappings.yaml
var defaultMappings []byte

// DefaultMappings returns the mappings.yaml of this repository, the
// mapping used when the configuration names no other file.
func DefaultMappings() []byte { return append([]byte(nil), defaultMappings...) }
