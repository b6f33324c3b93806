package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// runBackups writes a snapshot of the store every interval until ctx
// ends, keeping the newest keep files. Each is written to a temporary name
// and renamed, so that a snapshot file is always complete.
func (a *app) runBackups(ctx context.Context) {
	b := a.cfg.Storage.Backup
	t := time.NewTicker(b.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if path, err := a.snapshot(ctx, b.Dir); err != nil {
				a.log.Error("store backup failed", "error", err.Error())
			} else {
				a.log.Info("store backup written", "path", path)
				prune(b.Dir, b.Keep, a.log)
			}
		}
	}
}

func (a *app) snapshot(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "gib-taxii-"+time.Now().UTC().Format("20060102T150405.000000Z")+".db")
	f, err := os.OpenFile(path+".tmp", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := a.store.Backup(ctx, f); err != nil {
		f.Close()
		os.Remove(path + ".tmp")
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(path+".tmp", path)
}

// prune removes all but the newest keep snapshots.
func prune(dir string, keep int, log *slog.Logger) {
	files, err := filepath.Glob(filepath.Join(dir, "gib-taxii-*.db"))
	if err != nil {
		return
	}
	sort.Strings(files) // the names sort by time
	for _, f := range files[:max(len(files)-keep, 0)] {
		if err := os.Remove(f); err != nil && !strings.Contains(err.Error(), "no such file") {
			log.Warn("could not remove an old backup", "path", f, "error", fmt.Sprint(err))
		}
	}
}
