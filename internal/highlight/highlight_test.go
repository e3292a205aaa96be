package highlight

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o666); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff is a small line-oriented diff: the first differing line and its
// neighbours, enough to see what changed without a diff library.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return "line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return "(no line differs)"
}

func TestBlockGolden(t *testing.T) {
	tests := []struct {
		golden string
		lang   string
		code   string
	}{
		{"cmd.html", "cmd", "slmgr /ipk <Your-Product-Key>\r\nicacls \"%TEMP%\" /grant Administrators:F /T\nREM comment & more\nwhoami /groups & whoami /priv\n"},
		{"powershell.html", "powershell", "$p = \"C:\\\\Path\\\\To\\\\Folder\"\nGet-MpPreference | Select EnableControlledFolderAccess # check\nAdd-MpPreference -ControlledFolderAccessAllowedApplications \"C:\\\\Windows\\\\System32\\\\slmgr.vbs\"\n"},
		{"json.html", "json", "{\n  \"code\": \"0xC004F074\",\n  \"retry\": [1, 2.5, true, null]\n}\n"},
		{"unknown.html", "kms-log", "<script>alert(\"x\")</script> & 'quotes'\n"},
	}
	h := New()
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := h.Block(&b, tc.lang, tc.code); err != nil {
				t.Fatalf("Block(%q) error: %v", tc.lang, err)
			}
			golden(t, tc.golden, b.Bytes())
		})
	}
}

func TestAliases(t *testing.T) {
	// Each alias must highlight like its target: same markup for the same
	// code, and some highlighting (a span) rather than plain text.
	tests := []struct {
		lang, same, code string
	}{
		{"cmd", "batchfile", "echo %TEMP%\n"},
		{"bat", "batchfile", "echo %TEMP%\n"},
		{"batch", "batchfile", "echo %TEMP%\n"},
		{"CMD", "batchfile", "echo %TEMP%\n"},
		{"ps1", "powershell", "Get-Item $p\n"},
		{"pwsh", "powershell", "Get-Item $p\n"},
		{"PowerShell", "powershell", "Get-Item $p\n"},
		{"sh", "bash", "echo \"$HOME\"\n"},
		{"shell", "bash", "echo \"$HOME\"\n"},
		{"console", "bash", "echo \"$HOME\"\n"},
		{"yml", "yaml", "a: 1\n"},
		{"cfg", "ini", "[s]\nk=v\n"},
		{"reg", "registry", "[HKEY_LOCAL_MACHINE\\SOFTWARE]\n\"a\"=dword:00000001\n"},
		{"xml", "xml", "<a b=\"c\"/>\n"},
		{"sql", "sql", "SELECT 1;\n"},
		{"json", "json", "{\"a\": 1}\n"},
	}
	h := New()
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			var got, want bytes.Buffer
			if err := h.Block(&got, tc.lang, tc.code); err != nil {
				t.Fatal(err)
			}
			if err := h.Block(&want, tc.same, tc.code); err != nil {
				t.Fatal(err)
			}
			g := strings.Replace(got.String(), `data-lang="`+tc.lang+`"`, "", 1)
			w := strings.Replace(want.String(), `data-lang="`+tc.same+`"`, "", 1)
			if g != w {
				t.Errorf("Block(%q) = %s, want the same markup as Block(%q) = %s", tc.lang, got.String(), tc.same, want.String())
			}
			if !strings.Contains(g, "<span class=") {
				t.Errorf("Block(%q) = %s, want highlighted spans", tc.lang, got.String())
			}
		})
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		name, lang, code, want string
	}{
		{"empty lang", "", "a < b && c > \"d\"\n", `<pre class="chroma"><code>a &lt; b &amp;&amp; c &gt; &#34;d&#34;` + "\n</code></pre>\n"},
		{"unknown lang", "no-such-language", "<x>\n", `<pre class="chroma" data-lang="no-such-language"><code>&lt;x&gt;` + "\n</code></pre>\n"},
		{"lang is escaped", `x"><script>`, "y", `<pre class="chroma" data-lang="x&#34;&gt;&lt;script&gt;"><code>y</code></pre>` + "\n"},
		{"empty code", "cmd", "", `<pre class="chroma" data-lang="cmd"><code></code></pre>` + "\n"},
		{"too long to highlight", "cmd", strings.Repeat("echo &\n", maxHighlight/7+1), `<pre class="chroma" data-lang="cmd"><code>` + strings.Repeat("echo &amp;\n", maxHighlight/7+1) + "</code></pre>\n"},
	}
	h := New()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := h.Block(&b, tc.lang, tc.code); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("Block(%q, %q) = %q, want %q", tc.lang, tc.code, b.String(), tc.want)
			}
		})
	}
}

// TestNoInlineStyles checks the contract with the stylesheet: markup carries
// classes only, and no chroma wrapper of its own.
func TestNoInlineStyles(t *testing.T) {
	h := New()
	for _, lang := range []string{"cmd", "powershell", "json", "yaml", "bash", "go", "python", "xml"} {
		var b bytes.Buffer
		if err := h.Block(&b, lang, "x = \"1\" # y\n<a>\n"); err != nil {
			t.Fatal(err)
		}
		s := b.String()
		if strings.Contains(s, "style=") || strings.Count(s, "<pre") != 1 || strings.Count(s, "<code") != 1 ||
			strings.Contains(s, `class="line"`) || strings.Contains(s, `class="cl"`) {
			t.Errorf("Block(%q) = %s, want one <pre><code> wrapper, class spans and no style attributes", lang, s)
		}
	}
}

// TestConcurrent exercises the lexer cache from many goroutines; run with
// -race to check it.
//
// Output may differ in span classes only: chroma gives each lexer rule's
// regular expression a 250 ms wall-clock match timeout (regexp2, whose
// clock is a goroutine ticking every 100 ms), and on a machine starved of
// CPU, under the race detector above all, a rule can time out and the
// next rule take the token. That is chroma's behaviour and out of our
// reach; the text and the markup around it must still be identical.
func TestConcurrent(t *testing.T) {
	h := New()
	langs := []string{"cmd", "ps1", "json", "yaml", "nope", "", "sql", "xml", "reg"}
	want := make([]string, len(langs))
	for i, l := range langs {
		var b bytes.Buffer
		if err := New().Block(&b, l, "echo \"x\" 1\n"); err != nil {
			t.Fatal(err)
		}
		want[i] = b.String()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				k := (g + i) % len(langs)
				var b bytes.Buffer
				if err := h.Block(&b, langs[k], "echo \"x\" 1\n"); err != nil {
					t.Error(err)
					return
				}
				if got := b.String(); got != want[k] {
					if spanRE.ReplaceAllString(got, "") != spanRE.ReplaceAllString(want[k], "") {
						t.Errorf("concurrent Block(%q) = %q, want %q", langs[k], got, want[k])
						return
					}
					t.Logf("concurrent Block(%q) = %q, differs from %q in classes only", langs[k], got, want[k])
				}
			}
		}()
	}
	wg.Wait()
}

var spanRE = regexp.MustCompile(`<span class="[^"]*">|</span>`)

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// TestBlockCache checks that a block the Highlighter has seen comes out as
// it did the first time, whatever spelling of its language names it, and
// that the cache tells languages and codes apart.
func TestBlockCache(t *testing.T) {
	block := func(h *Highlighter, lang, code string) string {
		t.Helper()
		var b bytes.Buffer
		if err := h.Block(&b, lang, code); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	code := "REM x\r\nnet start sppsvc\n"
	h := New()
	for _, tc := range []struct{ lang, code string }{
		{"cmd", code},
		{"cmd", code},
		{" CMD ", code},
		{"powershell", code},
		{"cmd", code + "sfc /scannow\n"},
		{"nope", code},
		{"cmd", code},
	} {
		if got, want := block(h, tc.lang, tc.code), block(New(), tc.lang, tc.code); got != want {
			t.Errorf("Block(%q, %q) on a used Highlighter = %q, want %q", tc.lang, tc.code, got, want)
		}
	}
}

func TestWriteError(t *testing.T) {
	h := New()
	if err := h.Block(failWriter{}, "cmd", "echo\n"); err == nil {
		t.Errorf("Block to a failing writer returned nil error")
	}
	if err := CSS(failWriter{}); err == nil {
		t.Errorf("CSS to a failing writer returned nil error")
	}
}

// BenchmarkBlock measures lexing and formatting a block: each iteration's
// code is new (its last line numbered), so that the Highlighter's block
// cache, which BenchmarkBlockCached measures, does not answer it.
func BenchmarkBlock(b *testing.B) {
	h := New()
	code := strings.Repeat("icacls \"C:\\Path\\To\\Folder\" /grant Administrators:F /T\r\nslmgr /ato\n", 20)
	i := 0
	for b.Loop() {
		i++
		var buf bytes.Buffer
		if err := h.Block(&buf, "cmd", code+"REM "+strconv.Itoa(i)+"\n"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockCached measures a block that the Highlighter has seen.
func BenchmarkBlockCached(b *testing.B) {
	h := New()
	code := strings.Repeat("icacls \"C:\\Path\\To\\Folder\" /grant Administrators:F /T\r\nslmgr /ato\n", 20)
	for b.Loop() {
		var buf bytes.Buffer
		if err := h.Block(&buf, "cmd", code); err != nil {
			b.Fatal(err)
		}
	}
}
