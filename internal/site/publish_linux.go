package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps the directories a and b.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// replaceEmpty renames directory a to b, an empty directory, which it
// replaces in the same step. (os.Rename refuses a directory as the new
// name on every system, as Windows would.)
func replaceEmpty(a, b string) error { return unix.Rename(a, b) }

// lockDir takes an exclusive flock on dir, the calling build's own
// directory, and returns its release. It fails if dir is locked, or if it
// was removed (by another build's removeStale, between its creation and
// the lock), so a build never writes into a directory another build is
// deleting.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	locked, err1 := f.Stat()
	named, err2 := os.Stat(dir)
	if err := errors.Join(err1, err2); err != nil || !os.SameFile(locked, named) {
		f.Close()
		return nil, fmt.Errorf("lock %s: removed by another build", dir)
	}
	return func() { f.Close() }, nil
}

// lockStale reports whether dir, another build's directory, is stale: no
// live process holds its lock. If so, it holds the lock itself until
// unlock, so that no build can start using dir while it is removed.
func lockStale(dir string) (unlock func(), ok bool) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return func() { f.Close() }, true
}

// regularFile returns the size, modification time in nanoseconds and
// inode of the regular file name, without following a symbolic link; ok
// is false for anything else. It is os.Lstat without the FileInfo: the
// build cache asks it of every file it keeps, 38,000 at 10,000 generated
// articles, and os.Lstat took 10% longer (146-157 against 131-142 ms for
// those 38,000 files, three runs each).
func regularFile(name string) (size, mtime int64, ino uint64, ok bool) {
	return cwdRoot.regularFile(name)
}

// cwdRoot stats files by the path they are named by, as lstat does.
var cwdRoot = dirRoot{fd: unix.AT_FDCWD, open: true}

// A dirRoot stats the files below one directory by their slash-separated
// names, relative to a descriptor of it. The build cache checks each file
// it keeps, 38,000 at 10,000 generated articles, and a path from the root
// of the file system costs a lookup for each of its components, and
// filepath.Join a Clean of it, each time.
type dirRoot struct {
	fd   int
	open bool // fd is dir's; if not, files are stat'ed by full path
	dir  string
}

// openRoot returns the dirRoot of dir, to be closed with close.
func openRoot(dir string) dirRoot {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return dirRoot{fd: fd, open: err == nil, dir: dir}
}

// close closes r's descriptor, if it has one: the zero dirRoot has none.
func (r dirRoot) close() {
	if r.open && r.fd >= 0 {
		unix.Close(r.fd)
	}
}

// regularFile is regularFile of the file name below r.
func (r dirRoot) regularFile(name string) (size, mtime int64, ino uint64, ok bool) {
	if !r.open {
		return regularFile(path.Join(r.dir, name))
	}
	var st unix.Stat_t
	if !r.lstat(name, &st) || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, 0, 0, false
	}
	return st.Size, st.Mtim.Nano(), st.Ino, true
}

// lstat stats name below r's descriptor, not following a symbolic link,
// into st, and reports whether it could.
func (r dirRoot) lstat(name string, st *unix.Stat_t) bool {
	for {
		err := unix.Fstatat(r.fd, name, st, unix.AT_SYMLINK_NOFOLLOW)
		if err != unix.EINTR {
			return err == nil
		}
	}
}

// dirStamps is whether the cache file records the stamps of directories:
// here the spare is listed by them (listTreeAt).
const dirStamps = true

// dirStamp returns the stamp of the directory name below r, and false if
// name is not a directory there or r has no descriptor.
func (r dirRoot) dirStamp(name string) (dirMTime, bool) {
	if !r.open {
		return dirMTime{}, false
	}
	var st unix.Stat_t
	if !r.lstat(name, &st) || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return dirMTime{}, false
	}
	return dirMTime{MTime: st.Mtim.Nano(), Inode: st.Ino}, true
}

// inode returns fi's inode number, which the build cache compares to tell
// a published file from one written in its place since.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}

// changeTime returns fi's inode change time in nanoseconds, which every
// write, rename, chmod and utime sets to the clock's time, so that no
// program can give a changed file its old value. It reports false when fi
// does not come from the operating system.
func changeTime(fi fs.FileInfo) (int64, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano(), true
	}
	return 0, false
}

// listTreeAt lists the directory tree dir (see treeList). Every directory is
// opened or stat'd relative to dir's descriptor, so that dir being
// renamed meanwhile (as Build renames the spare, see ListSpare) does not
// disturb the listing. Symbolic links are files.
//
// The directories known has stamps of are stat'd first, each by its
// path: one whose stamp is still the known one holds the files known says
// it does, and is not read (see knownTree). Then dir is read, and below
// it every directory that is not one of those, and every other directory
// known names that is still there: one whose stamp changed, or one that
// holds files of known's but has no stamp in it. The stamps of the
// directories, as seen, go in seen, those that changed before cutoff
// (Unix nanoseconds) only; the others read go in unseen.
//
// Stat'ing each directory by its path, rather than walking down to it,
// spares grouping known's files by directory: at 10,000 generated
// articles, 38,000 files in 22,500 directories, that grouping and the
// walk took half of the listing's CPU.
func listTreeAt(dir string, known *knownTree, cutoff int64) (treeList, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC | unix.O_NOFOLLOW
	fd, err := unix.Open(dir, flags, 0)
	if err != nil {
		return treeList{}, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	root := os.NewFile(uintptr(fd), dir)
	defer root.Close()
	fi, err := root.Stat()
	if err != nil {
		return treeList{}, err
	}
	if known == nil {
		known = &knownTree{}
	}
	stamp := func(st *unix.Stat_t) dirMTime { return dirMTime{MTime: st.Mtim.Nano(), Inode: st.Ino} }

	// The directories still as known has them: seen holds them until
	// the first is read.
	seen := make(map[string]dirMTime, len(known.dirs))
	dirs := make([]string, 1, 1+len(known.dirs))
	dirs[0] = "."
	for rel, want := range known.dirs {
		var st unix.Stat_t
		if rel == "." || unix.Fstatat(fd, rel, &st, unix.AT_SYMLINK_NOFOLLOW) != nil ||
			st.Mode&unix.S_IFMT != unix.S_IFDIR || stamp(&st) != want {
			continue
		}
		seen[rel] = want // recorded before an earlier cutoff
		dirs = append(dirs, rel)
	}
	files := make([]string, 0, known.files.len())
	var others []string // directories of known's files without a stamp
	for name := range known.files.names() {
		d := dirOf(name)
		if _, ok := seen[d]; ok {
			files = append(files, name)
		} else if _, ok := known.dirs[d]; !ok && d != "." {
			others = append(others, d)
		}
	}

	read := make(map[string]bool)
	var unseen []string
	// list reads the directory rel, open as f, and those below it that
	// are neither unchanged nor read already.
	var list func(f *os.File, rel string) error
	list = func(f *os.File, rel string) error {
		defer f.Close()
		read[rel] = true
		if rel != "." {
			dirs = append(dirs, rel)
		}
		fd := int(f.Fd())
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return &fs.PathError{Op: "stat", Path: rel, Err: err}
		}
		if s := stamp(&st); rel != "." && s.MTime < cutoff {
			seen[rel] = s
		} else if rel != "." {
			unseen = append(unseen, rel)
		}
		if testHookReadDir != nil {
			testHookReadDir(rel)
		}
		ents, err := f.ReadDir(-1)
		if err != nil {
			return err
		}
		for _, e := range ents {
			name := e.Name()
			if rel != "." {
				name = rel + "/" + name
			}
			if !e.IsDir() {
				files = append(files, name)
				continue
			}
			if _, unchanged := seen[name]; unchanged || read[name] {
				continue
			}
			sub, err := unix.Openat(fd, e.Name(), flags, 0)
			if err != nil {
				return &fs.PathError{Op: "open", Path: name, Err: err}
			}
			if err := list(os.NewFile(uintptr(sub), name), name); err != nil {
				return err
			}
		}
		return nil
	}
	rootDup, err := unix.Dup(fd)
	if err != nil {
		return treeList{}, &fs.PathError{Op: "dup", Path: dir, Err: err}
	}
	if err := list(os.NewFile(uintptr(rootDup), "."), "."); err != nil {
		return treeList{}, err
	}
	// The known directories whose stamps changed, and those known's
	// files are in without a stamp, that are still there below one not
	// read: parents first, so that each is read once.
	var changed []string
	for rel := range known.dirs {
		if _, ok := seen[rel]; !ok && rel != "." {
			changed = append(changed, rel)
		}
	}
	changed = append(changed, others...)
	slices.Sort(changed)
	for _, rel := range slices.Compact(changed) {
		if read[rel] {
			continue
		}
		sub, err := unix.Openat(fd, rel, flags, 0)
		if err != nil {
			continue // gone, or no directory: nothing of it is listed
		}
		if err := list(os.NewFile(uintptr(sub), rel), rel); err != nil {
			return treeList{}, err
		}
	}
	return treeList{stamp: statStamp(fi), files: files, dirs: dirs, seen: seen, unseen: unseen}, nil
}
