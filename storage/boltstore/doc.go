// Package boltstore implements gib-taxii's store on a single bbolt file.
//
// Layout (schema 5; all keys fixed-width big-endian where they encode
// numbers):
//
//	meta/                 "schema" -> decimal schema version
//	                      "paging_key" -> 32 random bytes signing TAXII next tokens
//	                      "migrating" -> the schema a migration started from, while it runs
//	ingest/               <source> -> opaque cursor state
//	collections/<id>/records/  <date_added µs> -> record (see codec.go)
//	collections/<id>/ids/      <stix-id> 0x00 <version µs> -> <date_added µs>
//	collections/<id>/types/    <type> 0x00 <date_added µs> -> nothing
//	collections/<id>/values/   <indicator value> 0x00 <date_added µs> -> nothing
//	collections/<id>/last_added  the latest date_added a deletion removed
//	receipts/             <key> -> expiry, owner, TAXII status of a POST
//	receipt_expiry/       <expiry µs> <key> -> nil
//
// A record holds one object version: its id, version, spec_version, the
// exact text of its modified, its JSON, and two flags saying whether it is
// its object's first and last stored version. Records are keyed by
// date_added, which only grows, so writes append and pages fill; the ids
// and types entries name a record by that 8-byte key instead of repeating
// the object's. Every TAXII read is therefore a Seek plus a scan that
// stops after limit matches: added_after and next seek by date_added, an
// unfiltered read scans records, match[type] scans that type's entries,
// match[id] reads the object's versions from ids, and match[version]=
// first|last reads the flags (set at write time, moved by later versions
// and deletions).
//
// The values bucket holds, for every record, the indicator values it
// carries (storage.IndexValues: an observable's value, a file's hashes, a
// CVE id, the literals of a STIX pattern), written in the same
// transaction as the record: a lookup by value is a prefix scan.
//
// date_added is assigned inside the write transaction as
// max(now, previous+1µs) per collection, so it is strictly increasing and
// unique: a date_added alone is a lossless resume point.
//
// Schemas 1 and 2 kept records under <stix-id> 0x00 <version> with three
// index families pointing at those keys, schema 3 had no values bucket,
// and schema 4's values held quoted parts of pattern paths; opening such a
// file moves it to this layout (migrate.go).
package boltstore
