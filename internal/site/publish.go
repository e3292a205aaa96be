package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// buildDirPrefix is the name prefix of the build directories of out,
// written beside it: ".public.new-1234567" (and, while publish falls back to
// two renames, ".public.new-1234567.old").
func buildDirPrefix(out string) string {
	return "." + filepath.Base(out) + ".new-"
}

// removeStale removes the build directories that builds killed before
// they finished (or before they removed the previous site after the swap)
// left beside out. Every build holds a lock on its own directory until it
// returns (lockDir), and the lock dies with its process, so a directory
// that can be locked is garbage and one that cannot belongs to a build that
// is still running; lockStale says which. Errors are ignored: a directory
// that cannot be removed now is tried again by the next build.
func removeStale(out string) {
	parent, prefix := filepath.Dir(out), buildDirPrefix(out)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if unlock, ok := lockStale(dir); ok {
			os.RemoveAll(dir)
			unlock()
		}
	}
}

// dirOf is path.Dir for a clean slash-separated name, without the
// cleaning, which the listing would do for each of the spare's files
// (38,000 at 10,000 generated articles): path.Dir was half the time of
// grouping them by directory.
func dirOf(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return "."
}
