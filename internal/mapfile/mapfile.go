// Package mapfile maps a file into memory for the life of the process, so
// that what is decoded from a large cache file can point into the file's
// bytes rather than be copied out of them into fresh memory, which this
// machine faults in page by page (1.2-1.4 µs a page, zeroing included).
package mapfile

import (
	"errors"
	"io/fs"
	"os"
)

var errNotRegular = errors.New("not a regular file")

// Map returns the bytes of the regular file name: mapped into memory,
// read-only, where the system allows it (Linux), and read elsewhere. An
// empty file gives no bytes.
//
// A mapping is never unmapped, since what was decoded from it points into
// it. The file must not be truncated or written meanwhile: reading a byte
// past its new end would crash the process; Replace leaves a mapped file
// whole. Writing into the bytes crashes the process too.
func Map(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "map", Path: name, Err: errNotRegular}
	}
	if fi.Size() == 0 {
		return nil, nil
	}
	return mapFile(f, fi.Size())
}

// Replace puts the file tmp in name's place: it removes name, then
// renames tmp. A file Map mapped stays whole, as a rename over it would
// leave it too, but renaming over a file was slow here: renaming the
// search export's state (18 MB at 10,000 generated articles) over the
// old one took 20-35 ms at the end of one-article rebuilds, with almost
// no CPU, and 1.3-1.6 ms removed first; the build cache's rename, in the
// same directory, finished just after it. Most likely ext4 writes the new
// file out on a rename over another (its auto_da_alloc, for programs that
// do not sync), holding the directory's lock; that was not traced. A
// reader between the two steps finds no file, and a crash may leave a
// file cut short: kbgen's caches only cost time then, each being checked
// as it is read.
func Replace(tmp, name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(tmp, name)
}
