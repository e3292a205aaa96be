//go:build !linux

package search

import (
	"errors"
	"os"
)

// lockShared fails here: without flock, CopyIndex cannot tell an index
// open in another process, and copies none.
func lockShared(*os.File) error { return errors.ErrUnsupported }
