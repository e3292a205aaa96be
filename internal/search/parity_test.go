package search

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kbgen/kbgen/internal/errcode"
)

// jsResult is driver.js's answer to one search.
type jsResult struct {
	Results  [][4]int32 `json:"results"` // doc, code score, matched groups, text score
	IDs      []string   `json:"ids"`
	Snippets []string   `json:"snippets"`
	Total    int        `json:"total"`
	Fetched  []struct {
		Path  string `json:"path"`
		Bytes int    `json:"bytes"`
	} `json:"fetched"`
	Ms   float64 `json:"ms"`   // cold: files read from disk and parsed
	Warm float64 `json:"warm"` // the same search again, files cached
}

// searchJSExport runs qs through search.js on the export in dir.
func searchJSExport(t testing.TB, dir string, qs []Query, limit int) []jsResult {
	t.Helper()
	type jq struct {
		Text   string   `json:"text"`
		Lang   string   `json:"lang,omitempty"`
		Tags   []string `json:"tags,omitempty"`
		Prefer string   `json:"prefer,omitempty"`
	}
	var req []jq
	for _, q := range qs {
		req = append(req, jq{q.Text, q.Lang, q.Tags, q.Prefer})
	}
	var out []jsResult
	runNode(t, map[string]any{"op": "search", "dir": dir, "limit": limit, "queries": req}, &out)
	if len(out) != len(qs) {
		t.Fatalf("node answered %d of %d queries", len(out), len(qs))
	}
	return out
}

// export writes ix's static files to a temporary directory and returns it.
func export(t testing.TB, ix *Index) string {
	t.Helper()
	dir := t.TempDir()
	v, err := ix.Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, v)
}

// checkParity runs qs through Search and through search.js and requires
// the same top 10: the same documents in the same order with the same
// ranking keys, the same number of results and the same snippets.
func checkParity(t *testing.T, ix *Index, dir string, qs []Query) {
	t.Helper()
	js := searchJSExport(t, dir, qs, 10)
	r, err := ix.reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, q := range qs {
		res, _, _, err := ix.run(r, q)
		if err != nil {
			t.Fatal(err)
		}
		total := len(res)
		if len(res) > 10 {
			res = res[:10]
		}
		goKeys := make([][4]int32, len(res))
		for k, s := range res {
			goKeys[k] = [4]int32{s.doc, s.code, s.matched, s.text}
		}
		if js[i].Results == nil {
			js[i].Results = [][4]int32{}
		}
		if !reflect.DeepEqual(goKeys, js[i].Results) || total != js[i].Total {
			t.Errorf("query %+v:\n  go   %d results, top %v\n  node %d results, top %v", q, total, goKeys, js[i].Total, js[i].Results)
			continue
		}
		q.Limit = 10
		hits, err := ix.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hits {
			if h.ID != js[i].IDs[k] || h.Snippet != js[i].Snippets[k] {
				t.Errorf("query %+v, hit %d:\n  go   %s %q\n  node %s %q", q, k, h.ID, h.Snippet, js[i].IDs[k], js[i].Snippets[k])
			}
		}
	}
}

func TestResultParitySmall(t *testing.T) {
	ix := buildSmall(t)
	var qs []Query
	for _, tc := range searchTests {
		qs = append(qs, tc.q)
	}
	qs = append(qs, Query{Text: "Windows", Tags: []string{"Windows", "Activation"}}, Query{Text: "0x8", Lang: "xx"})
	checkParity(t, ix, export(t, ix), qs)
}

// parityQueries are the queries compared on a generated corpus: every
// form of a few of its codes, prefixes, and text in both languages.
func parityQueries(manifest map[errcode.Code][]string, n int) []Query {
	var qs []Query
	for _, c := range sortedCodes(manifest)[:n] {
		for _, f := range codeForms(c) {
			qs = append(qs, Query{Text: f})
		}
		qs = append(qs, Query{Text: string(c)[:7]}, Query{Text: "エラー " + string(c) + " KMS"}, Query{Text: string(c), Lang: "en"},
			Query{Text: string(c), Prefer: "ja"}, Query{Text: string(c), Prefer: "en"})
	}
	for _, s := range []string{
		"ライセンス認証", "時刻同期", "ファイアウォール", "ライセンス認証 時刻同期", "KMS 認証", "認", "ﾗｲｾﾝｽ",
		"activation", "activate", "activ", "Windows Update", "firewall blocks", "w32tm", "slmgr /ato",
		"プロキシ HTTPS", "再起動ループ", "Escalate with the reproduction", "kms01", "xyzzy ライセンス",
	} {
		qs = append(qs, Query{Text: s}, Query{Text: s, Lang: "ja"}, Query{Text: s, Tags: []string{"Network"}})
	}
	return qs
}

func TestResultParityGenerated(t *testing.T) {
	docs, manifest := generatedCorpus(t, 1000)
	ix, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	checkParity(t, ix, export(t, ix), parityQueries(manifest, 5))
}

// codeForms are the spellings of c a reader may type.
func codeForms(c errcode.Code) []string {
	h := c.Hex()
	full := strings.Map(func(r rune) rune {
		if r < 0x7F && r > ' ' {
			return r + 0xFEE0
		}
		return r
	}, string(c))
	forms := []string{string(c), strings.ToLower(string(c)), h, strings.ToLower(h), "0X" + h, full,
		"エラー " + string(c) + " KMS"}
	// Decimals only where errcode.Parse reads them as this code: values
	// with the high bit set, as HRESULTs are.
	for _, d := range []string{c.Decimal(), c.SignedDecimal()} {
		if p, ok := errcode.Parse(d); ok && p == c && !slices.Contains(forms, d) {
			forms = append(forms, d)
		}
	}
	return forms
}

func sortedCodes(m map[errcode.Code][]string) []errcode.Code {
	out := make([]errcode.Code, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// splitDocs mention so many terms starting with 0x8a0000 that their shard
// keys are split, as codes in a large knowledge base are.
func splitDocs() []Doc {
	var docs []Doc
	for i := 0; i < 30; i++ {
		var b strings.Builder
		for j := 0; j < 100; j++ {
			fmt.Fprintf(&b, "0x8a%06d ", j+i%3)
		}
		b.WriteString("activation ライセンス")
		docs = append(docs, Doc{ID: fmt.Sprintf("ja/%02d/", i), Lang: "ja", Title: fmt.Sprintf("記事 %d", i), Body: b.String()})
	}
	return docs
}

func TestResultParitySplit(t *testing.T) {
	ix, err := Build("", splitDocs())
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	want := []string{"0x8", "0x8a", "0x8a0", "0x8a00", "0x8a000", "0x8a0000"}
	if !reflect.DeepEqual(ix.stats.Split, want) {
		t.Errorf("split = %q, want %q", ix.stats.Split, want)
	}
	var qs []Query
	for _, q := range []string{"0x8", "0x8a", "0x8a0", "0x8a00", "0x8a000", "0x8a0000", "0x8a00001", "0x8a000010",
		"0x8a0000 ", "activ", "ライセンス 0x8a00001"} {
		qs = append(qs, Query{Text: q})
	}
	checkParity(t, ix, export(t, ix), qs)
}

func TestShardKeyParity(t *testing.T) {
	split := []string{"0x8", "0x8a", "win", "ライセ"}
	terms := []string{"0x8", "0x8a", "0x8a1", "0x8b", "0x8a000001", "window", "win", "wi", "kms", "ライセンス", "ライ", "ラ", "認証", "𠮷野家です"}
	var js [][2]any
	runNode(t, map[string]any{"op": "shard", "terms": terms, "split": split, "n": 64}, &js)
	ss := newSplitSet(split)
	for i, term := range terms {
		key, shard := shardKey(term, ss), shardOf(term, 64, ss)
		if js[i][0] != key || int(js[i][1].(float64)) != shard {
			t.Errorf("shard of %q: go %q %d, node %v", term, key, shard, js[i])
		}
	}
}
