package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/kbgen/kbgen/internal/site"
)

// watch watches the site root (for kbgen.yaml and for content/ or
// templates/ appearing), and content/ and templates/ with every directory
// below them, and calls apply with the changed paths after cfg.Debounce of
// quiet. It returns when ctx is cancelled, or with an error when watching
// fails.
//
// inotify and its kin watch single directories, not trees, so every
// directory is added on its own and new ones are added as they appear.
// Hidden directories (.git, an editor's backup folder) are not watched:
// nothing in them is published.
func (s *Server) watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(s.cfg.Root); err != nil {
		return fmt.Errorf("watch %s: %w", s.cfg.Root, err)
	}
	for _, dir := range []string{site.ContentDir, site.TemplatesDir} {
		if err := s.addTree(w, filepath.Join(s.cfg.Root, dir)); err != nil {
			return err
		}
	}

	pending := make(map[string]bool)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watcher closed")
			}
			// An overflowed event queue loses changes: reload everything.
			fmt.Fprintf(s.log, "kbgen serve: watch: %v\n", err)
			pending[site.ConfigFile] = true
			timer.Reset(s.cfg.Debounce)
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watcher closed")
			}
			rel, ok := s.relevant(ev.Name)
			if !ok {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					// Files may already be in it: Update reads the
					// whole directory, and the watch covers what
					// comes next.
					if err := s.addTree(w, ev.Name); err != nil {
						fmt.Fprintf(s.log, "kbgen serve: %v\n", err)
					}
				}
			}
			pending[rel] = true
			timer.Reset(s.cfg.Debounce)
		case <-timer.C:
			changed := make([]string, 0, len(pending))
			for name := range pending {
				changed = append(changed, name)
			}
			clear(pending)
			slices.Sort(changed)
			s.apply(ctx, changed)
		}
	}
}

// relevant returns the slash-separated path of name relative to the site
// root, and whether a change to it matters: kbgen.yaml, or anything under
// content/ or templates/ (the site decides what among those it reads).
func (s *Server) relevant(name string) (string, bool) {
	rel, err := filepath.Rel(s.cfg.Root, name)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	rel = filepath.ToSlash(rel)
	top, _, _ := strings.Cut(rel, "/")
	switch top {
	case site.ConfigFile, site.ContentDir, site.TemplatesDir:
		return rel, true
	}
	return "", false
}

// addTree watches dir and every directory below it but hidden ones. A
// missing dir is not an error: it may be created later, which the watch on
// the root notices. Symbolic links to directories are not followed.
func (s *Server) addTree(w *fsnotify.Watcher, dir string) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		return w.Add(p)
	})
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	return nil
}
