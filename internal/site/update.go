package site

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"path"
	"strings"

	"github.com/kbgen/kbgen/internal/diag"
)

// Update returns the site as it is after the files named in changed were
// created, modified or removed. Names are slash-separated paths relative to
// the site root, as s.FS names them, and may name directories (a directory
// created, renamed or removed as a whole).
//
// Only the Markdown files among them under content/ are read and parsed
// again; every other article is taken from s as it is. The site-wide part of
// Load (URL clashes, the tag and code indexes) is then redone for the whole
// site, which needs no parsing and is what makes the result equal to a
// fresh Load. Links are checked again in the changed articles, and in all
// articles if the change may have moved a link target: an article appeared,
// disappeared or changed its URL or draft status, or another file under
// content/ (an image) changed. Files whose names start with "." or "_" are
// not link targets here, since Build does not publish them, so an editor's
// swap file does not cost a check of every link. Paths outside content/ are
// ignored: a change to kbgen.yaml needs LoadConfig and Load, and one under
// templates/ changes no Site.
//
// s itself is not modified, so pages of s may still be rendered while Update
// runs and after; the two Sites share the articles that did not change. The
// diagnostics are those of the whole new site, as Load returns them. The
// error is for a file that exists but cannot be read.
func (s *Site) Update(ctx context.Context, changed []string) (*Site, diag.List, error) {
	n := &Site{
		Config: s.Config,
		base:   s.base,
		canon:  s.canon,
		FS:     s.FS,
		md:     s.md,
		opts:   s.opts,
		files:  maps.Clone(s.files),
	}
	// Link diagnostics of the articles that did not change can be kept
	// when no article appeared, disappeared or changed its URL or draft
	// status, and no other content file changed: those are all that
	// resolving a link looks at.
	linksKept := true
	var reparse []string
	seen := make(map[string]bool)
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			reparse = append(reparse, f)
		}
	}
	for _, name := range changed {
		name = path.Clean(strings.TrimPrefix(name, "./"))
		if name != ContentDir && !strings.HasPrefix(name, ContentDir+"/") {
			continue
		}
		fi, err := fs.Stat(s.FS, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Removed: the file, or everything that was below it.
			for f := range n.files {
				if f == name || strings.HasPrefix(f, name+"/") {
					delete(n.files, f)
					linksKept = false
				}
			}
			if !isArticleFile(name) && !hidden(name) {
				linksKept = false // an image, say, that links may point to
			}
		case err != nil:
			return nil, nil, err
		case fi.IsDir():
			linksKept = false
			// A directory appeared (or was renamed): what is in it now
			// replaces what was recorded below it.
			found, err := articleFiles(s.FS, name)
			if err != nil {
				return nil, nil, err
			}
			for f := range n.files {
				if strings.HasPrefix(f, name+"/") {
					delete(n.files, f)
				}
			}
			for _, f := range found {
				add(f)
			}
		case isArticleFile(name):
			add(name)
		case !hidden(name):
			linksKept = false // an image, say, that links may point to
		}
	}
	results, err := n.parseFiles(ctx, reparse, nil, nil, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	for i, f := range reparse {
		old, had := s.files[f]
		if !had || !sameTarget(old.page, results[i].page) {
			linksKept = false
		}
		n.files[f] = results[i]
	}
	if linksKept {
		n.links = maps.Clone(s.links)
		for _, f := range reparse {
			delete(n.links, f)
		}
	}
	return n, n.index(), nil
}

// sameTarget reports whether links to an article resolve the same way
// before (a) and after (b) a change: it is an article, or not, in both,
// with the same URL and draft status.
func sameTarget(a, b *Page) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.URL == b.URL && a.Draft == b.Draft
}

// isArticleFile reports whether name, a path relative to the site root, is
// one Load reads as an article: a .md file under content/ with no path
// element below content/ starting with "." or "_" (Load's walk skips those).
func isArticleFile(name string) bool {
	rel, ok := strings.CutPrefix(name, ContentDir+"/")
	if !ok || !strings.HasSuffix(name, ".md") {
		return false
	}
	for _, el := range strings.Split(rel, "/") {
		if el == "" || strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_") {
			return false
		}
	}
	return true
}

// hidden reports whether name has a path element below content/ that
// starts with "." or "_": such files are never published, so no link can
// point to them. Many editors' temporary files are of this kind
// (".x.md.swp"), and skipping them keeps a save from costing a check of
// every link in the site.
func hidden(name string) bool {
	rel := strings.TrimPrefix(name, ContentDir+"/")
	for _, el := range strings.Split(rel, "/") {
		if strings.HasPrefix(el, ".") || strings.HasPrefix(el, "_") {
			return true
		}
	}
	return false
}

// articleFiles returns the article files below dir, by Load's rule.
func articleFiles(fsys fs.FS, dir string) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && isArticleFile(p) {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}
