package search

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// rootFile is the file, in an index's directory, that bleve's scorch
// index keeps its list of segments and its internal values in, and holds
// an exclusive flock on while the index is open (bbolt's own lock).
const rootFile = "store/root.bolt"

// CopyIndex copies the index in src, with the state of its last export
// (see statePath), to dst, which must not exist, so that an Update in dst
// starts from what src holds: a dev server starting from the index kbgen
// build keeps analyses only the articles changed since that build (at
// 10,000 generated articles, 0.4 s instead of 10 s to build its own).
//
// It refuses, with an error, an index open in another process (a build
// updating it holds its lock) and one replaced while it was copied (a
// build rebuilding it from scratch): the copy must be of one index at one
// time. What it copies is still only a starting point: Update checks the
// document hashes the index recorded, rebuilds an index it cannot trust,
// and a state that does not fit is not used. On error dst is removed.
func CopyIndex(dst, src string) (err error) {
	root, err := os.Open(filepath.Join(src, filepath.FromSlash(rootFile)))
	if err != nil {
		return err
	}
	defer root.Close()
	// Shared, so that another reader may copy meanwhile; a process
	// opening the index waits for it (bbolt retries its lock).
	if err := lockShared(root); errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("copy search index %s: %w", src, err)
	} else if err != nil {
		return fmt.Errorf("search index %s is in use: %w", src, err)
	}
	before, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dst)
			os.Remove(statePath(dst))
		}
	}()
	// The state first: written whole by rename, and checked against
	// the index when read, it may be of an earlier export than the index
	// without harm.
	if err := copyFile(statePath(dst), statePath(src)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(to, 0o700)
		case d.Type().IsRegular():
			return copyFile(to, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copy search index %s: %w", src, err)
	}
	// The same directory and root file as locked: not replaced meanwhile.
	after, err1 := os.Stat(src)
	locked, err2 := root.Stat()
	named, err3 := os.Stat(filepath.Join(src, filepath.FromSlash(rootFile)))
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	if !os.SameFile(before, after) || !os.SameFile(locked, named) {
		return fmt.Errorf("copy search index %s: replaced while copied", src)
	}
	return nil
}

// copyFile copies the regular file src to dst, which it creates.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// LastExport describes the export the index last made with a Reuse, as the
// state beside it has it (see exportState): its version and the content
// hash of each of its files, by name below the version's directory. ok is
// false when the index has no state. A dev server starting from a build's
// index (CopyIndex) finds the build's published export by it, whose files
// its first export can take over rather than make.
func (ix *Index) LastExport() (version string, files map[string]Sum, ok bool) {
	st := ix.prev
	if st == nil {
		st = ix.state
	}
	if st == nil {
		// Read once: the next export starts from it (exportFrom).
		st = ix.loadExportState()
		ix.prev = st
	}
	if st == nil || len(st.Sums) != sha256.Size*len(st.IDs) || len(st.FileSum) != sha256.Size*len(st.Files) {
		return "", nil, false
	}
	sums := make(map[string][sha256.Size]byte, len(st.IDs))
	for i, id := range st.IDs {
		sums[id] = [sha256.Size]byte(st.Sums[sha256.Size*i:])
	}
	files = make(map[string]Sum, len(st.Files))
	for i, name := range st.Files {
		files[name] = Sum(st.FileSum[sha256.Size*i:])
	}
	return docsVersion(sums), files, true
}
