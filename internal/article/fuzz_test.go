package article_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
)

// FuzzParse checks that Parse never panics, that every diagnostic points
// into the file, that an unusable file gets an error, and that a BOM and CRLF
// line endings change nothing that is reported.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.md"))
	for _, name := range seeds {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{good, "", "---", "---\n---\n", "---\n- a\n---\n", "---\ntitle: [\n---\n",
		"---\ntags: KMS\ncodes: [x, 0x1]\n---\n## 要約\n", "\n\n---\nlang: ja\n---\n## x\n\xff"} {
		f.Add([]byte(s))
	}
	opts := options()
	f.Fuzz(func(t *testing.T, src []byte) {
		a, l := article.Parse(path, src, opts)
		if a == nil && !l.HasErrors() {
			t.Fatalf("Parse(%q) = nil article and no error", src)
		}
		n := bytes.Count(src, []byte("\n")) + 1
		for _, d := range l {
			if d.Pos.File != path || d.Pos.Line < 1 || d.Pos.Line > n || d.Pos.Col < 1 {
				t.Errorf("Parse(%q): %v: position outside the file (%d lines)", src, d, n)
			}
			if d.Msg == "" || !utf8.ValidString(d.Msg) {
				t.Errorf("Parse(%q): %v: empty or invalid message", src, d)
			}
		}
		if bytes.HasPrefix(src, []byte("\uFEFF")) || bytes.IndexByte(src, '\r') >= 0 {
			return
		}
		for _, variant := range [][]byte{
			append([]byte("\uFEFF"), src...),
			bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")),
		} {
			_, l2 := article.Parse(path, variant, opts)
			if got, want := text(l2), text(l); got != want {
				t.Errorf("Parse(%q) =\n%s\nParse(%q) =\n%s\nwant the same", variant, got, src, want)
			}
		}
	})
}

func text(l diag.List) string { return lines(append(diag.List(nil), l...)) }
