package search

import (
	"context"
	"fmt"
	"sort"

	index "github.com/blevesearch/bleve_index_api"

	"github.com/kbgen/kbgen/internal/errcode"
)

// Query is a search request.
type Query struct {
	Text string // what the user typed
	Lang string // only articles in this language; "" for all
	// Prefer ranks articles in this language first among those that match
	// equally well (same code score and matched terms): a reader of the
	// Japanese pages gets the Japanese article for a code before the
	// English one, and still sees both.
	Prefer string
	Tags   []string // only articles with all of these tags
	Limit  int      // at most this many hits; 0 means 10
}

// Hit is one result.
type Hit struct {
	ID      string
	Title   string
	Lang    string
	Codes   []errcode.Code
	Score   float64 // see Index.Search; comparable only within one query
	Snippet string  // HTML: escaped text with <mark> around the query's terms
}

// Search runs q and returns the best hits, best first.
//
// Ranking is lexicographic, the same in search.js:
//  1. code score: for each code (or code prefix) in the query, 2 if it is
//     the document's primary code, 1 if the document carries it otherwise;
//     so every article carrying a code comes before every article that
//     does not, whatever else was typed;
//  2. how many of the query's text terms the document contains;
//  3. the sum of those terms' impacts (BM25F, see impact);
//  4. the document's ID, ascending.
//
// A document is a result if it carries a queried code or contains every
// text term. When that leaves nothing, documents containing any text term
// are results, so a query with a typo in one word still shows something.
// Hit.Score folds the first three keys into one number for display and
// JSON output.
func (ix *Index) Search(q Query) ([]Hit, error) {
	r, err := ix.reader()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer r.Close()
	res, p, needles, err := ix.run(r, q)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	if len(res) > limit {
		res = res[:limit]
	}
	hl := newHighlighter(p, needles)
	hits := make([]Hit, 0, len(res))
	for _, s := range res {
		d, err := ix.storedDoc(r, s.doc)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		hits = append(hits, Hit{
			ID:      d.id,
			Title:   d.title,
			Lang:    d.lang,
			Codes:   d.codes,
			Score:   float64(s.code)*1e9 + float64(s.matched)*1e6 + float64(s.text)/impactScale,
			Snippet: hl.snippet(d.summary, d.excerpt),
		})
	}
	return hits, nil
}

// scored is a document's ranking key.
type scored struct {
	doc     int32
	code    int32
	matched int32
	lang    int32 // 1 when in the preferred language
	text    int32
}

func less(a, b *scored) bool {
	switch {
	case a.code != b.code:
		return a.code > b.code
	case a.matched != b.matched:
		return a.matched > b.matched
	case a.lang != b.lang:
		return a.lang > b.lang
	case a.text != b.text:
		return a.text > b.text
	}
	return a.doc < b.doc
}

// run evaluates q and returns every result in rank order, with the plan
// and the strings to mark in snippets.
func (ix *Index) run(r index.IndexReader, q Query) ([]scored, plan, []string, error) {
	p := parseQuery(q.Text)
	// Ranking keys by doc number, and the documents touched so far.
	acc := make([]scored, len(ix.ids))
	var touched []int32
	touch := func(d int32) {
		if acc[d].code == 0 && acc[d].matched == 0 {
			touched = append(touched, d)
		}
	}
	unmatched := make([]bool, len(p.codes))
	for i, c := range p.codes {
		best, err := ix.codeCarriers(r, c)
		if err != nil {
			return nil, p, nil, err
		}
		if len(best) == 0 {
			unmatched[i] = true
		}
		for d, w := range best {
			touch(d)
			acc[d].code += w
		}
	}
	groups, needles := p.textGroups(unmatched, ix.split)
	best := make([]int32, len(ix.ids)) // a group's best impact per doc; impacts are ≥ 1
	m := ix.newMerger()
	for _, g := range groups {
		terms := g.terms
		if g.prefix != "" {
			exp, err := ix.expandPrefix(r, g.prefix)
			if err != nil {
				return nil, p, nil, err
			}
			terms = append(append([]string(nil), terms...), exp...)
		}
		var hit []int32
		for _, t := range terms {
			ps, err := ix.impacts(r, m, t, allFields)
			if err != nil {
				return nil, p, nil, err
			}
			for _, di := range ps {
				if best[di.doc] == 0 {
					hit = append(hit, di.doc)
				}
				best[di.doc] = max(best[di.doc], di.impact)
			}
		}
		for _, d := range hit {
			touch(d)
			acc[d].matched++
			acc[d].text += best[d]
			best[d] = 0
		}
	}
	keep, err := ix.filter(r, q)
	if err != nil {
		return nil, p, nil, err
	}
	var prefer map[int32]bool
	if q.Prefer != "" {
		docs, err := ix.termDocs(r, q.Prefer, fLang)
		if err != nil {
			return nil, p, nil, err
		}
		prefer = make(map[int32]bool, len(docs))
		for _, d := range docs {
			prefer[d] = true
		}
	}
	n := int32(len(groups))
	var res []scored
	for pass := 0; pass < 2 && len(res) == 0; pass++ {
		for _, d := range touched {
			s := acc[d]
			if keep != nil && !keep[d] {
				continue
			}
			if s.code > 0 || (n > 0 && s.matched == n) || (pass == 1 && s.matched > 0) {
				s.doc = d
				if prefer[d] {
					s.lang = 1
				}
				res = append(res, s)
			}
		}
	}
	sort.Slice(res, func(i, j int) bool { return less(&res[i], &res[j]) })
	return res, p, needles, nil
}

// codeCarriers returns the documents carrying c (or, for a prefix, any
// code starting with it), each with its code score: 2 where it is the
// primary code, else 1.
func (ix *Index) codeCarriers(r index.IndexReader, c codeTerm) (map[int32]int32, error) {
	codes := []string{c.code}
	if c.prefix {
		var err error
		if codes, err = dictPrefix(r, fCodes, c.code); err != nil {
			return nil, err
		}
	}
	out := make(map[int32]int32)
	for _, code := range codes {
		for _, f := range [...]struct {
			field string
			w     int32
		}{{fCodes, 1}, {fPrimary, 2}} {
			docs, err := ix.termDocs(r, code, f.field)
			if err != nil {
				return nil, err
			}
			for _, d := range docs {
				if f.w > out[d] {
					out[d] = f.w
				}
			}
		}
	}
	return out, nil
}

// termDocs returns the documents with term in a keyword field.
func (ix *Index) termDocs(r index.IndexReader, term, field string) ([]int32, error) {
	tfr, err := r.TermFieldReader(context.Background(), []byte(term), field, false, false, false)
	if err != nil {
		return nil, err
	}
	defer tfr.Close()
	var out []int32
	var tfd index.TermFieldDoc
	for {
		d, err := tfr.Next(&tfd)
		if err != nil {
			return nil, err
		}
		if d == nil {
			return out, nil
		}
		n, ok := ix.num[string(d.ID)]
		if !ok {
			return nil, errNoDoc
		}
		out = append(out, n)
	}
}

// dictPrefix returns the terms of field that start with prefix.
func dictPrefix(r index.IndexReader, field, prefix string) ([]string, error) {
	fd, err := r.FieldDictPrefix(field, []byte(prefix))
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	var out []string
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		out = append(out, e.Term)
	}
}

// expandPrefix returns the text terms, in any text field, that start with
// prefix, sorted and without duplicates.
func (ix *Index) expandPrefix(r index.IndexReader, prefix string) ([]string, error) {
	set := make(map[string]bool)
	for _, f := range textFields {
		ts, err := dictPrefix(r, f, prefix)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			set[t] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// filter returns the documents q's language and tags allow, or nil when
// q has no filter.
func (ix *Index) filter(r index.IndexReader, q Query) (map[int32]bool, error) {
	var keep map[int32]bool
	narrow := func(term, field string) error {
		docs, err := ix.termDocs(r, term, field)
		if err != nil {
			return err
		}
		next := make(map[int32]bool, len(docs))
		for _, d := range docs {
			if keep == nil || keep[d] {
				next[d] = true
			}
		}
		keep = next
		return nil
	}
	if q.Lang != "" {
		if err := narrow(q.Lang, fLang); err != nil {
			return nil, err
		}
	}
	for _, t := range q.Tags {
		if err := narrow(t, fTags); err != nil {
			return nil, err
		}
	}
	return keep, nil
}

// storedFields is what results display of a document.
type storedFields struct {
	id, title, lang, errorText, summary, excerpt, updated string
	codes                                                 []errcode.Code
	tags                                                  []string
}

func (ix *Index) storedDoc(r index.IndexReader, n int32) (*storedFields, error) {
	id := ix.ids[n]
	doc, err := r.Document(id)
	if err != nil {
		return nil, err
	}
	d := &storedFields{id: id}
	if doc == nil {
		return d, nil
	}
	doc.VisitFields(func(f index.Field) {
		v := string(f.Value())
		switch f.Name() {
		case fTitle:
			d.title = v
		case fErrorText:
			d.errorText = v
		case fLang:
			d.lang = v
		case fSummary:
			d.summary = v
		case fExcerpt:
			d.excerpt = v
		case fUpdated:
			d.updated = v
		case fCodes:
			if c, ok := errcode.Parse(v); ok {
				d.codes = append(d.codes, c)
			}
		case fTags:
			d.tags = append(d.tags, v)
		}
	})
	return d, nil
}
