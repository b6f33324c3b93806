// Package ingest pulls Group-IB Threat Intelligence (API v2) into the
// store: a client for the API (Basic auth, shared rate limit, retries with
// backoff, tolerant decoding) and one poll loop per Group-IB collection
// that maps each page's items to STIX and commits the objects together
// with the collection's new cursor, so that no item is lost or duplicated
// through restarts, crashes, rate limits or API faults.
package ingest
