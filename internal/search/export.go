package search

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	index "github.com/blevesearch/bleve_index_api"
)

// formatVersion is the version of the exported files and of the analysis
// behind them. search.js refuses an index.json of another format, and Open
// refuses an index built with another, so a change here forces a rebuild.
const formatVersion = 1

// Size targets of the exported files, in bytes before compression. Shard
// counts and code buckets are chosen from the data so that a typical file
// is about this size: small enough that a query downloads little beyond
// the postings it needs, large enough that a site does not become tens of
// thousands of tiny files.
const (
	termShardTarget  = 4 << 10
	codeBucketTarget = 2 << 10
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
// layout is described in the package documentation.
func (ix *Index) Export(dir string) (string, error) {
	files, err := ix.exportFiles()
	if err != nil {
		return "", fmt.Errorf("export search index: %w", err)
	}
	version := versionOf(files)
	return version, writeExport(dir, version, files)
}

// ExportAs writes the export as Export does, under a version the caller
// computed beforehand with Version, so that pages naming the version can
// be written while the index is still being built.
func (ix *Index) ExportAs(dir, version string) error {
	files, err := ix.exportFiles()
	if err != nil {
		return fmt.Errorf("export search index: %w", err)
	}
	return writeExport(dir, version, files)
}

// Version returns the version ExportAs should use for an index of docs: a
// hash of everything the export is derived from (every field of every
// document, in order) and of the format. The same documents always give
// the same version, and different documents a different one.
func Version(docs []Doc) string {
	h := sha256.New()
	str := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	str(fmt.Sprintf("kbgen search export format %d", formatVersion))
	for _, d := range docs {
		str(d.ID)
		str(d.Title)
		str(d.ErrorText)
		str(d.Lang)
		str(strings.Join(d.Tags, "\x00"))
		for _, c := range d.Codes {
			str(string(c))
		}
		str(strings.Join(d.Headings, "\x00"))
		str(d.Body)
		str(d.Summary)
		str(d.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// writeExport writes files into dir/version, through a temporary directory
// so that a reader never sees half an export.
func writeExport(dir, version string, files map[string][]byte) error {
	final := filepath.Join(dir, version)
	if _, err := os.Stat(filepath.Join(final, "index.json")); err == nil {
		return nil
	}
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("export search index: %w", err)
	}
	for _, name := range sortedKeys(files) {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("export search index: %w", err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("export search index: %w", err)
		}
	}
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("export search index: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("export search index: %w", err)
	}
	return nil
}

// manifest is index.json, the one file every search loads first.
type manifest struct {
	Format int      `json:"format"`
	Docs   int      `json:"docs"`
	Terms  int      `json:"terms"` // shards of terms of two or more runes: t/<n>.json
	Chars  int      `json:"chars"` // shards of one-rune terms: u/<n>.json
	Split  []string `json:"split"` // term prefixes whose terms are sharded by a longer key (see shardKey)
	Codes  []string `json:"codes"` // code bucket keys, hex prefixes: c/<key>.json
	Langs  []facet  `json:"langs"` // f/l<i>.json
	Tags   []facet  `json:"tags"`  // f/t<i>.json
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

// exportFiles returns every exported file by its slash-separated name.
func (ix *Index) exportFiles() (map[string][]byte, error) {
	r, err := ix.reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	files := make(map[string][]byte)
	m := manifest{Format: formatVersion, Docs: len(ix.ids)}

	// Text terms, two families so that the long posting lists of single
	// CJK characters, needed only for one-character queries, never share
	// a shard with the bigrams every Japanese query fetches.
	terms, err := ix.allTerms(r)
	if err != nil {
		return nil, err
	}
	entries, err := ix.termEntries(terms)
	if err != nil {
		return nil, err
	}
	var multi, single []termEntry
	for _, e := range entries {
		if utf8.RuneCountInString(e.term) == 1 {
			single = append(single, e)
		} else {
			multi = append(multi, e)
		}
	}
	m.Terms = writeShards(files, "t", multi, ix.split)
	m.Chars = writeShards(files, "u", single, ix.split)
	m.Split = ix.stats.Split

	// Codes.
	codes, err := ix.codePostings(r)
	if err != nil {
		return nil, err
	}
	m.Codes = writeCodeBuckets(files, codes)

	// Filters.
	if m.Langs, err = ix.writeFacets(r, files, fLang, "l"); err != nil {
		return nil, err
	}
	if m.Tags, err = ix.writeFacets(r, files, fTags, "t"); err != nil {
		return nil, err
	}

	// Documents.
	for n := range ix.ids {
		d, err := ix.storedDoc(r, int32(n))
		if err != nil {
			return nil, err
		}
		df := docFile{ID: d.id, Title: d.title, Lang: d.lang, Tags: d.tags,
			Summary: d.summary, Excerpt: d.excerpt, Updated: d.updated}
		if d.errorText != d.title {
			df.ErrorText = d.errorText
		}
		for _, c := range d.codes {
			df.Codes = append(df.Codes, string(c))
		}
		files["d/"+strconv.Itoa(n)+".json"] = marshal(df)
	}
	files["index.json"] = marshal(m)
	return files, nil
}

// allTerms returns the union of the text fields' terms in byte order.
func (ix *Index) allTerms(r index.IndexReader) ([]string, error) {
	set := make(map[string]bool)
	for _, f := range textFields {
		fd, err := r.FieldDict(f)
		if err != nil {
			return nil, err
		}
		for {
			e, err := fd.Next()
			if err != nil {
				fd.Close()
				return nil, err
			}
			if e == nil {
				break
			}
			set[e.Term] = true
		}
		fd.Close()
	}
	return sortedKeys(set), nil
}

type termEntry struct {
	term     string
	postings string
}

// termEntries encodes the postings of terms, in order. Reading and scoring
// the postings is most of Export's work, so it is spread over GOMAXPROCS
// goroutines, each with its own index reader.
func (ix *Index) termEntries(terms []string) ([]termEntry, error) {
	out := make([]termEntry, len(terms))
	workers := min(runtime.GOMAXPROCS(0), len(terms)/256+1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r, err := ix.reader()
			if err != nil {
				errs[w] = err
				return
			}
			defer r.Close()
			for i := w; i < len(terms); i += workers {
				ps, err := ix.impacts(r, terms[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = termEntry{term: terms[i], postings: encodeImpacts(ps)}
			}
		}(w)
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// writeShards adds family/<n>.json files holding es and returns the shard
// count: the power of two that brings the average shard near
// termShardTarget. A shard is a JSON array of [term, postings] pairs in
// byte order of the terms.
func writeShards(files map[string][]byte, family string, es []termEntry, split splitSet) int {
	total := 0
	for _, e := range es {
		total += len(e.term) + len(e.postings) + 6
	}
	shards := 1
	for shards < maxTermShards && total/shards > termShardTarget {
		shards *= 2
	}
	buckets := make([][][2]string, shards)
	for _, e := range es {
		s := shardOf(e.term, shards, split)
		buckets[s] = append(buckets[s], [2]string{e.term, e.postings})
	}
	for i, b := range buckets {
		if b == nil {
			b = [][2]string{}
		}
		files[family+"/"+strconv.Itoa(i)+".json"] = marshal(b)
	}
	return shards
}

// codePosting is one document carrying a code.
type codePosting struct {
	doc     int32
	primary bool
}

// codePostings returns the carriers of every code, by canonical code.
func (ix *Index) codePostings(r index.IndexReader) (map[string][]codePosting, error) {
	out := make(map[string][]codePosting)
	codes, err := dictPrefix(r, fCodes, "")
	if err != nil {
		return nil, err
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

// writeCodeBuckets adds c/<key>.json files and returns their keys. Codes
// are bucketed by the first three hex digits (the shortest prefix
// errcode.ParsePrefix accepts), and a bucket larger than codeBucketTarget
// is split by the next digit, recursively: real code sets cluster
// (0x8007…, 0xC004…), so fixed buckets would be either many tiny files or a
// few large ones. The keys form a prefix-free set; a code's bucket is the
// key that is a prefix of its hex digits, and a code prefix needs the
// buckets it starts or that start with it. A bucket is a JSON array of
// [code, postings] pairs in code order.
func writeCodeBuckets(files map[string][]byte, codes map[string][]codePosting) []string {
	type entry struct{ code, postings string }
	var all []entry
	for _, c := range sortedKeys(codes) {
		all = append(all, entry{c, encodeCodePostings(codes[c])})
	}
	var keys []string
	var split func(key string, es []entry)
	split = func(key string, es []entry) {
		size := 0
		for _, e := range es {
			size += len(e.code) + len(e.postings) + 6
		}
		if size > codeBucketTarget && len(key) < 8 {
			for i := 0; i < len(es); {
				sub := es[i].code[2 : 2+len(key)+1]
				j := i
				for j < len(es) && strings.HasPrefix(es[j].code[2:], sub) {
					j++
				}
				split(sub, es[i:j])
				i = j
			}
			return
		}
		b := make([][2]string, len(es))
		for i, e := range es {
			b[i] = [2]string{e.code, e.postings}
		}
		files["c/"+key+".json"] = marshal(b)
		keys = append(keys, key)
	}
	for i := 0; i < len(all); {
		key := all[i].code[2:5]
		j := i
		for j < len(all) && strings.HasPrefix(all[j].code[2:], key) {
			j++
		}
		split(key, all[i:j])
		i = j
	}
	if keys == nil {
		keys = []string{}
	}
	return keys
}

// writeFacets adds a filter file per value of a keyword field, f/<p><i>.json:
// a bitmap of the documents having it (bit n%8 of byte n/8 for doc n), in
// standard base64, as a JSON string; 1.7 KB per value at 10,000 documents.
func (ix *Index) writeFacets(r index.IndexReader, files map[string][]byte, field, p string) ([]facet, error) {
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
		files["f/"+p+strconv.Itoa(i)+".json"] = marshal(base64.StdEncoding.EncodeToString(bits))
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

func encodeImpacts(ps []docImpact) string {
	// Impacts are stored above the list's smallest, which usually
	// brings them under 32, one character.
	base := ps[0].impact
	for _, p := range ps {
		base = min(base, p.impact)
	}
	gaps := appendVarint(make([]byte, 0, len(ps)*3), uint32(base))
	prev := int32(-1)
	for _, p := range ps {
		gaps = appendVarint(gaps, uint32(p.doc-prev))
		gaps = appendVarint(gaps, uint32(p.impact-base))
		prev = p.doc
	}
	// Dense lists (a common bigram is in most Japanese articles) are
	// smaller as a bitmap of the documents, six to a character, followed
	// by the impacts in document order.
	last := int(ps[len(ps)-1].doc)
	if last/6+1 >= len(gaps) {
		return string(gaps)
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
	if len(bm) < len(gaps) {
		return string(bm)
	}
	return string(gaps)
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

// versionOf hashes the files' names and contents.
func versionOf(files map[string][]byte) string {
	h := sha256.New()
	for _, name := range sortedKeys(files) {
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(files[name]))))
		h.Write([]byte{0})
		h.Write(files[name])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
