package search

import (
	"context"
	"hash/fnv"
	"sort"
	"strings"
	"unicode/utf8"

	index "github.com/blevesearch/bleve_index_api"
)

// Text terms are spread over shard files by a hash of a key, a prefix of
// the term, so that the browser can compute which file holds a term, and so
// that the word being typed, matched as a prefix, is expanded from a single
// file: all terms sharing a key are in one shard.
//
// The key is the term's first three runes (the whole term if shorter),
// extended by one rune at a time while it is in the split set. A prefix
// that would gather too many postings in one shard, such as "0x8" in a
// knowledge base where every article mentions codes like 0x80070005, is
// split, so that its terms spread over the keys "0x80", "0x81", … A prefix
// in the split set itself is not expanded (its terms are in many shards);
// one more typed character makes it expandable.

// A key's terms are split by a longer key when there are more than
// splitTerms of them with more than splitPostings postings (documents,
// summed over the terms) in all. Splitting helps against a long tail of
// terms (thousands of codes and numbers under "0x8"), not against a few
// frequent words (activation, activ, active under "act"), which a prefix
// needs anyway and which would only stop being expandable.
const (
	splitTerms    = 32
	splitPostings = 2000
)

// splitSet is the set of split keys.
type splitSet map[string]bool

func newSplitSet(keys []string) splitSet {
	s := make(splitSet, len(keys))
	for _, k := range keys {
		s[k] = true
	}
	return s
}

// firstRunes returns the first n runes of s, or all of s.
func firstRunes(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return s[:i]
}

// shardKey returns the part of term that picks its shard.
func shardKey(term string, split splitSet) string {
	n := utf8.RuneCountInString(term)
	k := minPrefixRunes
	for k < n && split[firstRunes(term, k)] {
		k++
	}
	return firstRunes(term, k)
}

// expandable reports whether terms starting with prefix are all in the
// shard of prefix's key, so that the prefix can be expanded.
func expandable(prefix string, split splitSet) bool {
	return utf8.RuneCountInString(prefix) >= minPrefixRunes && !split[prefix]
}

// shardOf is FNV-1a (32 bits) of the UTF-8 shard key, modulo the shard
// count, a power of two. search.js computes the same.
func shardOf(term string, shards int, split splitSet) int {
	return int(bucketOf(term, split)) & (shards - 1)
}

// bucketOf returns term's shard at the largest shard count,
// maxTermShards, which gives its shard at any smaller count, a power of
// two: the bucket modulo that count.
func bucketOf(term string, split splitSet) uint16 {
	h := fnv.New32a()
	h.Write([]byte(shardKey(term, split)))
	return uint16(h.Sum32() & (maxTermShards - 1))
}

// termDFs returns the document frequency, summed over the text fields, of
// every text term longer than minPrefixRunes, in byte order, leaving out
// the terms without live postings (see pin): what splitOf chooses the split
// keys from. A sum over fields is an upper bound, which is all the split
// needs. The keys are stored with the index, so Search and the browser use
// the same set.
//
// The counts come from the postings, not from the dictionaries' entries,
// which would be cheaper: bleve's dictionary iterator gives a count of 1
// for every term that follows, in a merged segment, a term held by a
// single document (blevesearch/zapx#445), so those counts, and with them
// the split keys and the export, depended on how the index happened to be
// merged (its batch size, and the timing of bleve's background merges).
func termDFs(r index.IndexReader) ([]termDF, error) {
	r = unfiltered(r)
	var terms []termDF
	err := eachTerm(r, func(term string, in fieldSet) error {
		if utf8.RuneCountInString(term) <= minPrefixRunes {
			return nil
		}
		df, err := docFreq(r, term, in)
		if df > 0 {
			terms = append(terms, termDF{term, df})
		}
		return err
	})
	return terms, err
}

// splitOf returns the split keys of terms, as termDFs returns them.
func splitOf(terms []termDF) []string {
	var split []string
	// group splits ts, sorted, by the first k runes of its terms longer
	// than min runes (all of them when min < 0) and recurses into the heavy
	// groups. It passes over the shorter terms in place rather than copy
	// the longer ones out: the copies were 16 MB of allocation in each
	// edit of a dev server at 10,000 articles. A shorter term never falls
	// between two longer ones of a group, all of which start with the
	// group's key: it would have to start with the key too, so be the key
	// itself, which sorts first.
	var group func(ts []termDF, k, min int)
	group = func(ts []termDF, k, min int) {
		long := func(t termDF) bool { return min < 0 || utf8.RuneCountInString(t.term) > min }
		for i := 0; i < len(ts); {
			if !long(ts[i]) {
				i++
				continue
			}
			key := firstRunes(ts[i].term, k)
			j, n, w := i, 0, uint64(0)
			for j < len(ts) && (!long(ts[j]) || firstRunes(ts[j].term, k) == key) {
				if long(ts[j]) {
					w += ts[j].df
					n++
				}
				j++
			}
			if w > splitPostings && n > splitTerms {
				split = append(split, key)
				group(ts[i:j], k+1, k+1)
			}
			i = j
		}
	}
	group(terms, minPrefixRunes, -1)
	sort.Strings(split)
	return split
}

// splitAlong returns splitOf(terms) from before, splitOf of the terms as
// they were, and changed, in any order, every term whose document
// frequency may differ since, or that came or went: only the groups of
// their first minPrefixRunes runes are split again. The split keys of
// such a group start with its key and depend on its terms alone, so the
// other groups' are before's. The terms are termDFs', every one longer
// than minPrefixRunes runes; so are those of changed that count. After a
// one-article edit at 10,000 generated articles, splitOf went through
// 170,000 terms, 9 ms of the update that the export waits for.
func splitAlong(before []string, terms []termDF, changed []string) []string {
	groups := make(map[string]bool)
	for _, t := range changed {
		if utf8.RuneCountInString(t) > minPrefixRunes {
			groups[firstRunes(t, minPrefixRunes)] = true
		}
	}
	var split []string
	for _, k := range before {
		if !groups[firstRunes(k, minPrefixRunes)] {
			split = append(split, k)
		}
	}
	for g := range groups {
		i := sort.Search(len(terms), func(i int) bool { return terms[i].term >= g })
		j := i
		for j < len(terms) && strings.HasPrefix(terms[j].term, g) {
			j++
		}
		split = append(split, splitOf(terms[i:j])...)
	}
	if len(split) == 0 {
		return nil // as splitOf gives none
	}
	sort.Strings(split)
	return split
}

// docFreq returns the number of documents with term in each of the fields
// in, summed over the fields.
func docFreq(r index.IndexReader, term string, in fieldSet) (uint64, error) {
	var n uint64
	for f, field := range textFields {
		if in&(1<<f) == 0 {
			continue
		}
		tfr, err := r.TermFieldReader(context.Background(), []byte(term), field, false, false, false)
		if err != nil {
			return 0, err
		}
		n += tfr.Count()
		tfr.Close()
	}
	return n, nil
}

// termDF is a term and its document frequency summed over the text fields.
type termDF struct {
	term string
	df   uint64
}
