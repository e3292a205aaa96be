package markdown

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kbgen/kbgen/internal/highlight"
)

func TestSlug(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"要約", "要約"},
		{"よくある原因（優先度順）", "よくある原因-優先度順"},
		{"60秒で確認（最短手順）", "60秒で確認-最短手順"},
		{"5分で解決（実務フロー）", "5分で解決-実務フロー"},
		{"根本対策（恒久策）", "根本対策-恒久策"},
		{"詳細手順（Windows 10/11）", "詳細手順-windows-10-11"},
		{"よくある落とし穴（やってはいけない）", "よくある落とし穴-やってはいけない"},
		{"再発防止チェックリスト", "再発防止チェックリスト"},
		{"関連ケース", "関連ケース"},
		{"参考（一次情報）", "参考-一次情報"},
		{"Hello, World!", "hello-world"},
		{"  --Leading and trailing--  ", "leading-and-trailing"},
		{"Error 0xC004F074", "error-0xc004f074"},
		{"Ｗｉｎｄｏｗｓ　１０", "windows-10"},
		{"KMS・MAK、混在。", "kms-mak-混在"},
		{"「引用」と『書名』", "引用-と-書名"},
		{"⚠️ 注意", "注意"},
		{"a\u200bb", "ab"},
		{"snake_case and kebab-case", "snake-case-and-kebab-case"},
		{"Ünïcödé Straße", "ünïcödé-straße"},
		{"ガ (combining: ガ)", "ガ-combining-ガ"},
		{"", "section"},
		{"!!!", "section"},
		{"（）", "section"},
	}
	for _, tc := range tests {
		if got := slug(tc.text); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func ids(d *Doc) []string {
	var out []string
	for _, h := range d.Headings {
		out = append(out, h.ID)
	}
	return out
}

func TestHeadingIDs(t *testing.T) {
	tests := []struct {
		name     string
		reserved []string
		src      string
		want     []string
	}{
		{
			name: "duplicates",
			src:  "# A\n## A\n### A\n## b\n## B\n",
			want: []string{"a", "a-2", "a-3", "b", "b-2"},
		},
		{
			name: "suffix collides with a later natural ID",
			src:  "## foo\n## foo\n## foo 2\n## foo\n",
			want: []string{"foo", "foo-2", "foo-2-2", "foo-3"},
		},
		{
			name: "japanese duplicates",
			src:  "## 手順\n### 手順\n## 手順（2）\n",
			want: []string{"手順", "手順-2", "手順-2-2"},
		},
		{
			name:     "reserved",
			reserved: []string{"search-results", "search-input"},
			src:      "## Search results\n## Search input\n## Search\n",
			want:     []string{"search-results-2", "search-input-2", "search"},
		},
		{
			name: "empty and symbol-only headings",
			src:  "#\n## ???\n## ⚠\n",
			want: []string{"section", "section-2", "section-3"},
		},
		{
			name: "inline markup does not show",
			src:  "## Run `slmgr /ato` **now** [here](x.md)\n",
			want: []string{"run-slmgr-ato-now-here"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := New(Config{ReservedIDs: tc.reserved}).Parse([]byte(tc.src), 1)
			if got := ids(d); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) heading IDs = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}

// TestHeadingIDsStable checks that IDs depend on heading text only:
// rewriting, adding or removing section bodies leaves every anchor where it
// was.
func TestHeadingIDsStable(t *testing.T) {
	m := New(Config{})
	a := m.Parse([]byte("## 要約\nshort\n## 手順\n1. a\n## 手順\nx\n"), 1)
	b := m.Parse([]byte("intro\n\n## 要約\n\nA much longer body\nwith [links](x.md)\n\n```cmd\necho\n```\n## 手順\n## 手順\n\n| t |\n|---|\n| c |\n"), 40)
	if ga, gb := ids(a), ids(b); !reflect.DeepEqual(ga, gb) {
		t.Errorf("heading IDs changed with the bodies: %q, then %q", ga, gb)
	}
	seed := readSeed(t)
	edited := bytes.ReplaceAll(seed, []byte("KMS"), []byte("キー管理サービス"))
	if len(edited) == len(seed) {
		t.Fatal("test edit changed nothing")
	}
	// The edit touches no heading of the seed.
	if ga, gb := ids(m.Parse(seed, 1)), ids(m.Parse(edited, 1)); !reflect.DeepEqual(ga, gb) {
		t.Errorf("heading IDs changed with the bodies: %q, then %q", ga, gb)
	}
}

func TestSeed(t *testing.T) {
	src := readSeed(t)
	d := New(Config{Highlighter: highlight.New()}).Parse(src, seedFirstLine)

	type h struct {
		Text, ID string
		Line     int
	}
	want := []h{
		{"要約", "要約", 9},
		{"よくある原因（優先度順）", "よくある原因-優先度順", 17},
		{"60秒で確認（最短手順）", "60秒で確認-最短手順", 24},
		{"5分で解決（実務フロー）", "5分で解決-実務フロー", 59},
		{"根本対策（恒久策）", "根本対策-恒久策", 81},
		{"詳細手順（Windows 10/11）", "詳細手順-windows-10-11", 88},
		{"よくある落とし穴（やってはいけない）", "よくある落とし穴-やってはいけない", 135},
		{"再発防止チェックリスト", "再発防止チェックリスト", 140},
		{"関連ケース", "関連ケース", 146},
		{"参考（一次情報）", "参考-一次情報", 151},
	}
	var got []h
	for _, x := range d.Headings {
		got = append(got, h{x.Text, x.ID, x.Line})
		if x.Level != 2 || x.Col != 1 || x.Empty || x.Body == "" {
			t.Errorf("heading %q: Level %d, Col %d, Empty %v, Body %q; want 2, 1, false, non-empty", x.Text, x.Level, x.Col, x.Empty, x.Body)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seed headings =\n%v\nwant\n%v", got, want)
	}

	// Line numbers agree with the original file, where it is available.
	if orig, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "corpus", "seed-0xC004F074.md")); err == nil {
		lines := strings.Split(string(orig), "\n")
		for _, x := range d.Headings {
			if l := lines[x.Line-1]; l != "## "+x.Text {
				t.Errorf("heading %q at line %d, but the file has %q there", x.Text, x.Line, l)
			}
		}
	}

	// The code is in the text, for the search: support staff search
	// for the commands too.
	if !strings.Contains(d.Text, "slmgr /dli\nslmgr /dlv\nslmgr /xpr\n") {
		t.Errorf("text lacks the first code block's three slmgr lines")
	}

	if n := len(d.Links); n != 6 {
		t.Fatalf("seed has %d links, want the 6 linkified references", n)
	}
	for _, l := range d.Links {
		if l.In != 9 || !strings.HasPrefix(l.Dest, "https://learn.microsoft.com/ja-jp/") || l.Text != l.Dest || l.Col != 3 {
			t.Errorf("link %+v: want a learn.microsoft.com URL as its own text, at column 3, under heading 9", l)
		}
	}
	if d.Links[0].Line != 152 {
		t.Errorf("first link at line %d, want 152", d.Links[0].Line)
	}

	for _, s := range []string{"0xC004F074", "slmgr /ato", "Get-MpPreference", "KMS サーバーが見つからない", "時刻/ドメイン不整合による認証失敗"} {
		if !strings.Contains(d.Text, s) {
			t.Errorf("Doc.Text does not contain %q", s)
		}
	}
	if b := d.Headings[8].Body; b != "KMS ホスト移行後に 0xC004F074 が出るケース\nネットワーク分離されたクライアントでの認証タイムアウト\n時刻/ドメイン不整合による認証失敗" {
		t.Errorf("related-cases Body = %q", b)
	}
}

func TestPositions(t *testing.T) {
	// The body starts at line 10 of its file.
	src := "" +
		"# Title\n" + // 10
		"\n" + // 11
		"Text [first](a.md) and 日本語の[リンク](b.md)。\n" + // 12
		"- item\n" + // 13
		"  ## 見出し\n" + // 14
		"  > ### 引用の見出し ![画像](c.png)\n" + // 15
		"\n" + // 16
		"   #### indented\n" + // 17
		"全角　テキスト <https://example.com> www.example.org\n" + // 18
		"\n" + // 19
		"Setext 見出し\n" + // 20
		"---\n" + // 21
		"\n" + // 22
		"```cmd\n" + // 23
		"echo\n" + // 24
		"```\n" + // 25
		"\n" + // 26
		"    indented code\n" // 27
	d := New(Config{}).Parse([]byte(src), 10)

	type pos struct {
		Text      string
		Line, Col int
	}
	var gotH []pos
	for _, h := range d.Headings {
		gotH = append(gotH, pos{h.Text, h.Line, h.Col})
	}
	wantH := []pos{
		{"Title", 10, 1},
		{"見出し", 14, 3},
		{"引用の見出し 画像", 15, 5},
		{"indented", 17, 4},
		{"Setext 見出し", 20, 1},
	}
	if !reflect.DeepEqual(gotH, wantH) {
		t.Errorf("heading positions = %v, want %v", gotH, wantH)
	}

	var gotL []pos
	for _, l := range d.Links {
		gotL = append(gotL, pos{l.Text, l.Line, l.Col})
	}
	wantL := []pos{
		{"first", 12, 6},
		{"リンク", 12, 28},
		{"画像", 15, 16},
		{"https://example.com", 18, 9},
		{"www.example.org", 18, 31},
	}
	if !reflect.DeepEqual(gotL, wantL) {
		t.Errorf("link positions = %v, want %v", gotL, wantL)
	}

	// firstLine below 1 is taken as 1.
	if h := New(Config{}).Parse([]byte("# x\n"), 0).Headings[0]; h.Line != 1 {
		t.Errorf("Parse(firstLine 0) heading line = %d, want 1", h.Line)
	}
}

func TestLinks(t *testing.T) {
	src := "" +
		"before\n\n" +
		"# One\n" +
		"[plain](guide.md) [titled](<my file.md> \"T\") [escaped](a\\_b.md) [entity](a&amp;b.md)\n" +
		"![alt *em*](img.png) [![inner](i.png)](outer.md) [ref][r] [Shortcut]\n" +
		"## Two\n" +
		"<https://a.example/x> <me@example.com> https://b.example/y www.c.example\n" +
		"[empty]()\n" +
		"\n[r]: ref.md\n[shortcut]: short.md\n"
	d := New(Config{}).Parse([]byte(src), 1)
	type link struct {
		Dest, Text string
		Image      bool
		In         int
	}
	var got []link
	for _, l := range d.Links {
		got = append(got, link{l.Dest, l.Text, l.Image, l.In})
	}
	want := []link{
		{"guide.md", "plain", false, 0},
		{"my file.md", "titled", false, 0},
		{"a_b.md", "escaped", false, 0},
		{"a&b.md", "entity", false, 0},
		{"img.png", "alt em", true, 0},
		{"outer.md", "inner", false, 0},
		{"i.png", "inner", true, 0},
		{"ref.md", "ref", false, 0},
		{"short.md", "Shortcut", false, 0},
		{"https://a.example/x", "https://a.example/x", false, 1},
		{"mailto:me@example.com", "me@example.com", false, 1},
		{"https://b.example/y", "https://b.example/y", false, 1},
		{"http://www.c.example", "www.c.example", false, 1},
		{"", "empty", false, 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links =\n%v\nwant\n%v", got, want)
	}
	if l := New(Config{}).Parse([]byte("[x](y.md)\n# h\n"), 1).Links[0]; l.In != -1 {
		t.Errorf("link before any heading: In = %d, want -1", l.In)
	}
}

// TestResolve checks what the resolver sees and that its answer is escaped.
func TestResolve(t *testing.T) {
	src := "[a](guide.md#よくある原因) ![b](img/b.png) <https://x.example/?q=1&r=2> www.y.example <m@example.com> [c](<a b.md>)\n"
	var seen []string
	resolve := func(dest string) string {
		seen = append(seen, dest)
		if dest == "guide.md#よくある原因" {
			return `/kb/guide/?x="<>"#よくある原因`
		}
		return dest
	}
	var b bytes.Buffer
	if err := New(Config{}).Parse([]byte(src), 1).Render(&b, resolve); err != nil {
		t.Fatal(err)
	}
	want := []string{"guide.md#よくある原因", "img/b.png", "https://x.example/?q=1&r=2", "http://www.y.example", "mailto:m@example.com", "a b.md"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("resolve saw %q, want %q", seen, want)
	}
	out := b.String()
	for _, s := range []string{
		`<a href="/kb/guide/?x=%22%3C%3E%22#%E3%82%88%E3%81%8F%E3%81%82%E3%82%8B%E5%8E%9F%E5%9B%A0">a</a>`,
		`<img src="img/b.png" alt="b">`,
		`<a href="https://x.example/?q=1&amp;r=2">https://x.example/?q=1&amp;r=2</a>`,
		`<a href="http://www.y.example">www.y.example</a>`,
		`<a href="mailto:m@example.com">m@example.com</a>`,
		`<a href="a%20b.md">c</a>`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("Render = %s\nwant it to contain %s", out, s)
		}
	}
}

func TestDangerousURL(t *testing.T) {
	tests := []struct {
		dest  string
		image bool
		want  bool
	}{
		{"javascript:alert(1)", false, true},
		{"JaVaScRiPt:alert(1)", false, true},
		{" JaVaScRiPt:alert(1)", false, true},
		{"\x00javascript:alert(1)", false, true},
		{"java\tscript:alert(1)", false, true},
		{"java\nscript:alert(1)", false, true},
		{"java\r\nscript:alert(1)", false, true},
		{"jav&#x09;ascript:alert(1)", false, true},
		{"&#106;avascript:alert(1)", false, true},
		{"&#x6A;avascript:alert(1)", false, true},
		{"javascript&colon;alert(1)", false, true},
		{"&amp;#106;avascript:alert(1)", false, true},
		{"java\u200bscript:alert(1)", false, true},
		{"\u3000javascript:alert(1)", false, true},
		{"vbscript:msgbox(1)", false, true},
		{"VBScript:msgbox(1)", false, true},
		{"file:///C:/Windows/System32", false, true},
		{"data:text/html,<script>alert(1)</script>", false, true},
		{"data:text/html,x", true, true},
		{"DATA:text/html,x", false, true},
		{"data:image/png;base64,AAAA", false, true},
		{"data:image/png;base64,AAAA", true, false},
		{"data:image/gif;base64,AAAA", true, false},
		{"data:image/jpeg;base64,AAAA", true, false},
		{"data:image/webp;base64,AAAA", true, false},
		{"Data:Image/PNG;base64,AAAA", true, false},
		{"data:image/png,raw", true, false},
		{"data:image/svg+xml;base64,AAAA", true, true},
		{"data:image/pngx;base64,AAAA", true, true},
		{"https://example.com/javascript:x", false, false},
		{"http://example.com", false, false},
		{"mailto:a@example.com", false, false},
		{"/kb/ja/x/#javascript:", false, false},
		{"guide.md", false, false},
		{"#要約", false, false},
		{"", false, false},
		{"java%73cript:alert(1)", false, false}, // not a scheme: a relative path
	}
	for _, tc := range tests {
		if got := dangerousURL(tc.dest, tc.image); got != tc.want {
			t.Errorf("dangerousURL(%q, image %v) = %v, want %v", tc.dest, tc.image, got, tc.want)
		}
	}
}

// TestRenderNeutralisesLinks checks the filter through Render, including
// URLs that only the resolver produced.
func TestRenderNeutralisesLinks(t *testing.T) {
	tests := []struct {
		name, src string
		resolve   func(string) string
	}{
		{"markdown link", "[x](javascript:alert(1))", nil},
		{"angle link", "[x](<javascript:alert(1)>)", nil},
		{"entity", "[x](&#106;avascript:alert(1))", nil},
		{"reference", "[x][r]\n\n[r]: JAVASCRIPT:alert(1)", nil},
		{"autolink", "<javascript:alert(1)>", nil},
		{"image", "![x](javascript:alert(1))", nil},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", nil},
		{"svg image", "![x](data:image/svg+xml;base64,PHN2Zz4=)", nil},
		{"vbscript", "[x](vbscript:msgbox)", nil},
		{"from resolver", "[x](guide.md)", func(string) string { return " java\tscript:alert(1)" }},
		{"autolink from resolver", "<https://example.com>", func(string) string { return "javascript:alert(1)" }},
	}
	m := New(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := m.Parse([]byte(tc.src), 1).Render(&b, tc.resolve); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !strings.Contains(out, `="#"`) || strings.Contains(strings.ToLower(out), "script:") && strings.Contains(strings.ToLower(out), `href="java`) {
				t.Errorf("Render(%q) = %q, want the destination replaced by \"#\"", tc.src, out)
			}
			if strings.Contains(strings.ToLower(out), `="javascript`) || strings.Contains(strings.ToLower(out), `="data:text`) || strings.Contains(strings.ToLower(out), `="data:image/svg`) {
				t.Errorf("Render(%q) = %q: a dangerous URL survived", tc.src, out)
			}
		})
	}
}

func TestRawHTML(t *testing.T) {
	tests := []string{
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"text <img src=x onerror=alert(1)> text",
		"<div onclick=\"alert(1)\">\n\n*md*\n\n</div>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"a <svg onload=alert(1)> b",
		"<!-- comment --><style>body{}</style>",
		"| t |\n|---|\n| <img src=x onerror=alert(1)> |",
		"- <a href=\"javascript:alert(1)\">x</a>",
		"[<img src=x onerror=alert(1)>](a.md)",
		"![<img src=x onerror=alert(1)>](a.png)",
		"# <script>alert(1)</script>",
		"<?php echo 1; ?>",
		"<![CDATA[ x ]]>",
	}
	safe := New(Config{})
	unsafe := New(Config{Unsafe: true})
	for _, src := range tests {
		var b bytes.Buffer
		if err := safe.Parse([]byte(src), 1).Render(&b, nil); err != nil {
			t.Fatal(err)
		}
		out := strings.ToLower(b.String())
		for _, bad := range []string{"<script", "<img src=x", "onerror", "onclick", "onload", "<iframe", "<svg", "<style", "<div", "<!--", "<?php", "cdata"} {
			if strings.Contains(out, bad) {
				t.Errorf("Render(%q) = %q: contains %q", src, b.String(), bad)
			}
		}
	}
	// Unsafe keeps raw HTML, but still filters Markdown link destinations.
	var b bytes.Buffer
	if err := unsafe.Parse([]byte("<div class=\"note\">x</div>\n\nA <kbd>Ctrl</kbd> [j](javascript:x)\n"), 1).Render(&b, nil); err != nil {
		t.Fatal(err)
	}
	want := "<div class=\"note\">x</div>\n<p>A <kbd>Ctrl</kbd> <a href=\"#\">j</a></p>\n"
	if b.String() != want {
		t.Errorf("Unsafe Render = %q, want %q", b.String(), want)
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"blocks on lines", "# H\n\npara *em* **strong** `code`\n\n- a\n- b\n", "H\npara em strong code\na\nb"},
		{"entities and escapes", "a &amp; b &copy; \\*c\\* &#x41;", "a & b © *c* A"},
		{"code included", "x\n\n```cmd\necho %TEMP%\n```\n\n    indented\n", "x\necho %TEMP%\nindented\n"},
		{"table cells tabbed", "| a | b |\n|---|---|\n| 1 | 2 |\n", "a\tb\n1\t2"},
		{"raw html dropped", "a <b>bold</b> c\n\n<div>\nblock\n</div>\n", "a bold c"},
		{"links and images by text", "[text](u) ![alt](i.png) <https://x.example>", "text alt https://x.example"},
		{"japanese soft breaks joined", "日本語の\n文章", "日本語の文章"},
		{"latin soft breaks kept", "see\n[guide](g.md)", "see\nguide"},
		{"hard break", "a  \nb", "a\nb"},
		{"escaped space dropped", "**強調**\\ の後", "強調の後"},
		{"task list", "- [x] done\n- [ ] todo", "done\ntodo"},
	}
	m := New(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.Parse([]byte(tc.src), 1).Text; got != tc.want {
				t.Errorf("Parse(%q).Text = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}

func TestSections(t *testing.T) {
	src := "" +
		"# Top\n" +
		"## Empty\n" +
		"## Comment only\n" +
		"<!-- TODO -->\n" +
		"## With sub\n" +
		"### Sub\n" +
		"sub body\n" +
		"## Rule only\n" +
		"***\n" +
		"## Code only\n" +
		"```\nx\n```\n" +
		"## Last\n" +
		"last *body*\n"
	d := New(Config{}).Parse([]byte(src), 1)
	type sec struct {
		Text  string
		Empty bool
		Body  string
	}
	var got []sec
	for _, h := range d.Headings {
		got = append(got, sec{h.Text, h.Empty, h.Body})
	}
	want := []sec{
		{"Top", false, "Empty\nComment only\nWith sub\nSub\nsub body\nRule only\nCode only\nx\nLast\nlast body"},
		{"Empty", true, ""},
		{"Comment only", true, ""},
		{"With sub", false, "Sub\nsub body"},
		{"Sub", false, "sub body"},
		{"Rule only", true, ""},
		{"Code only", false, "x"},
		{"Last", false, "last body"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sections =\n%+v\nwant\n%+v", got, want)
	}
}

func TestRenderFeatures(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"task list", "- [ ] todo\n- [x] done\n", []string{`<li><input disabled="" type="checkbox" aria-label="to do"> todo</li>`, `<li><input checked="" disabled="" type="checkbox" aria-label="done"> done</li>`}},
		{"table", "| a | b |\n|---|--:|\n| 1 | 2 |\n", []string{"<table>", "<th>a</th>", `<td style="text-align:right">2</td>`}},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}},
		{"linkify", "see https://example.com/x.", []string{`<a href="https://example.com/x">https://example.com/x</a>.`}},
		{"heading id", "## 要約 *x*", []string{`<h2 id="要約-x">要約 <em>x</em></h2>`}},
		{"nil highlighter", "```cmd\necho <x>\n```", []string{"<pre data-lang=\"cmd\"><code>echo &lt;x&gt;\n</code></pre>"}},
	}
	m := New(Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := m.Parse([]byte(tc.src), 1).Render(&b, nil); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tc.src, b.String(), w)
				}
			}
		})
	}
}

// TestRenderConcurrent renders many Docs from many goroutines with one
// Markdown and one Highlighter, and the same Doc more than once; run with
// -race.
func TestRenderConcurrent(t *testing.T) {
	m := New(Config{Highlighter: highlight.New()})
	srcs := [][]byte{readSeed(t)}
	for _, f := range []string{"basic.txt", "gfm.txt", "code.txt", "links.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		in, _, _ := strings.Cut(string(data), marker)
		srcs = append(srcs, []byte(in))
	}
	want := make([]string, len(srcs))
	for i, s := range srcs {
		want[i] = render(t, m, string(s))
	}
	shared := m.Parse(srcs[0], 1)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				k := (g + i) % len(srcs)
				d := shared
				if k != 0 {
					d = m.Parse(srcs[k], 1)
				}
				var b bytes.Buffer
				if err := d.Render(&b, testResolve); err != nil {
					t.Error(err)
					return
				}
				if got := b.String(); got != want[k] {
					// See highlight.TestConcurrent: under heavy load a
					// chroma rule can time out and a token change
					// class. Anything else is a real difference.
					if stripSpans(got) != stripSpans(want[k]) {
						t.Errorf("concurrent Render of source %d differs from sequential:\n%s", k, diff(want[k], got))
						return
					}
					t.Logf("concurrent Render of source %d differs in highlighting classes only:\n%s", k, diff(want[k], got))
				}
			}
		}()
	}
	wg.Wait()
}

func TestRenderErrors(t *testing.T) {
	var d *Doc
	if err := d.Render(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil Doc: Render returned nil error")
	}
	if err := (&Doc{}).Render(&bytes.Buffer{}, nil); err == nil {
		t.Error("zero Doc: Render returned nil error")
	}
	m := New(Config{})
	doc := m.Parse([]byte("# x\n\ntext\n"), 1)
	if err := doc.Render(failWriter{}, nil); err == nil {
		t.Error("Render to a failing writer returned nil error")
	}

	// The Doc Parse returns when goldmark panics holds the source only;
	// it renders as preformatted text.
	fallback := &Doc{Text: "a <b>", m: m, src: []byte("a <b>")}
	var b bytes.Buffer
	if err := fallback.Render(&b, nil); err != nil || b.String() != "<pre><code>a &lt;b&gt;</code></pre>\n" {
		t.Errorf("fallback Render = %q, %v; want the escaped source in <pre><code>", b.String(), err)
	}

	// A nil Markdown is a programming error, but still no panic.
	var nilMD *Markdown
	if d := nilMD.Parse([]byte("# x"), 1); d == nil || d.Text != "# x" {
		t.Errorf("nil Markdown: Parse = %+v, want a plain-text Doc", d)
	}
}

var spanRE = regexp.MustCompile(`<span class="[^"]*">|</span>`)

// stripSpans removes highlighting spans, leaving the markup and text.
func stripSpans(s string) string { return spanRE.ReplaceAllString(s, "") }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func BenchmarkParse(b *testing.B) {
	src := readSeed(b)
	m := New(Config{Highlighter: highlight.New()})
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		m.Parse(src, seedFirstLine)
	}
}

func BenchmarkRender(b *testing.B) {
	src := readSeed(b)
	m := New(Config{Highlighter: highlight.New()})
	d := m.Parse(src, seedFirstLine)
	var buf bytes.Buffer
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		buf.Reset()
		if err := d.Render(&buf, testResolve); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCompact checks that a compacted Doc renders exactly as before.
func TestCompact(t *testing.T) {
	src, err := os.ReadFile("testdata/seed-0xC004F074.md")
	if err != nil {
		t.Fatal(err)
	}
	m := New(Config{ReservedIDs: []string{"要約"}})
	var want, got bytes.Buffer
	if err := m.Parse(src, 8).Render(&want, nil); err != nil {
		t.Fatal(err)
	}
	d := m.Parse(src, 8)
	d.Compact()
	if err := d.Render(&got, nil); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("Render after Compact differs:\n%s\nwant:\n%s", got.String(), want.String())
	}
	if !strings.Contains(got.String(), `id="要約-2"`) {
		t.Errorf("Render after Compact lost the heading IDs Parse chose")
	}
}

// TestRestore checks that a Doc restored from what Parse extracted and its
// source is the parsed Doc: the same fields, the same source, the same
// HTML, including heading IDs that only the extracted headings know (a
// reserved ID) and the highlighted code blocks.
func TestRestore(t *testing.T) {
	seed, err := os.ReadFile("testdata/seed-0xC004F074.md")
	if err != nil {
		t.Fatal(err)
	}
	m := New(Config{Highlighter: highlight.New(), ReservedIDs: []string{"要約"}})
	for _, src := range []string{
		string(seed),
		"## 要約\n\n[リンク](a.md) と `code`\n\n```cmd\nslmgr /dlv\n```\n\n## 要約\n\n本文\n",
		"",
	} {
		d := m.Parse([]byte(src), 8)
		var want bytes.Buffer
		if err := d.Render(&want, testResolve); err != nil {
			t.Fatal(err)
		}
		r := m.Restore([]byte(src), Doc{Headings: d.Headings, Links: d.Links, Text: d.Text})
		if !reflect.DeepEqual(r.Headings, d.Headings) || !reflect.DeepEqual(r.Links, d.Links) ||
			r.Text != d.Text || string(r.Source()) != src {
			t.Errorf("Restore(%.20q, parts) has other fields than Parse", src)
		}
		var got bytes.Buffer
		if err := r.Render(&got, testResolve); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("Render of the restored %.20q:\n%s\nwant:\n%s", src, got.String(), want.String())
		}
	}
}
