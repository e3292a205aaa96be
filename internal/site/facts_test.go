package site

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kbgen/kbgen/internal/diag"
)

// TestHollowLoad checks which edits let a load make the articles that did
// not change from the facts file (see facts.go), and that a build from
// such a load, with the caches, publishes exactly what a clean build does,
// pages the build must make after all (a template changed) and a search
// index it must build afresh included.
func TestHollowLoad(t *testing.T) {
	warnings := func(t *testing.T, dir string) { write(t, dir, "kbgen.yaml", "brokenLinks: warning\n") }
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string) // the site on disk, before the first load
		change func(t *testing.T, dir string)
		hollow int // of the three articles, loaded hollow after the change
	}{
		{
			name:   "nothing",
			change: func(*testing.T, string) {},
			hollow: 3,
		},
		{
			name: "one article's body",
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", "よくある原因の本文。", "よくある原因の本文、書き直し。")
			},
			hollow: 2,
		},
		{
			name: "a link added to one article",
			// Where its links resolve shows on its own page only.
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", "- [KMS](kms.md)", "- [KMS](kms.md)\n- [en](../en/kms.md)")
			},
			hollow: 2,
		},
		{
			name: "one article's title",
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", `title: "時刻差で 0xC004F074"`, `title: "時刻のずれで 0xC004F074"`)
			},
		},
		{
			name: "one article's tags",
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", `tags: ["Windows", "KMS"]`, `tags: ["Windows"]`)
			},
		},
		{
			name:  "one article made a draft",
			setup: warnings, // the links to it break
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", "lang: \"ja\"\n", "lang: \"ja\"\ndraft: true\n")
			},
		},
		{
			name: "an article added",
			change: func(t *testing.T, dir string) {
				data, err := os.ReadFile(filepath.Join(dir, "content/ja/time.md"))
				if err != nil {
					t.Fatal(err)
				}
				write(t, dir, "content/ja/time-2.md", strings.Replace(string(data), "時刻差で", "時刻差 2 で", 1))
			},
		},
		{
			name:  "an article removed",
			setup: warnings,
			change: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "content/ja/time.md")); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "a file an unchanged article links to removed",
			// No article changed, but the link breaks.
			setup: func(t *testing.T, dir string) {
				warnings(t, dir)
				write(t, dir, "content/ja/diagram.txt", "図")
				replace(t, dir, "content/ja/kms.md", "- [時刻差](time.md)", "- [時刻差](time.md)\n- [図](diagram.txt)")
			},
			change: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "content/ja/diagram.txt")); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "a link broken in the changed article",
			// Its own page shows it; the load reports it (checked below),
			// and writes no facts, so that the next load restores all.
			setup: warnings,
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", "- [KMS](kms.md)", "- [KMS](kms-gone.md)")
			},
			hollow: 2,
		},
		{
			name: "a problem left by the load before",
			setup: func(t *testing.T, dir string) {
				warnings(t, dir)
				replace(t, dir, "content/en/kms.md", "- [ja](../ja/kms.md)", "- [ja](../ja/kms-gone.md)")
			},
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", "よくある原因の本文。", "よくある原因の本文、書き直し。")
			},
		},
		{
			name: "a template and one article's body",
			// Every page is made again, the hollow articles' restored
			// from the parse cache first.
			change: func(t *testing.T, dir string) {
				write(t, dir, "templates/article.html", strings.Replace(defaultTemplate(t, "article.html"), "</article>", "<p>local</p></article>", 1))
				replace(t, dir, "content/ja/time.md", "よくある原因の本文。", "よくある原因の本文、書き直し。")
			},
			hollow: 2,
		},
		{
			name: "the search index lost and one article's body",
			// The index is built afresh, from every article's whole
			// document.
			change: func(t *testing.T, dir string) {
				if err := os.RemoveAll(filepath.Join(dir, ".kbgen/index")); err != nil {
					t.Fatal(err)
				}
				replace(t, dir, "content/ja/time.md", "よくある原因の本文。", "よくある原因の本文、書き直し。")
			},
			hollow: 2,
		},
		{
			name: "a title changed and loaded without facts",
			// As by kbgen check, which updates the parse cache, not the
			// facts: the article's entry is then not the one its facts
			// describe, though its stamp is the entry's.
			change: func(t *testing.T, dir string) {
				replace(t, dir, "content/ja/time.md", `title: "時刻差で 0xC004F074"`, `title: "時刻のずれで 0xC004F074"`)
				fsys := os.DirFS(dir)
				cfg, _ := LoadConfig(fsys)
				opts := LoadOptions{ParseCache: filepath.Join(dir, ".kbgen/parse-cache"), stamps: stampsAll}
				if _, diags, err := LoadWith(context.Background(), fsys, cfg, opts); err != nil || len(diags) > 0 {
					t.Fatalf("Load: %v %v", err, diags)
				}
			},
		},
		{
			name: "the facts file damaged",
			change: func(t *testing.T, dir string) {
				name := factsPath(filepath.Join(dir, ".kbgen/parse-cache"))
				data, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				data[len(data)/2] ^= 1
				if err := os.WriteFile(name, data, 0o644); err != nil {
					t.Fatal(err)
				}
				replace(t, dir, "content/ja/time.md", "よくある原因の本文。", "よくある原因の本文、書き直し。")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			site := filepath.Join(dir, "site")
			for name, f := range testSite() {
				write(t, site, name, string(f.Data))
			}
			if tt.setup != nil {
				tt.setup(t, site)
			}
			out := filepath.Join(dir, "public")
			if st, _ := buildHollow(t, site, out); st.Hollow != 0 {
				t.Fatalf("first load: %d articles hollow, without a facts file", st.Hollow)
			}
			tt.change(t, site)
			st, diags := buildHollow(t, site, out)
			if st.Hollow != tt.hollow {
				t.Errorf("load after the change: %d of %d articles hollow, want %d", st.Hollow, st.Files, tt.hollow)
			}
			if _, want := load(t, os.DirFS(site)); !slices.Equal(diagStrings(diags), diagStrings(want)) {
				t.Errorf("load after the change reported\n%v\nwant, as a load without the caches,\n%v", diags, want)
			}
			clean := filepath.Join(dir, "clean")
			build(t, os.DirFS(site), clean)
			if got, want := hashTree(t, out), hashTree(t, clean); !reflect.DeepEqual(got, want) {
				t.Fatalf("build after a hollow load differs from a clean build:\n%s", treeDiff(got, want))
			}
		})
	}
}

// buildHollow loads the site at root as kbgen build does, with its caches
// in root/.kbgen, and builds it into out. It returns the load's figures
// and diagnostics.
func buildHollow(t *testing.T, root, out string) (LoadStats, diag.List) {
	t.Helper()
	fsys := os.DirFS(root)
	cfg, diags := LoadConfig(fsys)
	if diags.HasErrors() {
		t.Fatalf("LoadConfig: %v", diags)
	}
	caches := filepath.Join(root, ".kbgen")
	// Every stamp recorded: the files were written a moment ago.
	s, diags, err := LoadWith(context.Background(), fsys, cfg, LoadOptions{
		ParseCache: filepath.Join(caches, "parse-cache"), Hollow: true, stamps: stampsAll,
	})
	if err != nil || diags.HasErrors() {
		t.Fatalf("Load: %v %v", err, diags)
	}
	_, err = s.Build(context.Background(), BuildOptions{
		Out: out, Cache: filepath.Join(caches, "build-cache"), IndexDir: filepath.Join(caches, "index"),
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return s.LoadStats(), diags
}

// TestFactsCodec checks that the facts file gives back what a load wrote
// into it, and that a file of another salt, of other files, or damaged is
// refused.
func TestFactsCodec(t *testing.T) {
	s, diags := load(t, testSite())
	if len(diags) > 0 {
		t.Fatalf("Load: %v", diags)
	}
	files := []string{"content/en/kms.md", "content/ja/kms.md", "content/ja/time.md"}
	for _, f := range files {
		p := s.byFile[f]
		d := s.searchDoc(p)
		p.fileSum, p.searchSum, p.summarySum = cacheKey{1}, d.Sum(), s.summarySum(p)
	}
	salt := cacheKey{7}
	data, ok := s.encodeFacts(salt, files, nil)
	if !ok {
		t.Fatal("encodeFacts refused a loaded site")
	}
	facts, ok := decodeFacts(data, salt, files)
	if !ok {
		t.Fatal("decodeFacts refused what encodeFacts wrote")
	}
	for i, f := range files {
		p := s.byFile[f]
		h := facts[i].hollow([]byte("entry"))
		if h == nil {
			t.Fatalf("%s: no hollow page", f)
		}
		if !reflect.DeepEqual(h.Frontmatter, p.Frontmatter) || h.Path != p.Path || h.URL != p.URL || !reflect.DeepEqual(h.Codes, p.Codes) {
			t.Errorf("%s: hollow page %+v %q %q %v, want %+v %q %q %v", f, h.Frontmatter, h.Path, h.URL, h.Codes, p.Frontmatter, p.Path, p.URL, p.Codes)
		}
		if h.fileSum != p.fileSum || h.searchSum != p.searchSum || h.summarySum != p.summarySum || h.linksSum != s.linksSum(p) {
			t.Errorf("%s: hollow page's hashes differ from the loaded page's", f)
		}
		if !facts[i].same(p) {
			t.Errorf("%s: facts do not match the page they were written from", f)
		}
	}
	// A site of the pages loaded hollow from them writes the same facts,
	// its records copied; without the facts read, it writes none.
	hollow := &Site{byFile: make(map[string]*Page)}
	for i, f := range files {
		hollow.byFile[f] = facts[i].hollow([]byte("entry"))
	}
	if again, ok := hollow.encodeFacts(salt, files, facts); !ok || !bytes.Equal(again, data) {
		t.Error("facts of the hollow pages differ from those they were loaded from")
	}
	if _, ok := hollow.encodeFacts(salt, files, nil); ok {
		t.Error("encodeFacts encoded hollow pages without the facts they were loaded from")
	}
	bad := map[string]func() ([]byte, cacheKey, []string){
		"another salt": func() ([]byte, cacheKey, []string) { return data, cacheKey{8}, files },
		"other files":  func() ([]byte, cacheKey, []string) { return data, salt, files[:2] },
		"renamed file": func() ([]byte, cacheKey, []string) {
			return data, salt, []string{files[0], files[1], "content/ja/x.md"}
		},
		"a byte damaged": func() ([]byte, cacheKey, []string) {
			d := append([]byte(nil), data...)
			d[len(d)/3] ^= 0x40
			return d, salt, files
		},
		"cut short": func() ([]byte, cacheKey, []string) { return data[:len(data)-10], salt, files },
		"empty":     func() ([]byte, cacheKey, []string) { return nil, salt, files },
	}
	for name, f := range bad {
		if _, ok := decodeFacts(f()); ok {
			t.Errorf("%s: decodeFacts took it", name)
		}
	}
}

// write writes data to the file name below dir, making its directory.
func write(t *testing.T, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// replace replaces old with new in the file name below dir, which must
// hold it.
func replace(t *testing.T, dir, name, old, new string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not hold %q", name, old)
	}
	write(t, dir, name, strings.Replace(string(data), old, new, 1))
}
