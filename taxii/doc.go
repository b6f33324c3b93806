// Package taxii serves gib-taxii's collections over TAXII 2.1 (OASIS
// Standard, 10 June 2021) with Echo v4: discovery, API roots, collections,
// manifests, objects, object versions and status.
//
// The package owns the protocol: content negotiation, filters, paging
// tokens, the X-TAXII-Date-Added-* headers, authentication and the
// permission rules. It reads through the small Store interface it declares;
// object JSON is written from the stored bytes, never re-encoded.
package taxii
