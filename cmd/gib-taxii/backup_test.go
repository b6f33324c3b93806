package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/gib-taxii/gib-taxii/storage/boltstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Snapshots of the open store are complete stores; only the newest are kept.
func TestBackupSnapshots(t *testing.T) {
	_, cfg := writeConfig(t)
	dir := t.TempDir()
	cfg.Storage.Backup = backupConfig{Dir: dir, Interval: 60e9, Keep: 2}
	require.NoError(t, cfg.validate())
	a, err := openApp(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer a.Close()
	var paths []string
	for range 3 {
		p, err := a.snapshot(context.Background(), dir)
		require.NoError(t, err)
		paths = append(paths, p)
		prune(dir, 2, a.log)
	}
	left, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Equal(t, paths[1:], left, "the two newest, no temporary files")
	s, err := boltstore.Open(left[1], boltstore.Options{})
	require.NoError(t, err)
	assert.NoError(t, s.Close())

	cfg.Storage.Backup.Interval = 0
	assert.ErrorContains(t, cfg.validate(), "storage.backup")
	cfg.Storage.Backup = backupConfig{Dir: filepath.Dir(cfg.Storage.Path), Interval: 60e9, Keep: 2}
	assert.ErrorContains(t, cfg.validate(), "storage.backup.dir: must not be the store's own directory")
}
