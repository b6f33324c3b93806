// Package boltstore implements gib-taxii's store on a single bbolt file.
//
// Layout (all keys fixed-width big-endian where they encode numbers):
//
//	meta/                 "schema" -> decimal schema version
//	                      "paging_key" -> 32 random bytes signing TAXII next tokens
//	ingest/               <source> -> opaque cursor state
//	collections/<id>/objects/  <stix-id> 0x00 <version µs>   -> record (see record.go)
//	collections/<id>/index/    <kind> <type> 0x00 <date_added µs> -> objects key
//	collections/<id>/last_added  the latest date_added a deletion removed
//	receipts/             <key> -> expiry, owner, TAXII status of a POST
//	receipt_expiry/       <expiry µs> <key> -> nil
//
// kind is 'A' (every version), 'F' (each object's first version) or 'L'
// (each object's last version); an empty type indexes all types. Every
// TAXII read is therefore a Seek plus a scan that stops after limit matches:
// added_after and next seek by date_added, match[type] picks the typed
// prefix, match[version]=first|last picks the F or L family (maintained at
// write time), and match[id] reads the object's versions, which share a
// prefix of objects. Schema 1 also had a history bucket per collection;
// opening such a file drops it (migrate1to2).
//
// date_added is assigned inside the write transaction as
// max(now, previous+1µs) per collection, so it is strictly increasing and
// unique: a date_added alone is a lossless resume point.
package boltstore
