package search

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

// TestSegmentReads reads every term of an index that has several segments
// and deleted documents (an update's, see pin) both through bleve's
// TermFieldReaders and straight from the segments (counter, postings),
// and checks that the two agree posting for posting.
func TestSegmentReads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	docs := syntheticDocs(200, 21)
	ix, err := Update(context.Background(), dir, docs)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	docs = slices.Clone(docs)
	for _, i := range []int{3, 50, 51, 120} {
		docs[i].Body += " 追記 appended rare12345"
	}
	docs = slices.Delete(docs, 70, 72)
	ix, err = Update(context.Background(), dir, docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.segments < 2 || ix.deleted == 0 {
		t.Fatalf("index has %d segments and %d deleted documents; the test needs several and some", ix.segments, ix.deleted)
	}
	r, err := ix.reader()
	if err != nil {
		t.Fatal(err)
	}
	fast, slow := ix.newMerger(), ix.newMerger()
	if fast.p == nil {
		t.Fatal("no segment reader for a scorch index")
	}
	slow.p = nil
	c, err := newCounter(r)
	if err != nil || c == nil {
		t.Fatalf("newCounter: %v, %v", c, err)
	}
	terms, err := ix.allTerms(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range terms {
		got, err := ix.termPostings(r, fast, term, allFields)
		if err != nil {
			t.Fatal(err)
		}
		got = slices.Clone(got)
		want, err := ix.termPostings(r, slow, term, allFields)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Fatalf("%q: postings from the segments %v, from bleve %v", term, got, want)
		}
		n, err := c.docFreq(term)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := docFreq(r, term, allFields); n != want {
			t.Errorf("%q: %d documents counted in the segments, %d by bleve", term, n, want)
		}
	}
}
