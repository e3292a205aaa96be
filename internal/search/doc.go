// Package search holds the bleve index of the articles: the mapping and
// analysis, building the index from [Doc]s, querying it ([Index.Search],
// for kbgen search and kbgen serve), and exporting it as static files that
// templates/assets/search.js queries in the browser. It is the only
// package that imports bleve.
//
// The design follows from measurements in notes/search-facts.md and from
// one requirement: the browser, which cannot run bleve, must find the same
// articles in the same order as kbgen search.
//
// # Analysis
//
// The four text fields (title, errorText, headings, body) share one
// analyzer, registered with bleve under kbgen_ names:
//
//   - a char filter (fold) puts the text in Unicode NFKC and lower case.
//     NFKC must run before tokenizing: a tokenizer does not take full-width
//     digits for digits (bleve's cjk analyzer turns ０ｘＣ００４Ｆ０７４ into
//     "xc f"). NFKC also folds half-width katakana (ﾗｲｾﾝｽ → ライセンス) and
//     the ideographic space. The browser has the same function in
//     String.prototype.normalize("NFKC").
//   - a tokenizer (runs) emits maximal runs of letters/digits/marks and
//     maximal runs of CJK characters (Han, kana, hangul, ー); everything
//     else separates. It replaces bleve's UAX #29 tokenizer because its
//     rules fit in two sentences and are implemented identically in
//     search.js; the browser's Intl.Segmenter segments Japanese by a
//     dictionary and would disagree with the index.
//   - bleve's cjk_bigram filter, with unigrams, turns a CJK run into its
//     characters and overlapping bigrams (ライセンス → ラ ライ イ イセ … ス).
//     bleve v2 has no Japanese dictionary analyzer; bigrams find a word
//     inside a longer word or sentence, which is what a Japanese reader
//     expects of 認証 in ライセンス認証に失敗. A query's CJK run is looked up
//     by its bigrams only, all of which must occur (on a generated corpus,
//     exactly the articles containing the string); unigrams are indexed so
//     that a one-character query (認) finds something.
//   - a token filter (variants) adds, after a word, its light English stem
//     (activation, activate, active → activ) and the number ending a word
//     like KB974998 (→ 974998).
//
// # Error codes
//
// Codes are a keyword field (codes) holding each article's codes in
// canonical form (errcode.Code: 0xC004F074), plus its primary code
// (primary). As text, C004F074 and 0xc004f074 would be two terms; as
// keywords, and with the query canonicalised by errcode.Parse, every form
// a reader types (0xc004f074, C004F074, ０ｘＣ００４Ｆ０７４, -1073418124,
// 3221549172) is the one term 0xC004F074, and errcode.ParsePrefix makes
// 0xC004F0 a prefix of codes. Which codes an article carries is the
// caller's decision (article.Article.Codes leaves out codes named in the
// related-cases section). A code query returns the articles carrying the
// code, not those that merely name it (they link to the carriers); only
// when no article carries it is its spelling searched as text.
//
// # Queries and ranking
//
// A query is split at white space; chunks that are codes or code prefixes
// are looked up in the codes field, the rest is analysed as above into
// groups of terms (a word and its stem, one bigram, …). A document is a
// result if it carries a queried code or contains every group; results are
// ranked by code score, then the number of groups matched, then the sum of
// the groups' impacts, then ID ([Index.Search] has the details). A code no
// article carries is searched as text instead, and a query whose last word
// is still being typed matches that word as a prefix.
//
// An impact is a term's BM25F score in a document (per-field length
// normalisation, field weights title 3, errorText 2, headings 1.5, body 1),
// computed from the index's postings, rounded to an integer and stored in
// the export. Search computes the same integers with the same function, so
// the browser and kbgen search add up identical numbers and agree exactly;
// reproducing bleve's own scorer in JavaScript would have meant exporting
// every statistic it uses and matching its floating-point order. bleve
// keeps no field-length totals, so Build walks the postings' norms once
// and stores the averages with the index.
//
// # Export
//
// Export writes dir/<version>/, where version is a hash of the content:
// a new deploy never mixes files with an old one and every file can be
// cached forever. Then it writes dir/index.json, the entry: a copy of the
// version's index.json that names the version. Pages name only dir, so a
// page does not change whenever the index does; the entry is the one
// search file a host must not let browsers cache for long. The layout of
// dir/<version>/ (deterministic bytes; JSON, the term shards compressed
// with gzip, see below):
//
//	index.json       format, document count, shard counts, split keys,
//	                 a bitmap of the code buckets, languages and tags with
//	                 counts; it does not grow with the number of articles
//	c/<hex>.json     codes bucketed by their first three hex digits:
//	                 {"codes": [[code, postings], …], "docs": {n: card}},
//	                 with the card (ID, title, language, codes) of every
//	                 document in it, so that a code query shows its
//	                 results from this one file; a large bucket is split
//	                 by the next digit into buckets it names ({"split":
//	                 [keys]}), so a code query needs one bucket, or two
//	                 at 100,000 articles, and a prefix query a few
//	t/<n>.json.gz    text terms of two or more runes, sharded by FNV-1a of
//	                 a key (the first three runes, longer for split
//	                 prefixes, see shard.go), so a word being typed
//	                 expands from one file
//	u/<n>.json.gz    one-rune terms (CJK unigrams), kept apart because
//	                 they are the longest posting lists and needed only
//	                 for one-character queries
//	d/<n>.json       document n: ID, title, language, codes, tags, error
//	                 text, summary, the start of the body, date; fetched
//	                 only for the results shown (for their snippets, after
//	                 the cards of a code query)
//	f/l<i>.json      bitmap of the documents in language i (f/t<i>.json:
//	                 tag i), fetched only when filtering or ranking a
//	                 language first
//
// The term shards, most of what a text query downloads, are stored
// compressed because that should not depend on the host: GitHub Pages
// compresses JSON, but S3, nginx with its default gzip_types and an
// intranet share send it as it is. (Pagefind stores all its index files
// compressed.) search.js decompresses them with the browser's
// DecompressionStream, and takes a shard that is already JSON as it is: a
// host that labels .gz files Content-Encoding: gzip (Apache's
// AddEncoding) has the browser decode them first. The small files a code
// query needs stay JSON, so that it pays no decompression (see
// writeGzipJSON).
//
// Documents are numbered in the byte order of their IDs, which makes the
// ID tie-break a comparison of numbers. Postings are compact strings
// (varints in a 64-character alphabet, or a bitmap for dense lists); see
// export.go. Everything is read back from the bleve index (dictionaries,
// postings, stored fields), so text is analysed once. After an edit,
// ExportAs makes only the files the changed documents can reach and takes
// the rest from the previous export (see delta.go). Update does not merge
// bleve's segments after an edit, which cost a second at 10,000
// articles: an Index reads one pinned snapshot, skipping the terms only
// replaced versions had, and reads postings straight from the segments
// (see snapshot.go).
//
// # Memory
//
// Build and Export hold little beyond the documents they are given, so
// that a large site fits in memory beside its parsed articles: bleve
// analyses batchSize documents at a time, and Export writes each file as
// it is made, keeping only the encoded postings, in a temporary file,
// until their total size has fixed the shard counts. At 100,000 generated
// articles the two together add 200–400 MB to the live heap, against
// 1.3 GB for the export alone when it was made in memory.
//
// On 10,000 generated articles a code query downloads 5 KB including the
// ten results shown, and a two-word Japanese query 71 KB (122 KB with its
// term shards uncompressed): that corpus repeats 60 sentences, so its common
// bigrams are in 80% of the articles; real articles have far shorter
// posting lists. TestQueryBytes measures this.
//
// # Parity with the browser
//
// search.js repeats fold, runs, the bigrams, stem, the errcode parsers,
// query parsing, shard keys, posting decoding and ranking. Tests run it in
// Node (testdata/driver.js) against this package: the analyzers must give
// the same terms for a list of hostile strings, and on real exports the
// top ten results of both must be the same documents with the same
// ranking keys and snippets. A change to either side must change both, and
// formatVersion when the exported files or the analysis change.
package search
