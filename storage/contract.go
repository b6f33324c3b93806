package storage

import "context"

// Store is the storage contract: everything the TAXII server, ingest and
// the commands need of a backend. taxii and ingest declare the parts they
// use; storage/storagetest holds the conformance suite every backend
// passes unchanged.
type Store interface {
	// Records returns one page of a collection's entries matching q,
	// ascending by date_added, which is unique and increasing per
	// collection.
	Records(ctx context.Context, q Query) (Page, error)
	// ObjectExists reports whether any version of id is in the collection.
	ObjectExists(ctx context.Context, collection, id string) (bool, error)
	// ValueRecords returns the latest versions of the objects carrying an
	// indicator value (IndexValues), newest first, at most limit.
	ValueRecords(ctx context.Context, collection, value string, limit int) ([]Record, error)
	// Commit writes a batch, its cursor and its receipt in one
	// transaction, or nothing.
	Commit(ctx context.Context, b Batch) (CommitResult, error)
	// Delete removes versions of an object; ErrNotFound if none is
	// selected. A date_added is never given again.
	Delete(ctx context.Context, d Deletion) (int, error)
	// Receipt reads a receipt back; ErrNotFound if there is none.
	Receipt(ctx context.Context, key string) (Receipt, error)
	// PruneReceipts removes expired receipts.
	PruneReceipts(ctx context.Context) error
	// Cursor returns the state last committed for an ingest source, or
	// ErrNotFound.
	Cursor(ctx context.Context, source string) ([]byte, error)
	// CollectionID returns the id kept for a collection key, generating it
	// the first time; CollectionIDs lists them.
	CollectionID(ctx context.Context, key string) (string, error)
	CollectionIDs(ctx context.Context) (map[string]string, error)
	// PagingKey is the secret TAXII next tokens are signed with, the same
	// for every process using the store.
	PagingKey() []byte
	// Close releases the store; it is idempotent.
	Close() error
}
