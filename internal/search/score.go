package search

import (
	"context"
	"math"

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

// termPostings reads term's postings in every text field and merges them
// by document, in doc-number order.
func (ix *Index) termPostings(r index.IndexReader, term string) ([]termPosting, error) {
	var out []termPosting
	var slot []int32 // doc number → index in out + 1, allocated on the first posting
	for f, field := range textFields {
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
			if slot == nil {
				slot = make([]int32, len(ix.ids))
			}
			if slot[n] == 0 {
				out = append(out, termPosting{doc: n})
				slot[n] = int32(len(out))
			}
			out[slot[n]-1].fields[f] = fieldStat{tf: float64(d.Freq), length: normLength(d.Norm)}
		}
		tfr.Close()
	}
	// Put out in doc order: a pass over the slots is cheaper than sorting
	// the long lists, and short lists are cheap either way.
	if len(out) > 1 {
		sorted := make([]termPosting, 0, len(out))
		for _, i := range slot {
			if i != 0 {
				sorted = append(sorted, out[i-1])
			}
		}
		out = sorted
	}
	return out, nil
}

// impacts returns term's postings as doc number → impact, in doc order.
func (ix *Index) impacts(r index.IndexReader, term string) ([]docImpact, error) {
	ps, err := ix.termPostings(r, term)
	if err != nil {
		return nil, err
	}
	out := make([]docImpact, len(ps))
	for i := range ps {
		out[i] = docImpact{doc: ps[i].doc, impact: impact(&ps[i], len(ps), &ix.stats)}
	}
	return out, nil
}

type docImpact struct {
	doc    int32
	impact int32
}
