// Package storage holds gib-taxii's domain types: the STIX objects kept in
// TAXII collections, the records a read returns, the queries that select them,
// and the batches the ingest loop commits. It has no implementation and
// imports only the standard library; storage/boltstore implements it on bbolt,
// and consumers (taxii, ingest) declare the small interfaces they need.
package storage
