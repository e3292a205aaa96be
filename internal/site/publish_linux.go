package site

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps the directories a and b.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// replaceEmpty renames directory a to b, an empty directory, which it
// replaces in the same step. (os.Rename refuses a directory as the new
// name on every system, as Windows would.)
func replaceEmpty(a, b string) error { return unix.Rename(a, b) }

// lockDir takes an exclusive flock on dir, the calling build's own
// directory, and returns its release. It fails if dir is locked, or if it
// was removed (by another build's removeStale, between its creation and
// the lock), so a build never writes into a directory another build is
// deleting.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	locked, err1 := f.Stat()
	named, err2 := os.Stat(dir)
	if err := errors.Join(err1, err2); err != nil || !os.SameFile(locked, named) {
		f.Close()
		return nil, fmt.Errorf("lock %s: removed by another build", dir)
	}
	return func() { f.Close() }, nil
}

// lockStale reports whether dir, another build's directory, is stale: no
// live process holds its lock. If so, it holds the lock itself until
// unlock, so that no build can start using dir while it is removed.
func lockStale(dir string) (unlock func(), ok bool) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

// inode returns fi's inode number, which the build cache compares to tell
// a published file from one written in its place since.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
