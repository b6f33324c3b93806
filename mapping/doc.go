// Package mapping turns Group-IB items into STIX 2.1 objects with the rules
// of a mappings file (the repository's mappings.yaml documents the
// language). It is pure: no I/O after loading, and the same item always
// gives byte-identical objects, with ids derived deterministically, so
// that an unchanged re-delivery stores nothing new. Every object is
// validated before it leaves the engine, STIX patterns with the package's
// own patterning parser (ParsePattern).
package mapping
