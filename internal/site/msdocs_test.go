package site

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kbgen/kbgen/internal/diag"
)

// msdocsDir holds real Microsoft support articles (see its README), when the
// shared test material is present beside the repository.
const msdocsDir = "../../../shared/corpus/msdocs/articles"

// mountFS serves content/ from one file system and every other name from
// another, so a directory of imported articles can be built as a site
// without copying it.
type mountFS struct {
	content fs.FS
	rest    fs.FS
}

func (m mountFS) Open(name string) (fs.File, error) {
	if name == ContentDir {
		return m.content.Open(".")
	}
	if rest, ok := strings.CutPrefix(name, ContentDir+"/"); ok {
		return m.content.Open(rest)
	}
	return m.rest.Open(name)
}

// TestImportedMSDocs builds real, messy Markdown written for docfx (notes,
// includes, tables, links that do not resolve) with the schema off and
// broken links relaxed: it must build, with warnings and no error.
func TestImportedMSDocs(t *testing.T) {
	if _, err := os.Stat(msdocsDir); err != nil {
		t.Skipf("shared corpus not present: %v", err)
	}
	fsys := mountFS{
		content: os.DirFS(msdocsDir),
		rest: fstest.MapFS{ConfigFile: {Data: []byte(`
defaultLang: en
brokenLinks: warning
imported: true
aliases: {ms.date: updatedAt, description: errorText}
schema: {off: true}
`)}},
	}
	s, diags := load(t, fsys)
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Severity == diag.Error {
				t.Error(d)
			}
		}
		t.FailNow()
	}
	if got := len(s.Articles); got != 150 {
		t.Errorf("built %d articles, want the corpus's 150", got)
	}
	if got := len(s.codes["0xC004F074"]); got == 0 {
		t.Errorf("no article carries 0xC004F074")
	}
	out := filepath.Join(t.TempDir(), "public")
	if _, err := s.Build(context.Background(), BuildOptions{Out: out}); err != nil {
		t.Fatalf("Build: %v", err)
	}
	page, err := os.ReadFile(filepath.Join(out, "en/support/windows-server/licensing-and-activation/error-0xc004f074-activate-windows/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "0xC004F074") {
		t.Errorf("imported article page lacks its code")
	}
}
