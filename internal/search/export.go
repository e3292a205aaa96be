package search

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	index "github.com/blevesearch/bleve_index_api"
)

// formatVersion is the version of the exported files and of the analysis
// behind them. search.js refuses an index.json of another format, and Open
// refuses an index built with another, so a change here forces a rebuild.
const formatVersion = 4

// Size targets of the exported files, in bytes of JSON before gzip. Shard
// counts and code buckets are chosen from the data so that a typical file
// is about this size: small enough that a query downloads little beyond
// the postings it needs, large enough that a site does not become tens of
// thousands of tiny files.
const (
	termShardTarget  = 4 << 10
	codeBucketTarget = 12 << 10
	maxTermShards    = 4096
)

// Export writes the static files the browser searches into
// dir/<version>/ and returns version, a hash of their content. The same
// index gives the same bytes; a changed index gives a new version, so
// pages of a new deploy never load files of an old one, and every file
// can be cached forever. An existing dir/<version> is left as it is. Export
// does not remove other versions: the caller knows which are still
// referenced.
//
// Everything is derived from the bleve index (its term dictionaries and
// postings, and stored fields), so text is analysed once, at Build. The
// layout is described in the package documentation. Files are written as
// they are made, not gathered in memory first (see exportTo), so the
// version, a hash of all of them, is computed from the written files.
func (ix *Index) Export(dir string) (string, error) {
	tmp, err := newExportDir(dir, "")
	if err != nil {
		return "", fmt.Errorf("export search index: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after a successful rename
	names, err := ix.exportTo(tmp)
	if err != nil {
		return "", fmt.Errorf("export search index: %w", err)
	}
	version, err := versionOf(tmp, names)
	if err != nil {
		return "", fmt.Errorf("export search index: %w", err)
	}
	if err := publishExport(tmp, filepath.Join(dir, version)); err != nil {
		return "", fmt.Errorf("export search index: %w", err)
	}
	return version, nil
}

// Base is an earlier export that ExportAs makes a new one over.
type Base struct {
	Dir string // its directory; "" for none
	// Files, if not nil, lists every file below Dir, by slash-separated
	// name below it, as the caller found them: the files the new export
	// does not have are then removed from that list rather than found by
	// reading Dir's directories, one of which holds a file per document
	// (8.5-10 ms of a one-article rebuild at 10,000 articles).
	Files []string
}

// ExportAs writes the export as Export does, under a version the caller
// computed beforehand with Version, so that pages naming the version can
// be written while the index is still being built.
//
// reuse, if not nil, is asked before each file is written whether an
// earlier export already has that file (see [Reuse]), and ExportAs then
// returns the SHA-256 of every file below dir/<version>, by
// slash-separated name below it, for the caller to offer to the next
// export's reuse. Without reuse, nothing is hashed and the map is nil.
//
// base, if it names a directory (and with reuse), is an earlier export,
// which ExportAs moves into place and makes the new export over, rather
// than starting from an empty directory: reuse is then asked with dst
// holding base's file of that name, if it had one, and keeping that file
// is reporting true; a file reuse does not keep is removed, as is every
// file of base the new export does not have. After a one-article edit at
// 10,000 articles that is one rename where taking the 15,600 unchanged
// files over one by one cost 0.4 s of CPU. Whether base was moved shows
// in its being gone.
func (ix *Index) ExportAs(dir, version string, base Base, reuse Reuse) (map[string]Sum, error) {
	final := filepath.Join(dir, version)
	if exported(final) {
		var sums map[string]Sum
		var err error
		if reuse != nil {
			sums, err = sumsOf(final)
		}
		if err == nil {
			err = writeEntry(dir, version)
		}
		if err != nil {
			return nil, fmt.Errorf("export search index: %w", err)
		}
		return sums, nil
	}
	tmp, err := newExportDir(dir, version)
	if err != nil {
		return nil, fmt.Errorf("export search index: %w", err)
	}
	defer os.RemoveAll(tmp)
	based := false
	if base.Dir != "" && reuse != nil && os.Remove(tmp) == nil {
		if os.Rename(base.Dir, tmp) == nil {
			based = true
		} else if err := os.Mkdir(tmp, 0o755); err != nil {
			return nil, fmt.Errorf("export search index: %w", err)
		}
	}
	sums, st, err := ix.exportStateful(tmp, reuse, based)
	if err == nil && based {
		err = removeExcept(tmp, base.Files, sums)
	}
	if err != nil {
		return nil, fmt.Errorf("export search index: %w", err)
	}
	if err := publishExport(tmp, final); err != nil {
		return nil, fmt.Errorf("export search index: %w", err)
	}
	// The state goes with the index, for the next export, when it is
	// closed, or, if the index is updated while open, to that update.
	if st != nil {
		ix.state, ix.prev = st, nil
	}
	return sums, nil
}

// exportStateful writes the export into tmp, from the last export's state
// if it applies (see exportDelta), and returns the files' hashes (with
// reuse only) and the new export's state (nil without reuse, or for an
// index that does not know its documents' hashes: one made by Build
// rather than Update).
func (ix *Index) exportStateful(tmp string, reuse Reuse, based bool) (map[string]Sum, *exportState, error) {
	if reuse == nil {
		return nil, nil, ix.exportWith(newExportWriter(tmp), nil)
	}
	w, st, err := ix.exportFrom(tmp, func() *exportWriter {
		w := newExportWriter(tmp)
		w.reuse, w.sums, w.based = reuse, make(map[string]Sum), based
		return w
	})
	if err != nil {
		return nil, nil, err
	}
	return w.sums, st, nil
}

// exportFrom writes the export with a writer that newWriter makes, which
// has a Reuse, from the last export's state if it applies, and returns
// the writer used and the new export's state (nil for an index that does
// not know its documents' hashes: one made by Build rather than Update).
func (ix *Index) exportFrom(tmp string, newWriter func() *exportWriter) (*exportWriter, *exportState, error) {
	w := newWriter()
	prev := ix.prev
	if prev == nil {
		prev = ix.state
	}
	if prev == nil {
		prev = ix.loadExportState()
	}
	st, ok, err := ix.exportDelta(w, prev)
	ix.lastDelta = ok
	if err != nil || ok {
		return w, st, err
	}
	// Start again in full, in an empty directory or, over a base, over
	// what is there: the base's files are still worth keeping, and its
	// writer removes what it does not keep before writing (see ExportAs).
	if !w.based {
		if err := os.RemoveAll(tmp); err != nil {
			return nil, nil, err
		}
		if err := os.Mkdir(tmp, 0o755); err != nil {
			return nil, nil, err
		}
	}
	w = newWriter()
	if ix.sums != nil && ix.path != "" {
		st = &exportState{Stats: ix.stats, IDs: ix.ids, Sums: docSums(ix.ids, ix.sums)}
		st.Lens = ix.lensFor(st.Sums, prev)
	}
	if err := ix.exportWith(w, st); err != nil {
		return nil, nil, err
	}
	if st != nil {
		st.setFiles(w.sums)
	}
	return w, st, nil
}

// File is a file of an export made by ExportOver: where it is, a file at
// Path or, if Data is not nil, in memory, and the SHA-256 of its content.
type File struct {
	Path string
	Data []byte
	Sum  Sum
}

// Content returns the file's content.
func (f File) Content() ([]byte, error) {
	if f.Data != nil {
		return f.Data, nil
	}
	return os.ReadFile(f.Path)
}

// ExportOver makes the export for a caller that serves it file by file,
// as a dev server does, rather than as a directory. It makes only the
// files that over (the files of an earlier export as ExportOver returned
// them, or nil) does not have with the same name and content: in memory
// when it exports from the last export's state (a few hundred files
// after an edit), else into dir, which must not exist and which it
// creates only then. It returns every file of the export by name, those
// it made and those of over it kept where they are; the caller must keep
// over's files that the result names. The manifest, index.json, is
// always made; Entry makes the entry from it.
//
// After a one-article edit at 10,000 generated articles, taking the
// 15,600 unchanged files over by link, as ExportAs does with a Reuse,
// took three quarters of the export's time (165-175 ms against 42-44 ms
// without).
func (ix *Index) ExportOver(dir string, over map[string]File) (map[string]File, error) {
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("export search index: %s exists", dir)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("export search index: %w", err)
	}
	reuse := func(name string, sum Sum, _ string) bool {
		f, ok := over[name]
		return ok && f.Sum == sum && name != "index.json"
	}
	w, st, err := ix.exportFrom(dir, func() *exportWriter {
		w := newExportWriter(dir)
		w.reuse, w.sums = reuse, make(map[string]Sum)
		w.over, w.kept = over, make(map[string]bool)
		return w
	})
	if err != nil {
		return nil, fmt.Errorf("export search index: %w", err)
	}
	if st != nil {
		ix.state, ix.prev = st, nil
	}
	if files, ok := filesAlong(w, over); ok {
		return files, nil
	}
	files := make(map[string]File, len(w.sums))
	for name, sum := range w.sums {
		switch data, ok := w.mem[name]; {
		case w.kept[name]:
			files[name] = over[name]
		case ok:
			files[name] = File{Data: data, Sum: sum}
		default:
			files[name] = File{Path: filepath.Join(dir, filepath.FromSlash(name)), Sum: sum}
		}
	}
	return files, nil
}

// filesAlong returns what ExportOver does for a delta export over an
// earlier one, which keeps all but the few files it made in memory: the
// earlier export's files, copied, with those made replacing theirs and
// those it no longer has removed. Looking every file up in the writer's
// maps took about 5 ms of a dev server's export after an edit at 10,000
// generated articles (15,700 files); with setFilesAlong, the end of the
// export went from 12.6 to 5.3 ms (medians of twenty edits). It reports
// false for another export.
func filesAlong(w *exportWriter, over map[string]File) (map[string]File, bool) {
	if over == nil || w.mem == nil {
		return nil, false
	}
	files := maps.Clone(over)
	for _, name := range w.made {
		if w.kept[name] {
			continue
		}
		data, ok := w.mem[name]
		if !ok {
			return nil, false
		}
		files[name] = File{Data: data, Sum: w.sums[name]}
	}
	if len(files) != len(w.sums) {
		for name := range files {
			if _, ok := w.sums[name]; !ok {
				delete(files, name)
			}
		}
	}
	return files, true
}

// Entry returns the entry, search/index.json, of the export whose files
// ExportOver returned, under version (see writeEntry).
func Entry(files map[string]File, version string) ([]byte, error) {
	f, ok := files["index.json"]
	if !ok {
		return nil, errors.New("export has no manifest")
	}
	b, err := f.Content()
	if err != nil {
		return nil, err
	}
	return entryOf(b, version)
}

// Sum is the SHA-256 of an exported file's content.
type Sum = [sha256.Size]byte

// Reuse is how an export takes files from an earlier one instead of
// writing them again. Most of an export does not change when one article
// does (on 10,000 generated articles, an edit to one changed 85 of
// 15,700 files), and linking or moving a file costs a fraction of
// writing it, and keeps its inode and modification time, so that rsync
// and object-store sync see it as unchanged.
//
// Before writing a file, the export calls Reuse with the file's
// slash-separated name below the version directory, the SHA-256 of the
// content it would write, and the path it would write it at. If Reuse
// knows a file of exactly that content, it links or moves it to dst and
// reports true; otherwise, or if that fails, it reports false and the
// export writes the file. In an export made over a base (see ExportAs),
// dst may hold the base's file already: Reuse reports true to keep it, or
// removes it before putting another file there. Calls may be concurrent,
// for different names.
type Reuse func(name string, sum Sum, dst string) bool

// sumsOf returns the SHA-256 of every file below dir, by slash-separated
// name below it.
func sumsOf(dir string) (map[string]Sum, error) {
	sums := make(map[string]Sum)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sums[filepath.ToSlash(rel)] = sha256.Sum256(data)
		return nil
	})
	return sums, err
}

// exported reports whether dir holds a complete export: index.json is
// in it only once the export's directory has been renamed into place.
func exported(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "index.json"))
	return err == nil
}

// removeExcept removes the files below dir that keep does not name, by
// slash-separated name below dir, and the directories that leaves empty.
// Directories are read unsorted and names looked up without making
// them: at 10,000 articles an export over a base has 15,600 files, and
// filepath.WalkDir, which sorts every directory and makes each name
// relative, took 19-25 ms of a one-article rebuild, which waits for it.
//
// files, if not nil, lists every file below dir (see Base.Files): only
// those keep does not name are removed, and then their directories if
// that left them empty.
func removeExcept(dir string, files []string, keep map[string]Sum) error {
	if files == nil {
		_, err := removeBelow(dir, nil, keep)
		return err
	}
	parents := make(map[string]bool)
	for _, name := range files {
		if _, ok := keep[name]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			parents[d] = true
		}
	}
	// Deepest first; a directory still holding files stays.
	list := slices.Collect(maps.Keys(parents))
	slices.SortFunc(list, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	for _, d := range list {
		os.Remove(filepath.Join(dir, filepath.FromSlash(d)))
	}
	return nil
}

// removeBelow is removeExcept for the directory dir, whose files' names
// start with prefix (empty, or ending in a slash). It reports whether it
// left dir empty.
func removeBelow(dir string, prefix []byte, keep map[string]Sum) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	ents, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return false, err
	}
	left := 0
	for _, e := range ents {
		// name may share prefix's array, and so the next entry's name
		// and what the call below appends: it is used before either.
		name := append(prefix, e.Name()...)
		if e.IsDir() {
			sub := filepath.Join(dir, e.Name())
			empty, err := removeBelow(sub, append(name, '/'), keep)
			if err != nil {
				return false, err
			}
			if !empty || os.Remove(sub) != nil {
				left++
			}
			continue
		}
		if _, ok := keep[string(name)]; ok {
			left++
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return false, err
		}
	}
	return left == 0, nil
}

// newExportDir makes the directory an export is written into before it is
// renamed to dir/<version>, so that a reader never sees half an export:
// dir/<version>.tmp when the version is known (a previous, interrupted
// export of it is removed), else a new directory of a unique name.
func newExportDir(dir, version string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if version != "" {
		tmp := filepath.Join(dir, version+".tmp")
		if err := os.RemoveAll(tmp); err != nil {
			return "", err
		}
		return tmp, os.Mkdir(tmp, 0o755)
	}
	tmp, err := os.MkdirTemp(dir, ".export-")
	if err != nil {
		return "", err
	}
	return tmp, os.Chmod(tmp, 0o755) // MkdirTemp makes it private; the export is published
}

// publishExport renames the complete export tmp to final, unless final is
// already a complete export (of the same content, by its name), and then
// makes the entry name it.
func publishExport(tmp, final string) error {
	if !exported(final) {
		if err := os.RemoveAll(final); err != nil {
			return err
		}
		if err := os.Rename(tmp, final); err != nil {
			return err
		}
	}
	return writeEntry(filepath.Dir(final), filepath.Base(final))
}

// writeEntry writes dir/index.json, the entry: the manifest of
// dir/version with the version in it, the one search file at a fixed URL.
// Pages name only dir, so that a page's bytes do not change with every
// change to the index (which lets the build cache keep pages whose own
// content is unchanged); search.js loads the entry and then the files
// under the version it names. The entry is replaced by a rename, so a
// reader never sees half of it, and only once the version's files are
// all in place.
func writeEntry(dir, version string) error {
	b, err := os.ReadFile(filepath.Join(dir, version, "index.json"))
	if err != nil {
		return err
	}
	entry, err := entryOf(b, version)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".index.json.tmp")
	if err := os.WriteFile(tmp, entry, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "index.json"))
}

// entryOf returns the entry for the manifest b of the export version.
func entryOf(b []byte, version string) ([]byte, error) {
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m.Version = version
	return marshal(m), nil
}

// Version returns the version ExportAs should use for an index of docs: a
// hash of the documents' hashes (see Doc.sum, which covers every field),
// in ID order, and of the format. The same documents always give the
// same version, whatever their order, and different documents a different
// one. An index Update made knows its version without hashing the
// documents again (Index.Version), nor does one Hashed.Update made.
func Version(docs []Doc) string {
	return docsVersion(docSumsOf(docs))
}

// Version returns Version of the documents the index holds, if Update
// made it or brought it up to date, or "".
//
// After an update the doc table holds the IDs sorted already: for
// 10,000 IDs like a generated site's, the version took 1.0 ms from it
// against 2.6 ms with the IDs listed and sorted again.
func (ix *Index) Version() string {
	if ix.sums == nil {
		return ""
	}
	if len(ix.ids) == len(ix.sums) {
		if v, ok := versionAlong(ix.ids, ix.sums); ok {
			return v
		}
	}
	return docsVersion(ix.sums)
}

func docsVersion(sums map[string][sha256.Size]byte) string {
	v, _ := versionAlong(sortedKeys(sums), sums)
	return v
}

// versionAlong is docsVersion with ids, the IDs of sums in byte order.
// It reports false if one of them has no hash in sums.
func versionAlong(ids []string, sums map[string][sha256.Size]byte) (string, bool) {
	h := sha256.New()
	writeString(h, fmt.Sprintf("kbgen search export format %d", formatVersion))
	for _, id := range ids {
		sum, ok := sums[id]
		if !ok {
			return "", false
		}
		writeString(h, id)
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16], true
}

// manifest is index.json, the one file every search loads first.
type manifest struct {
	Format int `json:"format"`
	// Version is set in the entry, dir/index.json, only: the directory
	// holding the files below, relative to dir.
	Version string   `json:"v,omitempty"`
	Docs    int      `json:"docs"`
	Terms   int      `json:"terms"` // shards of terms of two or more runes: t/<n>.json.gz
	Chars   int      `json:"chars"` // shards of one-rune terms: u/<n>.json.gz
	Split   []string `json:"split"` // term prefixes whose terms are sharded by a longer key (see shardKey)
	Codes   string   `json:"codes"` // bitmap of the three-digit code bucket keys: c/<key>.json (see writeCodeBuckets)
	Langs   []facet  `json:"langs"` // f/l<i>.json
	Tags    []facet  `json:"tags"`  // f/t<i>.json
}

// facet is a filter value and how many documents have it.
type facet struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// docFile is d/<n>.json: what a result shows of a document.
type docFile struct {
	ID        string   `json:"id"`
	Title     string   `json:"t"`
	Lang      string   `json:"l"`
	Codes     []string `json:"c,omitempty"`
	Tags      []string `json:"g,omitempty"`
	ErrorText string   `json:"e,omitempty"` // omitted when equal to the title
	Summary   string   `json:"s,omitempty"`
	Excerpt   string   `json:"x,omitempty"`
	Updated   string   `json:"u,omitempty"`
}

// exportWriter writes the files of one export below dir, creating
// directories as needed, and records their names. It is safe for
// concurrent use, and writes one file at a time: the files are made on
// several goroutines, but creating files in one directory from two of
// them cost the kernel half as much CPU again as from one (measured:
// 100,000 files, 54 s against 78 s of system time on a loaded machine),
// for no gain in wall time.
type exportWriter struct {
	dir   string
	reuse Reuse // or nil
	// over, for ExportOver, holds the earlier export's files: a file
	// reuse accepts is left where it is there, not taken into dir, and
	// noted in kept. mem, if not nil, holds the files made instead of
	// dir (see exportDelta).
	over map[string]File
	kept map[string]bool   // under mu
	mem  map[string][]byte // under mu
	// based is set when dir holds an earlier export's files (see
	// ExportAs): one that reuse does not keep is removed before its name
	// is written, since it may be a link to a published file.
	based bool

	mu    sync.Mutex
	names []string        // slash-separated, as written
	made  []string        // those of names written or replaced, not taken over by keep
	sums  map[string]Sum  // by name, if not nil
	dirs  map[string]bool // directories made
}

func newExportWriter(dir string) *exportWriter {
	return &exportWriter{dir: dir, dirs: make(map[string]bool)}
}

// writeJSON writes v as name.json.
func (w *exportWriter) writeJSON(name string, v any) error {
	return w.write(name+".json", marshal(v))
}

// writeGzipJSON writes v as name.json.gz: JSON, gzip-compressed. The term
// shards are stored compressed, so that what a text query downloads is
// small on any host, including those that serve JSON uncompressed (S3,
// nginx's defaults, an intranet share): on 10,000 generated articles a
// Japanese two-word query downloads 58% as much. search.js decompresses
// them with DecompressionStream, and reads them as JSON when a host has
// already decoded them (one that sends .gz files with Content-Encoding:
// gzip). The other files stay JSON: they are small (on the 10,000-article
// site, code buckets compressed to 54% and documents to 60% in all), and
// DecompressionStream costs a few milliseconds per file, more for the
// first, which a code query's chain of fetches would pay in turn.
// The bytes are deterministic: compress/flate's output depends only on
// the input and level, and the gzip header holds no name or time.
//
// Compression runs on the caller's goroutine, outside w's lock.
func (w *exportWriter) writeGzipJSON(name string, v any) error {
	return gzipJSON(v, func(data []byte) error { return w.write(name+".json.gz", data) })
}

// gzipJSON calls fn with v as gzip-compressed JSON, valid during the call.
func gzipJSON(v any, fn func([]byte) error) error {
	z := gzipWriters.Get().(*gzipWriter)
	defer gzipWriters.Put(z)
	z.buf.Reset()
	z.w.Reset(&z.buf)
	if _, err := z.w.Write(marshal(v)); err != nil {
		return err
	}
	if err := z.w.Close(); err != nil {
		return err
	}
	return fn(z.buf.Bytes())
}

// gzipWriter is a gzip writer and its output buffer, reused across files:
// a new gzip.Writer allocates its compressor's 800 KB of state, which for
// 15,000 small files cost six times the compressing itself.
type gzipWriter struct {
	buf bytes.Buffer
	w   *gzip.Writer
}

var gzipWriters = sync.Pool{New: func() any {
	z := new(gzipWriter)
	z.w = gzip.NewWriter(&z.buf)
	return z
}}

func (w *exportWriter) write(name string, data []byte) error {
	p := filepath.Join(w.dir, filepath.FromSlash(name))
	var sum Sum
	if w.sums != nil {
		sum = sha256.Sum256(data)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if d := filepath.Dir(p); !w.dirs[d] && w.mem == nil {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		w.dirs[d] = true
	}
	switch {
	case w.reuse != nil && w.reuse(name, sum, p):
		if w.over != nil {
			w.kept[name] = true
		}
	case w.mem != nil:
		w.mem[name] = bytes.Clone(data)
	default:
		if w.based {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	w.names = append(w.names, name)
	w.made = append(w.made, name)
	if w.sums != nil {
		w.sums[name] = sum
	}
	return nil
}

// exportTo writes every exported file below dir and returns their
// slash-separated names.
//
// Files are written as they are made: holding the whole export, as an
// earlier version did, raised the live heap by over a gigabyte at 100,000
// articles (233 MB of files, the postings twice over while they were
// sharded, and the garbage of making them).
// The postings of every term are needed before the first shard can be
// written, since the shard count follows from their total size; they are
// kept in a temporary file meanwhile (see exportTerms).
func (ix *Index) exportTo(dir string) ([]string, error) {
	w := newExportWriter(dir)
	if err := ix.exportWith(w, nil); err != nil {
		return nil, err
	}
	return w.names, nil
}

// exportWith writes every exported file with w, and fills in st, if not
// nil, with what the next export needs (see exportState) but the files.
func (ix *Index) exportWith(w *exportWriter, st *exportState) error {
	r, err := ix.reader()
	if err != nil {
		return err
	}
	defer r.Close()
	m := manifest{Format: formatVersion, Docs: len(ix.ids), Split: ix.stats.Split}

	if err := ix.exportTerms(r, w, &m, st); err != nil {
		return err
	}

	// Documents, then the code buckets, which carry the cards of the
	// documents in them.
	cards, err := ix.writeDocs(w)
	if err != nil {
		return err
	}
	codes, err := ix.codePostings(r, "")
	if err != nil {
		return err
	}
	if m.Codes, err = writeCodeBuckets(w, codes, cards); err != nil {
		return err
	}
	if st != nil {
		st.Cards, st.Codes = cards, m.Codes
	}
	return ix.writeRest(r, w, &m)
}

// writeRest writes the filters and, last, index.json, whose other fields
// m has.
func (ix *Index) writeRest(r index.IndexReader, w *exportWriter, m *manifest) error {
	var err error
	if m.Langs, err = ix.writeFacets(r, w, fLang, "l"); err != nil {
		return err
	}
	if m.Tags, err = ix.writeFacets(r, w, fTags, "t"); err != nil {
		return err
	}
	return w.write("index.json", marshal(m))
}

// writeDocs writes d/<n>.json for every document, on GOMAXPROCS
// goroutines, each with its own index reader, and returns the documents'
// cards, by number.
func (ix *Index) writeDocs(w *exportWriter) ([]card, error) {
	var next atomic.Int64
	cards := make([]card, len(ix.ids))
	err := ix.parallel(len(ix.ids), func(_ int, r index.IndexReader) error {
		for {
			n := int(next.Add(1) - 1)
			if n >= len(ix.ids) {
				return nil
			}
			df, c, err := ix.docFile(r, int32(n))
			if err != nil {
				return err
			}
			cards[n] = c
			if err := w.writeJSON("d/"+strconv.Itoa(n), df); err != nil {
				return err
			}
		}
	})
	return cards, err
}

// parallel runs work on up to GOMAXPROCS goroutines, fewer for small
// jobs of n items, each with its own index reader and its number, and
// returns the errors joined.
func (ix *Index) parallel(n int, work func(worker int, r index.IndexReader) error) error {
	return parallelN(n, func(worker int) error {
		r, err := ix.reader()
		if err != nil {
			return err
		}
		defer r.Close()
		return work(worker, r)
	})
}

// allTerms returns the union of the text fields' terms in byte order.
func (ix *Index) allTerms(r index.IndexReader) ([]string, error) {
	terms, _, err := termsIn(r)
	return terms, err
}

// termsIn returns the union of the text fields' terms in byte order, and
// for each the fields it is in.
func termsIn(r index.IndexReader) ([]string, []fieldSet, error) {
	var terms []string
	var in []fieldSet
	err := eachTerm(r, func(term string, fs fieldSet) error {
		terms = append(terms, term)
		in = append(in, fs)
		return nil
	})
	return terms, in, err
}

// fieldSet is a set of text fields, bit i for textFields[i].
type fieldSet uint8

const allFields fieldSet = 1<<len(textFields) - 1

// eachTerm calls fn with every term of the text fields once, in byte
// order, and the fields it is in. It merges the fields' dictionaries,
// which bleve returns sorted, rather than gathering them in a set: there
// are half a million terms at 100,000 articles. (It does not report the
// dictionaries' counts, which are unreliable: see termDFs.)
func eachTerm(r index.IndexReader, fn func(term string, in fieldSet) error) error {
	type head struct {
		fd    index.FieldDict
		field int // index in textFields
		term  string
	}
	var heads []head
	defer func() {
		for _, h := range heads {
			h.fd.Close()
		}
	}()
	for fi, f := range textFields {
		fd, err := r.FieldDict(f)
		if err != nil {
			return err
		}
		e, err := fd.Next()
		if err != nil || e == nil {
			fd.Close()
			if err != nil {
				return err
			}
			continue
		}
		// The entry is the dictionary's own and changes with Next.
		heads = append(heads, head{fd, fi, e.Term})
	}
	for len(heads) > 0 {
		term := heads[0].term
		for _, h := range heads[1:] {
			term = min(term, h.term)
		}
		var in fieldSet
		for i := 0; i < len(heads); {
			h := &heads[i]
			if h.term != term {
				i++
				continue
			}
			in |= 1 << h.field
			e, err := h.fd.Next()
			if err != nil {
				return err
			}
			if e == nil {
				h.fd.Close()
				heads = slices.Delete(heads, i, i+1)
				continue
			}
			h.term = e.Term
			i++
		}
		if err := fn(term, in); err != nil {
			return err
		}
	}
	return nil
}

// termChunk is how many terms exportTerms encodes at a time; the
// encoded postings of a chunk are in memory until written to the
// temporary file. Chunks of common CJK characters and bigrams are dense
// lists of up to 100 KB each at 100,000 articles, so a chunk of 4,096
// held 140 MB.
const termChunk = 256

// spilled is a term whose encoded postings are in exportTerms' temporary
// file.
type spilled struct {
	off int64
	n   int32
}

// exportTerms writes the text terms' shards, t/<n>.json and u/<n>.json,
// and sets m.Terms and m.Chars. Two families, so that the long posting
// lists of single CJK characters, needed only for one-character queries,
// never share a shard with the bigrams every Japanese query fetches.
//
// Reading and scoring the postings is most of Export's work, so it is
// spread over GOMAXPROCS goroutines, each with its own index reader. The
// encoded postings go to a temporary file in dir, in term order, until
// their total size has fixed the shard counts; then each shard gathers
// its terms' postings from the file.
func (ix *Index) exportTerms(r index.IndexReader, w *exportWriter, m *manifest, st *exportState) error {
	terms, in, err := termsIn(r)
	if err != nil {
		return err
	}
	bucket := make([]uint16, len(terms))
	for i, t := range terms {
		bucket[i] = bucketOf(t, ix.split)
	}
	var marks docBuckets
	var count []uint32
	if st != nil {
		marks = newDocBuckets(len(ix.ids))
		count = make([]uint32, len(terms))
	}
	f, err := os.CreateTemp(w.dir, ".postings-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	at := make([]spilled, len(terms))
	var off int64
	chunk := make([][]byte, termChunk)
	mergers := make([]*merger, runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(terms); lo += termChunk {
		hi := min(lo+termChunk, len(terms))
		var next atomic.Int64
		err := ix.parallel(hi-lo, func(worker int, r index.IndexReader) error {
			if mergers[worker] == nil {
				mergers[worker] = ix.newMerger()
			}
			mg := mergers[worker]
			for {
				i := int(next.Add(1) - 1)
				if lo+i >= hi {
					return nil
				}
				ps, err := ix.impacts(r, mg, terms[lo+i], in[lo+i])
				if err != nil {
					return err
				}
				if marks != nil {
					for _, p := range ps {
						marks.mark(p.doc, bucket[lo+i])
					}
					count[lo+i] = uint32(len(ps))
				}
				chunk[i] = appendImpacts(chunk[i][:0], ps)
			}
		})
		if err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			p := chunk[i-lo]
			if _, err := bw.Write(p); err != nil {
				return err
			}
			at[i] = spilled{off: off, n: int32(len(p))}
			off += int64(len(p))
			// Keep a buffer for the next chunk only if it is small: a
			// dense list is 100 KB at 100,000 articles, and every slot
			// keeping its largest would hold that much each throughout.
			if cap(p) > 4<<10 {
				chunk[i-lo] = nil
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var es [2][]int32 // indexes in terms, by family
	for i, t := range terms {
		f := family(t)
		es[f] = append(es[f], int32(i))
	}
	var sizes [2][buckets]int64
	sh := shardWriter{w: w, f: f, terms: terms, bucket: bucket, at: at}
	if m.Terms, err = sh.write("t", es[0], &sizes[0]); err != nil {
		return err
	}
	if m.Chars, err = sh.write("u", es[1], &sizes[1]); err != nil {
		return err
	}
	if st != nil {
		// An index that was not updated before it is exported in full
		// (its documents unchanged, and the last export's state written
		// by another build of kbgen, or its files not to be reused, as
		// after the site moved) has not counted its terms' frequencies.
		// Without them in the state, the next update would read every
		// term's postings for them (termDFs, not dfsFrom): 1.1 s of the
		// first one-article rebuild after, at 10,000 generated articles,
		// against about as much here, in a build that exports in full
		// anyway.
		if ix.dfs == nil {
			if ix.dfs, err = termDFs(r); err != nil {
				return err
			}
		}
		st.Shards = [2]int{m.Terms, m.Chars}
		st.Sizes = sizes
		st.Terms = terms
		st.DF = dfAlong(terms, ix.dfs)
		st.Count = count
		st.Buckets = marks.lists()
	}
	return nil
}

// shardWriter writes a family of term shards from exportTerms' file.
type shardWriter struct {
	w      *exportWriter
	f      *os.File // the encoded postings
	terms  []string
	bucket []uint16  // terms[i]'s bucket
	at     []spilled // where terms[i]'s postings are in f
}

// write writes family/<n>.json files holding the terms es (indexes in
// terms, in byte order of the terms) and returns the shard count (see
// shardCount). A shard is a JSON array of [term, postings] pairs in byte
// order of the terms. It adds each term's part of the total size the
// count follows from to its bucket's in sizes.
func (sh *shardWriter) write(family string, es []int32, sizes *[buckets]int64) (int, error) {
	var total int64
	for _, i := range es {
		n := int64(len(sh.terms[i]) + int(sh.at[i].n) + 6)
		total += n
		sizes[sh.bucket[i]] += n
	}
	shards := shardCount(total)
	buckets := make([][]int32, shards)
	for _, i := range es {
		s := int(sh.bucket[i]) & (shards - 1)
		buckets[s] = append(buckets[s], i)
	}
	var next atomic.Int64
	err := parallelN(shards, func(int) error {
		var buf []byte
		for {
			s := int(next.Add(1) - 1)
			if s >= shards {
				return nil
			}
			pairs := make([][2]string, len(buckets[s]))
			for k, i := range buckets[s] {
				at := sh.at[i]
				buf = slices.Grow(buf[:0], int(at.n))[:at.n]
				if _, err := sh.f.ReadAt(buf, at.off); err != nil {
					return err
				}
				pairs[k] = [2]string{sh.terms[i], string(buf)}
			}
			if err := sh.w.writeGzipJSON(family+"/"+strconv.Itoa(s), pairs); err != nil {
				return err
			}
		}
	})
	return shards, err
}

// shardCount returns the number of shards for a family of terms whose
// shards would total size bytes: the power of two that brings the average
// shard near termShardTarget.
func shardCount(size int64) int {
	shards := 1
	for shards < maxTermShards && size/int64(shards) > termShardTarget {
		shards *= 2
	}
	return shards
}

// parallelN runs work on up to GOMAXPROCS goroutines, fewer for small
// jobs of n items, each with its number, and returns the errors joined.
func parallelN(n int, work func(worker int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n/256+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { errs[i] = work(i) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// codePosting is one document carrying a code.
type codePosting struct {
	doc     int32
	primary bool
}

// codePostings returns the carriers of the codes that start with one of
// prefixes ("" for every code), by canonical code.
func (ix *Index) codePostings(r index.IndexReader, prefixes ...string) (map[string][]codePosting, error) {
	out := make(map[string][]codePosting)
	var codes []string
	for _, p := range prefixes {
		cs, err := dictPrefix(r, fCodes, p)
		if err != nil {
			return nil, err
		}
		codes = append(codes, cs...)
	}
	for _, c := range codes {
		docs, err := ix.termDocs(r, c, fCodes)
		if err != nil {
			return nil, err
		}
		prim, err := ix.termDocs(r, c, fPrimary)
		if err != nil {
			return nil, err
		}
		isPrim := make(map[int32]bool, len(prim))
		for _, d := range prim {
			isPrim[d] = true
		}
		ps := make([]codePosting, len(docs))
		for i, d := range docs {
			ps[i] = codePosting{doc: d, primary: isPrim[d]}
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].doc < ps[j].doc })
		out[c] = ps
	}
	return out, nil
}

// writeCodeBuckets adds the c/<key>.json files and returns the
// manifest's codes field: a bitmap of the three-digit keys that have a
// file (bit n%8 of byte n/8 for the key whose hex value is n), in standard
// base64. Codes are bucketed by their first three hex digits, the
// shortest prefix errcode.ParsePrefix accepts, so that the first file a
// code or prefix query needs is named by the query alone. A bucket larger
// than codeBucketTarget is split by the next digit, recursively: real
// code sets cluster (0x8007…, 0xC004…), so fixed buckets would be either
// many tiny files or a few large ones. A bucket is {"codes": [[code,
// postings], …], "docs": {n: card, …}}: the pairs in code order and the
// card of every document in them (cards[n]); a split bucket is {"split":
// [keys]}, the keys of its sub-buckets, one digit longer.
//
// The cards are what lets a code query show its results as soon as its
// bucket arrives. Fetching the documents' d/ files after the bucket was a
// second round trip, and in headless Chromium on the 2-core machine a
// fetch from 127.0.0.1 took 10–25 ms from request to parsed JSON, most of
// a code query's 49–95 ms (at 10,000 articles, load average 2–5);
// search.js now shows the cards at once and fills in the snippets from
// d/ when they arrive. On 10,000 generated articles a card is 158 bytes,
// against 1,127 for a d/ file, and a bucket 5.4 KB on average, against
// 0.5 KB without cards; a document has a card in the bucket of each of
// its codes.
//
// The bitmap is 684 bytes whatever the corpus; listing the bucket keys in
// the manifest, as format 1 did, grew it to 57 KB at 100,000 generated
// articles (8,192 keys), and every search downloads the manifest.
func writeCodeBuckets(w *exportWriter, codes map[string][]codePosting, cards []card) (string, error) {
	type entry struct {
		code, postings string
		ps             []codePosting
	}
	var all []entry
	for _, c := range sortedKeys(codes) {
		all = append(all, entry{c, encodeCodePostings(codes[c]), codes[c]})
	}
	var werr error
	var write func(key string, es []entry)
	write = func(key string, es []entry) {
		size := 0
		docs := make(map[int32]bool)
		for _, e := range es {
			size += len(e.code) + len(e.postings) + 6
			for _, p := range e.ps {
				if !docs[p.doc] {
					docs[p.doc] = true
					size += cards[p.doc].size()
				}
			}
		}
		var err error
		if size > codeBucketTarget && len(key) < 8 {
			split := splitBucket{Split: []string{}}
			for i := 0; i < len(es); {
				sub := es[i].code[2 : 2+len(key)+1]
				j := i
				for j < len(es) && strings.HasPrefix(es[j].code[2:], sub) {
					j++
				}
				write(sub, es[i:j])
				split.Split = append(split.Split, sub)
				i = j
			}
			err = w.writeJSON("c/"+key, split)
		} else {
			b := codeBucket{Codes: make([][2]string, len(es)), Docs: make(map[string]card, len(docs))}
			for i, e := range es {
				b.Codes[i] = [2]string{e.code, e.postings}
			}
			for d := range docs {
				b.Docs[strconv.Itoa(int(d))] = cards[d]
			}
			err = w.writeJSON("c/"+key, b)
		}
		if err != nil && werr == nil {
			werr = err
		}
	}
	top := make([]byte, 1<<12/8)
	for i := 0; i < len(all); {
		key := all[i].code[2:5]
		j := i
		for j < len(all) && strings.HasPrefix(all[j].code[2:], key) {
			j++
		}
		write(key, all[i:j])
		n, err := strconv.ParseUint(key, 16, 12)
		if err != nil {
			return "", fmt.Errorf("code %s: %v", all[i].code, err)
		}
		top[n/8] |= 1 << (n % 8)
		i = j
	}
	return base64.StdEncoding.EncodeToString(top), werr
}

// splitBucket is a code bucket split into sub-buckets.
type splitBucket struct {
	Split []string `json:"split"`
}

// codeBucket is a code bucket that is not split. Docs is keyed by
// document number, in decimal; encoding/json writes the keys sorted.
type codeBucket struct {
	Codes [][2]string     `json:"codes"`
	Docs  map[string]card `json:"docs"`
}

// card is what a list of results shows of a document before its d/ file
// arrives: the fields of docFile a result's link, title and chips need.
type card struct {
	ID    string   `json:"id"`
	Title string   `json:"t"`
	Lang  string   `json:"l"`
	Codes []string `json:"c,omitempty"`
}

// size is about the bytes of c's JSON in a bucket, with its key.
func (c card) size() int {
	n := len(c.ID) + len(c.Title) + len(c.Lang) + 40
	for _, code := range c.Codes {
		n += len(code) + 3
	}
	return n
}

// writeFacets adds a filter file per value of a keyword field, f/<p><i>.json:
// a bitmap of the documents having it (bit n%8 of byte n/8 for doc n), in
// standard base64, as a JSON string; 1.7 KB per value at 10,000 documents.
func (ix *Index) writeFacets(r index.IndexReader, w *exportWriter, field, p string) ([]facet, error) {
	vals, err := dictPrefix(r, field, "")
	if err != nil {
		return nil, err
	}
	out := make([]facet, 0, len(vals))
	for i, v := range vals {
		docs, err := ix.termDocs(r, v, field)
		if err != nil {
			return nil, err
		}
		bits := make([]byte, (len(ix.ids)+7)/8)
		for _, d := range docs {
			bits[d/8] |= 1 << (d % 8)
		}
		if err := w.writeJSON("f/"+p+strconv.Itoa(i), base64.StdEncoding.EncodeToString(bits)); err != nil {
			return nil, err
		}
		out = append(out, facet{Name: v, Count: len(docs)})
	}
	return out, nil
}

// Postings are written as strings of variable-length numbers ("varints"):
// each number in groups of five bits, least significant first, one
// character per group from digits64, with 32 added to every group but the
// last. The alphabet needs no escaping in JSON or URLs.
//
// A term's postings are either
//
//	base (gap impact)…            the gap to each document from the one
//	                              before (the first from -1), and its
//	                              impact minus base, the smallest impact
//	~bitmap.base impact…          a bitmap of the documents, bit n%6 of
//	                              character n/6 for doc n, each character
//	                              a digits64 value; then base and the
//	                              impacts minus base in document order
//
// whichever is shorter. A code's postings are gap*2+primary per document.
// This is about a third of the size of JSON number arrays.
const digits64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"

func appendVarint(b []byte, v uint32) []byte {
	for v >= 32 {
		b = append(b, digits64[32|v&31])
		v >>= 5
	}
	return append(b, digits64[v])
}

// appendImpacts appends the encoding of ps, which must not be empty, to
// b. It is the only allocation per term in the export's inner loop, so
// it reuses b's storage.
func appendImpacts(b []byte, ps []docImpact) []byte {
	// Impacts are stored above the list's smallest, which usually
	// brings them under 32, one character.
	base := ps[0].impact
	for _, p := range ps {
		base = min(base, p.impact)
	}
	start := len(b)
	b = appendVarint(b, uint32(base))
	prev := int32(-1)
	for _, p := range ps {
		b = appendVarint(b, uint32(p.doc-prev))
		b = appendVarint(b, uint32(p.impact-base))
		prev = p.doc
	}
	gaps := len(b) - start
	// Dense lists (a common bigram is in most Japanese articles) are
	// smaller as a bitmap of the documents, six to a character, followed
	// by the impacts in document order.
	last := int(ps[len(ps)-1].doc)
	if last/6+1 >= gaps {
		return b
	}
	bm := make([]byte, 1+last/6+1, last/6+len(ps)*2+8)
	bm[0] = '~'
	for _, p := range ps {
		bm[1+p.doc/6] |= 1 << (p.doc % 6)
	}
	for i := 1; i < len(bm); i++ {
		bm[i] = digits64[bm[i]]
	}
	bm = append(bm, '.')
	bm = appendVarint(bm, uint32(base))
	for _, p := range ps {
		bm = appendVarint(bm, uint32(p.impact-base))
	}
	if len(bm) < gaps {
		return append(b[:start], bm...)
	}
	return b
}

func encodeCodePostings(ps []codePosting) string {
	var b []byte
	prev := int32(-1)
	for _, p := range ps {
		v := uint32(p.doc-prev) << 1
		if p.primary {
			v |= 1
		}
		b = appendVarint(b, v)
		prev = p.doc
	}
	return string(b)
}

// marshal encodes v as JSON without HTML escaping (the files are fetched,
// never inlined) so that titles keep their bytes; struct fields give a
// fixed key order, so the output is deterministic.
func marshal(v any) []byte {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only the package's own types reach here; they always encode.
		return []byte("null\n")
	}
	return []byte(b.String())
}

// versionOf hashes the names and contents of the files names below dir,
// in byte order of the names.
func versionOf(dir string, names []string) (string, error) {
	names = slices.Clone(names)
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return "", err
		}
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(data))))
		h.Write([]byte{0})
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
