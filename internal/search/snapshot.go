package search

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// An Index reads one bleve snapshot for as long as it is open, pinned by
// pin, and every reader it hands out is that snapshot. Two reasons:
//
//   - Doc numbers are tied to bleve's internal IDs (Index.num), and an
//     internal ID is a document's position in the snapshot's segments:
//     when bleve's background merger replaces segments by their merge, a
//     later snapshot numbers the same documents differently, so a reader
//     taken after the doc table would map postings to the wrong documents.
//   - Update leaves the segments as they are instead of merging them into
//     one after each edit (merging the 50 MB segment of 10,000 generated
//     articles took a second of CPU per update; see mergeWhen). A document
//     replaced or deleted then stays in its old segment, marked deleted.
//     Postings leave it out, but a segment's dictionary still lists the
//     terms only it had, with no live postings; a snapshot with deleted
//     documents is therefore read through liveDict, which skips them, so
//     that the index reads the same as one built from scratch.

// pin makes the index's current snapshot the one it reads, releasing the
// one pinned before.
func (ix *Index) pin() error {
	adv, err := ix.bi.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	ix.unpin()
	ix.snap = r
	ix.segments, ix.deleted = 0, 0
	ix.segOnce, ix.segs = sync.Once{}, nil
	if s, ok := r.(*scorch.IndexSnapshot); ok {
		for _, seg := range s.Segments() {
			ix.segments++
			if d := seg.Deleted(); d != nil {
				ix.deleted += int(d.GetCardinality())
			}
		}
	}
	return nil
}

// unpin releases the pinned snapshot, if any.
func (ix *Index) unpin() {
	if ix.snap != nil {
		ix.snap.Close()
		ix.snap = nil
	}
}

// reader returns a reader of the pinned snapshot. Closing it does not
// release the snapshot; Close does.
func (ix *Index) reader() (index.IndexReader, error) {
	if ix.snap == nil {
		return nil, fmt.Errorf("search index has no snapshot")
	}
	return snapshot{ix.snap, ix.deleted > 0}, nil
}

// snapshot is a reader of an Index's pinned snapshot.
type snapshot struct {
	index.IndexReader
	deleted bool // whether it has deleted documents, whose terms dictionaries still list
}

func (s snapshot) Close() error { return nil }

func (s snapshot) FieldDict(field string) (index.FieldDict, error) {
	fd, err := s.IndexReader.FieldDict(field)
	return s.live(fd, field, err)
}

func (s snapshot) FieldDictPrefix(field string, prefix []byte) (index.FieldDict, error) {
	fd, err := s.IndexReader.FieldDictPrefix(field, prefix)
	return s.live(fd, field, err)
}

func (s snapshot) FieldDictRange(field string, start, end []byte) (index.FieldDict, error) {
	fd, err := s.IndexReader.FieldDictRange(field, start, end)
	return s.live(fd, field, err)
}

func (s snapshot) live(fd index.FieldDict, field string, err error) (index.FieldDict, error) {
	if err != nil || !s.deleted {
		return fd, err
	}
	return &liveDict{FieldDict: fd, r: s.IndexReader, field: field}, nil
}

// unfiltered returns r without liveDict's filtering, for a walk of the
// dictionaries that reads every term's postings anyway and skips the
// terms that have none: checking each entry first would double its cost.
func unfiltered(r index.IndexReader) index.IndexReader {
	if s, ok := r.(snapshot); ok {
		return s.IndexReader
	}
	return r
}

// liveDict is a dictionary without the terms that have no live postings.
// Its entries' counts are those of the underlying dictionary, which
// nothing in this package uses (see termDFs).
type liveDict struct {
	index.FieldDict
	r     index.IndexReader
	field string
}

func (d *liveDict) Next() (*index.DictEntry, error) {
	for {
		e, err := d.FieldDict.Next()
		if err != nil || e == nil {
			return e, err
		}
		tfr, err := d.r.TermFieldReader(context.Background(), []byte(e.Term), d.field, false, false, false)
		if err != nil {
			return nil, err
		}
		n := tfr.Count()
		tfr.Close()
		if n > 0 {
			return e, nil
		}
	}
}

// counter counts a term's live documents in a text field straight from
// the segments of a snapshot, with each segment's dictionary opened once.
// A TermFieldReader opens every segment's dictionary again for each term,
// half of its cost; reading the frequencies of the terms an edit touches
// (see dfsFrom) took 0.5 s at 10,000 generated articles that way. A
// counter is for one goroutine.
type counter struct {
	dicts   [len(textFields)][]segment.TermDictionary
	deleted []*roaring.Bitmap
}

// newCounter returns a counter of r's documents, or nil if r is not a
// scorch snapshot.
func newCounter(r index.IndexReader) (*counter, error) {
	s, ok := unfiltered(r).(*scorch.IndexSnapshot)
	if !ok {
		return nil, nil
	}
	c := new(counter)
	for _, seg := range s.Segments() {
		c.deleted = append(c.deleted, seg.Deleted())
		for f, field := range textFields {
			d, err := seg.Segment().Dictionary(field)
			if err != nil {
				return nil, err
			}
			c.dicts[f] = append(c.dicts[f], d)
		}
	}
	return c, nil
}

// docFreq returns the number of documents with term in each text field,
// summed over the fields, as the package's docFreq does with allFields.
func (c *counter) docFreq(term string) (uint64, error) {
	var n uint64
	for f := range c.dicts {
		for i, d := range c.dicts[f] {
			pl, err := d.PostingsList([]byte(term), c.deleted[i], nil)
			if err != nil {
				return 0, err
			}
			n += pl.Count()
		}
	}
	return n, nil
}

// segDocs returns, for each segment of the pinned snapshot, the doc
// number of each of its documents by local number, -1 for a deleted one;
// nil if the snapshot is not scorch's. A document's internal ID is its
// segment's offset, the sum of the documents (deleted ones too) in the
// segments before it, plus its local number.
func (ix *Index) segDocs() [][]int32 {
	ix.segOnce.Do(func() {
		s, ok := ix.snap.(*scorch.IndexSnapshot)
		if !ok {
			return
		}
		segs := s.Segments()
		offsets := make([]uint64, len(segs))
		docs := make([][]int32, len(segs))
		var running uint64
		for i, seg := range segs {
			offsets[i] = running
			n := seg.Segment().Count()
			running += n
			docs[i] = make([]int32, n)
			for j := range docs[i] {
				docs[i][j] = -1
			}
		}
		for iid, n := range ix.num {
			g := index.IndexInternalID(iid).Value()
			i := sort.Search(len(offsets), func(x int) bool { return offsets[x] > g }) - 1
			if i < 0 || g-offsets[i] >= uint64(len(docs[i])) {
				return // not the layout described above: use TermFieldReaders
			}
			docs[i][g-offsets[i]] = n
		}
		ix.segs = docs
	})
	return ix.segs
}

// postings reads a term's postings segment by segment, with the
// dictionaries opened once (see counter), for termPostings. One per
// merger, so one per goroutine.
type postings struct {
	counter
	docs  [][]int32 // see segDocs
	where [][2]int  // by doc number: its segment and local number there, made by doc
	it    segment.PostingsIterator
}

// newPostings returns a postings reader of ix's pinned snapshot, or nil
// if it cannot have one.
func (ix *Index) newPostings() *postings {
	docs := ix.segDocs()
	if docs == nil {
		return nil
	}
	c, err := newCounter(ix.snap)
	if err != nil || c == nil || len(c.deleted) != len(docs) {
		return nil
	}
	return &postings{counter: *c, docs: docs}
}

// each calls fn with the doc number, frequency and norm of every live
// posting of term in text field f.
func (p *postings) each(term string, f int, fn func(doc int32, freq uint64, norm float64)) error {
	for i, d := range p.dicts[f] {
		// No list to reuse: zapx reinitialises one for a term the
		// segment lacks without its segment, and its iterator then fails.
		pl, err := d.PostingsList([]byte(term), p.deleted[i], nil)
		if err != nil {
			return err
		}
		p.it = pl.Iterator(true, true, false, p.it)
		for {
			post, err := p.it.Next()
			if err != nil {
				return err
			}
			if post == nil {
				break
			}
			n := post.Number()
			if n >= uint64(len(p.docs[i])) || p.docs[i][n] < 0 {
				return errNoDoc
			}
			fn(p.docs[i][n], post.Frequency(), float64(post.Norm()))
		}
	}
	return nil
}

// doc returns document n's posting of term in every text field, as
// termPostings has it, and whether n has the term: one look-up per field
// in the segment that holds n, where termPostings reads the term's whole
// posting list in every segment.
func (p *postings) doc(term string, n int32) (termPosting, bool, error) {
	if p.where == nil {
		for i, docs := range p.docs {
			for local, d := range docs {
				if d < 0 {
					continue
				}
				for int(d) >= len(p.where) {
					p.where = append(p.where, [2]int{-1, -1})
				}
				p.where[d] = [2]int{i, local}
			}
		}
	}
	tp := termPosting{doc: n}
	if int(n) >= len(p.where) || p.where[n][0] < 0 {
		return tp, false, errNoDoc
	}
	seg, local := p.where[n][0], uint64(p.where[n][1])
	found := false
	for f := range p.dicts {
		pl, err := p.dicts[f][seg].PostingsList([]byte(term), p.deleted[seg], nil)
		if err != nil {
			return tp, false, err
		}
		p.it = pl.Iterator(true, true, false, p.it)
		post, err := p.it.Advance(local)
		if err != nil {
			return tp, false, err
		}
		if post != nil && post.Number() == local {
			tp.fields[f] = fieldStat{tf: float64(post.Frequency()), length: normLength(float64(post.Norm()))}
			found = true
		}
	}
	return tp, found, nil
}
