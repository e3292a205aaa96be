package mapfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func mapFile(f *os.File, size int64) ([]byte, error) {
	if size != int64(int(size)) {
		return nil, &os.PathError{Op: "map", Path: f.Name(), Err: errors.New("file too large")}
	}
	// MAP_POPULATE maps the whole file at once, rather than page by page
	// as it is read.
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		return nil, &os.PathError{Op: "map", Path: f.Name(), Err: err}
	}
	return b, nil
}
