package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// StoreFault names how BreakWrites makes a store file unwritable.
type StoreFault string

const (
	// DiskFull sends the file's writes to /dev/full: every write fails
	// with ENOSPC, as on a full disk.
	DiskFull StoreFault = "/dev/full"
	// ReadOnly swaps the file for a read-only descriptor of itself: every
	// write fails, as on a filesystem remounted read-only.
	ReadOnly StoreFault = "read-only"
)

// BreakWrites makes the already open file at path unwritable in this
// process without closing it: the descriptor that holds it is replaced
// (dup3) by one whose writes fail. Reads through a memory map, as bbolt's,
// go on. The returned function makes the file writable again. Replacing the
// descriptor closes the one bbolt opened, and with it bbolt's file lock:
// the test must not open the file a second time meanwhile.
func BreakWrites(tb testing.TB, path string, fault StoreFault) (restore func()) {
	tb.Helper()
	fd := openFD(tb, path)
	var bad *os.File
	var err error
	if fault == DiskFull {
		bad, err = os.OpenFile("/dev/full", os.O_WRONLY, 0)
	} else {
		bad, err = os.Open(path)
	}
	if err != nil {
		tb.Fatalf("break writes: %v", err)
	}
	defer bad.Close()
	if err := syscall.Dup3(int(bad.Fd()), fd, syscall.O_CLOEXEC); err != nil {
		tb.Fatalf("break writes: dup3: %v", err)
	}
	return func() {
		good, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			tb.Fatalf("restore writes: %v", err)
		}
		defer good.Close()
		if err := syscall.Dup3(int(good.Fd()), fd, syscall.O_CLOEXEC); err != nil {
			tb.Fatalf("restore writes: dup3: %v", err)
		}
	}
}

// openFD finds the descriptor of this process that has path open.
func openFD(tb testing.TB, path string) int {
	tb.Helper()
	want, err := filepath.EvalSymlinks(path)
	if err != nil {
		tb.Fatalf("break writes: %v", err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatalf("break writes: %v", err)
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && target == want {
			var fd int
			if _, err := fmt.Sscan(e.Name(), &fd); err == nil {
				return fd
			}
		}
	}
	tb.Fatalf("break writes: %s is not open in this process", path)
	return -1
}
