package search

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockShared takes a shared flock on f, without waiting, for as long as f
// is open. It fails while another process holds the exclusive lock bbolt
// takes on an open index's root file.
func lockShared(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
}
