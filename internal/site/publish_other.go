//go:build !linux

package site

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// exchange is not available on this system; publish falls back to two
// renames.
func exchange(a, b string) error { return errors.New("exchange not supported") }

// replaceEmpty renames directory a to b, an empty directory, in two
// steps here.
func replaceEmpty(a, b string) error {
	if err := os.Remove(b); err != nil {
		return err
	}
	return os.Rename(a, b)
}

// lockDir does nothing here: without flock, lockStale goes by age.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }

// lockStale reports whether dir, another build's directory, is stale. With
// no lock to test, a directory is stale when it has not changed for an
// hour, longer than any build takes.
func lockStale(dir string) (unlock func(), ok bool) {
	fi, err := os.Stat(dir)
	if err != nil || time.Since(fi.ModTime()) < time.Hour {
		return nil, false
	}
	return func() {}, true
}

// regularFile returns the size and modification time in nanoseconds of
// the regular file name, without following a symbolic link, and no inode
// (see inode); ok is false for anything else.
func regularFile(name string) (size, mtime int64, ino uint64, ok bool) {
	fi, err := os.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, 0, 0, false
	}
	return fi.Size(), fi.ModTime().UnixNano(), 0, true
}

// A dirRoot stats the files below one directory by their slash-separated
// names; here by their full paths.
type dirRoot struct{ dir string }

func openRoot(dir string) dirRoot { return dirRoot{dir} }

// close does nothing: the zero dirRoot, too, has nothing to close.
func (r dirRoot) close() {}

// regularFile is regularFile of the file name below r.
func (r dirRoot) regularFile(name string) (size, mtime int64, ino uint64, ok bool) {
	return regularFile(filepath.Join(r.dir, filepath.FromSlash(name)))
}

// dirStamps is whether the cache file records the stamps of directories:
// not here, where the spare is never listed by them (listTreeAt).
const dirStamps = false

// dirStamp reports false: see dirStamps.
func (r dirRoot) dirStamp(name string) (dirMTime, bool) { return dirMTime{}, false }

// inode returns 0: without inode numbers the build cache goes by size and
// modification time.
func inode(fi os.FileInfo) uint64 { return 0 }

// changeTime reports false: the parse cache reads every file here.
func changeTime(fi fs.FileInfo) (int64, bool) { return 0, false }

// listTreeAt fails here: Build lists the spare itself.
func listTreeAt(dir string, _ *knownTree, _ int64) (treeList, error) {
	return treeList{}, errors.New("listing a directory by descriptors is not supported")
}
