package search

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

// Names under which the analysis components are registered with bleve. The
// index mapping stores these names, so an index built by one kbgen opens in
// another only if the names and behaviour are unchanged; a change of
// behaviour must change formatVersion in export.go as well, since the browser
// mirrors it.
const (
	foldFilterName = "kbgen_fold"     // char filter: NFKC, then lower case
	runTokName     = "kbgen_runs"     // tokenizer: letter/digit runs and CJK runs
	bigramName     = "kbgen_bigram"   // cjk_bigram configured with unigrams
	variantsName   = "kbgen_variants" // token filter: adds stems and number tails
	textAnalyzer   = "kbgen_text"
)

// maxWordRunes drops letter/digit runs longer than this: base64 blobs,
// thumbprints and URLs glued into one run are never typed as queries and
// would only bloat the term dictionary the browser downloads in shards.
const maxWordRunes = 64

var registerOnce sync.Once

// registerAnalysis adds kbgen's analysis components to bleve's registry.
// bleve resolves analyzers by name from a process-wide registry, including
// when it reopens an index from disk, so registration is necessarily global;
// it happens once, from Build and Open, rather than in an init function, so
// that importing the package has no side effects.
func registerAnalysis() {
	registerOnce.Do(func() {
		// The errors only report a name that is already taken, which
		// cannot happen under registerOnce with kbgen-prefixed names.
		_ = registry.RegisterCharFilter(foldFilterName,
			func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
				return foldFilter{}, nil
			})
		_ = registry.RegisterTokenizer(runTokName,
			func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
				return runTokenizer{}, nil
			})
		_ = registry.RegisterTokenFilter(variantsName,
			func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
				return variantFilter{}, nil
			})
	})
}

// textAnalyzerConfig is the custom analyzer of the text fields, added to
// every index mapping: fold → runs → bigrams with unigrams → variants.
var textAnalyzerConfig = map[string]interface{}{
	"type":          custom.Name,
	"char_filters":  []string{foldFilterName},
	"tokenizer":     runTokName,
	"token_filters": []string{bigramName, variantsName},
}

var bigramConfig = map[string]interface{}{
	"type":           cjk.BigramName,
	"output_unigram": true,
}

// fold puts text in the form both the index and every query are analysed
// in: Unicode NFKC, then each rune mapped to lower case on its own.
//
// NFKC runs before tokenizing (a char filter, not a token filter) because
// a tokenizer does not recognise full-width digits as digits: bleve's
// unicode tokenizer turns ０ｘＣ００４Ｆ０７４ into "xc f". NFKC also folds
// half-width katakana (ﾗｲｾﾝｽ → ライセンス) and the ideographic space.
// Lower-casing rune by rune, without context, is what both Go's
// unicode.ToLower and the browser's per-character toLowerCase agree on.
func fold(s string) string {
	s = norm.NFKC.String(s)
	for i, r := range s {
		if unicode.ToLower(r) != r {
			return s[:i] + strings.Map(unicode.ToLower, s[i:])
		}
	}
	return s
}

type foldFilter struct{}

func (foldFilter) Filter(in []byte) []byte { return []byte(fold(string(in))) }

// isCJK reports whether r is written without spaces between words: Han,
// hiragana, katakana (and its prolonged sound mark ー, whose script is
// Common) and hangul. Runs of these are indexed as overlapping bigrams.
//
// isCJK and isWord use Go's Unicode tables (15.0); browsers use their own
// ICU's, often newer, so a character assigned since (a CJK Extension I
// ideograph, say) may be classified differently on the two sides. Such
// characters do not occur in support articles.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r == 'ー'
}

// isWord reports whether r belongs to a letter/digit run.
func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// run is a maximal run of CJK or of word characters in folded text.
type run struct {
	text       string
	start, end int // byte offsets in the folded text
	cjk        bool
}

// runs splits folded text into runs. Everything that is neither CJK nor a
// letter, digit or mark separates runs, including the full stop, hyphen,
// underscore and apostrophe: "kms01.example.local" gives three runs and
// "slmgr.vbs" two, so each part can be searched. These rules replace
// bleve's unicode (UAX #29) tokenizer on purpose: they can be stated in
// two sentences and implemented identically in search.js, whereas the
// browser's Intl.Segmenter splits Japanese by a dictionary and differs from
// UAX #29 in details, and the index and the query must agree exactly.
func runs(s string) []run {
	// About one run per eight bytes of an article: sized once, not grown.
	out := make([]run, 0, len(s)/8)
	start, cls := 0, 0 // cls: 0 none, 1 word, 2 CJK
	flush := func(end int) {
		if cls != 0 && (cls == 2 || utf8.RuneCountInString(s[start:end]) <= maxWordRunes) {
			out = append(out, run{text: s[start:end], start: start, end: end, cjk: cls == 2})
		}
	}
	for i, r := range s {
		c := 0
		switch {
		case isCJK(r):
			c = 2
		case isWord(r):
			c = 1
		}
		if c != cls {
			flush(i)
			start, cls = i, c
		}
	}
	flush(len(s))
	return out
}

type runTokenizer struct{}

// Tokenize emits one token per run. CJK runs are typed Ideographic so that
// bleve's cjk_bigram filter, which follows, splits them into bigrams.
func (runTokenizer) Tokenize(in []byte) analysis.TokenStream {
	rs := runs(string(in))
	ts := make(analysis.TokenStream, len(rs))
	// One allocation for all the tokens of a field rather than one each:
	// indexing allocates more than anything else in a build.
	toks := make([]analysis.Token, len(rs))
	for i, r := range rs {
		typ := analysis.AlphaNumeric
		if r.cjk {
			typ = analysis.Ideographic
		}
		ts[i] = &toks[i]
		toks[i] = analysis.Token{
			Term:     in[r.start:r.end],
			Start:    r.start,
			End:      r.end,
			Position: i + 1,
			Type:     typ,
		}
	}
	return ts
}

type variantFilter struct{}

// Filter keeps every token and adds its variants (see variants) after it,
// at the same position.
func (variantFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(in)+len(in)/4)
	for _, t := range in {
		out = append(out, t)
		if t.Type != analysis.AlphaNumeric {
			continue
		}
		for _, v := range variants(string(t.Term)) {
			c := *t
			c.Term = []byte(v)
			out = append(out, &c)
		}
	}
	return out
}

// variants returns the extra terms the index holds for a word: its stem,
// when that differs, and the number at the end of a word made of letters
// and then at least four digits, so that 974998 finds KB974998. Keeping
// the word itself as well lets the word being typed match as a prefix
// (activa → activation), which the stem alone (activ) would not. Queries
// look words up as themselves and their stem only.
func variants(w string) []string {
	var vs []string
	if s := stem(w); s != w {
		vs = append(vs, s)
	}
	i := 0
	for i < len(w) && 'a' <= w[i] && w[i] <= 'z' {
		i++
	}
	if i > 0 && len(w)-i >= 4 && isDigits(w[i:]) {
		vs = append(vs, w[i:])
	}
	return vs
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// stem strips a few English suffixes so that activation, activate,
// activated and activating meet at "activ", and services/service at
// "servic". It is deliberately small: every rule must be reproduced in
// search.js, and a real English stemmer (Porter) would be a second
// implementation to keep in step for little gain on support articles.
// Words that are not all ASCII letters, and words under four letters, are
// left alone.
//
// The rules, in order:
//  1. plural: -ies/-ied → -y; -s → "" unless the word ends in ss, us or is.
//  2. the first of -ation, -ating, -ated, -ate, -ing, -ed whose removal
//     leaves at least three letters (-ed not after e: "agreed");
//     after -ing or -ed a doubled final consonant other than l, s or z is
//     halved when at least three letters remain (stopped → stop).
//  3. a final e is dropped when five or more letters remain (service →
//     servic, enable → enabl).
func stem(w string) string {
	if len(w) < 4 {
		return w
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return w
		}
	}
	switch {
	case len(w) > 4 && (strings.HasSuffix(w, "ies") || strings.HasSuffix(w, "ied")):
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	for _, suf := range [...]string{"ation", "ating", "ated", "ate", "ing", "ed"} {
		if !strings.HasSuffix(w, suf) || len(w)-len(suf) < 3 {
			continue
		}
		if suf == "ed" && w[len(w)-3] == 'e' {
			break
		}
		w = w[:len(w)-len(suf)]
		if n := len(w); (suf == "ing" || suf == "ed") && n > 3 && w[n-1] == w[n-2] &&
			!strings.ContainsRune("aeioulsz", rune(w[n-1])) {
			w = w[:n-1]
		}
		break
	}
	if len(w) > 5 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return w
}
