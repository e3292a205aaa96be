package search

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/kbgen/kbgen/internal/errcode"
)

// Doc is what the index holds of one article. The site fills it from the
// parsed article; only ID is required.
type Doc struct {
	ID        string // stable key: the article's URL path without the base, "ja/kms-activation-0xc004f074/"
	Title     string
	ErrorText string // the verbatim error message, searched with weight 2
	Lang      string // "ja", "en": a filter, not a separate index, so a code finds articles in every language
	Tags      []string
	Codes     []errcode.Code // the codes the article carries, primary first (article.Article.Codes)
	Headings  []string       // heading texts, all levels
	Body      string         // plain text of the body, for matching
	Summary   string         // plain text of the first section, shown in results
	UpdatedAt time.Time
}

// Field names in the bleve mapping. The text fields are listed in
// textFields in the order of fieldWeight.
const (
	fTitle     = "title"
	fErrorText = "errorText"
	fHeadings  = "headings"
	fBody      = "body"
	fCodes     = "codes"   // keyword, canonical codes
	fPrimary   = "primary" // keyword, Codes[0]
	fTags      = "tags"    // keyword
	fLang      = "lang"    // keyword
	fSummary   = "summary" // stored only
	fExcerpt   = "excerpt" // stored only: the start of Body, for snippets
	fUpdated   = "updated" // stored only: YYYY-MM-DD
)

var textFields = [...]string{fTitle, fErrorText, fHeadings, fBody}

// Snippet source sizes, in runes. They bound what the browser downloads per
// result shown (docs/<n>.json), so a code query stays small.
const (
	summaryRunes = 160
	excerptRunes = 320
)

// batchSize is the number of documents per bleve batch. bleve holds the
// analysis of a whole batch until it has made the batch's segment, about
// 0.7 MB per generated article (token frequencies and CJK bigrams), so a
// batch of 1,000 held 700 MB at the peak of a 100,000-article build, on
// top of the site; 250 costs 4% more CPU than 1,000 at 10,000 articles
// (more segments to merge). See BenchmarkBuild.
const batchSize = 250

// statsKey is the bleve internal key under which Build stores the field
// statistics the scorer needs and bleve does not keep.
var statsKey = []byte("kbgen:stats")

// stats are per-index numbers that enter every impact.
type stats struct {
	Format int                      `json:"format"`
	Docs   int                      `json:"docs"`
	AvgLen [len(textFields)]float64 `json:"avgLen"` // mean analysed length of each text field over all documents
	Split  []string                 `json:"split"`  // see splitOf
}

// Index is an open search index. Its methods are safe for concurrent use;
// Close must not be called concurrently with the others.
type Index struct {
	bi    bleve.Index
	snap  index.IndexReader // the snapshot every read uses: see pin
	ids   []string          // document IDs by doc number: the IDs in byte order
	num   map[string]int32  // bleve internal ID → doc number
	stats stats
	split splitSet // stats.Split

	// For the export's state (see exportState): the documents' hashes,
	// if the index was made by Update, and the text terms of those it
	// (re)indexed, by ID.
	sums  map[string][32]byte
	fresh map[string][]string
	// last holds the documents the index was last built or updated
	// with, as given (or, for an index Hashed.Update just opened, those
	// of them its caller knew), and byID their positions, made when
	// first needed. before holds, after an update kept open
	// (Index.Update) or given the earlier versions (Hashed.Update) that
	// changed or removed a few documents, what the index held of them
	// before, by ID (see priors): with it the export knows exactly which
	// terms' frequencies and impacts moved (see edit.stale and narrow).
	last []Doc
	byID map[string]int
	// keysDue is set once an update has forgotten the hashes and
	// statistics on disk, for Close to write them.
	keysDue bool
	before  map[string]*prior
	// shards holds term shards the last delta exports over earlier ones
	// made again, decoded, by name (see previousShard).
	shards map[string]cachedShard
	path   string       // the index's directory, or "" in memory
	dfs    []termDF     // the terms' document frequencies, if computed (see termDFs)
	prev   *exportState // the last export's state, if Update read it
	lens   []uint32     // the documents' field lengths, if known (see exportState.Lens)
	state  *exportState // the state of ExportAs's last export, for Close to write and the next export to start from
	edited *edit        // what the last update's finish worked out had changed since prev, for the export to take over

	// failed receives the errors of scorch's persister for an index
	// opened from disk (openBleve), and pending are the batches committed
	// since that it has not reported persisted (see commit).
	failed  chan error
	pending []chan error

	tableSegs         []segInfo // the segments of the snapshot the doc table was made for (see updateDocTable)
	segments, deleted int       // the pinned snapshot's segments and deleted documents (see mergeWhen)
	segOnce           sync.Once
	segs              [][]int32 // see segDocs

	lastDelta   bool         // whether the last ExportAs exported from a state, for tests
	lastDFs     bool         // whether the last Update read the terms' frequencies from a state (dfsFrom), for tests
	lastRead    int          // terms whose postings the last delta export read, for tests
	lastLens    bool         // whether the last Update took the field lengths from a state (lensFrom), for tests
	lastCounted int          // terms whose document frequency the last Update read (dfsFrom), for tests
	lastShards  []string     // the term shards the last delta export made again, for tests
	lastTable   bool         // whether the last Update updated the doc table rather than listing it (updateDocTable), for tests
	lastAlong   bool         // whether the last Update took the hashes along the last documents (sumsAlong), for tests
	restored    bool         // whether openForUpdate numbered the documents from the recorded doc table (restoreDocTable), for tests
	lastCached  atomic.Int64 // term shards the last delta export took decoded from the one before (previousShard), for tests
}

// newMapping returns the index mapping: the custom text analyzer on the
// four text fields, keywords for codes, tags and language, stored-only
// fields for what results display. Nothing is indexed under _all (the
// text fields are queried by name), no term vectors are kept (no phrase
// queries, snippets are made from stored text) and no doc values (no
// sorting or faceting in bleve): together these halve build time and
// index size (notes/search-facts.md).
func newMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := m.AddCustomTokenFilter(bigramName, bigramConfig); err != nil {
		return nil, err
	}
	if err := m.AddCustomAnalyzer(textAnalyzer, textAnalyzerConfig); err != nil {
		return nil, err
	}
	text := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = textAnalyzer
		f.Store = store
		f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false
		return f
	}
	kw := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false
		return f
	}
	stored := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index, f.Store = false, true
		f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false
		return f
	}
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt(fTitle, text(true))
	dm.AddFieldMappingsAt(fErrorText, text(true))
	dm.AddFieldMappingsAt(fHeadings, text(false))
	dm.AddFieldMappingsAt(fBody, text(false))
	dm.AddFieldMappingsAt(fCodes, kw(true))
	dm.AddFieldMappingsAt(fPrimary, kw(false))
	dm.AddFieldMappingsAt(fTags, kw(true))
	dm.AddFieldMappingsAt(fLang, kw(true))
	dm.AddFieldMappingsAt(fSummary, stored())
	dm.AddFieldMappingsAt(fExcerpt, stored())
	dm.AddFieldMappingsAt(fUpdated, stored())
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m.DefaultMapping = dm
	m.DefaultAnalyzer = textAnalyzer
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m, nil
}

// fields maps d to the document bleve indexes.
func (d *Doc) fields() map[string]interface{} {
	f := map[string]interface{}{
		fTitle:     d.Title,
		fErrorText: d.ErrorText,
		fHeadings:  d.Headings,
		fBody:      d.Body,
		fTags:      d.Tags,
		fLang:      d.Lang,
		fSummary:   truncateRunes(d.Summary, summaryRunes),
		fExcerpt:   truncateRunes(d.Body, excerptRunes),
	}
	if !d.UpdatedAt.IsZero() {
		f[fUpdated] = d.UpdatedAt.UTC().Format("2006-01-02")
	}
	if len(d.Codes) > 0 {
		codes := make([]string, len(d.Codes))
		for i, c := range d.Codes {
			codes[i] = string(c)
		}
		f[fCodes] = codes
		f[fPrimary] = codes[0]
	}
	return f
}

// truncateRunes returns s cut to at most n runes, after collapsing runs of
// white space (the plain text of Markdown keeps its line breaks) into one
// space and trimming it at both ends. It stops reading s at the n-th rune:
// the excerpt is the start of a body of thousands.
func truncateRunes(s string, n int) string {
	var b strings.Builder
	k := 0 // runes written
	for f := range strings.FieldsSeq(s) {
		if k > 0 {
			if k == n {
				break
			}
			b.WriteByte(' ')
			k++
		}
		for i := 0; i < len(f); k++ {
			if k == n {
				return b.String()
			}
			_, w := utf8.DecodeRuneInString(f[i:])
			b.WriteString(f[i : i+w])
			i += w
		}
	}
	return b.String()
}

// Build indexes docs and returns the open index. With dir "" the index
// lives in memory (scorch without persistence, which builds as fast as on
// disk; bleve's NewMemOnly is an older engine, 20 times slower); otherwise
// it is built in dir+".new" and then replaces dir, so a failed build
// leaves the previous index in place. IDs must be unique and non-empty.
func Build(dir string, docs []Doc) (*Index, error) {
	return build(context.Background(), dir, docs, batchSize)
}

// build builds the index as Build does, in batches of batch documents,
// and stops with ctx's error between batches once ctx is done.
func build(ctx context.Context, dir string, docs []Doc, batch int) (*Index, error) {
	registerAnalysis()
	if err := checkIDs(docs); err != nil {
		return nil, err
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	tmp := ""
	var bi bleve.Index
	if dir == "" {
		bi, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	} else {
		tmp = dir + ".new"
		if err := os.RemoveAll(tmp); err != nil {
			return nil, fmt.Errorf("build search index: %w", err)
		}
		bi, err = bleve.New(tmp, m)
	}
	if err != nil {
		return nil, fmt.Errorf("build search index: %w", err)
	}
	fail := func(err error) (*Index, error) {
		bi.Close()
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		return nil, fmt.Errorf("build search index: %w", err)
	}
	for i := 0; i < len(docs); i += batch {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		b := bi.NewBatch()
		for j := i; j < len(docs) && j < i+batch; j++ {
			if err := b.Index(docs[j].ID, docs[j].fields()); err != nil {
				return fail(err)
			}
		}
		if err := bi.Batch(b); err != nil {
			return fail(err)
		}
	}
	st, dfs, err := statsOf(bi, len(docs))
	if err != nil {
		return fail(err)
	}
	sb, _ := json.Marshal(st)
	if err := bi.SetInternal(statsKey, sb); err != nil {
		return fail(err)
	}
	if tmp != "" {
		if err := bi.Close(); err != nil {
			return fail(err)
		}
		if err := removeExportState(dir); err != nil {
			return fail(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fail(err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			return fail(err)
		}
		ix, err := Open(dir)
		if err != nil {
			return nil, err
		}
		ix.dfs = dfs
		return ix, nil
	}
	ix := &Index{bi: bi, stats: st, split: newSplitSet(st.Split), dfs: dfs}
	if err := ix.loadDocTable(); err != nil {
		ix.Close()
		return nil, fmt.Errorf("build search index: %w", err)
	}
	return ix, nil
}

// computeStats walks the norms of the text fields' postings to find each
// document's field lengths (scorch stores a field's analysed length in
// every posting as norm = 1/√length) and averages them. bleve keeps no
// per-field length totals (its BM25 uses the dictionary size instead), and
// counting tokens here ourselves would analyse the text a second time.
//
// dfs, if not nil, are the terms' document frequencies as termDFs returns
// them, known already (see dfsFrom); computeStats returns those it used.
func computeStats(r index.IndexReader, n int, dfs []termDF) (stats, []termDF, error) {
	st := stats{Format: formatVersion, Docs: n}
	if n == 0 {
		return st, nil, nil
	}
	totals, _, err := fieldLengths(r, n, nil)
	if err != nil {
		return st, nil, err
	}
	return statsFrom(r, n, totals, dfs, false, nil)
}

// statsFrom makes the statistics of n documents from the totals of their
// field lengths and the terms' document frequencies, computing these if
// dfs is nil. Their split keys are split if known (see splitAlong), and
// worked out from dfs otherwise.
func statsFrom(r index.IndexReader, n int, totals [len(textFields)]float64, dfs []termDF, known bool, split []string) (stats, []termDF, error) {
	st := stats{Format: formatVersion, Docs: n}
	for f, total := range totals {
		st.AvgLen[f] = roundLen(total / float64(n))
	}
	if dfs == nil {
		var err error
		if dfs, err = termDFs(r); err != nil {
			return st, nil, err
		}
	}
	st.Split = split
	if !known {
		st.Split = splitOf(dfs)
	}
	return st, dfs, nil
}

// fieldLengths returns the totals, over r's n documents, of each text
// field's analysed length, from the norm of each document's first posting
// in the field in term order. A field's walk stops when every document has
// been seen, which for the body happens within its first few terms. With
// num, the doc table, it also returns each document's lengths, by doc
// number, len(textFields) to a document (see exportState.Lens).
func fieldLengths(r index.IndexReader, n int, num map[string]int32) ([len(textFields)]float64, []uint32, error) {
	var totals [len(textFields)]float64
	var lens []uint32
	if num != nil {
		lens = make([]uint32, len(textFields)*len(num))
	}
	r = unfiltered(r) // a term without live postings adds nothing below
	for fi, field := range textFields {
		seen := make(map[string]bool, n)
		err := walkField(r, field, false, func(term string, tfr index.TermFieldReader) error {
			var tfd index.TermFieldDoc
			for {
				d, err := tfr.Next(&tfd)
				if err != nil || d == nil {
					return err
				}
				if !seen[string(d.ID)] {
					seen[string(d.ID)] = true
					l := normLength(d.Norm)
					totals[fi] += l
					if lens != nil {
						doc, ok := num[string(d.ID)]
						if !ok {
							return errNoDoc
						}
						lens[len(textFields)*int(doc)+fi] = uint32(l)
					}
					if len(seen) == n {
						return errAllSeen
					}
				}
			}
		})
		if err != nil && err != errAllSeen {
			return totals, nil, err
		}
	}
	return totals, lens, nil
}

// statsOf computes the statistics of a newly built index, which has no
// deleted documents, from its current snapshot.
func statsOf(bi bleve.Index, n int) (stats, []termDF, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return stats{}, nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return stats{}, nil, err
	}
	defer r.Close()
	return computeStats(r, n, nil)
}

// lengthsOf returns the field lengths of each of the n documents of a
// newly built index, by doc number in num (see exportState.Lens).
func lengthsOf(bi bleve.Index, n int, num map[string]int32) ([]uint32, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	_, lens, err := fieldLengths(r, n, num)
	return lens, err
}

// roundLen rounds an average field length to a whole token, at least one
// if it is not zero. Length normalisation needs no finer figure, and a
// rounded average stays the same through most edits, which keeps their
// export small (see exportDelta): an edit that adds ten tokens to one of
// 10,000 articles moves the average body length by 0.001.
func roundLen(avg float64) float64 {
	if avg == 0 {
		return 0
	}
	return max(1, math.Round(avg))
}

// errAllSeen stops a walk early.
var errAllSeen = errors.New("all documents seen")

// normLength recovers the analysed field length from a posting's norm.
func normLength(norm float64) float64 {
	if norm <= 0 {
		return 0
	}
	return math.Round(1 / (norm * norm))
}

// walkField calls fn with a reader for every term of field, in byte order.
func walkField(r index.IndexReader, field string, freq bool, fn func(term string, tfr index.TermFieldReader) error) error {
	fd, err := r.FieldDict(field)
	if err != nil {
		return err
	}
	defer fd.Close()
	for {
		e, err := fd.Next()
		if err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		tfr, err := r.TermFieldReader(context.Background(), []byte(e.Term), field, freq, true, false)
		if err != nil {
			return err
		}
		err = fn(e.Term, tfr)
		tfr.Close()
		if err != nil {
			return err
		}
	}
}

// Open opens an index that Build wrote to dir.
func Open(dir string) (*Index, error) {
	ix, err := openIndex(dir)
	if err != nil {
		return nil, err
	}
	if err := ix.loadDocTable(); err != nil {
		ix.Close()
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	return ix, nil
}

// openIndex opens the index in dir with its statistics, and no doc table.
func openIndex(dir string) (*Index, error) {
	registerAnalysis()
	bi, failed, err := openBleve(dir)
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	ix := &Index{bi: bi, path: dir, failed: failed}
	sb, err := bi.GetInternal(statsKey)
	if err == nil {
		err = json.Unmarshal(sb, &ix.stats)
	}
	if err == nil && ix.stats.Format != formatVersion {
		err = fmt.Errorf("index format %d, want %d: rebuild it", ix.stats.Format, formatVersion)
	}
	if err == nil {
		ix.split = newSplitSet(ix.stats.Split)
	}
	if err != nil {
		ix.Close()
		return nil, fmt.Errorf("open search index %s: %w", dir, err)
	}
	return ix, nil
}

// Close writes the state of the index's last export with a Reuse, if
// any (see exportState), and releases the index. The state is written
// here rather than by ExportAs so that a caller can close the index
// beside other work: it took 0.4 s of a one-article rebuild at 10,000
// generated articles. Without it, the next export is made in full. An
// updated index (Update, Index.Update) also gets its documents' hashes
// and statistics back here.
func (ix *Index) Close() error {
	var err error
	if ix.keysDue {
		ix.keysDue = false
		if err = ix.writeKeys(); err != nil {
			err = fmt.Errorf("close search index: %w", err)
		}
	}
	if ix.state != nil && err == nil {
		if err = ix.saveExportState(ix.state); err != nil {
			err = fmt.Errorf("save search export state: %w", err)
		}
	}
	if cerr := ix.Discard(); err == nil {
		err = cerr
	}
	return err
}

// Discard releases the index without writing its export state, for an
// index whose directory is about to be removed: the state is 17 MB at
// 10,000 generated articles, 155 MB at 100,000.
func (ix *Index) Discard() error {
	ix.state, ix.keysDue = nil, false
	ix.unpin()
	return ix.closeBleve()
}

// loadDocTable pins the index's current snapshot (see pin) and numbers
// its documents in the byte order of their IDs. Doc numbers are what the
// exported files and the browser use; ordering them by ID makes "lower
// doc number first" the stable tie-break both sides apply without
// shipping IDs.
func (ix *Index) loadDocTable() error {
	if err := ix.pin(); err != nil {
		return err
	}
	// The IDs of deleted documents are still in the dictionary (see
	// pin); they have no internal ID, and InternalID is the check.
	r := ix.snap
	fd, err := r.FieldDict("_id")
	if err != nil {
		return err
	}
	defer fd.Close()
	type entry struct {
		id  string
		iid index.IndexInternalID
	}
	var docs []entry
	for {
		e, err := fd.Next()
		if err != nil {
			return err
		}
		if e == nil {
			break
		}
		iid, err := r.InternalID(e.Term)
		if err != nil {
			return err
		}
		if iid != nil {
			docs = append(docs, entry{e.Term, iid})
		}
	}
	// bleve's dictionaries are sorted; this is a safeguard.
	slices.SortFunc(docs, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	ix.ids = make([]string, len(docs))
	ix.num = make(map[string]int32, len(docs))
	for i, d := range docs {
		ix.ids[i] = d.id
		ix.num[string(d.iid)] = int32(i)
	}
	ix.tableSegs = segmentsOf(ix.snap)
	return nil
}

// updateDocTable brings the doc table up to date, for the snapshot the
// update pinned, after an update that replaced the documents ids, adding
// and removing none, without listing every document again (a quarter of
// an update's time after a one-article edit at 10,000 generated
// articles). The others keep their doc numbers; a document's internal ID
// is its segment's offset plus its number there (see segDocs), so those
// in segments the new snapshot still has move by the change of their
// segment's offset, and only the replaced ones and those of segments
// bleve merged meanwhile (in the background, mostly the small ones of
// recent updates) are looked up, as loadDocTable looks up every one (so
// that at worst, every segment merged, it costs what listing does). It
// reports false, having changed nothing, when it cannot tell.
func (ix *Index) updateDocTable(ids []string) (bool, error) {
	if ids == nil || len(ids) > maxExact || ix.tableSegs == nil || ix.snap == nil {
		return false, nil
	}
	now := segmentsOf(ix.snap)
	if now == nil {
		return false, nil
	}
	newOff := make(map[uint64]uint64, len(now)) // by segment ID
	var off uint64
	for _, sg := range now {
		newOff[sg.id] = off
		off += sg.count
	}
	old := ix.tableSegs
	oldOff := make([]uint64, len(old))
	off = 0
	for k, sg := range old {
		oldOff[k] = off
		off += sg.count
	}
	stale := make(map[int32]bool, len(ids))
	var lookup []int32 // doc numbers whose internal IDs are looked up
	for _, id := range ids {
		n, ok := slices.BinarySearch(ix.ids, id)
		if !ok {
			return false, nil
		}
		stale[int32(n)] = true
		lookup = append(lookup, int32(n))
	}
	num := make(map[string]int32, len(ix.num))
	for iid, n := range ix.num {
		if stale[n] {
			continue
		}
		g := index.IndexInternalID(iid).Value()
		k := sort.Search(len(oldOff), func(x int) bool { return oldOff[x] > g }) - 1
		if k < 0 {
			return false, nil
		}
		if to, ok := newOff[old[k].id]; ok {
			num[string(index.NewIndexInternalID(nil, g-oldOff[k]+to))] = n
		} else {
			lookup = append(lookup, n)
		}
	}
	for _, n := range lookup {
		iid, err := ix.snap.InternalID(ix.ids[n])
		if err != nil || iid == nil {
			return false, err
		}
		num[string(iid)] = n
	}
	ix.num, ix.tableSegs = num, now
	return true, nil
}

// encodeDocTable encodes the doc table for restoreDocTable: the segments
// it was made for, then the internal ID of each document in doc-number
// order, the order of its ID, which the documents' hashes give back. The
// IDs are not written again.
func (ix *Index) encodeDocTable() []byte {
	iids := make([]uint64, len(ix.ids))
	for iid, n := range ix.num {
		iids[n] = index.IndexInternalID(iid).Value()
	}
	b := binary.AppendUvarint(nil, uint64(len(ix.tableSegs)))
	for _, sg := range ix.tableSegs {
		b = binary.AppendUvarint(b, sg.id)
		b = binary.AppendUvarint(b, sg.count)
	}
	b = binary.AppendUvarint(b, uint64(len(iids)))
	for _, v := range iids {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// restoreDocTable numbers the documents, whose IDs in order are ids, from
// the doc table recorded with their hashes (tableKey) rather than by
// listing them (loadDocTable), and pins the current snapshot. bleve may
// have merged segments since the table was recorded; updateDocTable
// finds the documents of the others where they moved and looks up those
// of the merged ones. No document was added or removed meanwhile: an
// update forgets the table with the hashes before it changes the index.
// Listing the 10,000 documents of the generated site took 70 ms of CPU,
// each one looked up in every segment. restoreDocTable reports false,
// having numbered nothing, when there is no table or it does not fit.
func (ix *Index) restoreDocTable(ids []string) (bool, error) {
	raw, err := ix.bi.GetInternal(tableKey)
	if err != nil || raw == nil {
		return false, err
	}
	d := stateDecoder{data: raw}
	segs := make([]segInfo, d.count(2))
	for i := range segs {
		segs[i].id = d.uint()
		segs[i].count = d.uint()
	}
	if d.count(1) != len(ids) || d.err != nil {
		return false, nil
	}
	num := make(map[string]int32, len(ids))
	for i := range ids {
		num[string(index.NewIndexInternalID(nil, d.uint()))] = int32(i)
	}
	if d.err != nil || d.off != len(raw) || len(num) != len(ids) || len(segs) == 0 {
		return false, nil
	}
	if err := ix.pin(); err != nil {
		return false, err
	}
	if n, err := ix.snap.DocCount(); err != nil || n != uint64(len(ids)) {
		return false, err
	}
	ix.ids, ix.num, ix.tableSegs = ids, num, segs
	ok, err := ix.updateDocTable([]string{})
	if err != nil || !ok || len(ix.num) != len(ids) {
		ix.ids, ix.num, ix.tableSegs = nil, nil, nil
		return false, err
	}
	return true, nil
}

// segInfo is a segment of a scorch snapshot: its ID, and its number of
// documents, deleted ones too.
type segInfo struct{ id, count uint64 }

// segmentsOf returns the segments of a scorch snapshot, in order; nil
// for another.
func segmentsOf(r index.IndexReader) []segInfo {
	s, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil
	}
	var out []segInfo
	for _, sg := range s.Segments() {
		out = append(out, segInfo{sg.Id(), sg.Segment().Count()})
	}
	return out
}

// errNoDoc reports a posting whose document is not in the doc table, which
// means the index changed under an open Index.
var errNoDoc = errors.New("posting for unknown document")
