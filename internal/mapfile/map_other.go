//go:build !linux

package mapfile

import (
	"io"
	"os"
)

// mapFile reads the file: it is not mapped here.
func mapFile(f *os.File, size int64) ([]byte, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}
