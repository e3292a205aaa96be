package render

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// overlay is a read-only file system that shows upper over lower, file by
// file: a name that exists in upper is served from upper, anything else
// falls through to lower, and a directory present in both lists the union
// of their entries (upper's entry winning a name clash). This is how a
// site's templates/ directory overrides the embedded defaults one file at a
// time without having to copy the rest.
//
// Either layer may be nil. A layer that reports fs.ErrNotExist for a name
// simply does not have it; any other error from upper is returned, since
// silently falling back to a default would hide a broken site file.
type overlay struct {
	upper, lower fs.FS
}

// layerFile is the result of looking a name up in one layer.
type layerFile struct {
	fsys fs.FS
	info fs.FileInfo // nil when the layer does not have the name
}

func lookup(fsys fs.FS, name string) (layerFile, error) {
	if fsys == nil {
		return layerFile{}, nil
	}
	info, err := fs.Stat(fsys, name)
	switch {
	case err == nil:
		return layerFile{fsys, info}, nil
	case errors.Is(err, fs.ErrNotExist):
		return layerFile{}, nil
	default:
		return layerFile{}, err
	}
}

// Open implements fs.FS.
func (o overlay) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	up, err := lookup(o.upper, name)
	if err != nil {
		return nil, err
	}
	// A regular file in upper hides whatever lower has under that name.
	if up.info != nil && !up.info.IsDir() {
		return o.upper.Open(name)
	}
	low, err := lookup(o.lower, name)
	if err != nil {
		return nil, err
	}
	if low.info != nil && up.info == nil && o.shadowed(name) {
		low = layerFile{}
	}
	switch {
	case up.info == nil && low.info == nil:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case up.info == nil && !low.info.IsDir():
		return o.lower.Open(name)
	}
	// A directory: merge the listings of every layer that has a directory
	// here. The directory's own FileInfo is upper's when upper has it.
	d := &mergedDir{name: name, info: up.info}
	if d.info == nil {
		d.info = low.info
	}
	seen := make(map[string]bool)
	for _, l := range []layerFile{up, low} {
		if l.info == nil || !l.info.IsDir() {
			continue
		}
		entries, err := fs.ReadDir(l.fsys, name)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !seen[e.Name()] {
				seen[e.Name()] = true
				d.entries = append(d.entries, e)
			}
		}
	}
	slices.SortFunc(d.entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return d, nil
}

// shadowed reports whether a parent directory of name is a regular file in
// upper, which hides lower's directory of that name and so all of its
// contents.
func (o overlay) shadowed(name string) bool {
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if up, err := lookup(o.upper, dir); err == nil && up.info != nil && !up.info.IsDir() {
			return true
		}
	}
	return false
}

// mergedDir is an open directory of the overlay.
type mergedDir struct {
	name    string
	info    fs.FileInfo
	entries []fs.DirEntry // sorted by name
	off     int           // entries already returned by ReadDir
}

func (d *mergedDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *mergedDir) Close() error               { return nil }

func (d *mergedDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile with the usual contract: n <= 0 returns
// all remaining entries and a nil error; n > 0 returns at most n entries and
// io.EOF once there are none left.
func (d *mergedDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return slices.Clone(rest[:n]), nil
}
