package search

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/errcode"
)

// smallDocs is a hand-made corpus after the four pages notes/peers.md
// measured other tools on, plus an article that mentions a code it does
// not carry, one with hostile markup and one in half-width katakana.
func smallDocs() []Doc {
	c := func(s ...string) []errcode.Code {
		var out []errcode.Code
		for _, x := range s {
			code, _ := errcode.Parse(x)
			out = append(out, code)
		}
		return out
	}
	day := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	return []Doc{
		{
			ID: "ja/kms-0xc004f074/", Lang: "ja", Tags: []string{"Windows", "Activation", "KMS"},
			Title:     "Windows のライセンス認証に失敗 0xC004F074",
			ErrorText: "Windows のライセンス認証に失敗 0xC004F074",
			Codes:     c("0xC004F074"),
			Headings:  []string{"要約", "よくある原因", "60秒で確認"},
			Summary:   "KMS/MAK によるライセンス認証が失敗し、エラーコード「0xC004F074」が返る。",
			Body: "KMS/MAK によるライセンス認証が失敗し、エラーコード「0xC004F074」が返る。\n" +
				"KMS サーバーへの到達不能。slmgr /ato を実行する。kms01.example.local に接続できない。\n" +
				"時刻同期が原因であれば w32tm で再同期する。",
			UpdatedAt: day,
		},
		{
			ID: "ja/wu-0x800f0922/", Lang: "ja", Tags: []string{"Windows", "Update"},
			Title: "Windows Update が 0x800F0922 で失敗する", Codes: c("0x800F0922"),
			Summary: "更新プログラムのインストールに失敗する。",
			Body:    "更新プログラムのインストールに失敗する。ファイアウォールの例外を確認する。",
		},
		{
			ID: "ja/access-denied-0x80070005/", Lang: "ja", Tags: []string{"Windows"},
			Title: "アクセスが拒否されました 0x80070005", Codes: c("0x80070005"),
			Body: "新幹線の中から VPN 接続すると、アクセスが拒否されました (0x80070005) と表示される。",
		},
		{
			ID: "en/activation-0xc004f074/", Lang: "en", Tags: []string{"Windows", "Activation"},
			Title: "Error 0xC004F074 when you activate Windows", Codes: c("0xC004F074"),
			Summary: "Windows activation fails because no key management server can be reached.",
			Body: "Windows activation fails because no key management server can be reached. " +
				"See KB974998. Applies to version 10.0.19045.",
		},
		{
			ID: "ja/office-0xc004f050/", Lang: "ja", Tags: []string{"Office", "Activation"},
			Title: "Office のライセンス認証 0xC004F050", Codes: c("0xC004F050"),
			Body: "プロダクト キーが無効です。\n関連ケース: Windows のライセンス認証に失敗 0xC004F074",
		},
		{
			ID: "en/hostile/", Lang: "en", Tags: []string{"Security"},
			Title: `<script>alert(1)</script> & "quotes"`, Codes: c("0x80004005"),
			Summary: `<img src=x onerror=alert(1)> activation 'quoted'`,
			Body:    `<img src=x onerror=alert(1)> activation 'quoted'`,
		},
		{
			ID: "ja/proxy-0x80072ee2/", Lang: "ja", Tags: []string{"Network"},
			Title: "ﾌﾟﾛｷｼ設定の誤り 0x80072EE2", Codes: c("0x80072EE2"),
			Body: "ﾌﾟﾛｷｼ の設定を確認する。",
		},
	}
}

func buildSmall(t testing.TB) *Index {
	t.Helper()
	ix, err := Build("", smallDocs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

const (
	kmsJa    = "ja/kms-0xc004f074/"
	wuJa     = "ja/wu-0x800f0922/"
	deniedJa = "ja/access-denied-0x80070005/"
	actEn    = "en/activation-0xc004f074/"
	officeJa = "ja/office-0xc004f050/"
	hostile  = "en/hostile/"
	proxyJa  = "ja/proxy-0x80072ee2/"
)

// searchTests are queries on smallDocs and the IDs they must return, in
// order. Ties are broken by ID, so en/ comes before ja/ at equal scores.
var searchTests = []struct {
	q    Query
	want []string
}{
	{Query{Text: "0xC004F074"}, []string{actEn, kmsJa}},
	{Query{Text: "0xc004f074"}, []string{actEn, kmsJa}},
	{Query{Text: "C004F074"}, []string{actEn, kmsJa}},
	{Query{Text: "c004f074"}, []string{actEn, kmsJa}},
	{Query{Text: "0XC004F074"}, []string{actEn, kmsJa}},
	{Query{Text: "０ｘＣ００４Ｆ０７４"}, []string{actEn, kmsJa}},
	{Query{Text: "-1073418124"}, []string{actEn, kmsJa}},
	{Query{Text: "3221549172"}, []string{actEn, kmsJa}},
	{Query{Text: "エラー 0xC004F074 KMS"}, []string{kmsJa, actEn}},
	{Query{Text: "0xC004F0"}, []string{actEn, kmsJa, officeJa}},
	{Query{Text: "80070005"}, []string{deniedJa}},
	{Query{Text: "0xC004F074", Lang: "ja"}, []string{kmsJa}},
	{Query{Text: "ライセンス認証"}, []string{officeJa, kmsJa}}, // shorter title first
	{Query{Text: "ﾗｲｾﾝｽ認証"}, []string{officeJa, kmsJa}},
	{Query{Text: "ライセンス認証", Tags: []string{"KMS"}}, []string{kmsJa}},
	{Query{Text: "時刻同期"}, []string{kmsJa}},
	{Query{Text: "ファイアウォール"}, []string{wuJa}},
	{Query{Text: "プロキシ"}, []string{proxyJa}},
	{Query{Text: "新幹線"}, []string{deniedJa}},
	{Query{Text: "幹線"}, []string{deniedJa}},
	{Query{Text: "KMS 認証"}, []string{kmsJa}},
	{Query{Text: "activation"}, []string{actEn, hostile}},
	{Query{Text: "activate "}, []string{actEn, hostile}},
	{Query{Text: "activ"}, []string{actEn, hostile}},
	{Query{Text: "kms01.example.local"}, []string{kmsJa}},
	{Query{Text: "10.0.19045"}, []string{actEn}},
	{Query{Text: "974998"}, []string{actEn}},
	{Query{Text: "slmgr"}, []string{kmsJa}},
	{Query{Text: "script"}, []string{hostile}},
	// No article has every term: those with most of them, then those with
	// any (インストール has ンス).
	{Query{Text: "ライセンス認証 xyzzy"}, []string{officeJa, kmsJa, wuJa}},
	{Query{Text: "xyzzy"}, nil},
	{Query{Text: ""}, nil},
	{Query{Text: "0xC004F074", Limit: 1}, []string{actEn}},
}

func TestSearch(t *testing.T) {
	ix := buildSmall(t)
	for _, tc := range searchTests {
		hits, err := ix.Search(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Search(%+v) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestHit(t *testing.T) {
	ix := buildSmall(t)
	hits, err := ix.Search(Query{Text: "ライセンス認証 0xC004F074"})
	if err != nil || len(hits) == 0 {
		t.Fatalf("Search: %v, %v", hits, err)
	}
	h := hits[0]
	want := Hit{ID: kmsJa, Title: "Windows のライセンス認証に失敗 0xC004F074", Lang: "ja", Codes: []errcode.Code{"0xC004F074"},
		Snippet: "KMS/MAK による<mark>ライセンス認証</mark>が失敗し、エラーコード「<mark>0xC004F074</mark>」が返る。"}
	h.Score = 0
	if !reflect.DeepEqual(h, want) {
		t.Errorf("hit = %+v\nwant %+v", h, want)
	}
}

// TestPrimaryCode checks that an article whose primary code is the query
// comes before one that only also carries it, and that Hit.Codes keeps
// the article's order.
func TestPrimaryCode(t *testing.T) {
	ix, err := Build("", []Doc{
		{ID: "a/", Title: "a", Codes: []errcode.Code{"0xC0000005", "0x80070005"}},
		{ID: "b/", Title: "b", Codes: []errcode.Code{"0x80070005"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	hits, err := ix.Search(Query{Text: "0x80070005"})
	if err != nil || len(hits) != 2 || hits[0].ID != "b/" || hits[0].Score <= hits[1].Score {
		t.Fatalf("Search = %+v, %v; want b/ then a/", hits, err)
	}
	if want := []errcode.Code{"0xC0000005", "0x80070005"}; !reflect.DeepEqual(hits[1].Codes, want) {
		t.Errorf("codes of a/ = %v, want %v", hits[1].Codes, want)
	}
}

// TestSnippetEscapes checks that hostile titles and bodies come out as text.
func TestSnippetEscapes(t *testing.T) {
	ix := buildSmall(t)
	hits, err := ix.Search(Query{Text: "activation"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.ID != hostile {
			continue
		}
		want := "&lt;img src=x onerror=alert(1)&gt; <mark>activation</mark> &#39;quoted&#39;"
		if h.Snippet != want {
			t.Errorf("snippet = %q, want %q", h.Snippet, want)
		}
		return
	}
	t.Errorf("no hit for %s", hostile)
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("あ", 100) + "ライセンス認証" + strings.Repeat("い", 100)
	tests := []struct {
		name, q string
		sources []string
		want    string
	}{
		{"first source with a match", "認証", []string{"要約なし", "ライセンス認証"}, "ライセンス<mark>認証</mark>"},
		{"no match: start of first source", "xyz", []string{"", "本文"}, "本文"},
		{"window around the match", "ライセンス認証", []string{long},
			"…" + strings.Repeat("あ", 30) + "<mark>ライセンス認証</mark>" + strings.Repeat("い", 83) + "…"},
		{"width-folded match keeps original text", "ライセンス", []string{"ﾗｲｾﾝｽ認証"}, "<mark>ﾗｲｾﾝｽ</mark>認証"},
		{"code in another spelling", "0xC004F074", []string{"エラー０ｘＣ００４Ｆ０７４です"}, "エラー<mark>０ｘＣ００４Ｆ０７４</mark>です"},
		{"stem marks inside longer word", "activate", []string{"Run activation now"}, "Run <mark>activ</mark>ation now"},
		{"escaped", "a", []string{"<b>a</b>"}, "&lt;b&gt;<mark>a</mark>&lt;/b&gt;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := parseQuery(tc.q)
			_, needles := p.textGroups(make([]bool, len(p.codes)), nil)
			if got := newHighlighter(p, needles).snippet(tc.sources...); got != tc.want {
				t.Errorf("snippet(%q, %q) = %q, want %q", tc.q, tc.sources, got, tc.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		docs []Doc
		want string
	}{
		{"empty ID", []Doc{{Title: "x"}}, "document 0 has no ID"},
		{"duplicate ID", []Doc{{ID: "a/"}, {ID: "a/"}}, `duplicate document ID "a/"`},
	}
	for _, tc := range tests {
		_, err := Build("", tc.docs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Build = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestOnDisk builds an index in a directory, replaces it, and reopens it.
func TestOnDisk(t *testing.T) {
	dir := t.TempDir() + "/index"
	for i := 0; i < 2; i++ { // the second Build replaces the first index
		ix, err := Build(dir, smallDocs()[i:])
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	hits, err := ix.Search(Query{Text: "0xC004F074"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].ID != actEn {
		t.Errorf("after rebuild without %s: hits = %+v", kmsJa, hits)
	}
	if _, err := Open(t.TempDir() + "/missing"); err == nil {
		t.Error("Open of a missing index succeeded")
	}
}

func TestEmptyIndex(t *testing.T) {
	ix, err := Build("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	hits, err := ix.Search(Query{Text: "0xC004F074 ライセンス"})
	if err != nil || len(hits) != 0 {
		t.Errorf("Search on empty index = %v, %v", hits, err)
	}
	if _, err := ix.Export(t.TempDir()); err != nil {
		t.Errorf("Export of empty index: %v", err)
	}
}

// TestPrefer checks that the preferred language decides between articles
// that match a code equally well, and nothing more.
func TestPrefer(t *testing.T) {
	docs := []Doc{
		{ID: "en/a/", Lang: "en", Title: "Activation fails 0xC004F074", Codes: []errcode.Code{"0xC004F074"}},
		{ID: "ja/a/", Lang: "ja", Title: "ライセンス認証に失敗 0xC004F074", Codes: []errcode.Code{"0xC004F074"}},
		{ID: "ja/b/", Lang: "ja", Title: "別の問題 0x80070005", Codes: []errcode.Code{"0x80070005", "0xC004F074"}},
	}
	ix, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, tc := range []struct {
		prefer string
		want   []string
	}{
		{"", []string{"en/a/", "ja/a/", "ja/b/"}},
		{"ja", []string{"ja/a/", "en/a/", "ja/b/"}},
		{"en", []string{"en/a/", "ja/a/", "ja/b/"}},
	} {
		hits, err := ix.Search(Query{Text: "0xC004F074", Prefer: tc.prefer})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Search(0xC004F074, Prefer %q) = %q, want %q", tc.prefer, got, tc.want)
		}
	}
	// search.js ranks alike: a query of codes alone by the languages on
	// the cards in the code bucket, a query with words by the language's
	// bitmap.
	var qs []Query
	for _, p := range []string{"", "ja", "en"} {
		qs = append(qs, Query{Text: "0xC004F074", Prefer: p}, Query{Text: "0xC004F074 失敗", Prefer: p})
	}
	checkParity(t, ix, export(t, ix), qs)
}
