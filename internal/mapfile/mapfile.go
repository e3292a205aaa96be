// Package mapfile maps a file into memory for the life of the process, so
// that what is decoded from a large cache file can point into the file's
// bytes rather than be copied out of them into fresh memory, which this
// machine faults in page by page (1.2-1.4 µs a page, zeroing included).
package mapfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var errNotRegular = errors.New("not a regular file")

// Map returns the bytes of the regular file name: mapped into memory,
// read-only, where the system allows it (Linux), and read elsewhere. An
// empty file gives no bytes.
//
// A mapping is never unmapped, since what was decoded from it points into
// it. The file must not be truncated or written meanwhile: reading a byte
// past its new end would crash the process; Replace leaves a mapped file
// whole. Writing into the bytes crashes the process too.
func Map(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "map", Path: name, Err: errNotRegular}
	}
	if fi.Size() == 0 {
		return nil, nil
	}
	return mapFile(f, fi.Size())
}

// Replace puts the file tmp in name's place: it removes name, then
// renames tmp. A file Map mapped stays whole, as a rename over it would
// leave it too, but renaming over a file was slow here: renaming the
// search export's state (18 MB at 10,000 generated articles) over the
// old one took 20-35 ms at the end of one-article rebuilds, with almost
// no CPU, and 1.3-1.6 ms removed first; the build cache's rename, in the
// same directory, finished just after it. Most likely ext4 writes the new
// file out on a rename over another (its auto_da_alloc, for programs that
// do not sync), holding the directory's lock; that was not traced. A
// reader between the two steps finds no file, and a crash may leave a
// file cut short: kbgen's caches only cost time then, each being checked
// as it is read.
func Replace(tmp, name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.Rename(tmp, name)
}

// Pending is a file written beside the file it is to replace, under a
// name of its own, and not yet put in its place. Where the system has
// file locks (Linux), it stays open and locked until then (see
// removeStale).
type Pending struct {
	tmp, name string
	f         *os.File // open and locked, or nil
}

// WritePending writes a new version of the file name, through write,
// beside it under a temporary name (readable by all, as a file made
// with os.Create is), making name's directory if need be. It is put in
// name's place by Replace, or dropped by Discard; on error there is
// nothing to drop. Each call has its own temporary file, so that builds
// of one site at once never write into each other's; the temporary
// files of earlier calls that no process is writing any more, which a
// process killed midway leaves, are removed first (removeStale).
func WritePending(name string, write func(io.Writer) error) (*Pending, error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	removeStale(name)
	f, err := os.CreateTemp(dir, filepath.Base(name)+tmpSuffix+"*")
	if err != nil {
		return nil, err
	}
	p := &Pending{tmp: f.Name(), name: name}
	if lock(f) {
		p.f = f
	}
	err = write(f)
	if p.f == nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		p.Discard()
		return nil, err
	}
	return p, nil
}

// tmpSuffix comes between a file's name and the random digits of its
// temporary files' names.
const tmpSuffix = ".tmp"

// staleAge is how long a temporary file must have gone unmodified for
// removeStale to take it for a dead process's: a writer writes its file
// in one go, and puts it in place within seconds, even at 100,000
// articles.
const staleAge = time.Minute

// removeStale removes the temporary files of name that WritePending made
// for processes that are gone: a build killed midway leaves one, as large
// as the cache it was writing (54 MB for the parse cache at 10,000
// generated articles), and nothing else would remove it. One that has not
// changed for staleAge and whose lock no process holds is no one's; where
// the system has no locks, its age alone decides. Errors are ignored: the
// files then stay until the next write.
func removeStale(name string) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), base+tmpSuffix) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if unlocked(f) {
			os.Remove(p)
		}
		f.Close()
	}
}

// Replace puts p in its file's place (see the package's Replace).
func (p *Pending) Replace() error {
	err := Replace(p.tmp, p.name)
	if err != nil {
		os.Remove(p.tmp)
	}
	p.close()
	return err
}

// Discard removes p.
func (p *Pending) Discard() {
	os.Remove(p.tmp)
	p.close()
}

// close releases p's lock.
func (p *Pending) close() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// Write replaces the file name with what write writes, through a
// temporary file (WritePending) put in its place at once (Replace): a
// reader never sees half of it, and a file Map mapped stays whole.
func Write(name string, write func(io.Writer) error) error {
	p, err := WritePending(name, write)
	if err != nil {
		return err
	}
	return p.Replace()
}
