// Package mapfile maps a file into memory for the life of the process, so
// that what is decoded from a large cache file can point into the file's
// bytes rather than be copied out of them into fresh memory, which this
// machine faults in page by page (1.2-1.4 µs a page, zeroing included).
package mapfile

import (
	"errors"
	"os"
)

var errNotRegular = errors.New("not a regular file")

// Map returns the bytes of the regular file name: mapped into memory,
// read-only, where the system allows it (Linux), and read elsewhere. An
// empty file gives no bytes.
//
// A mapping is never unmapped, since what was decoded from it points into
// it. The file must not be truncated or written meanwhile: reading a byte
// past its new end would crash the process. kbgen replaces its cache files
// by removing them and renaming the new ones into place, which leaves a
// mapped file whole. Writing into the bytes crashes the process too.
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
