// Package mapping turns Group-IB items into STIX 2.1 objects. It is pure:
// the same item always gives byte-identical objects, with ids derived
// deterministically, so that an unchanged re-delivery stores nothing new.
//
// For now it holds Minimal, a hand-written mapper for ioc/common and
// malware/cnc; the YAML-driven engine replaces it.
package mapping
