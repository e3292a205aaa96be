package search

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	index "github.com/blevesearch/bleve_index_api"
)

// An export after an edit differs from the one before in few files: on
// 10,000 generated articles, one article edited changed 85 of 15,667. But
// finding which means reading the postings of every term, two seconds at
// that size. ExportAs instead keeps a description of each export it makes
// (exportState) in the index, and the next ExportAs, if the index then
// differs only in the content of some documents, works out from it which
// files can have changed, makes those and takes the rest from the earlier
// export through its Reuse.
//
// A file of the export depends on
//   - a term shard: the postings of its terms, each scored with the
//     term's document frequency and the index's statistics (document
//     count, average field lengths: see impact), and on the shard count
//     and split keys that put the terms in it;
//   - d/<n>.json: document n's stored fields, and the doc numbering;
//   - a code bucket: the postings of its codes and the cards of their
//     documents;
//   - facets and index.json: every document (they are small and always
//     made again).
//
// So when the documents are the same IDs, the statistics, split keys and
// shard counts come out the same, and the changed documents are known,
// only the shards holding a term of a changed document (before or after
// the change), the changed documents' d/ files and the code buckets of
// their codes (before or after) can differ. Average lengths are rounded to
// a whole token (see roundLen), so that an edit rarely moves them; when
// anything global does move, the export is made in full. Those shards are
// themselves made from the previous export's files, with only the terms
// of the changed documents looked at again (see shardPatch).
// TestExportDelta compares the result with a full export, byte for byte.

// buckets is the number of term buckets: see bucketOf.
const buckets = maxTermShards

// exportState describes an export: what the next ExportAs needs to tell
// which of its files an edit can change, and to take the rest over. It is
// kept in a file beside the index (see statePath), written when the
// Index that made an export with a Reuse is closed (see Index.Close), in
// a form of its own (see statefile.go): on 10,000 generated articles it is
// 9.3 MB (170,680 terms, 15,669 files), half of it the documents' buckets
// (see encodeBuckets). Update reads it beside its indexing, for dfsFrom
// and then ExportAs.
type exportState struct {
	Stats   stats             // of the index exported
	IDs     []string          // by doc number
	Sums    []byte            // the documents' hashes (see Doc.sum), 32 bytes each, by doc number
	Shards  [2]int            // shard counts of the families t and u
	Sizes   [2][buckets]int64 // per family and bucket, the size the shard count is computed from
	Terms   []string          // every text term, in byte order
	DF      []uint32          // by term: its document frequency as termDFs counts it, 0 for those it leaves out
	Count   []uint32          // by term: the documents with it in a text field, the df of its impacts; nil if not known
	Buckets [][]byte          // by doc number: the buckets of the document's text terms, sorted, as uint16 little-endian
	Cards   []card            // by doc number
	Lens    []uint32          // by doc number, each text field's analysed length (see fieldLengths); nil if not known
	Codes   string            // the manifest's bitmap of code bucket keys (see writeCodeBuckets)
	Files   []string          // every file, by name below the version directory, sorted
	FileSum []byte            // Files' SHA-256, 32 bytes each
}

// statePath is where the export state of the index in dir is kept: beside
// it, not in it, since bleve's internal values are rewritten with every
// commit of the index (a 6 MB value, the state's size when this was
// measured, cost a second per update).
func statePath(dir string) string { return dir + ".export" }

// removeExportState removes the state of the index in dir, which is being
// replaced.
func removeExportState(dir string) error {
	if err := os.Remove(statePath(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// family returns the family of a term: 0 for t, terms of two or more
// runes, 1 for u, one-rune terms.
func family(term string) int {
	if utf8.RuneCountInString(term) == 1 {
		return 1
	}
	return 0
}

var familyName = [2]string{"t", "u"}

// textTerms returns d's text terms as bleve indexes them, each once, in
// no particular order.
func (ix *Index) textTerms(d *Doc) []string {
	a := ix.bi.Mapping().AnalyzerNamed(textAnalyzer)
	seen := make(map[string]bool)
	add := func(s string) {
		for _, tok := range a.Analyze([]byte(s)) {
			seen[string(tok.Term)] = true
		}
	}
	add(d.Title)
	add(d.ErrorText)
	for _, h := range d.Headings {
		add(h)
	}
	add(d.Body)
	terms := make([]string, 0, len(seen))
	for t := range seen {
		terms = append(terms, t)
	}
	return terms
}

// bucketsOf returns the sorted, distinct buckets of terms.
func bucketsOf(terms []string, split splitSet) []uint16 {
	out := make([]uint16, 0, len(terms))
	for _, t := range terms {
		out = append(out, bucketOf(t, split))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// exportDelta makes the export with w from prev, the state of an earlier
// export, as described above, and returns the new state. It reports
// false, having written nothing that matters, when the export must be
// made in full: prev does not apply, a global figure changed, or w's
// Reuse could not supply a file prev describes.
func (ix *Index) exportDelta(w *exportWriter, prev *exportState) (*exportState, bool, error) {
	if prev == nil || ix.sums == nil || w.reuse == nil || !sameStats(prev.Stats, ix.stats) ||
		!slices.Equal(prev.IDs, ix.ids) || len(prev.Sums) != 32*len(ix.ids) ||
		len(prev.Buckets) != len(ix.ids) || len(prev.Cards) != len(ix.ids) || len(prev.FileSum) != 32*len(prev.Files) {
		return nil, false, nil
	}
	if len(w.sums) == 0 {
		// Sized for the previous export's files, which this one has
		// but for a few, rather than grown and rehashed along.
		w.sums = make(map[string]Sum, len(prev.Files))
	}
	if w.over != nil {
		// The few files a delta export over an earlier one makes are
		// kept in memory, not written: creating a file cost 0.3 ms and
		// more here, and an edit that changes the article's length
		// changes a few hundred shards.
		w.mem = make(map[string][]byte)
	}
	next := &exportState{Stats: ix.stats, IDs: ix.ids, Sums: docSums(ix.ids, ix.sums), Shards: prev.Shards,
		Sizes: prev.Sizes, Buckets: slices.Clone(prev.Buckets), Cards: slices.Clone(prev.Cards)}
	next.Lens = ix.lensFor(next.Sums, prev)
	// What the update worked out from the same state, under the same
	// split keys (sameStats), or else worked out now.
	e := ix.edited
	if e == nil || e.prev != prev {
		e = ix.touched(prev, ix.sums, ix.split)
	}
	ix.edited = nil
	if e == nil {
		return nil, false, nil
	}
	var changed []int32
	for n, id := range ix.ids {
		if b, ok := e.after[id]; ok {
			changed = append(changed, int32(n))
			next.Buckets[n] = b
		}
	}

	// With what the index held of the changed documents before, only the
	// buckets of the terms whose postings did change are dirty.
	dirty := [2]*[buckets]bool{&e.dirty, &e.dirty} // by family
	if narrowed, ok, err := ix.narrow(prev, e, changed); err != nil {
		return nil, false, err
	} else if ok {
		dirty = [2]*[buckets]bool{&narrowed[0], &narrowed[1]}
	}

	// The shards of the dirty buckets, in each family.
	var shardDirty [2][]bool
	for f := range shardDirty {
		shardDirty[f] = make([]bool, prev.Shards[f])
		for b, d := range dirty[f] {
			if d {
				shardDirty[f][b&(prev.Shards[f]-1)] = true
			}
		}
		for b := range next.Sizes[f] {
			if shardDirty[f][b&(prev.Shards[f]-1)] {
				next.Sizes[f][b] = 0
			}
		}
	}

	r, err := ix.reader()
	if err != nil {
		return nil, false, err
	}
	defer r.Close()
	prevSum := make(map[string]Sum, len(prev.Files))
	for i, name := range prev.Files {
		prevSum[name] = Sum(prev.FileSum[32*i : 32*i+32])
	}

	// The changed documents' files, and from their codes, before and
	// after, the code buckets to make again: those under the top-level
	// keys of those codes.
	isChanged := make(map[int32]bool, len(changed))
	dirtyKey := make(map[string]bool)
	for _, n := range changed {
		isChanged[n] = true
		df, c, err := ix.docFile(r, n)
		if err != nil {
			return nil, false, err
		}
		next.Cards[n] = c
		if err := w.writeJSON("d/"+strconv.Itoa(int(n)), df); err != nil {
			return nil, false, err
		}
		for _, c := range append(slices.Clone(prev.Cards[n].Codes), next.Cards[n].Codes...) {
			dirtyKey[c[2:5]] = true
		}
	}

	// Every other file is the previous export's. Taking them over is a
	// system call or two each, 14,000 files at 10,000 articles; it runs
	// beside the making of the dirty shards, which is computation, on
	// three goroutines, two for the documents' directory and one for the
	// others'. Over a base export (see ExportAs) a file kept is only
	// stat'd; linked into a new directory, the kernel serialises the
	// documents' links, but over a base the two halves kept the tail of
	// a one-article rebuild at 10,000 articles on both cores once its
	// pages were written.
	keep := func(name string) error {
		sum, ok := prevSum[name]
		if !ok {
			return errFullExport
		}
		ok, err := w.keep(name, sum)
		if err == nil && !ok {
			err = errFullExport
		}
		return err
	}
	kept := make(chan error, 3)
	keepDocs := func(from, to int) {
		kept <- func() error {
			for n := from; n < to; n++ {
				if isChanged[int32(n)] {
					continue
				}
				if err := keep("d/" + strconv.Itoa(n) + ".json"); err != nil {
					return err
				}
			}
			return nil
		}()
	}
	go keepDocs(0, len(ix.ids)/2)
	go keepDocs(len(ix.ids)/2, len(ix.ids))
	go func() {
		kept <- func() error {
			for f, fam := range familyName {
				for s, d := range shardDirty[f] {
					if d {
						continue
					}
					if err := keep(fam + "/" + strconv.Itoa(s) + ".json.gz"); err != nil {
						return err
					}
				}
			}
			for _, name := range prev.Files {
				if strings.HasPrefix(name, "c/") && len(name) >= 5 && !dirtyKey[name[2:5]] {
					if err := keep(name); err != nil {
						return err
					}
				}
			}
			return nil
		}()
	}()
	waitKept := sync.OnceValue(func() error { return errors.Join(<-kept, <-kept, <-kept) })
	defer waitKept() // the caller may remove w's directory once this returns

	// The dirty shards are made from the previous export's. A term that no
	// changed document has, before or after, keeps its postings and its
	// document frequency, so its encoded impacts are taken as they were; a
	// term a changed document has both before and after keeps its document
	// frequency, so only that document's impact is computed again. Only the
	// terms a change adds to or removes from a document, whose document
	// frequency moves, have their postings read again. At 10,000 generated
	// articles, reading every posting of every term in the dirty shards
	// read 5.6 million postings after a one-article edit, 90% of them the
	// postings of the edited article's own common terms.
	base := shardPatch{ix: ix, after: make(map[int32]map[string]bool, len(changed))}
	for _, n := range changed {
		base.docs = append(base.docs, n)
		set := make(map[string]bool)
		for _, t := range ix.fresh[ix.ids[n]] {
			set[t] = true
		}
		base.after[n] = set
	}
	var newTerms [2]map[int][]string // fresh terms by family and shard
	for f := range newTerms {
		newTerms[f] = make(map[int][]string)
	}
	for _, t := range e.fresh {
		f := family(t)
		s := int(bucketOf(t, ix.split)) & (prev.Shards[f] - 1)
		newTerms[f][s] = append(newTerms[f][s], t)
	}
	var jobs []*shardJob
	for f := range familyName {
		for s, d := range shardDirty[f] {
			if d {
				jobs = append(jobs, &shardJob{f: f, s: s, name: familyName[f] + "/" + strconv.Itoa(s) + ".json.gz"})
			}
		}
	}
	ix.lastShards = ix.lastShards[:0]
	for _, job := range jobs {
		ix.lastShards = append(ix.lastShards, job.name)
	}
	// Over an earlier export, the shards made now are kept decoded for the
	// next export, which is likely to make many of the same ones again: an
	// author edits one article save after save. Those kept before stay
	// while they take up to half of maxCachedBytes; one that changed since
	// is only not found.
	var shards map[string]cachedShard
	var shardsMu sync.Mutex
	if w.over != nil {
		shards = make(map[string]cachedShard, len(ix.shards)+len(jobs))
		if cachedBytes(ix.shards) <= maxCachedBytes/2 {
			maps.Copy(shards, ix.shards)
		}
	}
	ix.lastCached.Store(0)
	var nextJob, reads atomic.Int64
	err = ix.parallel(len(jobs), func(_ int, r index.IndexReader) error {
		p := base
		p.r, p.m = r, ix.newMerger()
		defer func() { reads.Add(int64(p.reads)) }()
		for {
			j := int(nextJob.Add(1) - 1)
			if j >= len(jobs) {
				return nil
			}
			job := jobs[j]
			sum, ok := prevSum[job.name]
			if !ok {
				return errFullExport
			}
			old, err := ix.previousShard(w, job.name, sum)
			if err != nil {
				return err
			}
			if err := p.shard(job, old, newTerms[job.f][job.s]); err != nil {
				return err
			}
			// Written here, on the workers: creating a file is the
			// costliest part of a shard on some file systems. A full
			// export that follows starts in an empty directory.
			if err := w.replace(job.name, sum, job.data); err != nil {
				return err
			}
			if shards != nil {
				next := cachedShard{sum: sum, pairs: old}
				if job.data != nil {
					next = cachedShard{sum: sha256.Sum256(job.data), pairs: job.pairs}
				}
				for _, pr := range next.pairs {
					next.size += len(pr[0]) + len(pr[1])
				}
				shardsMu.Lock()
				shards[job.name] = next
				shardsMu.Unlock()
			}
		}
	})
	if shards != nil && err == nil {
		ix.shards = shards
		if cachedBytes(shards) > maxCachedBytes {
			ix.shards = nil // a site too large for it to pay
		}
	}
	if errors.Is(err, errFullExport) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ix.lastRead = int(reads.Load())
	var cands []string // the terms looked at again
	alive := make(map[string]bool)
	count := make(map[string]uint32)
	for _, job := range jobs {
		for _, pr := range job.pairs {
			next.Sizes[job.f][bucketOf(pr[0], ix.split)] += int64(len(pr[0]) + len(pr[1]) + 6)
		}
		for _, t := range job.looked {
			cands = append(cands, t)
			alive[t] = !job.dead[t]
			count[t] = job.count[t]
		}
	}
	for f := range next.Shards {
		var total int64
		for _, n := range next.Sizes[f] {
			total += n
		}
		if shardCount(total) != prev.Shards[f] {
			return nil, false, nil
		}
	}
	slices.Sort(cands)
	if at, ok := termsAt(prev.Terms, cands, alive); ok && len(prev.Count) == len(prev.Terms) {
		// No term came or went: the terms are the previous ones, and
		// the counts too, but for those looked at again. On 170,000
		// made-up terms, a few hundred looked at, merging the terms took
		// 3.6 ms and counting along them 3.3 ms.
		next.Terms = prev.Terms
		next.Count = slices.Clone(prev.Count)
		for k, t := range cands {
			next.Count[at[k]] = count[t]
		}
	} else {
		next.Terms = mergeTerms(prev.Terms, cands, alive)
		next.Count = countAlong(next.Terms, prev.Terms, prev.Count, cands, count)
	}
	next.DF = dfAlong(next.Terms, ix.dfs)
	if ix.dfs == nil && len(changed) == 0 {
		next.DF = prev.DF // the same terms in the same documents
	}
	// The code buckets of the dirty keys, and the manifest's bitmap of
	// the keys: the previous export's for the others. Listing every code
	// to make the bitmap took 30 to 160 ms at 10,000 articles, while the
	// index holds replaced versions (see liveDict).
	bits, err := base64.StdEncoding.DecodeString(prev.Codes)
	if err != nil || len(bits) != 1<<12/8 {
		return nil, false, nil
	}
	var prefixes []string
	for key := range dirtyKey {
		n, err := strconv.ParseUint(key, 16, 12)
		if err != nil {
			return nil, false, nil
		}
		bits[n/8] &^= 1 << (n % 8)
		prefixes = append(prefixes, "0x"+key)
	}
	slices.Sort(prefixes)
	codes, err := ix.codePostings(r, prefixes...)
	if err != nil {
		return nil, false, err
	}
	dirtyBits, err := writeCodeBuckets(w, codes, next.Cards)
	if err != nil {
		return nil, false, err
	}
	nb, err := base64.StdEncoding.DecodeString(dirtyBits)
	if err != nil || len(nb) != len(bits) {
		return nil, false, err
	}
	for i := range bits {
		bits[i] |= nb[i]
	}
	next.Codes = base64.StdEncoding.EncodeToString(bits)
	if err := waitKept(); err != nil {
		if errors.Is(err, errFullExport) {
			err = nil
		}
		return nil, false, err
	}

	mf := manifest{Format: formatVersion, Docs: len(ix.ids), Split: ix.stats.Split,
		Terms: prev.Shards[0], Chars: prev.Shards[1], Codes: next.Codes}
	if err := ix.writeRest(r, w, &mf); err != nil {
		return nil, false, err
	}
	next.setFilesAlong(prev, w)
	return next, true, nil
}

// mergeTerms returns terms, sorted, without the candidates that are not
// alive, and with those that are and were not in terms.
func mergeTerms(terms, cands []string, alive map[string]bool) []string {
	out := make([]string, 0, len(terms)+len(cands))
	i, j := 0, 0
	for i < len(terms) || j < len(cands) {
		switch {
		case j == len(cands) || i < len(terms) && terms[i] < cands[j]:
			out = append(out, terms[i])
			i++
		case i == len(terms) || cands[j] < terms[i]:
			if alive[cands[j]] {
				out = append(out, cands[j])
			}
			j++
		default: // the same term
			if alive[cands[j]] {
				out = append(out, cands[j])
			}
			i++
			j++
		}
	}
	return out
}

// termsAt returns the positions in terms of cands, both sorted, and
// reports whether mergeTerms would return terms itself: every candidate
// is alive and in terms.
func termsAt(terms, cands []string, alive map[string]bool) ([]int, bool) {
	at := make([]int, len(cands))
	for k, t := range cands {
		i, found := slices.BinarySearch(terms, t)
		if !found || !alive[t] {
			return nil, false
		}
		at[k] = i
	}
	return at, true
}

// countAlong returns exportState.Count for terms, those of an export made
// from the previous one's, whose terms and counts were prevTerms and
// prevCount, all in byte order: count's for the terms looked at again,
// looked, the previous count for the others; nil if prevCount is not
// whole. Walking looked beside terms rather than looking every term up
// in count took 3.3 ms instead of 5.6 ms on 170,000 made-up terms, a few
// hundred looked at.
func countAlong(terms, prevTerms []string, prevCount []uint32, looked []string, count map[string]uint32) []uint32 {
	if len(prevCount) != len(prevTerms) {
		return nil
	}
	out := make([]uint32, len(terms))
	j, k := 0, 0
	for i, t := range terms {
		for k < len(looked) && looked[k] < t {
			k++
		}
		if k < len(looked) && looked[k] == t {
			out[i] = count[t]
			continue
		}
		for j < len(prevTerms) && prevTerms[j] < t {
			j++
		}
		if j == len(prevTerms) || prevTerms[j] != t {
			return nil // not a term of either: cannot happen
		}
		out[i] = prevCount[j]
	}
	return out
}

// docSums returns the hashes of the documents ids, 32 bytes each.
func docSums(ids []string, sums map[string][32]byte) []byte {
	out := make([]byte, 0, 32*len(ids))
	for _, id := range ids {
		s := sums[id]
		out = append(out, s[:]...)
	}
	return out
}

// lensFor returns the field lengths for the state of an export of the
// documents whose hashes are sums (docSums): those the last update
// worked out, or else, if every document is as prev has it, prev's. An
// update with nothing to do works out none (it returns before finish),
// and a state written without them made the next update walk every
// field's postings for them again (fieldLengths): 105 ms of CPU in a
// one-article rebuild at 10,000 generated articles.
func (ix *Index) lensFor(sums []byte, prev *exportState) []uint32 {
	if ix.lens != nil || prev == nil {
		return ix.lens
	}
	if slices.Equal(prev.IDs, ix.ids) && bytes.Equal(prev.Sums, sums) && len(prev.Lens) == len(textFields)*len(ix.ids) {
		return prev.Lens
	}
	return nil
}

// A document's buckets in exportState are encoded (encodeBuckets) in
// whichever of two forms is the shorter, named by its first byte: the
// distance of each bucket from the one before (of the first, from 0) as
// uvarints, or a bitmap of the buckets, buckets/8 bytes. At 10,000
// generated articles, 147 to 830 buckets a document, two bytes a bucket
// took 12.5 MB of an 18 MB state file, which every rebuild writes whole;
// the two forms take 4.7 MB.
const (
	bucketGaps = 0
	bucketBits = 1
)

// encodeBuckets encodes a sorted list of buckets for exportState.
func encodeBuckets(bs []uint16) []byte {
	const size = 1 + buckets/8 // of a bitmap
	out := make([]byte, 1, min(1+2*len(bs), size))
	out[0] = bucketGaps
	last := uint16(0)
	for _, b := range bs {
		out = binary.AppendUvarint(out, uint64(b-last))
		last = b
		if len(out) > size {
			break
		}
	}
	if len(out) <= size {
		return out
	}
	out = make([]byte, size)
	out[0] = bucketBits
	for _, b := range bs {
		out[1+b/8] |= 1 << (b % 8)
	}
	return out
}

// eachBucket calls fn with each bucket that encodeBuckets encoded in b,
// in increasing order. It stops at what it cannot read: an unknown
// form, a distance cut short or a bucket out of range (a state file
// whose checksum holds has none of them).
func eachBucket(b []byte, fn func(uint16)) {
	if len(b) == 0 {
		return
	}
	switch b[0] {
	case bucketGaps:
		at := uint64(0)
		for b = b[1:]; len(b) > 0; {
			d, n := binary.Uvarint(b)
			if n <= 0 || d >= buckets-at {
				return
			}
			at += d
			fn(uint16(at))
			b = b[n:]
		}
	case bucketBits:
		for i, x := range b[1:min(len(b), 1+buckets/8)] {
			for x != 0 {
				fn(uint16(8*i + bits.TrailingZeros8(x)))
				x &= x - 1
			}
		}
	}
}

// setFiles sets st's files from the hashes of an export's files.
func (st *exportState) setFiles(sums map[string]Sum) {
	st.Files = sortedKeys(sums)
	st.FileSum = make([]byte, 0, 32*len(st.Files))
	for _, name := range st.Files {
		s := sums[name]
		st.FileSum = append(st.FileSum, s[:]...)
	}
}

// setFilesAlong sets st's files, those of a delta export w made from
// prev's, as setFiles does: when they are prev's files, prev's list,
// with the hashes of the files w made or replaced changed, rather than
// every name sorted again (3 ms of a dev server's export after an edit
// at 10,000 generated articles, 15,700 files). The files keep took over
// have prev's hashes (see exportDelta's keep), and w's files are prev's
// when there are as many and each file w made is one of prev's.
func (st *exportState) setFilesAlong(prev *exportState, w *exportWriter) {
	if len(w.sums) != len(prev.Files) {
		st.setFiles(w.sums)
		return
	}
	at := make([]int, len(w.made))
	for k, name := range w.made {
		i, ok := slices.BinarySearch(prev.Files, name)
		if !ok {
			st.setFiles(w.sums)
			return
		}
		at[k] = i
	}
	st.Files = prev.Files
	st.FileSum = slices.Clone(prev.FileSum)
	for k, name := range w.made {
		s := w.sums[name]
		copy(st.FileSum[32*at[k]:], s[:])
	}
}

// sameStats reports whether a and b score every posting alike.
func sameStats(a, b stats) bool {
	return a.Format == b.Format && a.Docs == b.Docs && a.AvgLen == b.AvgLen && slices.Equal(a.Split, b.Split)
}

// keep takes the file name, of content sum, over from an earlier export
// through w's Reuse, and reports whether it could.
func (w *exportWriter) keep(name string, sum Sum) (bool, error) {
	if w.over != nil {
		if !w.reuse(name, sum, "") {
			return false, nil
		}
	} else if p, err := w.dirFor(name); err != nil || !w.reuse(name, sum, p) {
		return false, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.names = append(w.names, name)
	w.sums[name] = sum
	if w.over != nil {
		w.kept[name] = true
	}
	return true, nil
}

// dirFor makes the directory of the file name, unless it made it already,
// and returns the file's path. keep and previous call w's Reuse outside
// w's lock, so that files are taken over on several goroutines at once.
//
// An export's names are clean, and so is w.dir: the path is joined, and
// its directory cut, without filepath's Clean, which was a fifth of
// taking a file over (15,600 at 10,000 generated articles).
func (w *exportWriter) dirFor(name string) (string, error) {
	p := w.dir + string(filepath.Separator) + filepath.FromSlash(name)
	w.mu.Lock()
	defer w.mu.Unlock()
	if d := p[:strings.LastIndexByte(p, filepath.Separator)]; !w.dirs[d] {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		w.dirs[d] = true
	}
	return p, nil
}

// previous takes over the earlier export's file name, of content sum,
// through w's Reuse as keep does, and returns its content, leaving it to
// the caller to record the file with replace. It reports false if the
// Reuse could not supply the file.
func (w *exportWriter) previous(name string, sum Sum) ([]byte, bool, error) {
	if w.over != nil {
		if !w.reuse(name, sum, "") {
			return nil, false, nil
		}
		data, err := w.over[name].Content()
		return data, err == nil, err
	}
	p, err := w.dirFor(name)
	if err != nil || !w.reuse(name, sum, p) {
		return nil, false, err
	}
	data, err := os.ReadFile(p)
	return data, err == nil, err
}

// replace writes data as name, a file previous took over with content
// old, keeping the file if its content is the same or data is nil. The
// file may be a link to a published export's: it is removed, never
// written into.
func (w *exportWriter) replace(name string, old Sum, data []byte) error {
	sum := old
	if data != nil {
		sum = sha256.Sum256(data)
	}
	if sum != old && w.mem == nil {
		p := filepath.Join(w.dir, filepath.FromSlash(name))
		if err := os.Remove(p); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.names = append(w.names, name)
	w.made = append(w.made, name)
	w.sums[name] = sum
	switch {
	case w.over != nil && sum == old:
		w.kept[name] = true
	case w.mem != nil:
		w.mem[name] = data
	}
	return nil
}

// docBuckets notes, for the state of a full export, the buckets of every
// document's terms as exportTerms reads their postings: a bitmap of
// buckets per document. exportTerms' workers mark bits concurrently.
type docBuckets []uint64

const bucketWords = buckets / 64

func newDocBuckets(docs int) docBuckets { return make(docBuckets, docs*bucketWords) }

func (db docBuckets) mark(doc int32, b uint16) {
	atomic.OrUint64(&db[int(doc)*bucketWords+int(b/64)], 1<<(b%64))
}

// lists returns each document's buckets, sorted, as encodeBuckets does.
func (db docBuckets) lists() [][]byte {
	out := make([][]byte, len(db)/bucketWords)
	var l []uint16
	for n := range out {
		l = l[:0]
		for i, word := range db[n*bucketWords : (n+1)*bucketWords] {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				l = append(l, uint16(i*64+b))
				word &= word - 1
			}
		}
		out[n] = encodeBuckets(l)
	}
	return out
}

// docFile returns document n's d/ file and its card.
func (ix *Index) docFile(r index.IndexReader, n int32) (docFile, card, error) {
	d, err := ix.storedDoc(r, n)
	if err != nil {
		return docFile{}, card{}, err
	}
	df := docFile{ID: d.id, Title: d.title, Lang: d.lang, Tags: d.tags,
		Summary: d.summary, Excerpt: d.excerpt, Updated: d.updated}
	if d.errorText != d.title {
		df.ErrorText = d.errorText
	}
	for _, c := range d.codes {
		df.Codes = append(df.Codes, string(c))
	}
	return df, card{ID: df.ID, Title: df.Title, Lang: df.Lang, Codes: df.Codes}, nil
}

// dfAlong returns the document frequency of each of terms from dfs, both
// in byte order, 0 for a term dfs does not have; nil if dfs is.
func dfAlong(terms []string, dfs []termDF) []uint32 {
	if dfs == nil {
		return nil
	}
	out := make([]uint32, len(terms))
	j := 0
	for i, t := range terms {
		for j < len(dfs) && dfs[j].term < t {
			j++
		}
		if j < len(dfs) && dfs[j].term == t {
			out[i] = uint32(dfs[j].df)
		}
	}
	return out
}

// edit is what changed in the index since the state of an earlier
// export (see touched).
type edit struct {
	prev  *exportState      // the state it is from
	dirty [buckets]bool     // the buckets of the changed, added and removed documents' terms, before and after
	fresh []string          // the changed and added documents' terms
	after map[string][]byte // those documents' buckets, encoded, by ID
	// stale holds the changed and removed documents' terms before, when
	// the update that changed them knew those documents as the state did
	// (see Index.before); exact says it did for all of them, so that the
	// terms whose frequency can have moved are known one by one, not only
	// by bucket.
	stale []string
	exact bool
}

// narrow returns, by family, the buckets of the terms whose postings the
// edit e, of the documents changed, did change since prev: the terms a
// changed document has before or after but not both, and those whose
// impact in one that has them both moved. The buckets of e are those of
// every term a changed document has, before or after, since a change of
// its length can move the impacts of all of them; but impacts are
// rounded: after a one-line edit to one of 10,000 generated articles,
// 1,231 shards were made again, of which one or two to 451 changed, as
// the article's length moved less or more. narrow reports false when it
// cannot tell: a document was added or removed, or what the index held
// of a changed one before is not known (see Index.before).
func (ix *Index) narrow(prev *exportState, e *edit, changed []int32) ([2][buckets]bool, bool, error) {
	var dirty [2][buckets]bool
	if !e.exact || len(prev.Count) != len(prev.Terms) || len(e.after) != len(changed) || len(changed) != len(ix.before) {
		return dirty, false, nil
	}
	moved := make(map[string]bool)
	type pair struct {
		n   int32
		was *prior
		now map[string]bool
	}
	var docs []pair
	for _, n := range changed {
		was := ix.before[ix.ids[n]]
		if was == nil || was.tps == nil {
			return dirty, false, nil
		}
		now := make(map[string]bool)
		for _, t := range ix.fresh[ix.ids[n]] {
			now[t] = true
			if _, ok := was.tps[t]; !ok {
				moved[t] = true
			}
		}
		for _, t := range was.terms {
			if !now[t] {
				moved[t] = true
			}
		}
		docs = append(docs, pair{n, was, now})
	}
	p := ix.newPostings()
	if p == nil {
		return dirty, false, nil
	}
	for _, d := range docs {
		for t := range d.now {
			if moved[t] {
				continue
			}
			// The term's documents are the same: its count is the
			// previous export's.
			i, ok := slices.BinarySearch(prev.Terms, t)
			if !ok {
				return dirty, false, nil
			}
			df := int(prev.Count[i])
			old := d.was.tps[t]
			tp, found, err := p.doc(t, d.n)
			if err != nil {
				return dirty, false, err
			}
			if !found {
				return dirty, false, nil // the analysis and the index disagree
			}
			if impact(&old, df, &prev.Stats) != impact(&tp, df, &ix.stats) {
				moved[t] = true
			}
		}
	}
	for t := range moved {
		dirty[family(t)][bucketOf(t, ix.split)] = true
	}
	return dirty, true, nil
}

// maxExact is the most changed and removed documents whose earlier terms
// an update analyses again (see edit.stale and Index.before): an edit or
// two in a dev server, where that spares reading the frequencies of
// every term in their buckets (some 37,000 after a one-article edit at 10,000
// generated articles, 60 to 70 ms). Past it the buckets cover most terms
// anyway.
const maxExact = 64

// touched returns what changed in the index since prev, the state of an
// earlier export, given the documents' hashes now, with buckets under
// split. A term in no dirty bucket is in none of those documents, before
// or after. It returns nil if prev is not a whole state, or if the index
// did not (re)index one of those documents itself, so that its terms are
// not known.
func (ix *Index) touched(prev *exportState, sums map[string][32]byte, split splitSet) *edit {
	if prev == nil || len(prev.Sums) != 32*len(prev.IDs) || len(prev.Buckets) != len(prev.IDs) {
		return nil
	}
	e := &edit{prev: prev, after: make(map[string][]byte)}
	mark := func(b []byte) {
		eachBucket(b, func(k uint16) { e.dirty[k] = true })
	}
	var stale []int // removed or changed documents, by number in prev
	gone := false
	for n, id := range prev.IDs {
		s, ok := sums[id]
		if !ok || !bytes.Equal(s[:], prev.Sums[32*n:32*n+32]) {
			mark(prev.Buckets[n])
			stale = append(stale, n)
			gone = gone || !ok
		}
	}
	e.exact = len(stale) <= maxExact
	for _, n := range stale {
		// The document as the state knew it, if the update that changed
		// or removed it knew it (see Index.before): its hash says it is
		// that version.
		pr := ix.before[prev.IDs[n]]
		if pr == nil || !bytes.Equal(pr.sum[:], prev.Sums[32*n:32*n+32]) {
			e.exact = false
			break
		}
		e.stale = append(e.stale, pr.terms...)
	}
	// The changed and added documents: when every document of prev is
	// still there and there are as many, those are the changed ones
	// among stale. Looking each document up instead took 4 ms of a dev
	// server's search after an edit at 10,000 generated articles, in
	// all 2 ms more than now (medians of twenty edits).
	after := func(id string) bool {
		terms, ok := ix.fresh[id]
		if !ok {
			return false
		}
		e.fresh = append(e.fresh, terms...)
		bs := bucketsOf(terms, split)
		e.after[id] = encodeBuckets(bs)
		for _, k := range bs {
			e.dirty[k] = true
		}
		return true
	}
	if !gone && len(sums) == len(prev.IDs) {
		for _, n := range stale {
			if !after(prev.IDs[n]) {
				return nil
			}
		}
		return e
	}
	before := make(map[string]int, len(prev.IDs))
	for n, id := range prev.IDs {
		before[id] = n
	}
	for id, s := range sums {
		if n, ok := before[id]; ok && bytes.Equal(s[:], prev.Sums[32*n:32*n+32]) {
			continue
		}
		if !after(id) {
			return nil
		}
	}
	return e
}

// dfsFrom returns what termDFs would for the index after an update, from
// prev, the state of the export before it, and e, what changed since
// under prev's split: the terms' document frequencies there, with only
// those of the terms the update can have touched read again. On 10,000
// generated articles, termDFs reads every term's postings, about 170,000
// terms, most of an update's time after an edit.
//
// It also returns the terms read again, in byte order: the others'
// frequencies are prev's (see splitAlong).
//
// dfsFrom reports false when it cannot: there is no state or edit, or the
// state has no frequencies.
func (ix *Index) dfsFrom(r index.IndexReader, prev *exportState, e *edit) ([]termDF, []string, bool, error) {
	if prev == nil || e == nil || len(prev.DF) != len(prev.Terms) {
		return nil, nil, false, nil
	}
	split := newSplitSet(prev.Stats.Split)
	c, err := newCounter(r)
	if err != nil || c == nil {
		return nil, nil, false, err
	}

	// The terms to read again, in byte order, and the others kept: those
	// a changed document has before or after, when they are known one by
	// one, or else every term in their buckets.
	var cands []string
	var moved map[string]bool
	if e.exact {
		cands = append(slices.Clone(e.stale), e.fresh...)
		moved = make(map[string]bool, len(cands))
		for _, t := range cands {
			moved[t] = true
		}
	}
	// A term is kept unless it is read again; the kept are taken from
	// prev in the merge below rather than copied out here first (4 MB
	// at 10,000 articles).
	var dirty []bool // by term, when moved is nil
	if moved == nil {
		dirty = make([]bool, len(prev.Terms))
		for i, t := range prev.Terms {
			if e.dirty[bucketOf(t, split)] {
				dirty[i] = true
				cands = append(cands, t)
			}
		}
		cands = append(cands, e.fresh...)
	}
	keep := func(i int) bool {
		if moved != nil {
			return !moved[prev.Terms[i]] && prev.DF[i] > 0
		}
		return !dirty[i] && prev.DF[i] > 0
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	ix.lastCounted = 0
	var read []termDF
	for _, t := range cands {
		if utf8.RuneCountInString(t) <= minPrefixRunes {
			continue
		}
		df, err := c.docFreq(t)
		if err != nil {
			return nil, nil, false, err
		}
		ix.lastCounted++
		if df > 0 {
			read = append(read, termDF{t, df})
		}
	}

	// Merge the two, both in byte order and without a term in common.
	out := make([]termDF, 0, len(prev.Terms)+len(read))
	i, j := 0, 0
	for i < len(prev.Terms) || j < len(read) {
		if i < len(prev.Terms) && !keep(i) {
			i++
			continue
		}
		if j == len(read) || i < len(prev.Terms) && prev.Terms[i] < read[j].term {
			out = append(out, termDF{prev.Terms[i], uint64(prev.DF[i])})
			i++
		} else {
			out = append(out, read[j])
			j++
		}
	}
	return out, cands, true, nil
}

// shardPatch works out a term's encoded impacts after an edit from those
// before it (see exportDelta). One per goroutine.
type shardPatch struct {
	ix    *Index
	r     index.IndexReader
	m     *merger
	docs  []int32                   // the changed documents
	after map[int32]map[string]bool // their text terms now
	imp   []docImpact               // reused
	buf   []byte                    // reused
	reads int                       // terms whose postings were read
}

// errFullExport stops a delta export that finds the export must be made
// in full.
var errFullExport = errors.New("the export must be made in full")

// shardJob is one dirty term shard of a delta export.
type shardJob struct {
	f, s   int    // family and shard
	name   string // file name
	pairs  [][2]string
	data   []byte            // the pairs as writeGzipJSON writes them; nil if they are the previous file's
	looked []string          // the terms looked at again
	dead   map[string]bool   // those of them left without postings
	count  map[string]uint32 // the documents each of them has now (see exportState.Count)
}

// maxCachedBytes bounds the text of the term shards an index keeps
// decoded (see Index.shards): the 450 an edit to a 10,000-article site can
// make again hold 4.9 MB of text (476 shards over sixteen edits).
const maxCachedBytes = 32 << 20

// cachedShard is a term shard's file, as its SHA-256, its pairs, and
// their size in bytes.
type cachedShard struct {
	sum   Sum
	pairs [][2]string
	size  int
}

// cachedBytes returns the size of the pairs of shards.
func cachedBytes(shards map[string]cachedShard) int {
	n := 0
	for _, c := range shards {
		n += c.size
	}
	return n
}

// previousShard returns the pairs of the term shard name, of content sum,
// in the earlier export w takes files over from: those of the delta export
// over it that made it, if it was one (see Index.shards), or else its file
// decoded. It returns errFullExport if the earlier export cannot supply it.
func (ix *Index) previousShard(w *exportWriter, name string, sum Sum) ([][2]string, error) {
	if c, ok := ix.shards[name]; ok && c.sum == sum && w.over != nil && w.reuse(name, sum, "") {
		ix.lastCached.Add(1)
		return c.pairs, nil
	}
	data, ok, err := w.previous(name, sum)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errFullExport
	}
	pairs, err := decodeShard(data)
	if err != nil {
		return nil, errFullExport // not a shard this code wrote
	}
	return pairs, nil
}

// shard makes job's pairs from old, the pairs of its file in the previous
// export, and added, the changed documents' terms now that belong in it.
// It does not modify old.
func (p *shardPatch) shard(job *shardJob, old [][2]string, added []string) error {
	job.pairs = make([][2]string, 0, len(old)+len(added))
	job.count = make(map[string]uint32)
	look := func(term, enc string, count int) {
		job.looked = append(job.looked, term)
		if enc == "" {
			if job.dead == nil {
				job.dead = make(map[string]bool)
			}
			job.dead[term] = true
		}
		job.count[term] = uint32(count)
	}
	seen := make(map[string]bool, len(old))
	same := true // whether the pairs are old's
	for _, pr := range old {
		seen[pr[0]] = true
		enc, count, touched, err := p.patch(pr[0], pr[1])
		if err != nil {
			return err
		}
		if touched {
			look(pr[0], enc, count)
			same = same && enc == pr[1]
		}
		if enc != "" {
			job.pairs = append(job.pairs, [2]string{pr[0], enc})
		}
	}
	for _, t := range added {
		if seen[t] {
			continue
		}
		seen[t] = true
		enc, count, err := p.read(t)
		if err != nil {
			return err
		}
		look(t, enc, count)
		if enc != "" {
			job.pairs = append(job.pairs, [2]string{t, enc})
			same = false
		}
	}
	if same {
		// Most dirty shards: a line added to one of 10,000 generated
		// articles (BenchmarkUpdateSearch) leaves all but one or two
		// of the 1,230 as they were, impacts being rounded.
		return nil
	}
	slices.SortFunc(job.pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return gzipJSON(job.pairs, func(data []byte) error {
		job.data = bytes.Clone(data)
		return nil
	})
}

// patch returns term's encoded impacts now, given enc, those of the
// previous export, with the number of documents in them, and whether the
// term has a changed document before or after; "" if the term has no
// postings left.
func (p *shardPatch) patch(term, enc string) (string, int, bool, error) {
	touched, dfMoved := false, false
	for _, n := range p.docs {
		had, has := impactsHold(enc, n), p.after[n][term]
		touched = touched || had || has
		dfMoved = dfMoved || had != has
	}
	if !touched {
		return enc, 0, false, nil
	}
	if dfMoved || p.m.p == nil {
		enc, n, err := p.read(term)
		return enc, n, true, err
	}
	ps, err := decodeImpacts(p.imp[:0], enc)
	p.imp = ps
	if err != nil {
		// Not an encoding this code wrote: read the postings.
		enc, n, err := p.read(term)
		return enc, n, true, err
	}
	for _, n := range p.docs {
		if !p.after[n][term] {
			continue
		}
		i, ok := slices.BinarySearchFunc(ps, n, func(d docImpact, n int32) int { return int(d.doc - n) })
		tp, found, err := p.m.p.doc(term, n)
		if err != nil {
			return "", 0, true, err
		}
		if !ok || !found {
			// The analysis and the index disagree on the document's
			// terms: read the postings.
			enc, n, err := p.read(term)
			return enc, n, true, err
		}
		ps[i].impact = impact(&tp, len(ps), &p.ix.stats)
	}
	p.buf = appendImpacts(p.buf[:0], ps)
	return string(p.buf), len(ps), true, nil
}

// read returns term's encoded impacts from its postings in the index, ""
// if it has none, and the number of documents in them.
func (p *shardPatch) read(term string) (string, int, error) {
	p.reads++
	ps, err := p.ix.impacts(p.r, p.m, term, allFields)
	if err != nil || len(ps) == 0 {
		return "", 0, err
	}
	p.buf = appendImpacts(p.buf[:0], ps)
	return string(p.buf), len(ps), nil
}

// decodeShard returns the pairs of a term shard as writeGzipJSON wrote
// them.
func decodeShard(data []byte) ([][2]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var pairs [][2]string
	return pairs, json.Unmarshal(raw, &pairs)
}

// digitOf is the value of each character of digits64, -1 for others.
var digitOf = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(digits64) {
		t[digits64[i]] = int8(i)
	}
	return t
}()

var errImpacts = errors.New("malformed impacts")

// readVarint reads the number appendVarint wrote at s[i:] and returns it
// and the index after it.
func readVarint(s string, i int) (uint32, int, error) {
	var v uint32
	for shift := 0; i < len(s) && shift < 32; shift += 5 {
		d := digitOf[s[i]]
		i++
		if d < 0 {
			break
		}
		v |= uint32(d&31) << shift
		if d < 32 {
			return v, i, nil
		}
	}
	return 0, i, errImpacts
}

// impactsHold reports whether the postings appendImpacts encoded in enc
// hold document n.
func impactsHold(enc string, n int32) bool {
	if strings.HasPrefix(enc, "~") {
		dot := strings.IndexByte(enc, '.')
		i := 1 + int(n/6)
		return dot > 0 && i < dot && digitOf[enc[i]] >= 0 && digitOf[enc[i]]&(1<<(n%6)) != 0
	}
	_, i, err := readVarint(enc, 0)
	doc := int32(-1)
	for err == nil && i < len(enc) {
		var gap uint32
		if gap, i, err = readVarint(enc, i); err != nil {
			return false
		}
		if doc += int32(gap); doc >= n {
			return doc == n
		}
		_, i, err = readVarint(enc, i)
	}
	return false
}

// decodeImpacts appends the postings appendImpacts encoded in enc to ps.
func decodeImpacts(ps []docImpact, enc string) ([]docImpact, error) {
	if rest, ok := strings.CutPrefix(enc, "~"); ok {
		bitmap, tail, ok := strings.Cut(rest, ".")
		if !ok {
			return ps, errImpacts
		}
		base, i, err := readVarint(tail, 0)
		if err != nil {
			return ps, err
		}
		for c := range len(bitmap) {
			bits := digitOf[bitmap[c]]
			if bits < 0 {
				return ps, errImpacts
			}
			for b := range 6 {
				if bits&(1<<b) == 0 {
					continue
				}
				var v uint32
				if v, i, err = readVarint(tail, i); err != nil {
					return ps, err
				}
				ps = append(ps, docImpact{doc: int32(c*6 + b), impact: int32(base + v)})
			}
		}
		if i != len(tail) {
			return ps, errImpacts
		}
		return ps, nil
	}
	base, i, err := readVarint(enc, 0)
	doc := int32(-1)
	for err == nil && i < len(enc) {
		var gap, v uint32
		if gap, i, err = readVarint(enc, i); err != nil {
			break
		}
		if v, i, err = readVarint(enc, i); err != nil {
			break
		}
		doc += int32(gap)
		ps = append(ps, docImpact{doc: doc, impact: int32(base + v)})
	}
	if err == nil && len(ps) == 0 {
		err = errImpacts
	}
	return ps, err
}
