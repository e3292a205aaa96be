package search

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestSplitMerged checks that the split keys do not depend on how bleve
// merged the index. bleve's dictionary iterator reports a count of 1 for
// every term after a single-document term in a merged segment
// (blevesearch/zapx#445), so counting postings from the dictionaries made
// "srv" look light (40 postings) in the merged index below and left it
// unsplit, while the same documents in one unmerged segment split it.
func TestSplitMerged(t *testing.T) {
	var docs []Doc
	for i := range 300 {
		body := fmt.Sprintf("abc%03d", i) // one document each, and before "srv"
		for j := range 40 {
			body += fmt.Sprintf(" srv%03d", j) // 40 terms under "srv", 12,000 postings
		}
		docs = append(docs, Doc{ID: fmt.Sprintf("en/%03d/", i), Lang: "en", Body: body})
	}
	mem, err := build(context.Background(), "", docs, len(docs)) // one segment, never merged
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	disk, err := build(context.Background(), t.TempDir()+"/index", docs, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	if err := disk.merge(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := disk.pin(); err != nil { // read the merged segment
		t.Fatal(err)
	}
	r, err := disk.reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dfs, err := termDFs(r)
	if err != nil {
		t.Fatal(err)
	}
	got := splitOf(dfs)
	if want := mem.stats.Split; !slices.Equal(got, want) || !slices.Contains(want, "srv") {
		t.Errorf("split of the merged index = %q, of the unmerged one %q; want both to hold \"srv\"", got, want)
	}
}
