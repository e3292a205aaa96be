package site

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbgen/kbgen/internal/mapfile"
	"github.com/kbgen/kbgen/internal/render"
	"github.com/kbgen/kbgen/internal/search"
)

// The build cache lets a build reuse what the previous build published.
// It is one file (BuildOptions.Cache, .kbgen/build-cache by default) that
// describes every file of the output directory: its size, modification
// time and inode as published, and for pages the hash of everything the
// page was made from (its key). A build that is about to write a page
// whose key is unchanged, or any other file whose content hash is
// unchanged, links the published file into its new output directory
// instead, so an unchanged article is neither rendered nor highlighted nor
// written, and its file keeps its inode and modification time (rsync and
// object-store sync see it as unchanged). When the search index's input is
// unchanged, the whole search export is linked too.
//
// Correctness does not depend on the cache file being current. A file is
// reused only if it still has the size, modification time and inode the
// cache recorded, so a file rewritten since (by a later build whose cache
// file was lost, or by hand) is never taken for the recorded one; a stale
// or missing cache costs time, never output. The published directory is
// only ever linked from, never modified, so the crash safety of Build is
// unchanged. The result is byte-identical to a build without the cache
// (tested by TestBuildCache).
//
// The site that a build replaces is not removed but kept beside the cache
// file as the spare (BuildOptions.Cache + ".spare"), with its description
// in the cache file. The next build starts from it instead of from an
// empty directory: a file of the spare that the cache describes with the
// wanted key or content, and that is still as described, stays where it
// is; any other file is removed before one is written or linked in its
// place; and what is left of the spare once every file is written is
// removed (survey, clear, sweep). The spare's files are found by reading
// its directories, so a file its description misses is removed too; a
// directory whose stamp is the one the cache file recorded when it held
// what the description says is not read (see knownTree). As
// the site changes little between builds, this costs a few system calls
// per changed file, where linking every file into a new directory and
// removing the old site cost three per file: on 10,000 articles, 38,000
// files and 12,000 directories, most of a rebuild's system time. The
// build directory is still swapped in whole, and a build killed while
// bringing the spare up to date leaves it as a stale build directory,
// which the next build removes (removeStale).
//
// Keys hash a salt (the kbgen executable, the site's templates directory,
// its configuration) with the page's template name and its view data as
// JSON; for an article page, whose body is the expensive part, the view
// data without the body plus the Markdown source and where each of its
// links resolves to.
//
// Making those keys, 22,000 at 10,000 articles, was a third of a
// one-article rebuild's CPU, so a page is first looked up by what it
// depends on, which is cheaper to hash than its view data: an article
// page by its file, its links' targets and the counts every page shows
// (articleDep, recorded as the file's Dep), and the list pages, all
// together, by every article's summary (listsDep, recorded as the
// cache's Lists). Only a page whose dependencies changed has its key
// made, and the key still decides.

// cacheFormat changes whenever the cache file or the way keys are
// computed changes; a cache file of another format is ignored.
const cacheFormat = 6

// cacheKey is the hash of a file's inputs. The zero key means "not known"
// and never matches.
type cacheKey [sha256.Size]byte

// cachedFile describes one published file.
type cachedFile struct {
	Key   cacheKey // inputs of a page; zero for files reused by content
	Dep   cacheKey // for a page, what it depends on (articleDep, or for a list page listsDep); zero for other files
	Sum   cacheKey // SHA-256 of the content; zero for search export files
	Size  int64
	MTime int64 // modification time in nanoseconds, as published
	Inode uint64
}

// fileTable is the description of a site's files as a cache file read
// holds it: each name maps to where its description starts in the file's
// bytes, and a description is decoded when it is looked up. Decoded into
// maps of descriptions, the two tables of a cache file at 10,000
// generated articles (38,000 files each, the published site's and the
// spare's) took 18 MB, an eighth of what a one-article rebuild allocated,
// and as the collector does not run in a rebuild (see collectFrom in
// cmd/kbgen), every page of it was faulted in fresh before the listing
// of the spare, which waits for the file, could start. The table's
// offsets take 3.3 MB.
//
// The zero fileTable describes no files; its encoding is that of a nil
// map.
type fileTable struct {
	raw []byte            // as encodeCache wrote it: a count, then each name and description
	at  map[string]uint32 // where in raw each name's description starts
	// under is how many of the names start with the prefix the table
	// was read with: for a cache's Files, those of its search export.
	under int
}

// get returns the description of name, if t has one.
func (t fileTable) get(name string) (cachedFile, bool) {
	off, ok := t.at[name]
	if !ok {
		return cachedFile{}, false
	}
	d := decoder{buf: t.raw[off:]}
	return d.file(), true
}

// len returns the number of files t describes.
func (t fileTable) len() int { return len(t.at) }

// all yields each file t describes, in the cache file's order.
func (t fileTable) all() iter.Seq2[string, cachedFile] {
	return func(yield func(string, cachedFile) bool) {
		if t.at == nil {
			return
		}
		d := decoder{buf: t.raw, alias: true}
		n, _ := d.slice()
		for range n {
			name := d.str(d.bytes())
			if !yield(name, d.file()) {
				return
			}
		}
	}
}

// names yields the name of each file t describes, in no order.
func (t fileTable) names() iter.Seq[string] { return maps.Keys(t.at) }

// dirMTime is what the file system says of a directory: its modification
// time, which creating, removing or renaming an entry in it sets, and its
// inode.
type dirMTime struct {
	MTime int64
	Inode uint64
}

// knownTree is what a build cache file says its spare holds (Spare and
// SpareDirs): its files, and the stamp each directory had when it held
// the files in it. A directory whose stamp is still that one holds
// exactly those files and the directories it held then: any entry
// created, removed or renamed since would have set a later modification
// time, as the stamps are only recorded for directories that changed at
// least stampSettle before they were seen (see listTreeAt), or before a
// file made on the same file system just before they were taken (see
// stampDirs).
type knownTree struct {
	files fileTable
	dirs  map[string]dirMTime
}

// knownSpare returns what c says its spare holds, or nil if it has no
// directory stamps for it.
func (c *buildCache) knownSpare() *knownTree {
	if c == nil || len(c.SpareDirs) == 0 {
		return nil
	}
	return &knownTree{files: c.Spare, dirs: c.SpareDirs}
}

// buildCache is the content of the cache file.
type buildCache struct {
	Format int
	Out    string // the output directory the files are in
	// Exe identifies the executable whose hash is ExeSum, so that the next
	// build of the same binary need not read it again.
	Exe    cachedFile
	ExeSum cacheKey
	// Search is the version of the published search export, whose files
	// are under search/ in Files.
	Search string
	// Lists is what the list pages in Files, those with it as their
	// Dep, depend on (listsDep).
	Lists cacheKey
	// Files describes the site's files, as read (see fileTable).
	Files fileTable
	// Recorded and recordedApart are the files a build records, which
	// encodeCache writes as Files: a build records its search export's
	// apart (see recordSearch).
	Recorded      map[string]cachedFile
	recordedApart []namedFile
	// Spare describes the spare, the site Files replaced, kept beside the
	// cache file for the next build to bring up to date; empty if there
	// is none. A build's Spare is the Files of the cache it read, which
	// encodeCache writes again byte for byte (encoding 38,000 files took
	// 0.06 s of CPU at the end of a build at 10,000 articles).
	Spare fileTable
	// Dirs holds stamps of the directories of the site Files describes,
	// and SpareDirs those of the spare's, as the listing of the spare
	// that became that site saw them, with those the build took once
	// written (see knownTree): a directory with that stamp still holds
	// what Files (or Spare) says it does. A cache read has Dirs only
	// encoded (dirsRaw), as the next build writes them again as its
	// SpareDirs without looking one up: decoding the 22,500 of 10,000
	// articles into a map cost about 1 ms of CPU and 2.6 MB on the path
	// of the listing of the spare, which waits for the cache file.
	Dirs, SpareDirs map[string]dirMTime
	// dirsRaw is Dirs encoded, as decodeCache read it or as the listing
	// of the spare encoded it (encodeDirs), and spareDirsRaw SpareDirs:
	// encodeCache writes them, if set, rather than encode the maps.
	dirsRaw, spareDirsRaw []byte
	// dirs, if set, gives Dirs and dirsRaw once encodeCache comes to
	// them: a build takes the last of its directories' stamps after its
	// last write, beside the encoding of its files (see stampDirs).
	dirs func() (map[string]dirMTime, []byte)
}

// readCache returns the cache file at name if it describes out (any
// output directory if out is ""), or nil.
//
// The file is mapped rather than read, and the names of the files and
// directories it describes share its bytes: it is 12 MB at 10,000
// generated articles, describing 76,000 files, each name a string of its
// own when read.
func readCache(name, out string) *buildCache {
	data, err := mapfile.Map(name)
	if err != nil {
		return nil
	}
	c, ok := decodeCache(data)
	if !ok || out != "" && c.Out != out {
		return nil
	}
	return c
}

// writeCache replaces the cache file at name with c, by a rename so that
// a reader never sees half of it (see mapfile.Write).
func writeCache(name string, c *buildCache) error {
	return mapfile.Write(name, func(w io.Writer) error { return encodeCache(w, c) })
}

// cacheMagic starts every build cache file.
const cacheMagic = "kbgen build cache\n"

// encodeCache writes c to w, encoded with the parse cache's encoder: a
// flat list of names and descriptions. As gob maps, reading and writing
// the 340,000 files of a 100,000-article site cost 4.5 s and 1.7 s of
// CPU, and 0.1 s and 0.26 s at 10,000 articles, at the start and the
// end of every build. The files come in map order: the file is not
// output, and sorting them would cost more than the rest. It is written
// in pieces (encoder.spill) rather than made whole in memory first: 12 MB
// at 10,000 generated articles, which growing and copying made more than
// half of the CPU writing it took. Writing it was the last 80-110 ms of
// a one-article rebuild there, and is 13-19 ms now.
func encodeCache(w io.Writer, c *buildCache) error {
	e := encoder{buf: make([]byte, 0, spillSize+1024), w: w}
	e.buf = append(e.buf, cacheMagic...)
	e.uint(cacheFormat)
	e.bytes([]byte(c.Out))
	e.file(c.Exe)
	e.buf = append(e.buf, c.ExeSum[:]...)
	e.bytes([]byte(c.Search))
	e.buf = append(e.buf, c.Lists[:]...)
	e.count(len(c.Recorded)+len(c.recordedApart), c.Recorded == nil && c.recordedApart == nil)
	for name, f := range c.Recorded {
		e.name(name, "")
		e.file(f)
		e.spill()
	}
	for _, f := range c.recordedApart {
		e.name(f.prefix, f.name)
		e.file(f.c)
		e.spill()
	}
	if c.Spare.at != nil {
		e.raw(c.Spare.raw)
	} else {
		e.count(0, true)
	}
	if c.dirs != nil {
		c.Dirs, c.dirsRaw = c.dirs()
	}
	if c.dirsRaw != nil {
		e.raw(c.dirsRaw)
	} else {
		e.dirs(c.Dirs)
	}
	if c.spareDirsRaw != nil {
		e.raw(c.spareDirsRaw)
	} else {
		e.dirs(c.SpareDirs)
	}
	e.flush()
	return e.err
}

// spillSize is how much an encoder with a writer holds before writing it.
const spillSize = 64 << 10

// spill writes what e holds to its writer, if it has one, once it holds
// spillSize bytes or more.
func (e *encoder) spill() {
	if e.w != nil && len(e.buf) >= spillSize {
		e.flush()
	}
}

// flush writes what e holds to its writer and empties it.
func (e *encoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// raw writes b as it is, after what e holds.
func (e *encoder) raw(b []byte) {
	e.flush()
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// name encodes the name prefix+name as encodeMap encodes a name, without
// making it.
func (e *encoder) name(prefix, name string) {
	e.uint(uint64(len(prefix) + len(name)))
	e.buf = append(e.buf, prefix...)
	e.buf = append(e.buf, name...)
}

// encodeMap encodes m, nil or not, as a count and each name followed by
// what value encodes of its value.
func encodeMap[V any](e *encoder, m map[string]V, value func(V)) {
	e.count(len(m), m == nil)
	for name, v := range m {
		e.uint(uint64(len(name)))
		e.buf = append(e.buf, name...)
		value(v)
		e.spill()
	}
}

// encodeDirs encodes m as encodeCache does.
func encodeDirs(m map[string]dirMTime) []byte {
	e := encoder{buf: make([]byte, 0, 16+40*len(m))}
	e.dirs(m)
	return e.buf
}

func (e *encoder) dirs(m map[string]dirMTime) {
	encodeMap(e, m, func(d dirMTime) {
		e.int64(d.MTime)
		e.uint(d.Inode)
	})
}

func (e *encoder) file(c cachedFile) {
	e.buf = append(e.buf, c.Key[:]...)
	if c.Dep == (cacheKey{}) {
		e.buf = append(e.buf, 0)
	} else {
		e.buf = append(e.buf, 1)
		e.buf = append(e.buf, c.Dep[:]...)
	}
	e.buf = append(e.buf, c.Sum[:]...)
	e.int64(c.Size)
	e.int64(c.MTime)
	e.uint(c.Inode)
}

// decodeCache decodes what encodeCache encoded; false if data is not
// that, of this cacheFormat. The cache shares data's bytes, which must
// then never change.
func decodeCache(data []byte) (*buildCache, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(cacheMagic))
	if !ok {
		return nil, false
	}
	d := decoder{buf: rest, alias: true}
	if d.uint() != cacheFormat {
		return nil, false
	}
	c := &buildCache{Format: cacheFormat}
	c.Out = string(d.bytes())
	c.Exe = d.file()
	copy(c.ExeSum[:], d.next(len(c.ExeSum)))
	c.Search = string(d.bytes())
	copy(c.Lists[:], d.next(len(c.Lists)))
	c.Files = d.fileTable(searchPrefix(c.Search))
	c.Spare = d.fileTable("")
	dirs := d.buf
	d.skipDirs()
	c.dirsRaw = dirs[:len(dirs)-len(d.buf)]
	c.SpareDirs = d.dirs()
	if d.bad || len(d.buf) != 0 {
		return nil, false
	}
	return c, true
}

// searchPrefix returns the prefix of the names of the files of the search
// export of version, "" if there is no version.
func searchPrefix(version string) string {
	if version == "" {
		return ""
	}
	return "search/" + version + "/"
}

// fileTable decodes the files encodeCache encoded into a fileTable
// that shares d's bytes, which must then never change, counting the names
// that start with prefix. A file takes at least 69 bytes; a name twice is
// corrupt.
func (d *decoder) fileTable(prefix string) fileTable {
	raw := d.buf
	n, ok := d.slice()
	if !ok {
		return fileTable{}
	}
	if len(raw) > math.MaxUint32 {
		d.bad = true
		return fileTable{}
	}
	t := fileTable{at: make(map[string]uint32, min(n, len(d.buf)/69))}
	for range n {
		name := d.str(d.bytes())
		t.at[name] = uint32(len(raw) - len(d.buf))
		if prefix != "" && strings.HasPrefix(name, prefix) {
			t.under++
		}
		d.file()
		if d.bad {
			return fileTable{}
		}
	}
	if len(t.at) != n {
		d.bad = true
		return fileTable{}
	}
	t.raw = raw[:len(raw)-len(d.buf)]
	return t
}

// skipDirs passes over what encoder.dirs encoded, as dirs would read it.
func (d *decoder) skipDirs() {
	n, _ := d.slice()
	for range n {
		d.bytes()
		d.int64()
		d.uint()
		if d.bad {
			return
		}
	}
}

// dirs decodes what encoder.dirs encoded: a directory takes at least 3
// bytes.
func (d *decoder) dirs() map[string]dirMTime {
	return decodeMap(d, 3, func() dirMTime { return dirMTime{MTime: d.int64(), Inode: d.uint()} })
}

// decodeMap decodes what encodeMap encoded, each value with value, whose
// entries take at least least bytes each: a corrupt count must not size
// the map.
func decodeMap[V any](d *decoder, least int, value func() V) map[string]V {
	n, ok := d.slice()
	if !ok {
		return nil
	}
	m := make(map[string]V, min(n, len(d.buf)/least))
	for range n {
		name := d.str(d.bytes())
		m[name] = value()
		if d.bad {
			return nil
		}
	}
	return m
}

func (d *decoder) file() cachedFile {
	var c cachedFile
	copy(c.Key[:], d.next(len(c.Key)))
	if f := d.next(1); len(f) == 1 && f[0] == 1 {
		copy(c.Dep[:], d.next(len(c.Dep)))
	} else if len(f) == 1 && f[0] != 0 {
		d.bad = true
	}
	copy(c.Sum[:], d.next(len(c.Sum)))
	c.Size = d.int64()
	c.MTime = d.int64()
	c.Inode = d.uint()
	return c
}

// describe returns the cachedFile of the file at name, with key and sum.
func describe(name string, key, sum cacheKey) (cachedFile, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return cachedFile{}, err
	}
	return cachedFile{Key: key, Sum: sum, Size: fi.Size(), MTime: fi.ModTime().UnixNano(), Inode: inode(fi)}, nil
}

// unchanged reports whether the file at name is still the one c describes.
func (c cachedFile) unchanged(name string) bool {
	return c.is(regularFile(name))
}

// unchangedIn reports whether the file name below r is still the one c
// describes.
func (c cachedFile) unchangedIn(r dirRoot, name string) bool {
	return c.is(r.regularFile(name))
}

// is reports whether the regularFile answer describes c's file.
func (c cachedFile) is(size, mtime int64, ino uint64, ok bool) bool {
	return ok && size == c.Size && mtime == c.MTime && ino == c.Inode
}

// executableSum returns the SHA-256 of the running executable, taken from
// prev when the executable is the file prev hashed.
func executableSum(prev *buildCache) (cachedFile, cacheKey, error) {
	exe, err := os.Executable()
	if err != nil {
		return cachedFile{}, cacheKey{}, err
	}
	d, err := describe(exe, cacheKey{}, cacheKey{})
	if err != nil {
		return cachedFile{}, cacheKey{}, err
	}
	if prev != nil && prev.Exe == d {
		return d, prev.ExeSum, nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return cachedFile{}, cacheKey{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return cachedFile{}, cacheKey{}, err
	}
	var sum cacheKey
	h.Sum(sum[:0])
	return d, sum, nil
}

// cacheSalt hashes what every page depends on besides its own data: the
// executable (kbgen's code and default templates), the site's templates/
// directory and its configuration.
func (s *Site) cacheSalt(exe cacheKey) (cacheKey, error) {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], cacheFormat)
	h.Write(n[:])
	h.Write(exe[:])
	cfg, err := json.Marshal(s.Config)
	if err != nil {
		return cacheKey{}, err
	}
	writeField(h, cfg)
	err = fs.WalkDir(s.FS, TemplatesDir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == TemplatesDir {
			return fs.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(s.FS, p)
		if err != nil {
			return err
		}
		writeField(h, []byte(p))
		writeField(h, data)
		return nil
	})
	if err != nil {
		return cacheKey{}, err
	}
	var k cacheKey
	h.Sum(k[:0])
	return k, nil
}

// writeField writes b to h preceded by its length, so that the fields of
// a key cannot run into each other.
func writeField(h io.Writer, b []byte) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// pageKey returns the key of a page made by executing template name with
// data, plus any extra inputs data leaves out. It returns the zero key,
// which is never reused, if data cannot be hashed.
func pageKey(salt cacheKey, name string, data any, extra ...[]byte) cacheKey {
	// What is hashed is put together in a pooled buffer and hashed in
	// one call: writing each field to the hash, through an interface,
	// made every field's bytes escape. In an edited rebuild of 10,000
	// articles the keys took 0.34 s of CPU that way, 0.13 s this way.
	bp := keyBuffers.Get().(*[]byte)
	defer keyBuffers.Put(bp)
	b := append((*bp)[:0], salt[:]...)
	b = appendField(b, name)
	b, err := appendValue(b, reflect.ValueOf(data), 0)
	for _, e := range extra {
		b = appendField(b, e)
	}
	*bp = b
	if err != nil {
		return cacheKey{}
	}
	return sha256.Sum256(b)
}

var keyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// appendField appends f to b preceded by its length, as writeField writes
// it.
func appendField[T string | []byte](b []byte, f T) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(f)))
	return append(b, f...)
}

// appendValue appends every field of v, recursively, to b, each preceded
// by its kind. It is a walk of its own rather than encoding/json because
// JSON silently leaves out fields it finds ambiguous (the view structs
// embed two structs that both have a Title), and a field left out of a key
// is a stale page.
func appendValue(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if depth > 32 {
		return b, errors.New("value nested too deeply to hash")
	}
	b = append(b, byte(v.Kind()))
	switch v.Kind() {
	case reflect.Invalid:
	case reflect.Bool:
		if v.Bool() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b = binary.LittleEndian.AppendUint64(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Float()))
	case reflect.String:
		b = appendField(b, v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, 0), nil
		}
		return appendValue(append(b, 1), v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if !v.CanInterface() {
				return b, errors.New("cannot hash an unexported time")
			}
			var t [64]byte
			return appendField(b, v.Interface().(time.Time).AppendFormat(t[:0], time.RFC3339Nano)), nil
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(v.NumField()))
		for i := range v.NumField() {
			var err error
			if b, err = appendValue(b, v.Field(i), depth+1); err != nil {
				return b, err
			}
		}
	case reflect.Slice, reflect.Array:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Len()))
		for i := range v.Len() {
			var err error
			if b, err = appendValue(b, v.Index(i), depth+1); err != nil {
				return b, err
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return b, fmt.Errorf("cannot hash a map keyed by %s", v.Type().Key())
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		b = binary.LittleEndian.AppendUint64(b, uint64(len(keys)))
		for _, k := range keys {
			b = appendField(b, k.String())
			var err error
			if b, err = appendValue(b, v.MapIndex(k), depth+1); err != nil {
				return b, err
			}
		}
	default:
		return b, fmt.Errorf("cannot hash a %s", v.Type())
	}
	return b, nil
}

// articleInputs returns what an article page's body is made from besides
// the salt: its Markdown source and where each of its links resolves to.
func (s *Site) articleInputs(p *Page) []byte {
	var b bytes.Buffer
	src := p.sourceSum()
	b.Write(src[:])
	for _, t := range s.linkTargets(p) {
		writeField(&b, []byte(t.href))
	}
	return b.Bytes()
}

// reuseSearch links the search export of version from the published
// output into w's directory, if the previous build published that version
// and every one of its files is still as published. It reports whether it
// did; on false, w's directory holds no search files.
func (w *writer) reuseSearch(version string) bool {
	if w.prev == nil || w.prev.Search != version {
		return false
	}
	prefix := searchPrefix(version)
	var names []string
	for name := range w.prev.Files.names() {
		if name == "search/index.json" || strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	if len(names) < 2 {
		return false
	}
	// The files below search/<version>/ are named by the version, so any
	// file of that name is the one wanted; the entry, search/index.json,
	// is not, and must have the content the previous build published.
	entryFile, _ := w.prev.Files.get("search/index.json")
	entry := entryFile.Sum
	want := func(name string) func(cachedFile) bool {
		if name != "search/index.json" {
			return func(cachedFile) bool { return true }
		}
		return func(c cachedFile) bool { return c.Sum != cacheKey{} && c.Sum == entry }
	}
	for i, name := range names {
		if !w.linkFile(name, want(name), nil) {
			// Take back what was linked, and only that: the page
			// writers write search/index.html beside it meanwhile.
			for _, name := range names[:i] {
				w.unlink(name)
			}
			return false
		}
	}
	return true
}

// unlink takes back a file that link linked or kept: it removes it from
// w's directory, its record and the counts.
func (w *writer) unlink(name string) {
	os.Remove(filepath.Join(w.dir, filepath.FromSlash(name)))
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.next[name]; ok {
		delete(w.next, name)
		w.files--
		w.reused--
		w.bytes -= c.Size
		if path.Ext(name) == ".html" {
			w.pages--
		}
	}
}

// recordSearch counts the files of the search export of version, which
// the export wrote without w, and records them for the next build, with
// their content hashes: sums, by name below search/<version>/, as the
// export returned them, and the entry's, the one file whose name is not
// the version's. A file exportReuse put in place is recorded as it was
// described, which it checked; only the files the export wrote are looked
// at (a few hundred of 15,600 after a one-article edit at 10,000
// articles).
func (w *writer) recordSearch(version string, sums map[string]search.Sum) error {
	entry := filepath.Join(w.dir, "search", "index.json")
	data, err := os.ReadFile(entry)
	if err != nil {
		return err
	}
	c, err := describe(entry, cacheKey{}, sha256.Sum256(data))
	if err != nil {
		return err
	}
	// The export is done: nothing takes a file any more, and taken is
	// read without its lock. The files are recorded apart from w.next,
	// by their names below the version (see exportFiles): recording
	// them in w.next, each under a name made with the version, took 8 ms
	// of a one-article rebuild at 10,000 generated articles, at the end
	// of the search's path, the longer one.
	files := make([]namedFile, 0, len(sums)+1)
	files = append(files, namedFile{name: "search/index.json", c: c})
	prefix := searchPrefix(version)
	taken := 0 // counted as reused, as those reuseSearch links are
	for name, sum := range sums {
		if c, ok := w.taken[name]; ok && c.Sum == sum {
			files = append(files, namedFile{prefix, name, c})
			taken++
			continue
		}
		p := filepath.Join(w.dir, "search", version, filepath.FromSlash(name))
		c, err := describe(p, cacheKey{}, sum)
		if err != nil {
			return err
		}
		files = append(files, namedFile{prefix, name, c})
	}
	var size int64
	for _, f := range files {
		size += f.c.Size
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.files += len(files)
	w.reused += taken
	w.bytes += size
	if w.next != nil {
		w.exportFiles = files
	}
	return nil
}

// namedFile is a file of the site, of name prefix+name, described by c.
type namedFile struct {
	prefix, name string
	c            cachedFile
}

// checkSpareExport removes the spare's search export of version unless
// every file in it is still as the spare's description has it. ExportAs
// keeps an export of its version that is already in place, as the spare's
// is when the site is back as it was two builds before; it must not keep
// one changed since.
func (w *writer) checkSpareExport(version string) error {
	prefix := searchPrefix(version)
	for _, name := range w.exports[version] {
		c, described := w.spare.get(prefix + name)
		if !described || !c.unchanged(filepath.Join(w.dir, filepath.FromSlash(prefix+name))) {
			return os.RemoveAll(filepath.Join(w.dir, "search", version))
		}
	}
	return nil
}

// exportReuse returns the search.Reuse of a build with the cache, for an
// export of version: it puts in place the file of the spare's search
// export or else of the previous build's that has the name and content
// asked for and is still as described. The spare's is kept, or moved,
// since the sweep would remove it; the previous build's, published, is
// only ever linked. A file described with no content hash (as an older
// kbgen recorded them) is not taken. Without the cache it is nil, and the
// export hashes nothing; with it and no previous build, it takes nothing,
// but the export's hashes are recorded for the next build.
//
// It also returns the base to give search.Index.ExportAs: the directory
// of the spare's export, if it is of another version, with its files as
// survey listed them, so that the new export is made over it and its
// unchanged files stay where they are. Once ExportAs has moved it, none
// of its files is where the spare's description has it, and the sweep
// must pass them by (sweepExport).
//
// The spare's exports are found among the files survey listed, by
// version (spareListing.exports): finding them among all the spare's
// descriptions took 7-17 ms of a one-article rebuild at 10,000 articles,
// on the search's path, the longer one.
func (w *writer) exportReuse(version string) (reuse search.Reuse, base search.Base) {
	if w.next == nil {
		return nil, base
	}
	if w.prev == nil {
		return takeNothing, base
	}
	versions := slices.Sorted(maps.Keys(w.exports))
	baseVersion, based := w.spareBase(version)
	if based {
		base = search.Base{Dir: filepath.Join(w.dir, "search", baseVersion), Files: w.exports[baseVersion]}
	}
	// As many as the spare's export has files, about as many as the
	// new one will take.
	w.taken = make(map[string]cachedFile, len(base.Files))
	prefix := searchPrefix(w.prev.Search)
	// take puts the file in place and returns its description. A file of
	// the spare's description that its listing did not find (w.present)
	// fails the check of its description as linkFile's would: it is gone,
	// or another file with another inode.
	basePrefix := searchPrefix(baseVersion)
	take := func(name string, sum search.Sum, dst string) (cachedFile, bool) {
		if based {
			// Moved to dst with the base, if ExportAs could.
			if c, ok := w.spare.get(basePrefix + name); ok && c.Sum == sum && w.exportUnchanged(c, name, dst) {
				return c, true
			}
			if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return cachedFile{}, false
			}
		} else {
			for _, v := range versions {
				full := searchPrefix(v) + name
				p := filepath.Join(w.dir, filepath.FromSlash(full))
				if c, ok := w.spare.get(full); ok && c.Sum == sum && c.unchanged(p) && os.Rename(p, dst) == nil {
					return c, true
				}
			}
		}
		c, ok := w.prev.Files.get(prefix + name)
		if !ok || w.prev.Search == "" || c.Sum != sum {
			return cachedFile{}, false
		}
		p := filepath.Join(w.prevDir, filepath.FromSlash(prefix+name))
		// A link has the file's inode, size and time: c describes it.
		return c, c.unchanged(p) && os.Link(p, dst) == nil
	}
	return func(name string, sum search.Sum, dst string) bool {
		// The last answer for a name is the one that holds: an export
		// that starts again in full asks again.
		c, ok := take(name, sum, dst)
		w.takenMu.Lock()
		defer w.takenMu.Unlock()
		if ok {
			w.taken[name] = c
		} else {
			delete(w.taken, name)
		}
		return ok
	}, base
}

// spareBase returns the version of the spare's search export if it is
// the spare's only one, of another version than version, and whole
// (its entry is there): the export ExportAs makes over it keeps its
// unchanged files where they are.
func (w *writer) spareBase(version string) (string, bool) {
	if len(w.exports) != 1 {
		return "", false
	}
	for v := range w.exports {
		if v != version && w.has(searchPrefix(v)+"index.json") {
			return v, true
		}
	}
	return "", false
}

// exportUnchanged reports whether the export's file name, at dst, is
// still the one c describes. It stats the file by name below a descriptor
// of the export's directory (see dirRoot), which dst names when it ends
// in name, as it does for every file of an export (15,600 at 10,000
// generated articles, on the search's path, the longer one).
func (w *writer) exportUnchanged(c cachedFile, name, dst string) bool {
	rel := filepath.FromSlash(name)
	n := len(dst) - len(rel) - 1 // where the separator before rel would be
	if n <= 0 || dst[n] != filepath.Separator || dst[n+1:] != rel {
		return c.unchanged(dst)
	}
	dir := dst[:n]
	w.exportRootOnce.Do(func() { w.exportRoot = openRoot(dir) })
	if w.exportRoot.dir != dir {
		return c.unchanged(dst)
	}
	return c.unchangedIn(w.exportRoot, name)
}

// takeNothing is the search.Reuse of an export with nothing to reuse
// whose files are hashed all the same, for the export's state.
func takeNothing(string, search.Sum, string) bool { return false }

// removeOtherExports removes the directories below search/ other than
// that of version, the export just made: what is left of the spare's
// export, if ExportAs did not take it as its base, and those of other
// versions an earlier kbgen left behind empty. The sweep then passes
// their files by, those exportReuse moved into the export among them.
// Without the cache, w.dir started empty and there is nothing to remove.
func (w *writer) removeOtherExports(version string) error {
	if w.next == nil {
		return nil
	}
	dir := filepath.Join(w.dir, "search")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() && e.Name() != version {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	w.export = version
	return nil
}

// link links the published file name into w's directory if the previous
// build described it, want accepts that description, and the file is
// still as described. It reports whether it did. dep, if not nil, is
// what the file is made from, else depOf says. Its time is the pages'
// writing (see work); the search's goroutine uses linkFile.
func (w *writer) link(name string, want func(cachedFile) bool, dep *cacheKey) bool {
	if w.prev == nil {
		return false
	}
	defer w.work.add(kindWrite, time.Now())
	return w.linkFile(name, want, dep)
}

// linkFile is link, untimed: the search export, which reuseSearch links
// on the search's goroutine beside the pages' parallel parts, is not
// the pages' writing, and work cannot tell that goroutine's time from
// theirs (a kind added to during a part takes a share of its wall time).
func (w *writer) linkFile(name string, want func(cachedFile) bool, dep *cacheKey) bool {
	if w.prev == nil {
		return false
	}
	c, ok := w.spare.get(name)
	if i, here := w.present[name]; ok && here && want(c) && c.unchangedIn(w.root, name) {
		// The spare's file is the one wanted: keep it.
		w.kept[i].Store(true)
		w.reuse(name, c, dep)
		return true
	}
	c, ok = w.prev.Files.get(name)
	if !ok || !want(c) || !c.unchangedIn(w.prevRoot, name) {
		return false
	}
	full := filepath.Join(w.dir, filepath.FromSlash(name))
	old := filepath.Join(w.prevDir, filepath.FromSlash(name))
	if err := w.mkdir(filepath.Dir(full)); err != nil {
		return false
	}
	if w.clear(name, full) != nil {
		return false
	}
	if err := os.Link(old, full); err != nil {
		return false
	}
	w.reuse(name, c, dep)
	return true
}

// reuse records name, described by c, as a file of the previous build or
// the spare that w's directory now holds, and counts it. dep, if not nil,
// is what the file is made from now, else depOf says.
func (w *writer) reuse(name string, c cachedFile, dep *cacheKey) {
	if dep != nil {
		c.Dep = *dep
	} else {
		c.Dep = w.depOf(name, c.Key)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next[name] = c
	w.files++
	w.reused++
	w.bytes += c.Size
	if path.Ext(name) == ".html" {
		w.pages++
	}
}

// survey lists the files and directories in w.dir, which holds the spare
// or nothing, into w.present, w.spareDirs and w.exports. Every file is
// found by reading the directories, not taken from the spare's
// description, so that a file the description misses (a cache file lost
// or older than the spare) is still cleared or swept and never published
// by mistake.
//
// Without a cache nothing is listed: dir started empty. Either way survey
// then closes w.surveyed; waitSurvey returns its error.
func (w *writer) survey() {
	defer close(w.surveyed)
	if w.next == nil {
		return
	}
	if l := w.listed; l != nil {
		<-l.done
		if l.err == nil && l.stamp != (fileStamp{}) && l.stamp == w.listedStamp {
			w.seen, w.seenRaw, w.unseen = l.seen, l.seenRaw, l.unseen
			w.spareListing = l.found
			w.kept = make([]atomic.Bool, len(w.spareFiles))
			return
		}
	}
	if testHookSurvey != nil {
		testHookSurvey()
	}
	var files, dirs []string
	w.surveyErr = filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(w.dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, filepath.ToSlash(rel))
		} else {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	w.spareListing = newSpareListing(files, dirs)
	w.unseen = dirs
	w.kept = make([]atomic.Bool, len(w.spareFiles))
}

// spareListing is what a listing of the spare found, in the form the
// writer looks it up in. It is made beside the load, with the listing
// (ListSpare), rather than by survey, which every file the build writes
// waits for: filling a sync.Map with the 22,500 directories of a
// 10,000-article site took survey 12 ms.
type spareListing struct {
	spareFiles []string         // the files, by slash-separated name below the spare
	present    map[string]int32 // where each is in spareFiles
	spareDirs  map[string]bool  // the directories, likewise, the spare itself as "."
	// exports holds the files of the spare's search exports, by name
	// below search/<version>/, by version: the search's goroutine looks
	// them up there rather than among all the spare's files.
	exports map[string][]string
}

// newSpareListing returns the spareListing of the files and directories
// of a listing.
func newSpareListing(files, dirs []string) spareListing {
	l := spareListing{
		spareFiles: files,
		present:    make(map[string]int32, len(files)),
		spareDirs:  make(map[string]bool, len(dirs)),
		exports:    make(map[string][]string),
	}
	for i, f := range files {
		l.present[f] = int32(i)
		if rest, ok := strings.CutPrefix(f, "search/"); ok {
			if v, name, ok := strings.Cut(rest, "/"); ok {
				l.exports[v] = append(l.exports[v], name)
			}
		}
	}
	for _, d := range dirs {
		l.spareDirs[d] = true
	}
	return l
}

// hasDir reports whether the directory full, w.dir or below it, is
// there: made by this build, or the spare's and not removed since.
func (w *writer) hasDir(full string) bool {
	if made, ok := w.dirs.Load(full); ok {
		return made.(bool)
	}
	rel := "."
	if full != w.dir {
		r, ok := strings.CutPrefix(full, w.dir+string(filepath.Separator))
		if !ok {
			return false
		}
		rel = filepath.ToSlash(r)
	}
	return w.spareDirs[rel]
}

// SpareList is a listing of the build cache's spare, and the cache file
// read, made while the site loads (ListSpare) rather than by Build: at
// 10,000 articles listing the spare's 22,500 directories took 0.4-0.5 s
// of a one-article rebuild of about 2 s, during which the pages waited,
// and reading the cache file 0.1 s, which the rest of the build waited
// for.
type SpareList struct {
	spare string
	done  chan struct{}
	// Set when done is closed: the spare directory's stamp as the
	// listing opened it, and its files and directories (see listTreeAt).
	stamp fileStamp
	found spareListing
	err   error
	// seen holds the stamps of the spare's directories as the listing
	// saw them, for the cache file's Dirs (see knownTree), and seenRaw
	// their encoding, made here rather than at the end of the build.
	seen    map[string]dirMTime
	seenRaw []byte
	// unseen are the directories it read that had changed too lately
	// (dirSettle) for a stamp in seen (see writer.stampDirs).
	unseen []string

	cache string        // the cache file
	read  chan struct{} // closed when prev is set
	prev  *buildCache   // the cache file as read, whatever its Out; nil if it could not be
}

// ListSpare starts listing the spare of the build cache file cache (see
// BuildOptions.Cache) and returns at once. Given it in BuildOptions.Spare,
// Build takes the listing for the spare's files if the spare is still the
// directory listed: its stamp (inode, change time) is the same just before
// Build renames it, so no other build took it meanwhile, and none put it
// back, since renaming sets the change time. Otherwise, or where the
// system cannot list a directory while it is renamed (listTreeAt), Build
// lists the spare itself.
//
// It also reads the cache file, which Build takes instead of reading it
// again if it describes the output directory: a build that replaced the
// file meanwhile would also have taken the spare.
//
// The directories the cache file has the spare's stamps of (SpareDirs) are
// not read if their stamps are still those: at 10,000 articles, reading
// the spare's 22,500 directories took 0.45 s of CPU, a fifth of a
// one-article rebuild's, which the load shared the two cores with.
func ListSpare(cache string) *SpareList {
	l := &SpareList{spare: cache + ".spare", done: make(chan struct{}), cache: cache, read: make(chan struct{})}
	cutoff := time.Now().Add(-dirSettle).UnixNano()
	go func() {
		defer close(l.read)
		l.prev = readCache(cache, "")
	}()
	go func() {
		defer close(l.done)
		<-l.read
		t, err := listTreeAt(l.spare, l.prev.knownSpare(), cutoff)
		l.stamp, l.seen, l.unseen, l.err = t.stamp, t.seen, t.unseen, err
		l.seenRaw = encodeDirs(l.seen)
		if err == nil {
			l.found = newSpareListing(t.files, t.dirs)
		}
	}()
	return l
}

// treeList is what listTreeAt found of a directory tree.
type treeList struct {
	stamp fileStamp // the tree's root's, as it was opened
	// files and dirs are slash-separated paths below the root; dirs
	// holds the root itself, ".", first.
	files, dirs []string
	// seen holds the directories' stamps that changed early enough to
	// record, and unseen the other directories read, the root aside.
	seen   map[string]dirMTime
	unseen []string
}

// readCache returns the cache file l read if it describes out, or nil.
func (l *SpareList) readCache(out string) *buildCache {
	<-l.read
	if l.prev == nil || l.prev.Out != out {
		return nil
	}
	return l.prev
}

// stampDirs adds to w.seen, for the cache file's Dirs, the stamps of the
// site's directories that have none there: those the listing of the
// spare found changed too lately to record (dirSettle), those the build
// made, and the search export's. It runs once the build has written and
// removed its last file in w.dir, when each of those directories holds
// what the cache file says it does (see knownTree). The cache file's
// encoding waits for it (w.stamped).
//
// A stamp is recorded only if the directory last changed before a file
// made in w.dir just before the stamps are taken: any entry made, removed
// or renamed after that file sets a time no earlier than the file's on
// the same file system, however coarse its clock (here it ticks every 4
// ms), so the stamp cannot hide a later change. Left to the next listing
// instead, these stamps were recorded only once settled: at 10,000
// articles the two rebuilds after a full build each read all of the
// spare's 22,500 directories, and every rebuild read the search export's
// 15,700 entries again.
func (w *writer) stampDirs() error {
	if w.next == nil || !dirStamps {
		return nil // no cache file, or one that records no stamps
	}
	dirs := make(map[string]bool)
	add := func(rel string) {
		for rel != "." && rel != "" && !dirs[rel] {
			if _, ok := w.seen[rel]; ok {
				return // its parents were listed too
			}
			dirs[rel] = true
			rel = dirOf(rel)
		}
	}
	for _, d := range w.unseen {
		add(d)
	}
	w.dirs.Range(func(full, made any) bool {
		if r, ok := strings.CutPrefix(full.(string), w.dir+string(filepath.Separator)); ok && made.(bool) {
			add(filepath.ToSlash(r))
		}
		return true
	})
	inExport := make(map[[2]string]bool)
	for _, f := range w.exportFiles {
		if d := [2]string{f.prefix, dirOf(f.name)}; !inExport[d] {
			inExport[d] = true
			if d[1] == "." {
				add(strings.TrimSuffix(d[0], "/"))
			} else {
				add(d[0] + d[1])
			}
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	if testHookStamp != nil {
		testHookStamp()
	}
	probe, err := os.CreateTemp(w.dir, ".stamp-")
	if err != nil {
		return nil // the next listing reads them
	}
	fi, statErr := probe.Stat()
	probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return err // it must not be published
	}
	if statErr != nil {
		return nil
	}
	before := fi.ModTime().UnixNano()
	root := openRoot(w.dir) // w.root is open only with a previous build
	defer root.close()
	list := slices.Collect(maps.Keys(dirs))
	stamps := make([]dirMTime, len(list))
	parallel(len(list), func(i int) {
		if st, ok := root.dirStamp(list[i]); ok && st.MTime < before {
			stamps[i] = st
		}
	})
	added := make(map[string]dirMTime)
	for i, st := range stamps {
		if st != (dirMTime{}) {
			added[list[i]] = st
		}
	}
	if len(added) == 0 {
		return nil
	}
	if w.seen == nil {
		w.seen = make(map[string]dirMTime, len(added))
	}
	raw := appendDirs(w.seenRaw, added)
	maps.Copy(w.seen, added)
	if raw == nil {
		raw = encodeDirs(w.seen)
	}
	w.seenRaw = raw
	return nil
}

// appendDirs returns raw, which encodeDirs encoded of a map naming none
// of add's directories, with add's stamps added, or nil if raw is not
// such an encoding. Encoding all 22,500 directories again for a few more
// would cost the end of a rebuild a millisecond or two.
func appendDirs(raw []byte, add map[string]dirMTime) []byte {
	n, k := binary.Uvarint(raw)
	if k <= 0 || n == 0 {
		return nil
	}
	tail := encodeDirs(add)
	_, kt := binary.Uvarint(tail)
	e := encoder{buf: make([]byte, 0, binary.MaxVarintLen64+len(raw)-k+len(tail)-kt)}
	e.count(int(n-1)+len(add), false)
	e.buf = append(e.buf, raw[k:]...)
	e.buf = append(e.buf, tail[kt:]...)
	return e.buf
}

// dirSettle is how long before a listing of the spare a directory must
// have last changed for the cache file to record its stamp: stampSettle,
// shortened by tests, which then wait longer than it between builds.
var dirSettle = stampSettle

// testHookReadDir, when set, is called with each directory the listing
// of the spare reads rather than takes from the cache file.
var testHookReadDir func(rel string)

// testHookStamp, when set, runs just before stampDirs takes the time
// the directories must have changed before: a test waits there for the
// clock to pass the build's last change.
var testHookStamp func()

// testHookPublish, when set, runs just before Build publishes its site,
// and an error it returns fails the build there, as a failed swap would.
var testHookPublish func() error

// testHookSurvey, when set, runs as survey starts listing the spare
// itself: a test slows survey down with it, so that a write into the
// build directory that does not wait for the list would come first.
var testHookSurvey func()

// waitSurvey waits until survey has listed the spare's files and returns
// its error. Nothing may write into w.dir before: a file written there
// first would be taken for one of the spare's.
func (w *writer) waitSurvey() error {
	<-w.surveyed
	if w.surveyErr != nil {
		return fmt.Errorf("build directory: %w", w.surveyErr)
	}
	return nil
}

// clear removes the spare's file name, at full, before a file is
// written or linked there. Only the writer of name calls it, so no lock
// is needed; the file may be gone already (a link that failed after
// clearing it).
func (w *writer) clear(name, full string) error {
	if w.present == nil {
		return nil
	}
	if w.hasDir(full) {
		// A directory of the spare where this site has a file.
		w.dirs.Store(full, false)
		return os.RemoveAll(full)
	}
	i, ok := w.present[name]
	if !ok {
		return nil
	}
	w.kept[i].Store(true)
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// clearFileIn removes the spare's file that is in the way of directory
// dir (dir itself or one of its parents below w.dir), and reports
// whether there was one.
func (w *writer) clearFileIn(dir string) bool {
	for d := dir; len(d) > len(w.dir); d = filepath.Dir(d) {
		rel, err := filepath.Rel(w.dir, d)
		if err != nil {
			return false
		}
		if i, ok := w.present[filepath.ToSlash(rel)]; ok {
			w.kept[i].Store(true)
			// Another writer in the same directory may have cleared it.
			err := os.Remove(d)
			return err == nil || errors.Is(err, fs.ErrNotExist)
		}
	}
	return false
}

// The sweep removes the files of the spare that the build did not write,
// keep or link, and the directories that leaves empty, so that w.dir
// holds exactly the new site. It is done in two parts: sweepSite, once
// the pages are written, for every file but the search export's, which
// runs beside the search's last steps (9 ms at 10,000 generated
// articles, which the end of a one-article rebuild waited for); and
// sweepExport, once the search is done.

// exportFile reports whether name is a file of a search export: its entry,
// search/index.json, or a file below a directory of search/, as the
// versions' are (see spareListing.exports).
func exportFile(name string) bool {
	rest, ok := strings.CutPrefix(name, "search/")
	return ok && (rest == "index.json" || strings.Contains(rest, "/"))
}

// sweepSite is the sweep of every file of the spare but the search
// export's. A file of the spare that the build kept in place, or
// cleared to write or link one in its place, is marked in w.kept
// (linkFile, clear, clearFileIn), every file a page's writer puts in
// place passing through one of them: looking each of the spare's files
// up in w.next, under the lock the search's recording took meanwhile,
// was 10 ms of a one-article rebuild at 10,000 generated articles.
func (w *writer) sweepSite() error {
	var gone []string
	for i, name := range w.spareFiles {
		if !w.kept[i].Load() && !exportFile(name) {
			gone = append(gone, name)
		}
	}
	return w.remove(gone)
}

// has reports whether the spare held the file name when it was listed.
func (w *writer) has(name string) bool {
	_, ok := w.present[name]
	return ok
}

// sweepExport is the sweep of the search export's files, once the search
// is done: the spare's files of the version exported that the export
// did not keep, and its entry if the export has none. Those of the other
// versions are moved into the export or removed with their directories
// (removeOtherExports).
func (w *writer) sweepExport() error {
	// The files recordSearch recorded apart from w.next, by name: the
	// entry first, then the version's, which are looked up only if the
	// spare has files of that version.
	var recorded map[string]bool
	inSite := func(name string) bool {
		if _, ok := w.next[name]; ok {
			return true
		}
		if name == "search/index.json" {
			return len(w.exportFiles) > 0 && w.exportFiles[0].name == name
		}
		if recorded == nil {
			recorded = make(map[string]bool, len(w.exportFiles))
			for _, f := range w.exportFiles {
				recorded[f.prefix+f.name] = true
			}
		}
		return recorded[name]
	}
	var gone []string
	check := func(name string) {
		if w.has(name) && !inSite(name) {
			gone = append(gone, name)
		}
	}
	check("search/index.json")
	for v, names := range w.exports {
		if w.export != "" && v != w.export {
			continue
		}
		prefix := searchPrefix(v)
		for _, name := range names {
			check(prefix + name)
		}
	}
	return w.remove(gone)
}

// remove removes the files of the spare that the sweep found, and the
// directories that leaves empty.
func (w *writer) remove(names []string) error {
	dirs := make(map[string]bool)
	for _, name := range names {
		full := filepath.Join(w.dir, filepath.FromSlash(name))
		if w.hasDir(full) {
			continue // cleared for a directory of this site (clearFileIn)
		}
		if err := os.Remove(full); err != nil {
			// Gone already with a directory of the spare that this
			// site has as a file (clear), or not a file any more.
			if fi, lerr := os.Lstat(full); lerr == nil && !fi.IsDir() {
				return err
			}
			continue
		}
		for d := filepath.Dir(full); len(d) > len(w.dir); d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	// Deepest first, so that a directory's subdirectories are gone
	// before it is tried; one still holding files stays.
	list := slices.Collect(maps.Keys(dirs))
	slices.SortFunc(list, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, d := range list {
		os.Remove(d)
	}
	return nil
}

// pageDeps hashes what every page shows of the site besides its own
// article: the salt, the site's view (its languages, the generator) and,
// with counts, the number of articles in each language and under each
// tag, which a page may show beside them. An article page is given no
// counts where its template names none (see writeArticle): its key is
// then made without them, and an article added or removed leaves the
// other articles' pages as they are (at 10,000 articles, a build after
// an article was added made all of them again, 15.6 s).
func (s *Site) pageDeps(salt cacheKey, view *render.Site, counts bool) cacheKey {
	b := append([]byte(nil), salt[:]...)
	b = appendField(b, view.Generator)
	for _, l := range view.Languages {
		b = appendField(b, l.Code)
		if counts {
			b = binary.LittleEndian.AppendUint64(b, uint64(l.Count))
		}
	}
	if counts {
		for _, t := range slices.Sorted(maps.Keys(s.tags)) {
			b = appendField(b, t)
			b = binary.LittleEndian.AppendUint64(b, uint64(len(s.tags[t])))
		}
	}
	return sha256.Sum256(b)
}

// articleDep hashes everything p's page is made from, given deps
// (pageDeps): its file, by path and content, whose frontmatter and body
// give the page's own fields, and where each of its links resolves to.
// It reads no more of the other articles than resolve does.
func (s *Site) articleDep(deps cacheKey, p *Page) cacheKey {
	if p.fileSum == (cacheKey{}) {
		return cacheKey{} // the file's content is not known: no reuse
	}
	bp := keyBuffers.Get().(*[]byte)
	defer keyBuffers.Put(bp)
	b := append((*bp)[:0], deps[:]...)
	b = appendField(b, p.Path)
	b = append(b, p.fileSum[:]...)
	ls := s.linksSum(p)
	b = append(b, ls[:]...)
	*bp = b
	return sha256.Sum256(b)
}

// linksSum hashes where each of p's links resolves to, and whether it is
// broken: what an article's page shows of the other articles. A page
// loaded hollow brings the hash its facts recorded (see facts.go).
func (s *Site) linksSum(p *Page) cacheKey {
	if p.entry != nil {
		return p.linksSum
	}
	bp := keyBuffers.Get().(*[]byte)
	defer keyBuffers.Put(bp)
	b := (*bp)[:0]
	for _, t := range s.linkTargets(p) {
		b = appendField(b, t.href)
		if t.broken {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	*bp = b
	return sha256.Sum256(b)
}

// listsDep hashes what the list pages (home, languages, tags, codes, and
// the search and 404 pages) are made from, given deps (pageDeps): the
// summary of every published article, in URL order, which holds all
// that they show of an article. The summaries are hashed one by one
// (summarySum), then their hashes together. An article restored from the
// parse cache brings its summary's hash, which is then neither made nor
// hashed: making and hashing 10,000 summaries was 32 ms of a one-article
// rebuild's CPU at 10,000 generated articles. It returns the zero key if
// a summary cannot be hashed.
func (s *Site) listsDep(deps cacheKey) cacheKey {
	each := make([]cacheKey, len(s.Articles))
	var unknown []int // articles without the hash, made on every core
	for i, p := range s.Articles {
		if each[i] = p.summarySum; each[i] == (cacheKey{}) {
			unknown = append(unknown, i)
		}
	}
	parallel(len(unknown), func(j int) {
		each[unknown[j]] = s.summarySum(s.Articles[unknown[j]])
	})
	b := append(make([]byte, 0, len(deps)+len(each)*len(deps)), deps[:]...)
	for _, k := range each {
		if k == (cacheKey{}) {
			return cacheKey{}
		}
		b = append(b, k[:]...)
	}
	return sha256.Sum256(b)
}

// summarySum hashes what the list pages show of p, its summary, but the
// number of articles under each of its tags, which depends on the other
// articles and which pageDeps hashes: the rest of the summary is p's own,
// given the base URL, which the salt holds. It returns the zero key if
// the summary cannot be hashed.
func (s *Site) summarySum(p *Page) cacheKey {
	a := s.summary(p)
	for i := range a.Tags {
		a.Tags[i].Count = 0
	}
	bp := keyBuffers.Get().(*[]byte)
	defer keyBuffers.Put(bp)
	b, err := appendValue((*bp)[:0], reflect.ValueOf(a), 0)
	*bp = b
	if err != nil {
		return cacheKey{}
	}
	return sha256.Sum256(b)
}

// depOf returns what the file name, of key, is made from: an article
// page's articleDep, as fromDep noted it; for another page, one of the
// list pages, listsDep; nothing for any other file.
func (w *writer) depOf(name string, key cacheKey) cacheKey {
	if d, ok := w.deps.Load(name); ok {
		return d.(cacheKey)
	}
	if key != (cacheKey{}) {
		return w.lists
	}
	return cacheKey{}
}

// fromDep links the previous build's or the spare's page file if it was
// made from dep (articleDep), and reports whether it did. Otherwise the
// page, made now, is recorded as made from dep, for depOf: a linked page
// is recorded with dep as it is linked, which spares the map a store and
// a load for each of 10,000 pages.
func (w *writer) fromDep(file string, dep cacheKey) bool {
	if dep != (cacheKey{}) && w.link(file, func(c cachedFile) bool { return c.Dep == dep }, &dep) {
		return true
	}
	w.deps.Store(file, dep) // zero too: the page is no list page (depOf)
	return false
}

// reuseLists links every list page of the previous build if the list
// pages depend on what they did then (w.lists, the previous build's
// Lists), and reports whether it did. If one cannot be linked (it
// changed since), it takes back those it linked and reports false: the
// list pages are then made, or linked, by key.
func (w *writer) reuseLists() bool {
	if w.prev == nil || w.lists == (cacheKey{}) || w.prev.Lists != w.lists {
		return false
	}
	// The pages with their keys, taken as they are found rather than
	// looked up again, and linked as made from w.lists, which is what
	// depOf would look for after a miss in w.deps.
	var names []string
	var keys []cacheKey
	for name, c := range w.prev.Files.all() {
		if c.Key != (cacheKey{}) && c.Dep == w.lists {
			names = append(names, name)
			keys = append(keys, c.Key)
		}
	}
	linked := make([]bool, len(names))
	var failed atomic.Bool
	w.work.parallel(len(names), func(i int) {
		key := keys[i]
		if !failed.Load() {
			linked[i] = w.link(names[i], func(c cachedFile) bool { return c.Key == key }, &w.lists)
			failed.CompareAndSwap(false, !linked[i])
		}
	})
	if failed.Load() {
		for i, name := range names {
			if linked[i] {
				w.unlink(name)
			}
		}
		return false
	}
	return true
}
