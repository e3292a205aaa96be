package mapfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive lock on f, a temporary file being written,
// which the writer holds until the file is put in place or dropped:
// removeStale leaves a locked file alone. It reports whether f holds
// the lock, and so must stay open until then.
func lock(f *os.File) bool {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX) == nil
}

// unlocked reports whether no process holds the lock of the file f
// names, taking it if so; f's closing releases it.
func unlocked(f *os.File) bool {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
}
