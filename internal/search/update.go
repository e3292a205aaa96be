package search

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// docsKey is the bleve internal key under which Update keeps the hash of
// every document the index holds, by ID: what it compares the next
// documents with. Build does not write it; an index without it is rebuilt.
var docsKey = []byte("kbgen:docs")

// tableKey is the bleve internal key under which Update keeps the doc
// table beside the documents' hashes, written and forgotten with them, so
// that the next Update need not list every document to number them (see
// restoreDocTable).
var tableKey = []byte("kbgen:doctable")

// Update makes the index in dir hold docs and returns it open, indexing
// only what changed since the index was last written by Update: the
// documents that are new or whose content differs are (re)indexed, those
// that are gone are deleted, and the rest is not analysed again. bleve
// keeps the replaced versions, marked deleted, until it merges their
// segments (see mergeWhen); the index reads without them (see pin), so it,
// and so its export, are the same as Build's from scratch on docs (tested
// by TestUpdateSameExport).
//
// An index Update cannot use (none yet, another format, one written by
// Build, one whose last Update was interrupted) is built from scratch as
// Build does. From Update's first commit until the index is closed, the
// index on disk holds no document hashes and no statistics (Close writes
// them), so an interrupted Update is never taken for a complete one: Open
// refuses it and the next Update rebuilds it. That is
// also what cancelling ctx leaves: Update stops between batches of
// documents, or after the last batch or the merge, with ctx's error.
func Update(ctx context.Context, dir string, docs []Doc) (*Index, error) {
	return update(ctx, dir, docs, nil, nil, nil)
}

// Hashed is documents with the hash of each (see Doc.sum), made once: a
// build names its export by the documents' Version before it indexes
// them, and Update compares the same hashes with the index's. Hashing
// 10,000 generated articles took about 0.08 s of CPU (0.45 s over three
// profiled rebuilds that each hashed them twice).
type Hashed struct {
	docs []Doc
	sums map[string][sha256.Size]byte
	full func(i int) (Doc, error) // see Complete; nil: docs are whole
}

// Hash hashes docs, which must not be modified after.
func Hash(docs []Doc) *Hashed {
	return &Hashed{docs: docs, sums: docSumsOf(docs)}
}

// HashKnown is Hash with the hashes the caller kept of some of the
// documents (Doc.Sum): sums[i], unless zero, is taken as the hash of
// docs[i], which must be the document it was made of. A build keeps the
// hash of each article's document with its parse (kbgen's parse cache),
// and hashes only the documents of the articles it parsed again: hashing
// all 10,000 generated articles took 60 ms of CPU.
func HashKnown(docs []Doc, sums []Sum) *Hashed {
	return &Hashed{docs: docs, sums: docSumsWith(docs, func(i int) ([sha256.Size]byte, bool) {
		return sums[i], sums[i] != Sum{}
	})}
}

// Docs returns the documents.
func (h *Hashed) Docs() []Doc { return h.docs }

// Complete says that the documents may have been given in part, with
// their hashes known (HashKnown), and how to get the whole of document
// i: the index asks for it only if it must index the document, because
// the hash the index holds for it is another or the index is built
// afresh. A caller that keeps most documents' hashes but not their text
// gives the rest of them so. It returns h.
func (h *Hashed) Complete(full func(i int) (Doc, error)) *Hashed {
	h.full = full
	return h
}

// completeAll makes every document whole (see Complete).
func completeAll(docs []Doc, full func(i int) (Doc, error)) error {
	if full == nil {
		return nil
	}
	for i := range docs {
		d, err := full(i)
		if err != nil {
			return err
		}
		docs[i] = d
	}
	return nil
}

// Version is the package's Version of the documents.
//
// It takes the IDs in the documents' order when that is byte order, as
// a site's articles are, rather than sorting the keys of their hashes:
// that took 3-4 ms of a one-article rebuild at 10,000 articles, on the
// search's path, the longer one.
func (h *Hashed) Version() string {
	ids := make([]string, len(h.docs))
	for i := range h.docs {
		ids[i] = h.docs[i].ID
	}
	if !slices.IsSorted(ids) {
		slices.Sort(ids)
	}
	v, ok := versionAlong(slices.Compact(ids), h.sums)
	if !ok {
		return docsVersion(h.sums)
	}
	return v
}

// Build builds the index of the documents from scratch in dir, as the
// package's Build does, and records their hashes and field lengths, as
// Update does: an index made by Build is one Update cannot start from,
// and its export leaves no state, so the next export (kbgen serve's
// first, at start) is made in full. dir must not be empty.
func (h *Hashed) Build(ctx context.Context, dir string) (*Index, error) {
	if err := completeAll(h.docs, h.full); err != nil {
		return nil, err
	}
	return buildWithSums(ctx, dir, h.docs, h.sums)
}

// Update is the package's Update of the documents, with their hashes.
//
// earlier, which may be nil, is what the caller knows of the documents
// as the index was last given them: a build knows the earlier version of
// an article it parses again from its parse cache. With the earlier
// version of every document the update replaces, the export after it
// makes again only the shards whose postings changed, as a dev server's
// does (see Index.before and narrow). At 10,000 generated articles, a
// one-line edit left 1,183 shards to read, patch and compare without it,
// of which 38 changed. A document of earlier is taken only if its hash
// is the one the index recorded for its ID, so a stale or wrong one
// costs time, never output.
func (h *Hashed) Update(ctx context.Context, dir string, earlier []Doc) (*Index, error) {
	return update(ctx, dir, h.docs, h.sums, earlier, h.full)
}

// update is Update with the documents' hashes, or nil to hash them here,
// the earlier versions of some, or nil, and how to make a document whole
// (see Hashed.Complete), or nil.
func update(ctx context.Context, dir string, docs []Doc, sums map[string][sha256.Size]byte, earlier []Doc, full func(int) (Doc, error)) (*Index, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dir == "" || len(docs) == 0 {
		if err := completeAll(docs, full); err != nil {
			return nil, err
		}
		return build(ctx, dir, docs, batchSize)
	}
	if err := checkIDs(docs); err != nil {
		return nil, err
	}
	if sums == nil {
		sums = docSumsOf(docs)
	}
	ix, old, err := openForUpdate(dir)
	if err != nil {
		if err := completeAll(docs, full); err != nil {
			return nil, err
		}
		return buildWithSums(ctx, dir, docs, sums)
	}
	ix.sums = old
	// The index was last given these, as far as the caller knows: what
	// priors looks a replaced document up in, checking its hash.
	ix.last = earlier
	if err := ix.update(ctx, docs, sums, nil, full); err != nil {
		return nil, err
	}
	return ix, nil
}

// Update brings the index, open since an Update, up to date with docs as
// the package's Update does with an index on disk, but from what the index
// holds already: the documents' hashes it recorded, and the state of its
// last export in memory. A dev server keeps its index open this way, so
// that an edit costs neither opening the index (0.15 s at 10,000
// generated articles) nor reading and writing the export state (17 MB
// there; reading it took 0.2 to 0.4 s, writing it 0.4 s of CPU as one gob
// value). On error the index is closed, and what
// is on disk is what an interrupted Update leaves (see Update). The index
// keeps docs, which must not be modified after, until the next update.
//
// The documents' hashes and the statistics are written to the index on
// disk when it is closed, not by each update: between updates it is one
// that Update and Open do not trust, as during an update. Deleting and
// writing them again (680 KB at 10,000 generated articles, nearly all of
// it the hashes) took 7-8 ms of a dev server's search after each edit;
// without it the search took a median 77 and 85.5 ms over two runs of
// twenty edits, against 95 and 97 ms, alternately.
func (ix *Index) Update(ctx context.Context, docs []Doc) error {
	fail := func(err error) error {
		ix.keysDue = false
		ix.Close()
		return err
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if ix.sums == nil || ix.path == "" || len(docs) == 0 {
		return fail(errors.New("update search index: not an index Update made on disk"))
	}
	ix.lastAlong = false
	if sums, changed, ok := ix.sumsAlong(docs); ok {
		return ix.update(ctx, docs, sums, &changed, nil)
	}
	if err := checkIDs(docs); err != nil {
		return fail(err)
	}
	return ix.update(ctx, docs, ix.sumsOf(docs), nil, nil)
}

// sumsOf returns the documents' hashes as docSumsOf does, taking the last
// update's over for the documents that are, field by field, the very
// strings it was given (see Index.last): a dev server makes each update's
// documents from articles it shares with the site before, so after an
// edit all but a few are, and hashing all 10,000 generated articles took
// 60 ms of CPU. A string is immutable, so the same bytes at the same
// address are the same content.
func (ix *Index) sumsOf(docs []Doc) map[string][sha256.Size]byte {
	byID := ix.lastByID() // made here: known is called concurrently
	return docSumsWith(docs, func(j int) ([sha256.Size]byte, bool) {
		d := &docs[j]
		i, ok := byID[d.ID]
		sum, known := ix.sums[d.ID]
		return sum, ok && known && sameDoc(&ix.last[i], d)
	})
}

// sumsAlong is sumsOf for documents whose IDs are, position by position,
// those of the last update's (see Index.last), as a dev server's are
// after an edit that added, removed or renamed no article: the last
// update's hashes, copied, with those of the few documents that are not
// the very same strings hashed again. Those IDs were checked by the last
// update, so the documents need no check of their own, and their
// positions by ID are the last ones (see remember). Checking the IDs,
// looking each document up by ID and then comparing every hash with the
// last ones took 6-7 ms of a dev server's search after an edit at 10,000
// generated articles, against about 2 ms now. sumsAlong also returns the
// positions of the documents whose hash changed. It reports false when
// the IDs are not the last ones.
func (ix *Index) sumsAlong(docs []Doc) (map[string][sha256.Size]byte, []int, bool) {
	if len(docs) != len(ix.last) || len(docs) != len(ix.sums) {
		return nil, nil, false
	}
	var differ []int
	for i := range docs {
		if docs[i].ID != ix.last[i].ID {
			return nil, nil, false
		}
		if !sameDoc(&ix.last[i], &docs[i]) {
			differ = append(differ, i)
		}
	}
	var changed []int
	sums := maps.Clone(ix.sums)
	for _, i := range differ {
		old, ok := sums[docs[i].ID]
		if !ok {
			return nil, nil, false
		}
		if sum := docs[i].sum(); sum != old {
			sums[docs[i].ID] = sum
			changed = append(changed, i)
		}
	}
	ix.lastAlong = true
	return sums, changed, true
}

// sameDoc reports whether a and b hold the very same strings, and so the
// same content.
func sameDoc(a, b *Doc) bool {
	return same(a.ID, b.ID) && same(a.Title, b.Title) && same(a.ErrorText, b.ErrorText) &&
		same(a.Lang, b.Lang) && same(a.Body, b.Body) && same(a.Summary, b.Summary) &&
		sameAll(a.Tags, b.Tags) && sameAll(a.Codes, b.Codes) && sameAll(a.Headings, b.Headings) &&
		a.UpdatedAt.Equal(b.UpdatedAt)
}

func same[S ~string](a, b S) bool {
	return len(a) == len(b) && unsafe.StringData(string(a)) == unsafe.StringData(string(b))
}

func sameAll[S ~string](a, b []S) bool {
	return slices.EqualFunc(a, b, same[S])
}

// update makes the open index, which holds the documents whose hashes
// are ix.sums, hold docs, whose hashes are sums, analysing only the new
// and changed ones. known, if not nil, holds the positions of the
// changed ones, of documents whose IDs are those the index holds (see
// sumsAlong); otherwise update compares the hashes. On error it closes
// the index.
func (ix *Index) update(ctx context.Context, docs []Doc, sums map[string][sha256.Size]byte, known *[]int, full func(int) (Doc, error)) error {
	fail := func(err error) error {
		ix.keysDue = false // the index is not complete: leave it so
		ix.Close()
		return fmt.Errorf("update search index: %w", err)
	}
	ix.edited = nil
	old := ix.sums
	var gone []string
	var changed []int
	if known != nil {
		changed = *known
	} else {
		for id := range old {
			if _, ok := sums[id]; !ok {
				gone = append(gone, id)
			}
		}
		slices.Sort(gone)
		for i := range docs {
			if old[docs[i].ID] != sums[docs[i].ID] {
				changed = append(changed, i)
			}
		}
	}
	if len(gone) == 0 && len(changed) == 0 {
		ix.sums = sums
		ix.remember(docs, known != nil)
		return nil
	}
	// The last export's state, which finish and then ExportAs work
	// from: the one this index made, or else the one on disk, as read
	// already (by an update that exported nothing since, or LastExport)
	// or read now beside the indexing.
	prev := make(chan *exportState, 1)
	if st := ix.state; st != nil {
		prev <- st
	} else if ix.prev != nil {
		prev <- ix.prev
	} else {
		go func() { prev <- ix.loadExportState() }()
	}
	// The documents replaced, and whether any is new.
	var replaced []string
	added := false
	for _, i := range changed {
		if _, ok := old[docs[i].ID]; ok {
			replaced = append(replaced, docs[i].ID)
		} else {
			added = true
		}
	}
	// What the index holds of the documents about to change, read before
	// they do.
	ix.before = nil
	if ix.last != nil && len(gone)+len(changed) <= maxExact {
		ix.before = ix.priors(old, append(slices.Clone(gone), replaced...))
	}
	// The hashes and statistics are forgotten in the first commit, with
	// its documents: a scorch batch is introduced and persisted whole, so
	// from that commit until the keys are written again the index is not
	// one Update or Open can trust. An index held open has forgotten them
	// already if it was updated since it last wrote them (see
	// Index.Update). In their own commit before the documents', they cost
	// a one-article rebuild at 10,000 generated articles a round trip to
	// scorch's persister, 2 to 90 ms with the pages on both cores.
	b := ix.bi.NewBatch()
	if !ix.keysDue {
		b.DeleteInternal(docsKey)
		b.DeleteInternal(tableKey)
		b.DeleteInternal(statsKey)
	}
	n := 0
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		err := ix.commit(b)
		b, n = ix.bi.NewBatch(), 0
		return err
	}
	for _, id := range gone {
		b.Delete(id)
		if n++; n == batchSize {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	ix.fresh = make(map[string][]string, len(changed))
	for _, i := range changed {
		if full != nil {
			d, err := full(i)
			if err != nil {
				return fail(err)
			}
			docs[i] = d
		}
		ix.fresh[docs[i].ID] = ix.textTerms(&docs[i])
		if err := b.Index(docs[i].ID, docs[i].fields()); err != nil {
			return fail(err)
		}
		if n++; n == batchSize {
			if err := flush(); err != nil {
				return fail(err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	if err := ix.pin(); err != nil {
		return fail(err)
	}
	if mergeWhen(ix.segments, ix.deleted, len(docs)) {
		// scorch merges only segments it has persisted, and persists
		// new ones in the background; closeBleve waits until it has
		// persisted them all.
		ix.unpin()
		if err := ix.closeBleve(); err != nil {
			return fmt.Errorf("update search index: %w", err)
		}
		var err error
		if ix.bi, ix.failed, err = openBleve(ix.path); err != nil {
			return fmt.Errorf("update search index: %w", err)
		}
		if err := ix.merge(ctx); err != nil {
			return fail(err)
		}
	} else if err := ctx.Err(); err != nil {
		return fail(err)
	}
	ix.prev = <-prev
	// When no document was added or removed, the doc table changes for
	// the replaced ones only.
	sameIDs := replaced
	if added || len(gone) > 0 {
		sameIDs = nil
	}
	if err := ix.finish(len(docs), sums, sameIDs); err != nil {
		return fail(err)
	}
	ix.remember(docs, known != nil)
	return nil
}

// remember notes docs as the documents the index now holds (see
// Index.last). Their positions by ID are the last documents' when along
// is set: sumsAlong found their IDs in the same places.
func (ix *Index) remember(docs []Doc, along bool) {
	if !along {
		ix.byID = nil
	}
	ix.last = docs
}

// prior is a document as the index held it before an update changed or
// removed it.
type prior struct {
	sum   [sha256.Size]byte
	terms []string               // its text terms
	tps   map[string]termPosting // its occurrences of each, or nil if not read
}

// priors returns what the index, before an update, holds of the documents
// ids, whose hashes are in old: for each that it was last given (see
// Index.last) in that version, its text terms and their occurrences, read
// from the pinned snapshot.
func (ix *Index) priors(old map[string][sha256.Size]byte, ids []string) map[string]*prior {
	out := make(map[string]*prior, len(ids))
	var p *postings
	for _, id := range ids {
		d := ix.lastDoc(id)
		if d == nil || d.sum() != old[id] {
			continue
		}
		pr := &prior{sum: old[id], terms: ix.textTerms(d)}
		out[id] = pr
		n, ok := slices.BinarySearch(ix.ids, id)
		if !ok {
			continue
		}
		if p == nil {
			if p = ix.newPostings(); p == nil {
				continue
			}
		}
		pr.tps = make(map[string]termPosting, len(pr.terms))
		for _, t := range pr.terms {
			tp, found, err := p.doc(t, int32(n))
			if err != nil || !found {
				pr.tps = nil
				break
			}
			pr.tps[t] = tp
		}
	}
	return out
}

// lastDoc returns the document with id among those the index was last
// given, or nil.
func (ix *Index) lastDoc(id string) *Doc {
	if i, ok := ix.lastByID()[id]; ok {
		return &ix.last[i]
	}
	return nil
}

// lastByID returns the positions in ix.last by ID, making them first if
// need be.
func (ix *Index) lastByID() map[string]int {
	if ix.byID == nil {
		ix.byID = make(map[string]int, len(ix.last))
		for i := range ix.last {
			ix.byID[ix.last[i].ID] = i
		}
	}
	return ix.byID
}

// buildWithSums builds the index from scratch, as Build does, and records
// the documents' hashes for the next Update.
func buildWithSums(ctx context.Context, dir string, docs []Doc, sums map[string][sha256.Size]byte) (*Index, error) {
	ix, err := build(ctx, dir, docs, batchSize)
	if err != nil {
		return nil, err
	}
	b := ix.bi.NewBatch()
	b.SetInternal(docsKey, encodeSums(sums))
	b.SetInternal(tableKey, ix.encodeDocTable())
	if err := ix.commit(b); err != nil {
		ix.Close()
		return nil, fmt.Errorf("build search index: %w", err)
	}
	ix.sums = sums
	ix.remember(docs, false)
	// The documents' field lengths, for the export state: without them
	// the first update after a build walks the fields' postings for
	// them (see lensFrom), which made the first edit in kbgen serve at
	// 10,000 articles 0.1 s slower than the next ones.
	if ix.lens, err = lengthsOf(ix.bi, len(docs), ix.num); err != nil {
		ix.Close()
		return nil, fmt.Errorf("build search index: %w", err)
	}
	return ix, nil
}

// openForUpdate opens the index in dir with the document hashes its last
// Update or buildWithSums recorded.
func openForUpdate(dir string) (*Index, map[string][sha256.Size]byte, error) {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err != nil {
		return nil, nil, err
	}
	ix, err := openIndex(dir)
	if err != nil {
		return nil, nil, err
	}
	raw, err := ix.bi.GetInternal(docsKey)
	if err == nil && raw == nil {
		err = errors.New("no document hashes")
	}
	var old map[string][sha256.Size]byte
	var ids []string
	if err == nil {
		old, ids, err = decodeSums(raw)
	}
	if err == nil {
		if ix.restored, err = ix.restoreDocTable(ids); err == nil && !ix.restored {
			err = ix.loadDocTable()
		}
	}
	if err != nil {
		ix.Close()
		return nil, nil, err
	}
	return ix, old, nil
}

// merge merges all of the index's segments into one and waits for it, or
// returns ctx's error if ctx is done first (scorch's ForceMerge then
// returns nil without having merged).
func (ix *Index) merge(ctx context.Context) error {
	adv, err := ix.bi.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("index is %T, not scorch", adv)
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := s.ForceMerge(mctx, nil); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return mctx.Err()
}

// finish recomputes the statistics and the doc table after an update and
// records them with the documents' hashes, in one commit. replaced, if
// not nil, are the documents the update replaced, having added and removed
// none.
func (ix *Index) finish(n int, sums map[string][sha256.Size]byte, replaced []string) error {
	ok, err := ix.updateDocTable(replaced)
	if err != nil {
		return err
	}
	if ix.lastTable = ok; !ok {
		if err := ix.loadDocTable(); err != nil {
			return err
		}
	}
	r, err := ix.reader()
	if err != nil {
		return err
	}
	// What changed since the last export, under its split keys: the
	// frequencies and lengths of only those documents' terms are read.
	var e *edit
	if ix.prev != nil {
		e = ix.touched(ix.prev, sums, newSplitSet(ix.prev.Stats.Split))
	}
	ix.edited = e
	dfs, moved, ok, err := ix.dfsFrom(r, ix.prev, e)
	if err != nil {
		return err
	}
	// The split keys, worked out along the last export's if dfsFrom
	// could, and by statsFrom from every term's frequency otherwise.
	splitKnown := ok
	var split []string
	if splitKnown {
		split = splitAlong(ix.prev.Stats.Split, dfs, moved)
	}
	ix.lastDFs = ok
	totals, lens, ok, err := ix.lensFrom(ix.prev, e)
	if err == nil && !ok {
		totals, lens, err = fieldLengths(r, n, ix.num)
	}
	if err != nil {
		return err
	}
	ix.lastLens, ix.lens = ok, lens
	st, dfs, err := statsFrom(r, n, totals, dfs, splitKnown, split)
	if err != nil {
		return err
	}
	ix.stats, ix.split, ix.sums, ix.dfs = st, newSplitSet(st.Split), sums, dfs
	// Written by Close, which a build runs beside its last steps: written
	// here, before the export, they were one more round trip to scorch's
	// persister on the path a one-article rebuild waits for.
	ix.keysDue = true
	return nil
}

// testHookKeys, when set, runs first in writeKeys, which fails with its
// error (tests).
var testHookKeys func() error

// writeKeys writes the documents' hashes and the statistics into the
// index, which Update and Open then trust.
func (ix *Index) writeKeys() error {
	if testHookKeys != nil {
		if err := testHookKeys(); err != nil {
			return err
		}
	}
	sb, _ := json.Marshal(ix.stats)
	b := ix.bi.NewBatch()
	b.SetInternal(statsKey, sb)
	b.SetInternal(docsKey, encodeSums(ix.sums))
	b.SetInternal(tableKey, ix.encodeDocTable())
	return ix.commit(b)
}

// lensFrom returns what fieldLengths would for the index after an
// update, from prev, the state of the export before it, and e, what
// changed since: the lengths kept there, with those of the changed
// documents read from their postings. Walking the fields' postings took
// 0.1 to 0.3 s after a one-article edit at 10,000 generated articles,
// more than reading anything else the update needs.
//
// lensFrom reports false when it cannot: there is no state or edit, the
// state has no lengths, its documents are not the index's, or the index
// is not read segment by segment.
func (ix *Index) lensFrom(prev *exportState, e *edit) ([len(textFields)]float64, []uint32, bool, error) {
	var totals [len(textFields)]float64
	const nf = len(textFields)
	if prev == nil || e == nil || !slices.Equal(prev.IDs, ix.ids) || len(prev.Lens) != nf*len(ix.ids) {
		return totals, nil, false, nil
	}
	p := ix.newPostings()
	if p == nil {
		return totals, nil, false, nil
	}
	lens := slices.Clone(prev.Lens)
	for id := range e.after {
		n, ok := slices.BinarySearch(ix.ids, id)
		if !ok {
			return totals, nil, false, nil
		}
		// A field's length is in the norm of each of the document's
		// postings in it; fieldLengths takes the first term's.
		l := lens[nf*n : nf*n+nf]
		clear(l)
		var found [nf]bool
		left := nf
		for _, t := range slices.Sorted(slices.Values(ix.fresh[id])) {
			tp, _, err := p.doc(t, int32(n))
			if err != nil {
				return totals, nil, false, err
			}
			for f := range nf {
				if !found[f] && tp.fields[f].tf > 0 {
					found[f], l[f] = true, uint32(tp.fields[f].length)
					left--
				}
			}
			if left == 0 {
				break
			}
		}
	}
	for i, l := range lens {
		totals[i%nf] += float64(l)
	}
	return totals, lens, true, nil
}

// mergeWhen reports whether Update merges the index's segments into one,
// given their number and the documents marked deleted in them, of docs.
// Update adds a segment per update and leaves the replaced documents in
// the old ones, marked deleted (see pin); bleve's background merger joins
// small segments, but an update is over before it has run long. Merging
// everything costs about a second at 10,000 generated articles, so it is
// done when the segments are many enough to slow reading, or the deleted
// documents a tenth of the index.
func mergeWhen(segments, deleted, docs int) bool {
	return segments > maxSegments || deleted*10 > docs
}

// maxSegments is the number of segments above which Update merges them.
// A built index has a few (bleve merges as Build adds its batches; three
// at 10,000 generated articles), and each update adds one.
const maxSegments = 16

// docSumsOf returns the documents' hashes by ID, computed on every core:
// hashing the 10,000 generated articles takes 60 ms on one.
func docSumsOf(docs []Doc) map[string][sha256.Size]byte {
	return docSumsWith(docs, func(int) ([sha256.Size]byte, bool) { return [sha256.Size]byte{}, false })
}

// docSumsWith is docSumsOf taking the hash of each document known gives
// it, from known, which is called concurrently.
func docSumsWith(docs []Doc, known func(i int) ([sha256.Size]byte, bool)) map[string][sha256.Size]byte {
	all := make([][sha256.Size]byte, len(docs))
	var next atomic.Int64
	parallelN(len(docs), func(int) error {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(docs) {
				return nil
			}
			if sum, ok := known(i); ok {
				all[i] = sum
			} else {
				all[i] = docs[i].sum()
			}
		}
	})
	sums := make(map[string][sha256.Size]byte, len(docs))
	for i := range docs {
		sums[docs[i].ID] = all[i]
	}
	return sums
}

// Sum is a hash of everything the index holds of d: what Update compares
// with the hash it recorded to tell whether the document changed.
func (d *Doc) Sum() Sum { return d.sum() }

// sum is a hash of everything the index holds of d.
func (d *Doc) sum() [sha256.Size]byte {
	h := sha256.New()
	str := func(s string) { writeString(h, s) }
	list := func(ss []string) {
		str(fmt.Sprint(len(ss)))
		for _, s := range ss {
			str(s)
		}
	}
	str(d.ID)
	str(d.Title)
	str(d.ErrorText)
	str(d.Lang)
	list(d.Tags)
	str(fmt.Sprint(len(d.Codes)))
	for _, c := range d.Codes {
		str(string(c))
	}
	list(d.Headings)
	str(d.Body)
	str(d.Summary)
	str(d.UpdatedAt.UTC().Format(time.RFC3339Nano))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// writeString writes the length of s and s to h, without copying s:
// converting the strings of 10,000 documents to byte slices to hash them
// (for sum and Version) made 110 MB of garbage in a rebuild. A hash does
// not keep or change what it is given.
func writeString(h hash.Hash, s string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// encodeSums and decodeSums store the document hashes: each ID followed
// by its hash, in ID order.
func encodeSums(sums map[string][sha256.Size]byte) []byte {
	ids := make([]string, 0, len(sums))
	for id := range sums {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b []byte
	for _, id := range ids {
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
		sum := sums[id]
		b = append(b, sum[:]...)
	}
	return b
}

// decodeSums decodes what encodeSums encoded, and returns the IDs too, in
// order.
func decodeSums(b []byte) (map[string][sha256.Size]byte, []string, error) {
	// A record is 68 bytes on average at 10,000 generated articles
	// (676,412 bytes in all).
	sums := make(map[string][sha256.Size]byte, len(b)/64)
	ids := make([]string, 0, len(b)/64)
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n+sha256.Size {
			return nil, nil, errors.New("corrupt document hashes")
		}
		b = b[k:]
		id := string(b[:n])
		if len(ids) > 0 && ids[len(ids)-1] >= id {
			return nil, nil, errors.New("corrupt document hashes")
		}
		var sum [sha256.Size]byte
		copy(sum[:], b[n:])
		sums[id] = sum
		ids = append(ids, id)
		b = b[n+sha256.Size:]
	}
	return sums, ids, nil
}

// checkIDs reports a document without an ID or two with the same one.
func checkIDs(docs []Doc) error {
	seen := make(map[string]bool, len(docs))
	for i := range docs {
		id := docs[i].ID
		if id == "" {
			return fmt.Errorf("build search index: document %d has no ID", i)
		}
		if seen[id] {
			return fmt.Errorf("build search index: duplicate document ID %q", id)
		}
		seen[id] = true
	}
	return nil
}
