package search

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/kbgen/kbgen/internal/errcode"
)

// maxGroups bounds the text terms of one query: a pasted paragraph would
// otherwise make the browser fetch a shard per bigram.
const maxGroups = 24

// minPrefixRunes is the shortest word matched as a prefix while typing, and
// the shortest shard key (see shard.go).
const minPrefixRunes = 3

// codeTerm is an error code or code prefix the query asks for.
type codeTerm struct {
	code   string // canonical code, or canonical prefix ("0xC004F0")
	prefix bool
	raw    string // how it was written: searched as text if no article carries it
}

// group is one text term of the query: a document matches the group if it
// contains any of terms or, when prefix is set, any term starting with it.
// Its score is the highest impact among them.
type group struct {
	terms  []string
	prefix string
}

func (g group) key() string { return strings.Join(g.terms, "\x00") + "\x01" + g.prefix }

// piece is a stretch of query text between codes, in query order.
type piece struct {
	text string
	code int // index into plan.codes when the piece is a code, else -1
}

// plan is a parsed query: its codes, and its pieces in query order, each
// either text or a reference to a code. search.js's parseQuery builds the
// same plan.
type plan struct {
	codes  []codeTerm
	pieces []piece
	open   bool // the query does not end in white space: its last word may be incomplete
}

// parseQuery splits the query into codes and text. The query is put in
// NFKC first and split at ASCII white space (NFKC has turned the
// ideographic and other spaces into U+0020). A chunk that errcode.Parse
// accepts is a code (so 0xc004f074, C004F074, -1073418124 and
// ０ｘＣ００４Ｆ０７４ are one code); a chunk errcode.ParsePrefix accepts is
// a code prefix; otherwise the codes errcode.Find sees inside the chunk
// (エラー0xC004F074が) are codes and the rest of it is text.
func parseQuery(q string) plan {
	q = norm.NFKC.String(q)
	var p plan
	p.open = q != "" && !isSpace(q[len(q)-1])
	addCode := func(c codeTerm) {
		p.pieces = append(p.pieces, piece{code: len(p.codes)})
		p.codes = append(p.codes, c)
	}
	for _, chunk := range strings.FieldsFunc(q, func(r rune) bool { return r < utf8.RuneSelf && isSpace(byte(r)) }) {
		if c, ok := errcode.Parse(chunk); ok {
			addCode(codeTerm{code: string(c), raw: chunk})
			continue
		}
		if c, ok := errcode.ParsePrefix(chunk); ok {
			addCode(codeTerm{code: c, prefix: true, raw: chunk})
			continue
		}
		at := 0
		for _, m := range errcode.Find(chunk) {
			if m.Start > at {
				p.pieces = append(p.pieces, piece{text: chunk[at:m.Start], code: -1})
			}
			addCode(codeTerm{code: string(m.Code), raw: chunk[m.Start:m.End]})
			at = m.End
		}
		if at < len(chunk) {
			p.pieces = append(p.pieces, piece{text: chunk[at:], code: -1})
		}
	}
	return p
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// textGroups turns the text of the query into groups, given which codes
// matched nothing (their raw spelling is then searched as text). It also
// returns the strings a snippet marks: each CJK run whole (so ライセンス認証
// is one mark, and its bigram ンス is not marked inside インストール), each
// word and its stem.
//
// A CJK run of two or more characters gives its bigrams and not its
// unigrams: every bigram implies its characters, and a unigram's postings
// are the longest lists in the index. A lone CJK character gives its
// unigram, which is why the index keeps unigrams. A word gives itself and
// its stem; the last word of a query still being typed also matches as a
// prefix when it is expandable (three runes or more, see shard.go).
func (p *plan) textGroups(unmatched []bool, split splitSet) (gs []group, needles []string) {
	var texts []string
	lastIsText := false
	for _, pc := range p.pieces {
		if pc.code >= 0 && !unmatched[pc.code] {
			lastIsText = false
			continue
		}
		t := pc.text
		if pc.code >= 0 {
			t = p.codes[pc.code].raw
		}
		texts = append(texts, t)
		lastIsText = true
	}
	rs := runs(fold(strings.Join(texts, " ")))
	seen := make(map[string]bool)
	add := func(g group) {
		if k := g.key(); !seen[k] && len(gs) < maxGroups {
			seen[k] = true
			gs = append(gs, g)
		}
	}
	for i, r := range rs {
		needles = append(needles, r.text)
		if r.cjk {
			cs := []rune(r.text)
			if len(cs) == 1 {
				add(group{terms: []string{r.text}})
				continue
			}
			for j := 0; j+1 < len(cs); j++ {
				add(group{terms: []string{string(cs[j : j+2])}})
			}
			continue
		}
		g := group{terms: []string{r.text}}
		if s := stem(r.text); s != r.text {
			g.terms = append(g.terms, s)
			needles = append(needles, s)
		}
		if i == len(rs)-1 && p.open && lastIsText && expandable(r.text, split) {
			g.prefix = r.text
		}
		add(g)
	}
	return gs, needles
}
