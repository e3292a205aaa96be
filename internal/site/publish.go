package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// publish puts the finished build directory tmp in place of out.
//
// The previous site must survive a build killed at any moment. Until this
// function runs, out has not been touched. On Linux the two directories are
// then exchanged in one atomic renameat2(RENAME_EXCHANGE), so there is no
// instant at which out is missing or half-written; elsewhere out is first
// renamed aside and then replaced, which leaves a short window in which
// out is absent but never one in which it is mixed. The old site, now at
// tmp, is removed by the caller.
func publish(tmp, out string) error {
	fi, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("publish: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("publish: %s exists and is not a directory", out)
	}
	if err := exchange(tmp, out); err == nil {
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(out, old); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Rename(old, out) // put the previous site back
		return fmt.Errorf("publish: %w", err)
	}
	// The old site now lives at tmp+".old"; move it where the caller's
	// cleanup removes it.
	return os.Rename(old, tmp)
}
