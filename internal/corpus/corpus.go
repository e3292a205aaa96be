// Package corpus generates deterministic knowledge-base sites of any size
// for benchmarks and search tests: n articles in the format of the seed
// article, about 85% Japanese and 15% English, each with the default
// schema's ten sections, so that every generated site passes kbgen check
// with no errors.
//
// The same n and seed always give byte-identical files, in every Go release
// (the package carries its own random number generator). Different n give
// different corpora, not prefixes of one another: the code pool and the
// spread of dates depend on n.
//
// What the articles exercise:
//
//   - titles varied by product, failure and error code; errorText equal to
//     the title, as in the seed;
//   - error codes in canonical form, some of them shared by several
//     articles (a code pool of 3n/4 codes), some articles carrying one or
//     two extra codes in their summary, and the primary code sometimes
//     glued to Japanese text (エラー0x80070005が表示) or followed by its
//     signed decimal form;
//   - 関連ケース / Related cases links to earlier articles as relative
//     ".md" links ("../en/x.md") that resolve, preferring articles that
//     share the code;
//   - cmd and PowerShell code blocks nested in ordered lists, GFM tables,
//     inline code and emphasis, tags, and a distinct updatedAt per article.
//
// Manifest records which articles carry which code, in the way kbgen counts
// an article's codes (codes under the related section are not the
// article's), so search tests know the expected hits.
package corpus

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/kbgen/kbgen/internal/errcode"
)

// EnglishShare is the share of English articles, as in the seed corpus's
// generator; the rest are Japanese.
const EnglishShare = 0.15

// Article is one generated article.
type Article struct {
	Path      string         // slash-separated path from the site root: "content/ja/vpn-0x80070005-00012.md"
	Lang      string         // "ja" or "en"
	Title     string         // also the errorText
	Codes     []errcode.Code // the article's codes, primary first, as kbgen's article.Codes lists them
	UpdatedAt time.Time      // distinct across the corpus
	Related   []string       // paths of the articles linked under the related section
	Src       []byte         // the file's bytes
}

// Manifest maps each error code to the paths of the articles that carry
// it, in generation order.
type Manifest map[errcode.Code][]string

// All returns the n articles of the corpus with the given seed, in
// generation order. Articles are made one at a time, so a caller that writes
// each and lets it go keeps memory flat however large n is.
func All(n int, seed int64) iter.Seq[Article] {
	return func(yield func(Article) bool) {
		g := newGenerator(n, seed)
		for i := range n {
			if !yield(g.article(i)) {
				return
			}
		}
	}
}

// Generate returns the site of n articles with the given seed as an
// in-memory file system rooted at the site root (files under content/),
// and its manifest.
func Generate(n int, seed int64) (fstest.MapFS, Manifest) {
	fsys := make(fstest.MapFS, n)
	m := make(Manifest)
	for a := range All(n, seed) {
		fsys[a.Path] = &fstest.MapFile{Data: a.Src, Mode: 0o644, ModTime: a.UpdatedAt}
		m.add(a)
	}
	return fsys, m
}

// Write writes the site of n articles with the given seed below dir (dir is
// the site root; articles go to dir/content/<lang>/) and returns its
// manifest. Files already there are overwritten; others are left alone.
func Write(dir string, n int, seed int64) (Manifest, error) {
	m := make(Manifest)
	made := make(map[string]bool)
	for a := range All(n, seed) {
		full := filepath.Join(dir, filepath.FromSlash(a.Path))
		if d := path.Dir(a.Path); !made[d] {
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return nil, err
			}
			made[d] = true
		}
		if err := os.WriteFile(full, a.Src, 0o644); err != nil {
			return nil, err
		}
		m.add(a)
	}
	return m, nil
}

func (m Manifest) add(a Article) {
	for _, c := range a.Codes {
		m[c] = append(m[c], a.Path)
	}
}

// WriteTo writes the manifest as "code<TAB>path" lines, sorted by code and
// then by path, the format of the seed corpus generator's --manifest.
func (m Manifest) WriteTo(w io.Writer) (int64, error) {
	codes := make([]errcode.Code, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	bw := bufio.NewWriter(w)
	var n int64
	for _, c := range codes {
		paths := slices.Clone(m[c])
		slices.Sort(paths)
		for _, p := range paths {
			k, _ := fmt.Fprintf(bw, "%s\t%s\n", c, p)
			n += int64(k)
		}
	}
	return n, bw.Flush()
}

// generator holds the state carried from one article to the next.
type generator struct {
	r     *rng
	n     int
	pool  []errcode.Code       // codes that recur across articles
	slots []int                // article i's updatedAt slot: a permutation of 0 … n-1
	step  time.Duration        // width of one updatedAt slot
	made  []ref                // articles made so far, for related links
	first map[errcode.Code]int // code → index in made of the first article carrying it
}

// ref is what a related link needs to know about an earlier article.
type ref struct {
	title, lang, path string
}

// epoch is the earliest updatedAt; dates spread over span after it.
var epoch = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

const span = 1000 * 24 * time.Hour

func newGenerator(n int, seed int64) *generator {
	g := &generator{r: newRNG(seed), n: n, first: make(map[errcode.Code]int)}
	g.pool = make([]errcode.Code, max(8, n*3/4))
	for i := range g.pool {
		g.pool[i] = g.code()
	}
	g.slots = g.r.perm(max(n, 1))
	g.step = max(span/time.Duration(max(n, 1)), time.Second).Truncate(time.Second)
	return g
}

// code returns a random code of the 0x8… (HRESULT failure) or 0xC…
// (NTSTATUS error) families, in canonical form.
func (g *generator) code() errcode.Code {
	v := uint32(g.r.intn(1 << 28))
	if g.r.intn(2) == 0 {
		v |= 0x8 << 28
	} else {
		v |= 0xC << 28
	}
	return errcode.Code(fmt.Sprintf("0x%08X", v))
}

func (g *generator) article(i int) Article {
	r := g.r
	lang := "ja"
	if r.float() < EnglishShare {
		lang = "en"
	}
	codes := []errcode.Code{pick(r, g.pool)}
	for range pick(r, []int{0, 0, 0, 1, 2}) {
		if c := g.code(); !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	prod := pick(r, products)
	fail := pick(r, failures)
	var title string
	if lang == "ja" {
		title = prod.ja + fail.ja + " " + string(codes[0])
	} else {
		title = prod.en + " " + fail.en + " with error " + string(codes[0])
	}
	p := path.Join("content", lang, fmt.Sprintf("%s-%s-%05d.md", prod.slug, strings.ToLower(string(codes[0])), i))

	// Related cases: an earlier article with the same code when there is
	// one, as support writers link them, and up to two others at random.
	var related []ref
	if j, ok := g.first[codes[0]]; ok {
		related = append(related, g.made[j])
	}
	if len(g.made) > 0 {
		for range r.intn(3) {
			if o := g.made[r.intn(len(g.made))]; !slices.Contains(related, o) {
				related = append(related, o)
			}
		}
	}

	updated := epoch.Add(time.Duration(g.slots[i])*g.step +
		time.Duration(r.intn(int(g.step/time.Second)))*time.Second +
		time.Duration(r.intn(1000))*time.Millisecond)

	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "title: %q\n", title)
	fmt.Fprintf(&b, "errorText: %q\n", title)
	tags := append(slices.Clone(prod.tags), pick(r, extraTags))
	b.WriteString("tags: [")
	for k, t := range tags {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", t)
	}
	b.WriteString("]\n")
	fmt.Fprintf(&b, "updatedAt: %q\n", updated.Format("2006-01-02T15:04:05.000Z"))
	fmt.Fprintf(&b, "lang: %q\n", lang)
	b.WriteString("---\n\n")
	g.body(&b, i, lang, codes, related)

	var relPaths []string
	for _, o := range related {
		relPaths = append(relPaths, o.path)
	}
	me := ref{title: title, lang: lang, path: p}
	if _, ok := g.first[codes[0]]; !ok {
		g.first[codes[0]] = len(g.made)
	}
	g.made = append(g.made, me)
	return Article{Path: p, Lang: lang, Title: title, Codes: codes, UpdatedAt: updated, Related: relPaths, Src: []byte(b.String())}
}

var domains = []string{"corp.example", "contoso.local", "fabrikam.example", "tokyo.corp.example", "osaka.corp.example"}

func (g *generator) body(b *strings.Builder, i int, lang string, codes []errcode.Code, related []ref) {
	r := g.r
	secs, sents, causes := sectionsJA, sentencesJA, causesJA
	if lang == "en" {
		secs, sents, causes = sectionsEN, sentencesEN, causesEN
	}
	line := func(s ...string) {
		for _, l := range s {
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
	// Host names and KB numbers unique to the article give the text index
	// rare terms as well as the shared vocabulary.
	host := fmt.Sprintf("pc%05d.corp.example", i)
	kb := "KB" + strconv.Itoa(5000000+r.intn(100000))
	for n, sec := range secs {
		line("## ", sec)
		switch n {
		case 0:
			extra := ""
			for _, c := range codes[1:] {
				extra += " " + string(c)
			}
			switch {
			case lang == "ja" && r.intn(3) == 0:
				line("- 発生条件: エラー", string(codes[0]), "が表示され、処理が中断する。")
			case lang == "en" && r.intn(3) == 0:
				line("- Error ", string(codes[0]), " (", codes[0].SignedDecimal(), ") is logged and the operation stops.")
			default:
				line("- ", pick(r, sents))
			}
			line("- ", pick(r, sents), extra)
			if lang == "ja" {
				line("- 対象: `", host, "`（", kb, " 適用後）")
			} else {
				line("- Seen on: `", host, "` (after ", kb, ")")
			}
		case 1:
			for k, c := range sample(r, causes, 5) {
				line(strconv.Itoa(k+1), ". ", c)
			}
		case 2, 3, 5:
			for k := range r.between(2, 4) {
				line(strconv.Itoa(k+1), ") ", pick(r, sents))
				cb := pick(r, codeBlocks)
				fill := strings.NewReplacer(
					"{host}", fmt.Sprintf("srv%05d.corp.example", r.intn(100000)),
					"{domain}", pick(r, domains),
					"{folder}", pick(r, folders),
					"{user}", pick(r, users),
					"{kb}", kb, "{kbnum}", kb[2:])
				line("   ```", cb.lang)
				if r.intn(10) < 7 {
					// Most blocks say where they were run, as
					// copied terminal sessions do.
					comment := "REM "
					if cb.lang == "powershell" {
						comment = "# "
					}
					line("   ", comment, fmt.Sprintf("srv%05d.corp.example", r.intn(100000)))
				}
				for _, l := range cb.lines {
					line("   ", fill.Replace(l))
				}
				line("   ```")
			}
			if n == 2 && r.intn(3) == 0 {
				line()
				if lang == "ja" {
					line("| 項目 | 確認方法 | 期待値 |", "\n|---|---|---|")
					line("| ライセンス状態 | `slmgr /dli` | ライセンスされています |")
					line("| 時刻差 | `w32tm /query /status` | 5 分以内 |")
				} else {
					line("| Item | How to check | Expected |", "\n|---|---|---|")
					line("| License status | `slmgr /dli` | Licensed |")
					line("| Clock skew | `w32tm /query /status` | under 5 minutes |")
				}
			}
			if n == 3 {
				line()
				line("⚠ ", pick(r, sents))
			}
		case relatedSection:
			if len(related) == 0 {
				line("- ", pick(r, sents))
			}
			for _, o := range related {
				rel := "../" + o.lang + "/" + path.Base(o.path)
				line("- [", o.title, "](", rel, ")")
			}
		case 9:
			for _, l := range sample(r, references, 3) {
				line("- ", l)
			}
		default:
			for range r.between(3, 5) {
				line("- ", pick(r, sents))
			}
		}
		line()
	}
}
