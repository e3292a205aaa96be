package search

import (
	"cmp"
	"context"
	"math"
	"slices"

	index "github.com/blevesearch/bleve_index_api"
)

// fieldWeight weighs a term's occurrences by the field they are in, in
// the order of textFields: title, errorText, headings, body.
var fieldWeight = [len(textFields)]float64{3, 2, 1.5, 1}

// BM25 parameters, the usual values.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// impactScale turns a term's BM25F score into the integer the export
// stores: two decimal places survive, which separates documents that
// differ in any real way, and integers add up exactly in the browser.
const impactScale = 100

// fieldStat is one term's frequency in one field of one document, and
// that field's analysed length.
type fieldStat struct {
	tf, length float64
}

// termPosting is one document's occurrences of a term in every text field.
type termPosting struct {
	doc    int32
	fields [len(textFields)]fieldStat
}

// impact is a term's contribution to a document's score: BM25 with
// per-field length normalisation and weights (a simple BM25F), where the
// document frequency counts documents with the term in any text field.
//
// The score is computed once, here, as an integer: the export stores it
// per posting and Search recomputes it with this same function, so the
// browser and kbgen search add the same integers and cannot disagree by
// rounding. The explicit float64 conversions stop the compiler from fusing
// multiply-adds, which it may do on some architectures, so that the
// exported bytes are the same on every machine.
func impact(p *termPosting, df int, st *stats) int32 {
	n := float64(st.Docs)
	idf := math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
	var s float64
	for f, fs := range p.fields {
		if fs.tf == 0 {
			continue
		}
		norm := 1 - bm25B
		if st.AvgLen[f] > 0 {
			norm = float64(norm) + float64(bm25B*fs.length/st.AvgLen[f])
		}
		sat := fs.tf * (bm25K1 + 1) / (fs.tf + float64(bm25K1*norm))
		s = float64(s) + float64(fieldWeight[f]*sat)
	}
	v := int32(math.Round(float64(idf*s) * impactScale))
	if v < 1 {
		v = 1 // every match counts, however common the term
	}
	return v
}

// merger merges a term's postings in the text fields by document. It
// keeps a table with an entry per document and buffers that it reuses
// from term to term, so one is made per goroutine: the export reads every
// term of the index, and a table allocated per term made its work and
// garbage grow with terms × documents (at 100,000 articles, 548,000 terms
// of 400 KB each). A merger is not safe for concurrent use.
type merger struct {
	slot   []int32 // doc number → index in out + 1; all zero between terms
	out    []termPosting
	sorted []termPosting
	imp    []docImpact
	p      *postings // nil: read with TermFieldReaders
}

// newMerger returns a merger for ix's documents.
func (ix *Index) newMerger() *merger {
	return &merger{slot: make([]int32, len(ix.ids)), p: ix.newPostings()}
}

// termPostings reads term's postings in the text fields in (every field
// that has it: bleve looks a term up in every segment of the index, which
// is most of the export's work and garbage) and merges them by document,
// in doc-number order. The result is valid until m's next use.
func (ix *Index) termPostings(r index.IndexReader, m *merger, term string, in fieldSet) ([]termPosting, error) {
	out := m.out[:0]
	slot := m.slot
	// Leave slot all zero again for the next term, whatever happens to
	// this one.
	defer func() {
		for _, p := range out {
			slot[p.doc] = 0
		}
		m.out = out[:0]
	}()
	add := func(f int, n int32, freq uint64, norm float64) {
		if slot[n] == 0 {
			out = append(out, termPosting{doc: n})
			slot[n] = int32(len(out))
		}
		out[slot[n]-1].fields[f] = fieldStat{tf: float64(freq), length: normLength(norm)}
	}
	for f, field := range textFields {
		if in&(1<<f) == 0 {
			continue
		}
		if m.p != nil {
			err := m.p.each(term, f, func(n int32, freq uint64, norm float64) { add(f, n, freq, norm) })
			if err != nil {
				return nil, err
			}
			continue
		}
		tfr, err := r.TermFieldReader(context.Background(), []byte(term), field, true, true, false)
		if err != nil {
			return nil, err
		}
		var tfd index.TermFieldDoc
		for {
			d, err := tfr.Next(&tfd)
			if err != nil {
				tfr.Close()
				return nil, err
			}
			if d == nil {
				break
			}
			n, ok := ix.num[string(d.ID)]
			if !ok {
				tfr.Close()
				return nil, errNoDoc
			}
			add(f, n, d.Freq, d.Norm)
		}
		tfr.Close()
	}
	if len(out) <= 1 {
		return out, nil
	}
	// Put out in doc order. A long list (a common bigram is in most
	// Japanese articles) is ordered by a pass over the slots, cheaper
	// than sorting it; the pass costs the number of documents, so a
	// short list, which most terms have, is sorted instead.
	if len(out)*sortRatio < len(slot) {
		sorted := append(m.sorted[:0], out...)
		slices.SortFunc(sorted, func(a, b termPosting) int { return cmp.Compare(a.doc, b.doc) })
		m.sorted = sorted
		return sorted, nil
	}
	sorted := m.sorted[:0]
	for _, i := range slot {
		if i != 0 {
			sorted = append(sorted, out[i-1])
		}
	}
	m.sorted = sorted
	return sorted, nil
}

// sortRatio is how many times fewer postings than documents a term must
// have for termPostings to sort them rather than pass over all documents.
// It is a rough guess, not tuned: both ways give the same order, and at
// 100,000 articles either is cheap beside the pass every term made before.
const sortRatio = 16

// impacts returns term's postings in the fields in as doc number →
// impact, in doc order. The result is valid until m's next use.
func (ix *Index) impacts(r index.IndexReader, m *merger, term string, in fieldSet) ([]docImpact, error) {
	ps, err := ix.termPostings(r, m, term, in)
	if err != nil {
		return nil, err
	}
	out := m.imp[:0]
	for i := range ps {
		out = append(out, docImpact{doc: ps[i].doc, impact: impact(&ps[i], len(ps), &ix.stats)})
	}
	m.imp = out
	return out, nil
}

type docImpact struct {
	doc    int32
	impact int32
}
