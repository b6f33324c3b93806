package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gib-taxii/gib-taxii/storage"
)

// State is the progress and health of one Group-IB collection, committed
// in the same transaction as the objects of each page.
type State struct {
	// SeqUpdate is the /updated cursor (updated collections).
	SeqUpdate *int64 `json:"seq_update,omitempty"`
	// Checkpoint is the update time up to which search windows are done
	// (search-only collections).
	Checkpoint *time.Time `json:"checkpoint,omitempty"`
	// Queued is the API's count of items still waiting after the last page.
	Queued            int64     `json:"queued"`
	LastSuccess       time.Time `json:"last_success,omitzero"`
	LastError         string    `json:"last_error,omitempty"`
	LastErrorAt       time.Time `json:"last_error_at,omitzero"`
	ConsecutiveErrors int       `json:"consecutive_errors"`
	// LastErrorStore marks a last error that was the local store's.
	LastErrorStore bool `json:"last_error_store,omitempty"`
	// Stopped says why the loop is paused on an access problem (401, 403,
	// 301/302) until an operator acts; empty when running.
	Stopped string `json:"stopped,omitempty"`
	Items   int64  `json:"items"`
	Objects int64  `json:"objects"`
	Skipped int64  `json:"skipped"`
}

// SourcePrefix prefixes the store's cursor key of a Group-IB collection.
const SourcePrefix = "groupib:"

// Store is what ingest needs of the store.
type Store interface {
	Cursor(ctx context.Context, source string) ([]byte, error)
	Commit(ctx context.Context, b storage.Batch) (storage.CommitResult, error)
}

// LoadState reads a collection's state; a collection never polled has
// the zero State.
func LoadState(ctx context.Context, store Store, collection string) (State, error) {
	raw, err := store.Cursor(ctx, SourcePrefix+collection)
	if errors.Is(err, storage.ErrNotFound) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	var st State
	if err := json.Unmarshal(raw, &st); err != nil {
		return State{}, fmt.Errorf("state of %s: %w", collection, err)
	}
	return st, nil
}

func (st State) cursor(collection string) (*storage.Cursor, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	return &storage.Cursor{Source: SourcePrefix + collection, State: raw}, nil
}
