package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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

// TestSplitAlong checks that split keys worked out along the previous
// ones (splitAlong) are those of all the terms (splitOf), over random
// edits of terms made to split: frequencies moved, terms added and
// removed, in groups that do and do not split, from one step to the next.
func TestSplitAlong(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// About splitTerms terms of about splitPostings postings in all under
	// each key, and under the keys one rune longer within "0x8", so that
	// groups, and groups within a group, pass the thresholds and fall
	// back under them as the edits go; and a group far above them.
	pools := []struct {
		prefix string
		n, df  int
	}{
		{"act", 40, 110}, {"srv", 40, 120}, {"ライセ", 40, 120},
		{"0x80", 40, 120}, {"0x81", 40, 120}, {"0x82", 40, 120}, {"0xc", 400, 100},
	}
	newTerm := func() (string, uint64) {
		p := pools[rng.IntN(len(pools))]
		return fmt.Sprintf("%s%02x", p.prefix, rng.IntN(p.n)), uint64(rng.IntN(p.df))
	}
	dfs := map[string]uint64{}
	for range 600 {
		if term, df := newTerm(); df > 0 {
			dfs[term] = df
		}
	}
	sorted := func() []termDF {
		var ts []termDF
		for term, df := range dfs {
			if utf8.RuneCountInString(term) > minPrefixRunes {
				ts = append(ts, termDF{term, df})
			}
		}
		slices.SortFunc(ts, func(a, b termDF) int { return strings.Compare(a.term, b.term) })
		return ts
	}
	split := splitOf(sorted())
	if len(split) == 0 {
		t.Fatal("the test's terms split no group")
	}
	changedGroups := 0
	for step := range 400 {
		var changed []string
		for range 1 + rng.IntN(8) {
			term, df := newTerm()
			if df == 0 {
				delete(dfs, term)
			} else {
				dfs[term] = df
			}
			changed = append(changed, term)
		}
		if rng.IntN(4) == 0 {
			changed = append(changed, "ab", "ライ") // too short to count
		}
		terms := sorted()
		got, want := splitAlong(split, terms, changed), splitOf(terms)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: splitAlong = %q, splitOf = %q", step, got, want)
		}
		if !slices.Equal(want, split) {
			changedGroups++
		}
		split = want
	}
	if changedGroups == 0 {
		t.Error("no edit changed the split keys")
	}
}
