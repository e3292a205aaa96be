package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"unsafe"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/mapfile"
)

// A rebuild after an edit needs of most articles only what the other
// pages show of them, but a load with the parse cache restores, checks
// and resolves the links of every article that did not change. So a load
// that may (LoadOptions.Hollow, kbgen build) also writes the facts file:
// for every article of a load without a single problem, its frontmatter,
// URL and codes, the files its links name that are not articles, and the
// hashes of its file, its search document, its summary (summarySum) and
// where its links resolve to (linksSum), 3.9 MB
// at 10,000 generated articles, beside the parse cache (ParseCache +
// ".facts"). Loading the articles that did not change from it took a
// one-article rebuild there from medians of 417.5 and 425 ms to 363.5 and
// 345 ms, and from 690 and 705 ms of CPU to 590 and 585 ms (fourteen
// alternating edits on two copies of the site, the binaries swapped
// between the rounds).
//
// The next such load parses, or restores, the files whose stamps the
// parse cache does not hold unchanged, or whose entry there is not the
// version the facts describe (kbgen check, which writes no facts, may
// have replaced it), as before. If each of those is an article the facts
// name, without a problem, with the same URL, draft flag and summary, no
// article was added or removed, and every file the other articles' links
// name is still there, nothing another page or file shows of any article
// changed, and every other article is loaded hollow: made from its facts,
// without its text (Page.entry). Its own problems were none and depend on
// its file and the configuration only, those of its links on the other
// articles' URLs and drafts and on those files only, so the load's
// diagnostics are the same. Otherwise the others are restored as before,
// and only the time of reading the facts is lost.
//
// A build keeps a hollow article's page by its dependencies (articleDep
// needs only linksSum of its links); if it must make the page after all (a
// template changed, the page is missing), it restores the article from
// its parse cache entry first (fill). The search reads a hollow article's
// document only if it must index it again (search.Hashed.Complete). The
// site's output is the same as after a full load (tested by
// TestHollowLoad).
//
// Correctness does not depend on the facts file: it is keyed by the parse
// cache's salt (the executable, the configuration), carries a CRC-32C,
// and must name exactly the load's files, in order; a file of another
// salt, format or content is ignored.

// factsFormat changes whenever the facts file's layout changes.
const factsFormat = 2

// factsMagic starts every facts file.
const factsMagic = "kbgen article facts\n"

// fact is what the facts file holds of one article.
type fact struct {
	path, url, lang, title, errorText string
	updatedAt                         []byte // time.Time.MarshalBinary
	tags                              []string
	codes, frontCodes                 []errcode.Code
	files                             []string // linkTarget.file of its links
	draft                             bool
	fileSum, searchSum, summarySum    cacheKey
	linksSum                          cacheKey

	raw []byte // the record as read, which encodeFacts copies for a hollow page
}

// factsPath is the facts file of the parse cache file name.
func factsPath(parseCache string) string { return parseCache + ".facts" }

// encodeFacts encodes the facts of the articles of files, in that order,
// under salt; ok is false if a file has no article. old is the facts the
// load read, for the same files, or nil: a page loaded hollow, which only
// a load with facts makes, gets its record copied from them (encoding
// every record took 7-11 ms at 10,000 generated articles); without them
// it cannot be encoded, and ok is false.
func (s *Site) encodeFacts(salt cacheKey, files []string, old []fact) (data []byte, ok bool) {
	size := 400 * len(files) // 390 bytes an article at 10,000 generated ones
	if old != nil {
		// Most records are copied: their size, and a little for the rest,
		// in one allocation rather than a few as the file grows (a few
		// MB of fresh memory, each page a fault).
		size = 1 << 10
		for i := range old {
			size += len(old[i].raw) + 16
		}
	}
	b := make([]byte, 0, size)
	b = append(b, factsMagic...)
	b = binary.AppendUvarint(b, factsFormat)
	b = append(b, salt[:]...)
	b = binary.AppendUvarint(b, uint64(len(files)))
	str := func(x string) {
		b = binary.AppendUvarint(b, uint64(len(x)))
		b = append(b, x...)
	}
	strs := func(l []string) {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, x := range l {
			str(x)
		}
	}
	codes := func(cs []errcode.Code) {
		b = binary.AppendUvarint(b, uint64(len(cs)))
		for _, c := range cs {
			str(string(c))
		}
	}
	for i, f := range files {
		p := s.byFile[f]
		if p == nil {
			return nil, false
		}
		if p.entry != nil {
			if old == nil {
				return nil, false
			}
			b = append(b, old[i].raw...)
			continue
		}
		t, err := p.UpdatedAt.MarshalBinary()
		if err != nil {
			return nil, false
		}
		str(p.Path)
		str(p.URL)
		str(p.Lang)
		str(p.Title)
		str(p.ErrorText)
		str(string(t))
		strs(p.Tags)
		codes(p.Codes)
		codes(p.Frontmatter.Codes)
		strs(s.linkFiles(p))
		if p.Draft {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		ls := s.linksSum(p)
		for _, k := range []cacheKey{p.fileSum, p.searchSum, p.summarySum, ls} {
			b = append(b, k[:]...)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), true
}

// decodeFacts decodes a facts file written under salt for files, in that
// order; ok is false if it is not one. The facts' strings share data's
// bytes, which must then never change, as a mapped file's do not (see
// mapfile): made strings of their own, the 100,000 or so of a 10,000
// article site were most of the decoding's time.
func decodeFacts(data []byte, salt cacheKey, files []string) (facts []fact, ok bool) {
	if len(data) < len(factsMagic)+4 || !bytes.HasPrefix(data, []byte(factsMagic)) {
		return nil, false
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, false
	}
	b := body[len(factsMagic):]
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b = b[n:]
		return v
	}
	field := func() []byte {
		n := uv()
		if bad || n > uint64(len(b)) {
			bad = true
			return nil
		}
		x := b[:n:n]
		b = b[n:]
		return x
	}
	str := func() string {
		if x := field(); len(x) > 0 {
			return unsafe.String(&x[0], len(x))
		}
		return ""
	}
	key := func() (k cacheKey) {
		if len(b) < len(k) {
			bad = true
			return k
		}
		copy(k[:], b)
		b = b[len(k):]
		return k
	}
	list := func() int {
		n := uv()
		if n > uint64(len(b)) {
			bad = true
			return 0
		}
		return int(n)
	}
	strs := func() []string {
		n := list()
		if n == 0 {
			return nil
		}
		l := make([]string, n)
		for i := range l {
			l[i] = str()
		}
		return l
	}
	codes := func() []errcode.Code {
		n := list()
		if n == 0 {
			return nil
		}
		cs := make([]errcode.Code, n)
		for i := range cs {
			cs[i] = errcode.Code(str())
		}
		return cs
	}
	if uv() != factsFormat || key() != salt || uv() != uint64(len(files)) || bad {
		return nil, false
	}
	facts = make([]fact, len(files))
	for i := range facts {
		f := &facts[i]
		record := b
		f.path, f.url, f.lang, f.title, f.errorText = str(), str(), str(), str(), str()
		f.updatedAt = field() // only read (hollow)
		f.tags = strs()
		f.codes, f.frontCodes = codes(), codes()
		f.files = strs()
		if len(b) == 0 {
			return nil, false
		}
		f.draft, b = b[0] == 1, b[1:]
		f.fileSum, f.searchSum, f.summarySum, f.linksSum = key(), key(), key(), key()
		if bad || f.path != files[i] {
			return nil, false
		}
		f.raw = record[:len(record)-len(b)]
	}
	if len(b) != 0 {
		return nil, false
	}
	return facts, true
}

// hollow returns the page of f, loaded hollow from the parse cache entry
// entry, or nil if f does not decode.
func (f *fact) hollow(entry []byte) *Page {
	a := &article.Article{Path: f.path, Codes: f.codes}
	a.Title, a.ErrorText, a.Tags, a.Lang, a.Draft = f.title, f.errorText, f.tags, f.lang, f.draft
	a.Frontmatter.Codes = f.frontCodes
	if err := a.UpdatedAt.UnmarshalBinary(f.updatedAt); err != nil {
		return nil
	}
	return &Page{Article: a, URL: f.url, fileSum: f.fileSum, searchSum: f.searchSum, summarySum: f.summarySum,
		entry: entry, linksSum: f.linksSum}
}

// linkFiles returns the files under content/ that p's links name and
// that are not articles (linkTarget.file), in link order.
func (s *Site) linkFiles(p *Page) []string {
	var files []string
	for _, t := range s.linkTargets(p) {
		if t.file != "" {
			files = append(files, t.file)
		}
	}
	return files
}

// same reports whether p, parsed or restored again, shows the other pages
// what f recorded of it: its URL, draft flag and summary.
func (f *fact) same(p *Page) bool {
	return p != nil && p.URL == f.url && p.Draft == f.draft && p.summarySum == f.summarySum && f.summarySum != (cacheKey{})
}

// writeFacts replaces the facts file name with data, as the other caches
// are replaced (mapfile.Write).
func writeFacts(name string, data []byte) error {
	return mapfile.Write(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// fill returns the article of p restored in full, for a build that must
// make its page or index its document after all: p itself unless p was
// loaded hollow, else a new Page restored from its parse cache entry, or
// parsed from its file if the entry does not decode. The hollow page is
// not changed, as other goroutines read it.
func (s *Site) fill(p *Page) (*Page, error) {
	if p.entry == nil {
		return p, nil
	}
	full, ok := s.decodeParsed(p.Path, nil, p.entry)
	if !ok || full.page == nil {
		src, err := fs.ReadFile(s.FS, p.Path)
		if err != nil {
			return nil, err
		}
		if cacheKey(sha256.Sum256(src)) != p.fileSum {
			return nil, fmt.Errorf("%s changed during the build", p.Path)
		}
		if full = s.parse(p.Path, src, p.fileSum); full.page == nil {
			return nil, fmt.Errorf("%s changed during the build", p.Path)
		}
		if s.compact {
			release(full.page)
		}
	}
	q := full.page
	q.fileSum, q.searchSum, q.summarySum = p.fileSum, p.searchSum, p.summarySum
	return q, nil
}
