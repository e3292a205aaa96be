package search

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// searchJS is the browser script the parity tests run in Node.
var searchJS = filepath.Join("..", "..", "templates", "assets", "search.js")

// runNode sends req to testdata/driver.js, which runs search.js in Node,
// and decodes the answer into resp. It skips the test without node.
func runNode(t testing.TB, req, resp any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: browser parity not checked")
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "driver.js"), searchJS)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node driver.js: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("node driver.js: %v\n%s", err, out)
	}
}

// analyzeGo runs text through the analyzer registered with bleve, as the
// index does, and returns the terms.
func analyzeGo(t testing.TB, text string) []string {
	t.Helper()
	registerAnalysis()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	a := m.AnalyzerNamed(textAnalyzer)
	if a == nil {
		t.Fatalf("analyzer %q not found", textAnalyzer)
	}
	terms := []string{}
	for _, tok := range a.Analyze([]byte(text)) {
		terms = append(terms, string(tok.Term))
	}
	return terms
}

// analysisTexts are the strings both analyzers must agree on.
var analysisTexts = []string{
	"Windows のライセンス認証に失敗 0xC004F074",
	"０ｘＣ００４Ｆ０７４",
	"エラー0xc004f074が発生しました。",
	"ﾗｲｾﾝｽ認証 ｴﾗｰ ｶﾞｲﾄﾞ", // half-width katakana, voiced marks
	"時刻同期・ドメイン参加の問題（クライアントとホストで時刻差）",
	"ファイアウォールの一時的な例外は作業完了後に必ず削除する。",
	"KMS/MAKによるライセンス認証が失敗し、エラーコード「0xC004F074」が返る。",
	"kms01.example.local 10.0.19045 KB974998 slmgr.vbs /ato",
	"KB5034441 kb12345 windows10 win2019 x64 ０ｘ１２３４ ＫＢ１２３４５",
	"nslookup -type=SRV _vlmcs._tcp.yourdomain.local",
	"Activation activated activating activates activate ACTIVE",
	"services stopped running enabled installing installation policies denied agreed",
	"-1073418124 3221549172 C004F074 0X80070005",
	"認",
	"a",
	"",
	"   \t\n",
	"新幹線 幹線 々 〆切 ヶ月 ゝゞ ヽヾ",
	"한국어 검색 테스트",
	"İstanbul ΣΟΦΟΣ Straße ﬁle ǅ Ⅻ ①②",
	"café naïve résumé e\u0301 ｶﾞ か\u3099",
	"emoji 👍🏽 test ❤️ ok",
	"tab\tand\u00a0nbsp\u3000ideographic\u2003em",
	"<script>alert('x')</script> & \"quoted\"",
	strings.Repeat("x", 70) + " " + strings.Repeat("y", 64),
	"C:\\Windows\\System32\\slmgr.vbs",
	"Get-MpPreference | Select EnableControlledFolderAccess",
	"中文简体 繁體中文 日本語テキスト",
	"１２３４５ ＡＢＣ ａｂｃ",
	"𠮷野家 𩸽", // supplementary-plane ideographs
	"Ｗｉｎｄｏｗｓ１０のライセンス",
}

func TestAnalyzerParity(t *testing.T) {
	var js [][]string
	runNode(t, map[string]any{"op": "analyze", "texts": analysisTexts}, &js)
	if len(js) != len(analysisTexts) {
		t.Fatalf("node returned %d results for %d texts", len(js), len(analysisTexts))
	}
	for i, text := range analysisTexts {
		got := analyzeGo(t, text)
		if js[i] == nil {
			js[i] = []string{}
		}
		if !reflect.DeepEqual(got, js[i]) {
			t.Errorf("analyze(%q):\n  go   %q\n  node %q", text, got, js[i])
		}
	}
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"japanese bigrams with unigrams", "ライセンス認証", []string{"ラ", "ライ", "イ", "イセ", "セ", "セン", "ン", "ンス", "ス", "ス認", "認", "認証", "証"}},
		{"one kanji", "認", []string{"認"}},
		{"full-width code", "０ｘＣ００４Ｆ０７４", []string{"0xc004f074"}},
		{"half-width katakana", "ﾗｲｾﾝｽ", []string{"ラ", "ライ", "イ", "イセ", "セ", "セン", "ン", "ンス", "ス"}},
		{"code glued to Japanese", "エラー0xC004F074が", []string{"エ", "エラ", "ラ", "ラー", "ー", "0xc004f074", "が"}},
		{"dots split", "kms01.example.local", []string{"kms01", "example", "exampl", "local"}},
		{"stem added after word", "Activation", []string{"activation", "activ"}},
		{"number tail", "KB974998 w32tm kb12", []string{"kb974998", "974998", "w32tm", "kb12"}},
		{"long run dropped", strings.Repeat("a", 65) + " ok", []string{"ok"}},
		{"punctuation only", "・、。「」", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := analyzeGo(t, tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("analyze(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"activation", "activ"},
		{"activate", "activ"},
		{"activated", "activ"},
		{"activating", "activ"},
		{"activates", "activ"},
		{"active", "activ"},
		{"installation", "install"},
		{"installed", "install"},
		{"services", "servic"},
		{"service", "servic"},
		{"policies", "policy"},
		{"denied", "deny"},
		{"stopped", "stop"},
		{"running", "run"},
		{"added", "add"},
		{"agreed", "agreed"},
		{"needed", "need"},
		{"status", "status"},
		{"access", "access"},
		{"windows", "window"},
		{"enable", "enabl"},
		{"enabled", "enabl"},
		{"kms", "kms"},     // too short
		{"kms01", "kms01"}, // not all letters
		{"update", "upd"},  // only a key: "updates" and "updating" meet it
		{"updating", "upd"},
		{"ライセンス", "ライセンス"},
	}
	for _, tc := range tests {
		if got := stem(tc.in); got != tc.want {
			t.Errorf("stem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// planQueries are queries whose parsed form both sides must agree on.
var planQueries = []string{
	"0xC004F074", "0xc004f074", "C004F074", "c004f074", "0XC004F074", "０ｘＣ００４Ｆ０７４",
	"エラー 0xC004F074 KMS", "エラー0xC004F074が", "-1073418124", "3221549172", "0xC004F0", "０ｘｃ００",
	"ライセンス認証", "時刻同期 ファイアウォール", "activation", "activa", "activate windows ", "KMS 認証",
	"ﾗｲｾﾝｽ", "認", "(0x80070005)", "20240101", "1688", "0xC004F07", "a b c", "",
	"ライセンス認証 ライセンス認証", strings.Repeat("あいうえお", 10),
}

func TestQueryPlanParity(t *testing.T) {
	type jsCode struct {
		Code   string `json:"code"`
		Prefix bool   `json:"prefix"`
		Raw    string `json:"raw"`
	}
	type jsGroup struct {
		Terms  []string `json:"terms"`
		Prefix string   `json:"prefix"`
	}
	var js []struct {
		Codes   []jsCode  `json:"codes"`
		Groups  []jsGroup `json:"groups"`
		Needles []string  `json:"needles"`
	}
	runNode(t, map[string]any{"op": "plan", "queries": planQueries}, &js)
	for i, q := range planQueries {
		p := parseQuery(q)
		gs, needles := p.textGroups(make([]bool, len(p.codes)), nil)
		var codes []jsCode
		for _, c := range p.codes {
			codes = append(codes, jsCode{c.code, c.prefix, c.raw})
		}
		var groups []jsGroup
		for _, g := range gs {
			groups = append(groups, jsGroup{g.terms, g.prefix})
		}
		if !reflect.DeepEqual(codes, js[i].Codes) && len(codes)+len(js[i].Codes) > 0 {
			t.Errorf("codes of %q:\n  go   %+v\n  node %+v", q, codes, js[i].Codes)
		}
		if !reflect.DeepEqual(groups, js[i].Groups) && len(groups)+len(js[i].Groups) > 0 {
			t.Errorf("text of %q:\n  go   %+v\n  node %+v", q, groups, js[i].Groups)
		}
		if !reflect.DeepEqual(needles, js[i].Needles) && len(needles)+len(js[i].Needles) > 0 {
			t.Errorf("needles of %q:\n  go   %q\n  node %q", q, needles, js[i].Needles)
		}
	}
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		q      string
		codes  []string // canonical, "*" suffix for prefixes
		groups string   // joinTerms of the text groups
	}{
		{"0xC004F074", []string{"0xC004F074"}, ""},
		{"c004f074", []string{"0xC004F074"}, ""},
		{"０ｘＣ００４Ｆ０７４", []string{"0xC004F074"}, ""},
		{"-1073418124", []string{"0xC004F074"}, ""},
		{"3221549172", []string{"0xC004F074"}, ""},
		{"0xC004F0", []string{"0xC004F0*"}, ""},
		{"エラー 0xC004F074 KMS", []string{"0xC004F074"}, "エラ & ラー & kms|kms*"},
		{"エラー0xC004F074が", []string{"0xC004F074"}, "エラ & ラー & が"},
		{"ライセンス認証", nil, "ライ & イセ & セン & ンス & ス認 & 認証"},
		{"認", nil, "認"},
		{"activation", nil, "activation|activ|activation*"},
		{"activation ", nil, "activation|activ"},
		{"KMS 認証", nil, "kms & 認証"},
		{"ka", nil, "ka"},
	}
	for _, tc := range tests {
		p := parseQuery(tc.q)
		var codes []string
		for _, c := range p.codes {
			s := c.code
			if c.prefix {
				s += "*"
			}
			codes = append(codes, s)
		}
		gs, _ := p.textGroups(make([]bool, len(p.codes)), nil)
		if !reflect.DeepEqual(codes, tc.codes) || joinTerms(gs) != tc.groups {
			t.Errorf("parseQuery(%q) = %q, %q; want %q, %q", tc.q, codes, joinTerms(gs), tc.codes, tc.groups)
		}
	}
}

// joinTerms shows text groups as "a|a-stem|prefix* & b".
func joinTerms(gs []group) string {
	var b strings.Builder
	for i, g := range gs {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString(strings.Join(g.terms, "|"))
		if g.prefix != "" {
			b.WriteString("|" + g.prefix + "*")
		}
	}
	return b.String()
}
