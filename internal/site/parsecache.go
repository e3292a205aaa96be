package site

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/mapfile"
	"github.com/kbgen/kbgen/internal/markdown"
)

// The parse cache lets a load skip parsing and checking the articles that
// did not change, which is most of what loading an unchanged site of
// 10,000 articles costs (5.8 s of CPU). It is one file
// (LoadOptions.ParseCache, .kbgen/parse-cache for kbgen build and check)
// holding, for each Markdown file of the last load, the SHA-256 of its
// bytes and what parsing it gave (parsed: the page without its syntax
// tree, the file's diagnostics, its key positions). A file whose hash the
// cache holds is restored instead of parsed, as a compacted article
// (markdown.Doc.Compact: rendering parses the source again, as it does on
// every site above treeBudget).
//
// A file is not even read when the file system says it is the one the
// cache describes: the same size, modification and inode change times and
// inode number (its stamp, as git's index keeps one). It is then restored
// released (markdown.Doc.Release), as every article of a site above
// treeBudget is, and read again only if its page is rendered; reading and
// hashing 10,000 files took about 0.2 s of an edited rebuild's load. A
// stamp is recorded only for a regular file whose change time is at least
// stampSettle before the load began. Since the load reads the
// file after that, a write after the read sets a later change time, and
// the stamp no longer matches, even where the file system's clock is
// coarse; a file written so recently is hashed again on the next load. A
// file system that gives no change time (other systems, fs.FS values of
// tests) gets no stamps.
//
// A load that changed a few entries appends them to the file, rather than
// writing it anew: at 10,000 articles the file is 63 MB, and writing it
// took 35-64 ms in a one-article rebuild, on a goroutine beside the
// load's validation, which shares the machine's two cores with it. An
// appended entry replaces the one before it for the same file. The file is written anew when a load would leave more than a
// quarter of it replaced, when it holds a file the load does not keep, or
// when its appended entries do not decode to its end (an append cut short).
//
// A restored article is the one a parse would give, field for field; its
// strings share memory as a parse's do (a section's text is a substring of
// the body's text), so a restored site takes about the memory of a parsed
// compacted one (its Doc's source is a slice of the file as read, so the
// frontmatter stays in memory too). Of what compact drops, the code blocks' text is kept when
// the parse kept it (a site below treeBudget), though nothing after the
// schema check reads it.
//
// Correctness does not depend on the cache file. Every entry is keyed by
// the file's path and content hash under a salt of everything else a parse
// depends on: the kbgen executable (its code, its defaults), the site's
// whole configuration, whether trees are compacted, and parseCacheFormat.
// A missing, unreadable, corrupt (each entry carries a CRC-32C),
// other-format or other-salt file costs time, never output or an error,
// and a file that cannot be written is left as it was. The file is
// replaced by a rename, holding only the files of the load that wrote it,
// so it does not grow as articles come and go.

// parseCacheFormat changes whenever the parse cache file's layout or an
// entry's encoding changes. The executable is in the salt too, so this
// matters only to builds of the same source tree.
const parseCacheFormat = 6

// parseCacheMagic starts every parse cache file.
const parseCacheMagic = "kbgen parse cache\n"

// castagnoli is the CRC-32C table, which is hardware-accelerated.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// LoadOptions are the options of LoadWith. The zero value loads as Load
// does.
type LoadOptions struct {
	// ParseCache is the parse cache file (see parsecache.go). Empty means
	// no cache: every article is parsed, and no file is read or written.
	ParseCache string
	// Hollow lets the load make the articles that did not change from
	// the facts file beside the parse cache, without their text, when
	// what changed shows the other pages nothing new (see facts.go), and
	// makes it write that file. Only a Site that is built once may be
	// loaded so: not one that is updated (kbgen serve) or checked for
	// review warnings, which read every article's text.
	Hollow bool

	compact bool        // compact syntax trees whatever the site's size (tests)
	stamps  stampPolicy // which stamps are recorded (tests)
}

// stampPolicy says which files' stamps a load records: those that
// changed at least stampSettle before it, or, in tests, whose timing must
// not depend on the machine's speed, all of them or none.
type stampPolicy int

const (
	stampsSettled stampPolicy = iota
	stampsAll
	stampsNone
)

// stampSettle is how long before a load a file must have last changed for
// the parse cache to record its stamp. A second would do for the clocks
// of local file systems; two allow for a network file system's clock
// that runs a little behind this machine's.
const stampSettle = 2 * time.Second

// fileStamp is what the file system says of a file: enough to tell,
// without reading it, that it is the file read before (see above). The
// zero stamp matches no file.
type fileStamp struct {
	size, mtime, ctime int64
	ino                uint64
}

// stampOf returns the stamp of the file fi describes, or the zero stamp if
// it is not a regular file (a symbolic link's target can change under it)
// or the file system gives no change time.
func stampOf(fi fs.FileInfo) fileStamp {
	if !fi.Mode().IsRegular() {
		return fileStamp{}
	}
	return statStamp(fi)
}

// dirStamp returns the stamp of the directory dir (see ListSpare), or the
// zero stamp.
func dirStamp(dir string) fileStamp {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return fileStamp{}
	}
	return statStamp(fi)
}

// statStamp returns the stamp fi gives, whatever the kind of file, or the
// zero stamp if the file system gives no change time.
func statStamp(fi fs.FileInfo) fileStamp {
	ctime, ok := changeTime(fi)
	if !ok {
		return fileStamp{}
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: ctime, ino: inode(fi)}
}

// settled returns st if the file changed last before cutoff, else the
// zero stamp: a stamp that may be recorded.
func (st fileStamp) settled(cutoff int64) fileStamp {
	if st.ctime >= cutoff || st.mtime >= cutoff {
		return fileStamp{}
	}
	return st
}

// append appends the encoding of st to b.
func (st fileStamp) append(b []byte) []byte {
	b = binary.AppendVarint(b, st.size)
	b = binary.AppendVarint(b, st.mtime)
	b = binary.AppendVarint(b, st.ctime)
	return binary.AppendUvarint(b, st.ino)
}

// LoadStats are the figures of the load that made a Site.
type LoadStats struct {
	Files    int // Markdown files under content/
	Restored int // of Files, restored from the parse cache rather than parsed
	Hollow   int // of Restored, loaded hollow, from the facts file (see facts.go)
}

// parseCache is the parse cache of one load: what the file held, and what
// the load found, to be written back.
type parseCache struct {
	name   string
	exe    cachedFile // the executable, so that the next load need not hash it again
	exeSum cacheKey
	salt   cacheKey
	old    map[string]cacheEntry // the file's entries; nil unless its salt is salt
	same   bool                  // the file's header is the one this load writes
	layout parseCacheLayout      // of the file as read
	header []byte                // the file's bytes up to its entries, as read

	// cutoff is the time, in Unix nanoseconds, before which a file
	// must have last changed for its stamp to be recorded (stampSettle).
	cutoff int64
	// restamped is set when an entry is kept with a stamp other than
	// the file's: the file must be written for the new stamps.
	restamped atomic.Bool

	// This load's entries, by index into the files it loads.
	entries  []cacheEntry // a nil blob for a file that is not cached
	restored atomic.Int64
	// earlier holds, by index, the page the cache held for a file that
	// the load parsed because it changed (see keepEarlier).
	earlier []*Page
}

// cacheEntry is one file's entry in the parse cache.
type cacheEntry struct {
	sum   cacheKey  // SHA-256 of the file
	stamp fileStamp // the file's stamp when read; zero if not settled
	crc   uint32    // CRC-32C of blob and stamp (entryCRC)
	blob  []byte    // its parsed, encoded (encodeParsed)

	size  int  // bytes the entry takes in the file it was read from
	fresh bool // made by this load, not in the file as read: to be written
}

// entryCRC returns the CRC-32C of an entry's blob and stamp: a corrupt
// stamp must not match a file either.
func entryCRC(blob []byte, st fileStamp) uint32 {
	var b [4 * binary.MaxVarintLen64]byte
	return crc32.Update(crc32.Checksum(blob, castagnoli), castagnoli, st.append(b[:0]))
}

// openParseCache reads the parse cache file name for a load of s's files.
// It returns nil, for a load without the cache, only when there is
// nothing to key the cache by: the executable cannot be read.
//
// The file is mapped into memory rather than read (mapfile.Map), and the
// strings restored from it are its bytes (decoder.alias): at 10,000
// articles it is 60 MB, which took 0.17 s to read into fresh memory, and
// its strings were another 75 MB of allocation, most of it fresh pages,
// which this machine faults in one by one (1.2-1.4 µs each, zeroing
// included). The mapping is never unmapped, since the Site's strings are
// in it; a cache file is replaced by removing it and renaming the new one
// into place (mapfile.Replace), which leaves the mapped file whole.
func (s *Site) openParseCache(name string, files int) *parseCache {
	data, err := mapfile.Map(name)
	if err != nil {
		data = nil
	}
	prev, entries, layout, ok := decodeParseCache(data)
	var exe *buildCache
	if ok {
		exe = &buildCache{Exe: prev.exe, ExeSum: prev.exeSum}
	}
	c := &parseCache{name: name, entries: make([]cacheEntry, files), earlier: make([]*Page, files)}
	if c.exe, c.exeSum, err = executableSum(exe); err != nil {
		return nil
	}
	if c.salt, err = s.parseSalt(c.exeSum); err != nil {
		return nil
	}
	if ok && prev.salt == c.salt {
		c.old = entries
		c.same = prev.exe == c.exe
		c.layout = layout
		c.header = data[:layout.header]
	}
	return c
}

// parseSalt hashes what parsing a file depends on besides its path and
// content: the executable, the whole configuration (more than parsing
// reads, but a key that leaves out what a parse reads is a stale article,
// while one that holds too much only costs a parse after a rare change),
// and whether syntax trees are compacted (compact drops the code blocks).
func (s *Site) parseSalt(exe cacheKey) (cacheKey, error) {
	h := sha256.New()
	writeField(h, []byte(parseCacheMagic))
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], parseCacheFormat)
	h.Write(n[:])
	h.Write(exe[:])
	cfg, err := json.Marshal(s.Config)
	if err != nil {
		return cacheKey{}, err
	}
	writeField(h, cfg)
	if s.compact {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	var k cacheKey
	h.Sum(k[:0])
	return k, nil
}

// restoreStamped returns what parsing file i, name, gave, from the cache,
// if the cache holds it under the file's present stamp, without reading
// the file: the page is released (see release). It may be called from
// many goroutines at once, for different i.
func (c *parseCache) restoreStamped(s *Site, i int, name string, stamp fileStamp) (parsed, bool) {
	e, ok := c.old[name]
	if !ok || stamp == (fileStamp{}) || e.stamp != stamp || entryCRC(e.blob, e.stamp) != e.crc {
		return parsed{}, false
	}
	return c.use(s, i, name, nil, e)
}

// restore returns what parsing file i, name, with content src of hash sum
// gave, from the cache, if the cache holds it under that hash. It records
// the hash and stamp (settled) for the cache file the load writes, and the
// entry if it is used. It may be called from many goroutines at once, for
// different i.
func (c *parseCache) restore(s *Site, i int, name string, src []byte, sum cacheKey, stamp fileStamp) (parsed, bool) {
	c.entries[i].sum = sum
	c.entries[i].stamp = stamp
	e, ok := c.old[name]
	if !ok || e.sum != c.entries[i].sum || entryCRC(e.blob, e.stamp) != e.crc {
		return parsed{}, false
	}
	if e.stamp != stamp {
		e.stamp, e.crc = stamp, entryCRC(e.blob, stamp)
		e.fresh = true
		c.restamped.Store(true)
	}
	return c.use(s, i, name, src, e)
}

// use restores file i, name, from its entry e, as decodeParsed decodes it
// with src, and records e for the cache file the load writes. It reports
// false for an entry that does not decode, corrupt despite its CRC: the
// file is then read or parsed.
func (c *parseCache) use(s *Site, i int, name string, src []byte, e cacheEntry) (parsed, bool) {
	p, ok := s.decodeParsed(name, src, e.blob)
	if !ok {
		return parsed{}, false
	}
	if p.page != nil {
		p.page.fileSum = e.sum
	}
	c.entries[i] = e
	c.restored.Add(1)
	return p, true
}

// keepEarlier keeps the page the cache holds for file i, name, which the
// load is parsing again because its content changed: most likely the
// version the last build indexed for search, which lets that build's
// search update tell which of the article's terms did change (see
// search.Hashed.Update, which checks that it is that version). It may
// be called from many goroutines at once, for different i.
func (c *parseCache) keepEarlier(s *Site, i int, name string) {
	e, ok := c.old[name]
	if !ok || entryCRC(e.blob, e.stamp) != e.crc {
		return
	}
	if p, ok := s.decodeParsed(name, nil, e.blob); ok {
		c.earlier[i] = p.page
	}
}

// store records what parsing file i, name, with content src gave, for the
// cache file. It may be called from many goroutines at once, for
// different i.
func (c *parseCache) store(i int, name string, src []byte, p parsed) {
	if b, ok := encodeParsed(name, src, p); ok {
		c.entries[i].blob = b
		c.entries[i].crc = entryCRC(b, c.entries[i].stamp)
		c.entries[i].fresh = true
	}
}

// write replaces the cache file with the entries of this load's files,
// unless it already holds exactly them: an unchanged site costs no write.
// Where it can, it appends the entries that changed instead (see
// appendable).
func (c *parseCache) write(files []string) error {
	if c.same && int(c.restored.Load()) == len(files) && len(c.old) == len(files) && !c.restamped.Load() {
		return nil
	}
	if c.appendable(files) && c.append(files) == nil {
		return nil
	}
	return mapfile.Write(c.name, func(w io.Writer) error { return c.encode(w, files) })
}

// appendable reports whether the cache file as read can take this load's
// fresh entries at its end and then hold exactly the load's files, with
// no more than a quarter of it replaced entries.
func (c *parseCache) appendable(files []string) bool {
	if !c.same || !c.layout.whole {
		return false
	}
	kept, dead, added := 0, c.layout.dead, 0
	for i, e := range c.entries {
		old, ok := c.old[files[i]]
		if ok && e.blob != nil {
			kept++
		}
		if e.fresh && e.blob != nil {
			added += entrySize(files[i], e)
			if ok {
				dead += old.size
			}
		}
	}
	return kept == len(c.old) && dead <= (c.layout.size+added)/4
}

// append appends this load's fresh entries to the cache file, in one
// write, if the file is still the one the load read: the same header, so
// the same salt, and the same size, so that no other load appended since
// (its entries may be older than this load's). A write cut short leaves
// entries that do not decode to the end of the file, which the next load
// writes anew.
func (c *parseCache) append(files []string) error {
	var b []byte
	for i, e := range c.entries {
		if e.fresh && e.blob != nil {
			b = appendEntry(b, files[i], e)
			b = append(b, e.blob...)
		}
	}
	f, err := os.OpenFile(c.name, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != int64(c.layout.size) || !fi.Mode().IsRegular() {
		return errParseCacheChanged
	}
	head := make([]byte, len(c.header))
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head, c.header) {
		return errParseCacheChanged
	}
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Close()
}

// errParseCacheChanged is append's refusal: the file is written anew.
var errParseCacheChanged = errors.New("parse cache: changed since it was read")

// appendEntry appends what precedes the blob of e, the entry of file
// name, in the cache file: path, hash, stamp, CRC, the blob's length.
func appendEntry(b []byte, name string, e cacheEntry) []byte {
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = append(b, name...)
	b = append(b, e.sum[:]...)
	b = e.stamp.append(b)
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	return binary.AppendUvarint(b, uint64(len(e.blob)))
}

// entrySize returns the bytes e, the entry of file name, takes in the
// cache file.
func entrySize(name string, e cacheEntry) int {
	return len(appendEntry(nil, name, e)) + len(e.blob)
}

// encode writes the cache file: the magic, the format, the executable's
// description and hash, the salt, and the entries (path, hash, stamp, CRC,
// encoded parsed), counted; a later load may append more (see append). A
// corrupt path or hash matches no file; the CRC is checked when an entry
// is used, so that only the corrupt entries are lost, and in parallel.
func (c *parseCache) encode(w io.Writer, files []string) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b []byte
	b = append(b, parseCacheMagic...)
	b = binary.AppendUvarint(b, parseCacheFormat)
	b = binary.AppendVarint(b, c.exe.Size)
	b = binary.AppendVarint(b, c.exe.MTime)
	b = binary.AppendUvarint(b, c.exe.Inode)
	b = append(b, c.exeSum[:]...)
	b = append(b, c.salt[:]...)
	n := 0
	for _, e := range c.entries {
		if e.blob != nil {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for i, e := range c.entries {
		if e.blob == nil {
			continue
		}
		b = appendEntry(b, files[i], e)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		if _, err := bw.Write(e.blob); err != nil {
			return err
		}
		b = b[:0]
	}
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// parseCacheHeader is what a parse cache file says before its entries.
type parseCacheHeader struct {
	exe    cachedFile
	exeSum cacheKey
	salt   cacheKey
}

// parseCacheLayout is how a parse cache file's bytes are taken up: what
// decides whether the next load appends to it (see appendable).
type parseCacheLayout struct {
	header int  // bytes before the entries
	size   int  // bytes in all
	dead   int  // bytes of entries that a later one for the same file replaces
	whole  bool // the appended entries decode to the end of the file
}

// readParseCache reads the parse cache file name, as decodeParseCache
// decodes it.
func readParseCache(name string) (parseCacheHeader, map[string]cacheEntry, parseCacheLayout, bool) {
	data, err := os.ReadFile(name)
	if err != nil {
		return parseCacheHeader{}, nil, parseCacheLayout{}, false
	}
	return decodeParseCache(data)
}

// decodeParseCache decodes data, the content of a parse cache file. It
// reports false, with no entries, if it is of another format or its
// counted entries are not well-formed; appended entries are taken up to
// the first that does not decode. The entries' CRCs are checked when they
// are used. The entries' blobs are slices of data.
func decodeParseCache(data []byte) (parseCacheHeader, map[string]cacheEntry, parseCacheLayout, bool) {
	var h parseCacheHeader
	l := parseCacheLayout{size: len(data)}
	if !bytes.HasPrefix(data, []byte(parseCacheMagic)) {
		return h, nil, l, false
	}
	d := decoder{buf: data[len(parseCacheMagic):]}
	if d.uint() != parseCacheFormat {
		return h, nil, l, false
	}
	h.exe.Size = d.int64()
	h.exe.MTime = d.int64()
	h.exe.Inode = d.uint()
	copy(h.exeSum[:], d.next(len(h.exeSum)))
	copy(h.salt[:], d.next(len(h.salt)))
	n := d.count()
	l.header = len(data) - len(d.buf)
	// An entry takes at least 42 bytes: a corrupt count must not size
	// the map.
	entries := make(map[string]cacheEntry, min(n, len(d.buf)/42))
	// entry decodes one entry into entries and reports whether it could.
	entry := func() bool {
		left := len(d.buf)
		name := string(d.next(d.count()))
		var e cacheEntry
		copy(e.sum[:], d.next(len(e.sum)))
		e.stamp = fileStamp{size: d.int64(), mtime: d.int64(), ctime: d.int64(), ino: d.uint()}
		if b := d.next(4); b != nil {
			e.crc = binary.LittleEndian.Uint32(b)
		}
		e.blob = d.next(d.count())
		if d.bad {
			return false
		}
		e.size = left - len(d.buf)
		if old, ok := entries[name]; ok {
			l.dead += old.size
		}
		entries[name] = e
		return true
	}
	for range n {
		if !entry() {
			return h, nil, l, false
		}
	}
	for len(d.buf) > 0 && entry() {
	}
	l.whole = !d.bad
	return h, entries, l, true
}

// An entry's parsed is encoded field by field, rather than with
// encoding/gob, for two reasons: gob cannot reach the fields of a
// markdown.Doc that a restored one needs (where its source starts in the
// file), and it would decode every string as a copy of its own, where a
// parse makes the headings' and sections' texts substrings of the Doc's
// Text and shares one path string between all positions: 79 MB more at
// 10,000 articles, whose Texts are 38 MB. The encoder writes each string as a range of the
// Doc's Text when it lies in it, as a reference to an earlier string with
// the same bytes in memory, or in full; the decoder rebuilds the same
// sharing. TestParsedCodec fills every field of a parsed and wants it back,
// so a field added to an Article, a Doc or a diagnostic and forgotten here
// fails it.

// String kinds in an encoded parsed.
const (
	strEmpty = iota // ""
	strText         // a range of the Doc's Text: offset, length
	strRef          // an earlier string: its number
	strNew          // length, bytes; numbered in order, the path being 0
)

// encodeParsed encodes p, what parsing the file name with content src
// gave. It reports false when p cannot be restored from the encoding: its
// Doc's source is not the end of the file (which Parse guarantees), or
// goldmark could not parse the body (markdown.Doc.Restore).
func encodeParsed(name string, src []byte, p parsed) ([]byte, bool) {
	e := encoder{seen: map[stringID]int{{unsafe.StringData(name), len(name)}: 0}, n: 1}
	if p.page == nil {
		e.bool(false)
	} else {
		a := p.page.Article
		d := a.Doc
		body := d.Source()
		norm := article.Normalize(src)
		off := len(norm) - len(body)
		if off < 0 || !bytes.Equal(norm[off:], body) {
			return nil, false
		}
		// What markdown.Parse returns when goldmark panics; a parse of
		// plain text can look the same, and is not cached either.
		if len(d.Headings) == 0 && len(d.Links) == 0 && d.Text == string(body) {
			return nil, false
		}
		e.bool(true)
		e.uint(uint64(off))
		// What release keeps, so that a file restored by its stamp,
		// unread, is restored released.
		e.uint(uint64(len(body)))
		sum := sha256.Sum256(body)
		e.bytes(sum[:])
		e.string(d.Text)
		e.text = d.Text
		e.count(len(d.Headings), d.Headings == nil)
		for _, h := range d.Headings {
			e.int(h.Level)
			e.string(h.Text)
			e.string(h.ID)
			e.int(h.Line)
			e.int(h.Col)
			e.bool(h.Empty)
			e.string(h.Body)
		}
		e.count(len(d.Links), d.Links == nil)
		for _, l := range d.Links {
			e.string(l.Dest)
			e.string(l.Text)
			e.bool(l.Image)
			e.int(l.Line)
			e.int(l.Col)
			e.int(l.In)
		}

		e.string(p.page.URL)
		e.string(a.Path)
		fm := a.Frontmatter
		e.string(fm.Title)
		e.string(fm.ErrorText)
		e.strings(fm.Tags)
		t, err := fm.UpdatedAt.MarshalBinary()
		if err != nil {
			return nil, false
		}
		e.bytes(t)
		e.string(fm.Lang)
		e.codes(fm.Codes)
		e.bool(fm.Draft)
		e.count(len(a.Sections), a.Sections == nil)
		for _, s := range a.Sections {
			e.string(s.Heading)
			e.string(s.ID)
			e.pos(s.Pos)
			e.bool(s.Empty)
			e.string(s.Text)
		}
		e.codes(a.Codes)
		e.int(a.BodyLine)
		e.int(a.EndLine)
		e.buf = append(e.buf, p.page.searchSum[:]...)
		e.buf = append(e.buf, p.page.summarySum[:]...)
	}
	e.count(len(p.diags), p.diags == nil)
	for _, d := range p.diags {
		e.pos(d.Pos)
		e.int(int(d.Severity))
		e.string(d.Msg)
	}
	e.pos(p.keys.title)
	e.pos(p.keys.updatedAt)
	return e.buf, true
}

// strTables holds decoders' string tables for reuse. A table lives only
// while one entry is decoded, since the strings in it stay valid without
// it; growing a fresh one for each of 10,000 articles was 13 ms of a
// one-article rebuild's CPU (profiles of twelve), most of it in fresh
// memory.
var strTables = sync.Pool{New: func() any { return new([]string) }}

// decodeParsed decodes what encodeParsed encoded for the file name, whose
// content is src; a nil src, for a file restored by its stamp, gives a
// page released as release does. It reports false if blob is not a valid
// encoding.
func (s *Site) decodeParsed(name string, src, blob []byte) (parsed, bool) {
	tbl := strTables.Get().(*[]string)
	d := decoder{buf: blob, strs: append((*tbl)[:0], name), alias: true}
	defer func() {
		clear(d.strs)
		*tbl = d.strs[:0]
		strTables.Put(tbl)
	}()
	var p parsed
	if d.bool() {
		off := d.uint()
		bodyLen := d.uint()
		var bodySum cacheKey
		copy(bodySum[:], d.bytes())
		var norm []byte
		if src != nil {
			norm = article.Normalize(src)
			if off > uint64(len(norm)) || uint64(len(norm))-off != bodyLen {
				return parsed{}, false
			}
		} else if bodyLen > 1<<40 {
			return parsed{}, false
		}
		var parts markdown.Doc
		parts.Text = d.string()
		d.text = parts.Text
		if n, ok := d.slice(); ok {
			parts.Headings = make([]markdown.Heading, n)
			for i := range parts.Headings {
				h := &parts.Headings[i]
				h.Level = d.int()
				h.Text = d.string()
				h.ID = d.string()
				h.Line = d.int()
				h.Col = d.int()
				h.Empty = d.bool()
				h.Body = d.string()
			}
		}
		if n, ok := d.slice(); ok {
			parts.Links = make([]markdown.Link, n)
			for i := range parts.Links {
				l := &parts.Links[i]
				l.Dest = d.string()
				l.Text = d.string()
				l.Image = d.bool()
				l.Line = d.int()
				l.Col = d.int()
				l.In = d.int()
			}
		}

		pg := &Page{Article: &article.Article{}}
		pg.URL = d.string()
		a := pg.Article
		a.Path = d.string()
		a.Title = d.string()
		a.ErrorText = d.string()
		a.Tags = d.strings()
		if err := a.UpdatedAt.UnmarshalBinary(d.bytes()); err != nil {
			return parsed{}, false
		}
		a.Lang = d.string()
		a.Frontmatter.Codes = d.codes()
		a.Draft = d.bool()
		if n, ok := d.slice(); ok {
			a.Sections = make([]article.Section, n)
			for i := range a.Sections {
				s := &a.Sections[i]
				s.Heading = d.string()
				s.ID = d.string()
				s.Pos = d.pos()
				s.Empty = d.bool()
				s.Text = d.string()
			}
		}
		a.Codes = d.codes()
		a.BodyLine = d.int()
		a.EndLine = d.int()
		copy(pg.searchSum[:], d.next(len(pg.searchSum)))
		copy(pg.summarySum[:], d.next(len(pg.summarySum)))
		if src != nil {
			a.Doc = s.md.Restore(norm[off:], parts)
		} else {
			a.Doc = s.md.Restore(nil, parts)
			a.Doc.Release()
			pg.bodyLen, pg.bodySum = int(bodyLen), bodySum
		}
		p.page = pg
	}
	if n, ok := d.slice(); ok {
		p.diags = make(diag.List, n)
		for i := range p.diags {
			p.diags[i].Pos = d.pos()
			p.diags[i].Severity = diag.Severity(d.int())
			p.diags[i].Msg = d.string()
		}
	}
	p.keys.title = d.pos()
	p.keys.updatedAt = d.pos()
	if d.bad || len(d.buf) != 0 {
		return parsed{}, false
	}
	return p, true
}

// stringID identifies a string by where its bytes are.
type stringID struct {
	p *byte
	n int
}

// encoder appends the encoding of a parsed to buf.
type encoder struct {
	buf  []byte
	text string           // the Doc's Text, once written
	seen map[stringID]int // strings written in full, by their bytes' address → number
	n    int              // strings numbered so far

	// w, if set, is where spill writes what the encoder holds, and err
	// the first error writing it (the build cache file, see encodeCache).
	w   io.Writer
	err error
}

func (e *encoder) uint(u uint64) { e.buf = binary.AppendUvarint(e.buf, u) }
func (e *encoder) int(i int)     { e.int64(int64(i)) }
func (e *encoder) int64(i int64) { e.buf = binary.AppendVarint(e.buf, i) }

func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// count writes the length of a slice, telling a nil slice from an empty
// one, as a fresh parse may give either.
func (e *encoder) count(n int, isNil bool) {
	if isNil {
		e.uint(0)
	} else {
		e.uint(uint64(n) + 1)
	}
}

func (e *encoder) bytes(b []byte) {
	e.uint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// string writes s so that the decoder gives back a string that shares
// memory with the same strings as s does. Comparing addresses is all the
// unsafe package is used for: nothing is read or written through them.
func (e *encoder) string(s string) {
	if s == "" {
		e.uint(strEmpty)
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if e.text != "" {
		t := uintptr(unsafe.Pointer(unsafe.StringData(e.text)))
		if p >= t && p+uintptr(len(s)) <= t+uintptr(len(e.text)) {
			e.uint(strText)
			e.uint(uint64(p - t))
			e.uint(uint64(len(s)))
			return
		}
	}
	id := stringID{unsafe.StringData(s), len(s)}
	if n, ok := e.seen[id]; ok {
		e.uint(strRef)
		e.uint(uint64(n))
		return
	}
	e.seen[id] = e.n
	e.n++
	e.uint(strNew)
	e.bytes([]byte(s))
}

func (e *encoder) strings(ss []string) {
	e.count(len(ss), ss == nil)
	for _, s := range ss {
		e.string(s)
	}
}

func (e *encoder) codes(cs []errcode.Code) {
	e.count(len(cs), cs == nil)
	for _, c := range cs {
		e.string(string(c))
	}
}

func (e *encoder) pos(p diag.Pos) {
	e.string(p.File)
	e.int(p.Line)
	e.int(p.Col)
}

// decoder reads what an encoder wrote, or a cache file's header. A read
// past the end or of an invalid value sets bad and returns zero values, so
// that callers check once at the end.
type decoder struct {
	buf  []byte
	bad  bool
	text string   // the Doc's Text, once read
	strs []string // strings read in full, by number (see strTables)
	// alias makes the strings read in full share buf's bytes rather
	// than copy them: buf must then never change (see openParseCache).
	alias bool
}

// str returns b as a string, sharing its bytes if d aliases.
func (d *decoder) str(b []byte) string {
	if d.alias && len(b) > 0 {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

func (d *decoder) uint() uint64 {
	u, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.bad = true
		d.buf = nil
		return 0
	}
	d.buf = d.buf[n:]
	return u
}

func (d *decoder) int() int { return int(d.int64()) }

func (d *decoder) int64() int64 {
	i, n := binary.Varint(d.buf)
	if n <= 0 {
		d.bad = true
		d.buf = nil
		return 0
	}
	d.buf = d.buf[n:]
	return i
}

func (d *decoder) bool() bool {
	b := d.next(1)
	if len(b) == 0 {
		return false
	}
	if b[0] > 1 {
		d.bad = true
	}
	return b[0] == 1
}

// next returns the next n bytes.
func (d *decoder) next(n int) []byte {
	if n < 0 || n > len(d.buf) {
		d.bad = true
		d.buf = nil
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

// count reads a length that cannot exceed what is left to read: every
// element or byte it counts takes at least a byte.
func (d *decoder) count() int {
	u := d.uint()
	if u > uint64(len(d.buf)) {
		d.bad = true
		d.buf = nil
		return 0
	}
	return int(u)
}

// slice reads what encoder.count wrote: whether the slice is non-nil, and
// its length.
func (d *decoder) slice() (int, bool) {
	u := d.uint()
	if u == 0 {
		return 0, false
	}
	if u-1 > uint64(len(d.buf)) {
		d.bad = true
		d.buf = nil
		return 0, false
	}
	return int(u - 1), true
}

func (d *decoder) bytes() []byte { return d.next(d.count()) }

func (d *decoder) string() string {
	switch d.uint() {
	case strEmpty:
		return ""
	case strText:
		off, n := d.uint(), d.uint()
		if off > uint64(len(d.text)) || n > uint64(len(d.text))-off {
			d.bad = true
			return ""
		}
		return d.text[off : off+n]
	case strRef:
		n := d.uint()
		if n >= uint64(len(d.strs)) {
			d.bad = true
			return ""
		}
		return d.strs[n]
	case strNew:
		s := d.str(d.bytes())
		d.strs = append(d.strs, s)
		return s
	}
	d.bad = true
	return ""
}

func (d *decoder) strings() []string {
	n, ok := d.slice()
	if !ok {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.string()
	}
	return ss
}

func (d *decoder) codes() []errcode.Code {
	n, ok := d.slice()
	if !ok {
		return nil
	}
	cs := make([]errcode.Code, n)
	for i := range cs {
		cs[i] = errcode.Code(d.string())
	}
	return cs
}

func (d *decoder) pos() diag.Pos {
	return diag.Pos{File: d.string(), Line: d.int(), Col: d.int()}
}
