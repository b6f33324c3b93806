// Package gibsim simulates the Group-IB Threat Intelligence API v2: the
// endpoints gib-taxii's ingest uses (sequence_list, <collection>/updated,
// search sessions with resultId, single items, granted collections), with
// the real envelopes, status codes and paging semantics, deterministic
// items for every collection of the catalogue (with the field drift the
// real API shows), items that get updated and appear over time, and
// switchable faults. It serves development, tests, benchmarks and the demo.
package gibsim
