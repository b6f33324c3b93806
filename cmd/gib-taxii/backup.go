package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gib-taxii/gib-taxii/storage/boltstore"
)

// runBackups writes a snapshot of the store every interval until ctx
// ends, keeping the newest keep files. Each is written to a temporary name
// and renamed, so that a snapshot file is always complete.
func (a *app) runBackups(ctx context.Context) {
	b := a.cfg.Storage.Backup
	every(ctx, b.Interval, func() {
		if err := a.store.Fault(); err != nil {
			// A copy of a damaged file would push good backups out.
			a.log.Error("store backup skipped: the store is damaged", "error", err.Error())
			return
		}
		if path, err := a.snapshot(ctx, b.Dir); err != nil {
			a.log.Error("store backup failed", "error", err.Error())
		} else {
			a.log.Info("store backup written", "path", path)
			prune(b.Dir, b.Keep, a.log)
		}
	})
}

// every runs f each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

func (a *app) snapshot(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, backupPrefix+time.Now().UTC().Format("20060102T150405.000000Z")+".db")
	f, err := os.OpenFile(path+".tmp", os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	bs, ok := a.store.(*boltstore.Store)
	if !ok {
		err = errors.New("backups are of the bbolt file only") // refused by the configuration before
	} else {
		_, err = bs.Backup(ctx, f)
	}
	if err == nil {
		err = f.Sync() // on disk before it gets its final name
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path + ".tmp")
		return "", err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", err
	}
	return path, syncDir(dir)
}

// backupPrefix names snapshot files, distinct from any store file name.
const backupPrefix = "gib-taxii-backup-"

// syncDir makes a rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// prune removes all but the newest keep snapshots, and temporary files a
// crash left behind.
func prune(dir string, keep int, log *slog.Logger) {
	tmps, _ := filepath.Glob(filepath.Join(dir, backupPrefix+"*.db.tmp"))
	for _, f := range tmps {
		_ = os.Remove(f)
	}
	files, err := filepath.Glob(filepath.Join(dir, backupPrefix+"*.db"))
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
