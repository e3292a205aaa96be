package search

import (
	"hash/fnv"
	"sort"
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
	h := fnv.New32a()
	h.Write([]byte(shardKey(term, split)))
	return int(h.Sum32() & uint32(shards-1))
}

// computeSplit chooses the split keys from the text fields' dictionaries,
// counting postings from the dictionaries' document frequencies (summed
// over fields: an upper bound, and cheap). The result is stored with the
// index, so Search and the browser use the same set.
func computeSplit(r index.IndexReader) ([]string, error) {
	df := make(map[string]uint64)
	for _, f := range textFields {
		fd, err := r.FieldDict(f)
		if err != nil {
			return nil, err
		}
		for {
			e, err := fd.Next()
			if err != nil {
				fd.Close()
				return nil, err
			}
			if e == nil {
				break
			}
			df[e.Term] += e.Count
		}
		fd.Close()
	}
	terms := make([]string, 0, len(df))
	for t := range df {
		if utf8.RuneCountInString(t) > minPrefixRunes {
			terms = append(terms, t)
		}
	}
	sort.Strings(terms)
	var split []string
	// group splits terms, all longer than k runes and sorted, by their
	// first k runes and recurses into the heavy groups.
	var group func(ts []string, k int)
	group = func(ts []string, k int) {
		for i := 0; i < len(ts); {
			key := firstRunes(ts[i], k)
			j, w := i, uint64(0)
			for j < len(ts) && firstRunes(ts[j], k) == key {
				w += df[ts[j]]
				j++
			}
			if w > splitPostings && j-i > splitTerms {
				split = append(split, key)
				var longer []string
				for _, t := range ts[i:j] {
					if utf8.RuneCountInString(t) > k+1 {
						longer = append(longer, t)
					}
				}
				group(longer, k+1)
			}
			i = j
		}
	}
	group(terms, minPrefixRunes)
	sort.Strings(split)
	return split, nil
}
