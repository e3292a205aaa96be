package site

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
	"unsafe"

	"github.com/kbgen/kbgen/internal/article"
	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/markdown"
)

// parseCacheSite is a site on disk with one file for each thing the parse
// cache must restore exactly: links between articles (one broken, one
// with its text over two lines), code blocks, updatedAt in three zones,
// CRLF line endings after a byte order mark, a draft, a file that is no
// article, a placeholder in a language the schema does not check (which
// Check reads the file for) and an image.
func parseCacheSite() map[string]string {
	crlf := strings.ReplaceAll(enArticle("Activation fails with 0xC004F074", "2025-09-01T00:00:00-07:00", "- [ja](../ja/kms.md)"), "\n", "\r\n")
	return map[string]string{
		"kbgen.yaml": "languages:\n  - code: ja\n  - code: en\n  - code: fr\n",
		"content/ja/kms.md": jaArticle("ライセンス認証に失敗 0xC004F074", "2025-11-03T09:11:56.107+09:00",
			"- [時刻\n差](time.md)\n- [en](../en/kms.md#summary)\n- ![図](img.png)\n- [ない](gone.md)"),
		"content/ja/time.md":  jaArticle("時刻差で 0xC004F074", "2025-10-01T00:00:00+00:00", "- [KMS](kms.md)"),
		"content/ja/draft.md": strings.Replace(jaArticle("下書き 0x80070005", "2025-10-02", "なし"), "lang:", "draft: true\nlang:", 1),
		"content/ja/img.png":  "\x89PNG",
		"content/ja/notes.md": "no frontmatter here\n",
		"content/en/kms.md":   "\uFEFF" + crlf,
		"content/fr/a.md":     "---\ntitle: \"Échec 0xC004F074\"\nupdatedAt: \"2025-11-01T00:00:00Z\"\nlang: \"fr\"\n---\n\n## Résumé\n\nTODO(kbgen): écrire\n",
	}
}

func writeSite(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func editFile(t *testing.T, name, old, new string) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", name, old)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rewriteCache replaces the cache file with one of its bytes rewritten by
// f. It renames, as kbgen does: the loads before have the file mapped, and
// their Sites' strings are its bytes (see openParseCache).
func rewriteCache(t *testing.T, name string, f func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name+".new", f(b), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(name+".new", name); err != nil {
		t.Fatal(err)
	}
}

// TestParseCache changes a site on disk step by step and after each step
// loads it with the parse cache and without. The two Sites must be the
// same: the same diagnostics from Load and from Check, the same pages
// field for field, byte-identical Build output. The cached load must have
// parsed only the files the step changed (a cache that never hits fails),
// and the cache file must then hold exactly the site's files.
func TestParseCache(t *testing.T) {
	steps := []struct {
		name   string
		change func(t *testing.T, root, cache string)
		parsed int  // files parsed rather than restored; -1: all
		kept   bool // the cache file must not be written again
	}{
		{"cold", func(*testing.T, string, string) {}, -1, false},
		{"nothing", func(*testing.T, string, string) {}, 0, true},
		{"one article's body", func(t *testing.T, root, _ string) {
			editFile(t, filepath.Join(root, "content/ja/time.md"), "要約の本文。", "要約の本文、書き直し。")
		}, 1, false},
		{"frontmatter error", func(t *testing.T, root, _ string) {
			editFile(t, filepath.Join(root, "content/ja/kms.md"), `tags: ["Windows", "KMS"]`, `tags: "KMS"`)
		}, 1, false},
		{"file deleted", func(t *testing.T, root, _ string) {
			if err := os.Remove(filepath.Join(root, "content/ja/draft.md")); err != nil {
				t.Fatal(err)
			}
		}, 0, false},
		{"file added", func(t *testing.T, root, _ string) {
			writeSite(t, root, map[string]string{"content/ja/new.md": jaArticle("新しい記事 0x80070005", "2025-11-04T00:00:00Z", "- [KMS](kms.md)")})
		}, 1, false},
		{"configuration", func(t *testing.T, root, _ string) {
			// The schema: ja articles are no longer checked, which
			// changes every ja file's diagnostics.
			writeSite(t, root, map[string]string{"kbgen.yaml": "languages:\n  - code: ja\n  - code: en\n  - code: fr\nschema:\n  sections:\n    en: [Summary]\n"})
		}, -1, false},
		{"nothing after configuration", func(*testing.T, string, string) {}, 0, true},
		{"corrupt entry", func(t *testing.T, _, cache string) {
			// The last byte of the last entry, a column that still
			// decodes: only the CRC tells.
			rewriteCache(t, cache, func(b []byte) []byte { b[len(b)-1] ^= 0x02; return b })
		}, 1, false},
		{"garbage cache", func(t *testing.T, _, cache string) {
			rewriteCache(t, cache, func(b []byte) []byte {
				for i := len(parseCacheMagic); i < len(b); i++ {
					b[i] = byte(i * 7)
				}
				return b
			})
		}, -1, false},
		{"truncated cache", func(t *testing.T, _, cache string) {
			rewriteCache(t, cache, func(b []byte) []byte { return b[:len(b)*2/3] })
		}, -1, false},
		{"cache of another format", func(t *testing.T, _, cache string) {
			rewriteCache(t, cache, func(b []byte) []byte { b[len(parseCacheMagic)]++; return b })
		}, -1, false},
		{"cache of another salt", func(t *testing.T, _, cache string) {
			rewriteCache(t, cache, func(b []byte) []byte {
				d := decoder{buf: b[len(parseCacheMagic):]}
				d.uint()
				d.int64()
				d.int64()
				d.uint()
				d.next(len(cacheKey{}))
				b[len(b)-len(d.buf)] ^= 1 // the salt's first byte
				return b
			})
		}, -1, false},
		{"cache that is not a file", func(t *testing.T, _, cache string) {
			if err := os.Remove(cache); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(cache, 0o755); err != nil {
				t.Fatal(err)
			}
		}, -1, false},
		{"cache back", func(t *testing.T, _, cache string) {
			if err := os.Remove(cache); err != nil {
				t.Fatal(err)
			}
		}, -1, false},
		{"nothing at the end", func(*testing.T, string, string) {}, 0, true},
	}
	// The file of each step whose earlier version the cached load must
	// keep (Site.earlier): a file parsed again because it changed, whose
	// entry in the cache is sound. None for any other step.
	earlier := map[string]string{
		"one article's body": "content/ja/time.md",
		"frontmatter error":  "content/ja/kms.md",
	}
	// With every stamp recorded however recent (stampsAll), the files a step
	// did not touch are restored without being read; the steps that
	// edit a file change its size too, so that an edit within the
	// file system clock's tick of the last read still tells.
	// With none recorded, every file is read on every load, whatever the
	// time a step takes.
	for _, mode := range []struct{ compact, stamps bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		stamps := stampsNone
		if mode.stamps {
			stamps = stampsAll
		}
		compact := mode.compact
		t.Run(fmt.Sprintf("compact=%v,stamps=%v", compact, mode.stamps), func(t *testing.T) {
			root := t.TempDir()
			writeSite(t, root, parseCacheSite())
			cache := filepath.Join(root, ".kbgen", "parse-cache")
			var last *Site // loaded without the cache at the step before
			for _, st := range steps {
				t.Run(st.name, func(t *testing.T) {
					st.change(t, root, cache)
					before, _ := os.Stat(cache)
					fsys := os.DirFS(root)
					cfg, cdiags := LoadConfig(fsys)
					if cdiags.HasErrors() {
						t.Fatalf("LoadConfig: %v", cdiags)
					}
					got, gotDiags, err := LoadWith(t.Context(), fsys, cfg, LoadOptions{ParseCache: cache, compact: compact, stamps: stamps})
					if err != nil {
						t.Fatalf("LoadWith with the cache: %v", err)
					}
					want, wantDiags, err := LoadWith(t.Context(), fsys, cfg, LoadOptions{compact: compact})
					if err != nil {
						t.Fatalf("LoadWith without the cache: %v", err)
					}

					ls := got.LoadStats()
					wantParsed := st.parsed
					if wantParsed < 0 {
						wantParsed = len(want.files)
					}
					if ls.Files != len(want.files) || ls.Files-ls.Restored != wantParsed {
						t.Errorf("LoadStats() = %+v, want %d files of which %d parsed", ls, len(want.files), wantParsed)
					}
					if ls := want.LoadStats(); ls.Restored != 0 {
						t.Errorf("a load without the cache restored %d files", ls.Restored)
					}
					compareSites(t, got, gotDiags, want, wantDiags)
					// Every page loaded with a cache, restored or parsed,
					// carries the hashes of its search document and of
					// its summary.
					for f, pr := range got.files {
						if pr.page == nil {
							continue
						}
						d := got.searchDoc(pr.page)
						if sum := cacheKey(d.Sum()); pr.page.searchSum != sum {
							t.Errorf("%s: the search document's hash is %x, want %x", f, pr.page.searchSum[:4], sum[:4])
						}
						if sum := got.summarySum(pr.page); pr.page.summarySum != sum || sum == (cacheKey{}) {
							t.Errorf("%s: the summary's hash is %x, want %x", f, pr.page.summarySum[:4], sum[:4])
						}
					}
					var kept []string
					for f, p := range got.earlier {
						kept = append(kept, f)
						var was *Page
						if last != nil {
							was = last.Page(f)
						}
						if was == nil || p.Title != was.Title || p.Doc.Text != was.Doc.Text || p.URL != was.URL {
							t.Errorf("the earlier version of %s kept is not the one loaded before", f)
						}
					}
					var wantKept []string
					if f := earlier[st.name]; f != "" {
						wantKept = []string{f}
					}
					if !slices.Equal(kept, wantKept) {
						t.Errorf("earlier versions kept of %q, want %q", kept, wantKept)
					}
					if want.earlier != nil {
						t.Errorf("a load without the cache kept earlier versions of %d files", len(want.earlier))
					}
					last = want

					// The cache file holds the site's files, no more.
					fi, err := os.Stat(cache)
					if st.kept && (before == nil || err != nil || !os.SameFile(before, fi) || !before.ModTime().Equal(fi.ModTime())) {
						t.Errorf("the cache file was written again, with nothing changed")
					}
					if err == nil && fi.Mode().IsRegular() {
						_, entries, _, ok := readParseCache(cache)
						if !ok {
							t.Fatalf("the cache file written cannot be read")
						}
						var names []string
						for name := range entries {
							names = append(names, name)
						}
						slices.Sort(names)
						if files := slices.Sorted(maps.Keys(want.files)); !slices.Equal(names, files) {
							t.Errorf("the cache file holds %q, want %q", names, files)
						}
					} else if st.name != "cache that is not a file" {
						t.Errorf("no cache file after the load: %v", err)
					}
				})
			}
		})
	}
}

// compareSites fails t unless got, loaded with the parse cache, is what
// want, loaded without, is.
func compareSites(t *testing.T, got *Site, gotDiags diag.List, want *Site, wantDiags diag.List) {
	t.Helper()
	if g, w := diagStrings(gotDiags), diagStrings(wantDiags); !slices.Equal(g, w) {
		t.Errorf("diagnostics with the cache:\n%s\nwithout:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if g, w := diagStrings(got.Check(checkNow)), diagStrings(want.Check(checkNow)); !slices.Equal(g, w) {
		t.Errorf("Check with the cache:\n%s\nwithout:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
	if g, w := slices.Sorted(maps.Keys(got.files)), slices.Sorted(maps.Keys(want.files)); !slices.Equal(g, w) {
		t.Fatalf("files with the cache %q, without %q", g, w)
	}
	for f, w := range want.files {
		if g, w := parsedView(t, got, got.files[f]), parsedView(t, want, w); !reflect.DeepEqual(g, w) {
			t.Errorf("%s with the cache:\n%+v\nwithout:\n%+v", f, g, w)
		}
	}
	dir := t.TempDir()
	gotOut, wantOut := filepath.Join(dir, "got"), filepath.Join(dir, "want")
	_, gotErr := got.Build(context.Background(), BuildOptions{Out: gotOut})
	_, wantErr := want.Build(context.Background(), BuildOptions{Out: wantOut})
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("Build with the cache: %v; without: %v", gotErr, wantErr)
	}
	if g, w := hashTree(t, gotOut), hashTree(t, wantOut); !reflect.DeepEqual(g, w) {
		t.Errorf("Build with the cache differs from Build without:\n%s", treeDiff(g, w))
	}
}

// docView is what a markdown.Doc shows: its exported fields and the source
// it renders.
type docView struct {
	Parts  markdown.Doc // exported fields only
	Source string
}

// pageView is a parsed with its Doc replaced by what the Doc shows, which
// is all a parse cache must restore: a restored Doc has no tree.
type pageView struct {
	URL     string
	Article article.Article
	Doc     docView
	Diags   diag.List
	Keys    keyPositions
}

// parsedView returns what p, a parsed of s, shows. The source of a
// released Doc is the one s reads again to render it.
func parsedView(t *testing.T, s *Site, p parsed) pageView {
	t.Helper()
	v := pageView{Diags: p.diags, Keys: p.keys}
	if p.page != nil {
		v.URL = p.page.URL
		v.Article = *p.page.Article
		v.Article.Doc = nil
		d, err := s.renderable(p.page)
		if err != nil {
			t.Fatalf("%s: %v", p.page.Path, err)
		}
		v.Doc = docView{markdown.Doc{Headings: d.Headings, Links: d.Links, Text: d.Text}, string(d.Source())}
	}
	return v
}

// fill sets every exported field below v, recursively, to a value that no
// other field has and no encoder would write by default: strings and
// numbers distinct, booleans true, slices of two elements, times in a
// zone of their own.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2025, 1, 2, 3, 4, 5, *n, time.FixedZone("", 9*3600))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic("fill: cannot fill a " + v.Type().String())
	}
}

// TestParsedCodec fills every exported field of a parsed, through the
// Page, the Article, the Doc and the diagnostics, encodes it and decodes
// it, and wants it back: a field added to any of them and forgotten by
// the encoder fails here. The decoded strings must share memory as the
// encoded ones did, and no truncation or alteration of the encoding may
// make decoding panic.
func TestParsedCodec(t *testing.T) {
	name := "content/ja/x.md"
	body := "## body\n"
	src := []byte("\uFEFF---\r\ntitle: x\r\n---\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
	s := &Site{md: markdown.New(markdown.Config{}), FS: fstest.MapFS{name: {Data: src}}}

	// The encoder knows these fields of the site's own types, which fill
	// cannot reach.
	if n := reflect.TypeFor[parsed]().NumField(); n != 3 {
		t.Errorf("parsed has %d fields; encodeParsed knows 3 (page, diags, keys)", n)
	}
	if n := reflect.TypeFor[keyPositions]().NumField(); n != 2 {
		t.Errorf("keyPositions has %d fields; encodeParsed knows 2 (title, updatedAt)", n)
	}

	n := 0
	var parts markdown.Doc
	fill(reflect.ValueOf(&parts).Elem(), &n)
	parts.Text = strings.Repeat("text ", 20)
	parts.Headings[0].Body = parts.Text[5:12] // substrings of Text, as Parse makes them
	parts.Headings[1].Body = parts.Text[:]
	var pg Page
	fill(reflect.ValueOf(&pg).Elem(), &n)
	pg.searchSum[0], pg.searchSum[31] = 3, 4
	pg.summarySum[0], pg.summarySum[31] = 5, 6
	a := pg.Article
	a.Path = name
	a.Doc = s.md.Restore([]byte(body), parts)
	a.Sections[0].Text = parts.Headings[0].Body
	a.Sections[0].Pos.File = name
	a.Sections[1].Heading = parts.Headings[0].Text // shared, not in Text
	p := parsed{page: &pg}
	fill(reflect.ValueOf(&p.diags).Elem(), &n)
	p.keys = keyPositions{title: diag.Pos{File: name, Line: 2, Col: 8}, updatedAt: diag.Pos{File: "other", Line: 3, Col: 4}}

	blob, ok := encodeParsed(name, src, p)
	if !ok {
		t.Fatal("encodeParsed reports a parsed it cannot encode")
	}
	got, ok := s.decodeParsed(name, src, blob)
	if !ok {
		t.Fatal("decodeParsed cannot decode what encodeParsed wrote")
	}
	if g, w := parsedView(t, s, got), parsedView(t, s, p); !reflect.DeepEqual(g, w) {
		t.Errorf("decodeParsed(encodeParsed(p)) =\n%+v\nwant\n%+v", g, w)
	}
	// Decoded without the source, for a file restored by its stamp, the
	// page is released and reads the file again to render.
	released, ok := s.decodeParsed(name, nil, blob)
	if !ok {
		t.Fatal("decodeParsed cannot decode what encodeParsed wrote without the source")
	}
	if !released.page.Doc.Released() {
		t.Error("decodeParsed without the source gives a Doc that is not released")
	}
	if got.page.searchSum != pg.searchSum || released.page.searchSum != pg.searchSum {
		t.Error("decodeParsed does not give back the search document's hash")
	}
	if got.page.summarySum != pg.summarySum || released.page.summarySum != pg.summarySum {
		t.Error("decodeParsed does not give back the summary's hash")
	}
	if g, w := parsedView(t, s, released), parsedView(t, s, p); !reflect.DeepEqual(g, w) {
		t.Errorf("decodeParsed(encodeParsed(p)) without the source =\n%+v\nwant\n%+v", g, w)
	}
	shares := func(s, in string) bool {
		p, q := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(in)))
		return p >= q && p+uintptr(len(s)) <= q+uintptr(len(in))
	}
	gd, ga := got.page.Doc, got.page.Article
	for what, ok := range map[string]bool{
		"heading body in Text":           shares(gd.Headings[0].Body, gd.Text),
		"section text in Text":           shares(ga.Sections[0].Text, gd.Text),
		"section heading is the heading": shares(ga.Sections[1].Heading, gd.Headings[0].Text),
		"path is the name":               shares(ga.Path, name) && shares(ga.Sections[0].Pos.File, name),
	} {
		if !ok {
			t.Errorf("decoded strings do not share memory: %s", what)
		}
	}

	// A page-less parsed (no frontmatter) round-trips too.
	nop := parsed{diags: diag.List{{Pos: diag.Pos{File: name, Line: 1, Col: 1}, Msg: "missing frontmatter"}}}
	if b, ok := encodeParsed(name, src, nop); !ok {
		t.Error("encodeParsed cannot encode a parsed without a page")
	} else if got, ok := s.decodeParsed(name, src, b); !ok || !reflect.DeepEqual(parsedView(t, s, got), parsedView(t, s, nop)) {
		t.Errorf("decodeParsed(encodeParsed(%+v)) = %+v, %v", nop, parsedView(t, s, got), ok)
	}

	for i := range blob {
		s.decodeParsed(name, src, blob[:i]) // must not panic
		s.decodeParsed(name, nil, blob[:i])
		b := slices.Clone(blob)
		b[i] ^= 0xFF
		s.decodeParsed(name, src, b)
		s.decodeParsed(name, nil, b)
	}
	if _, ok := s.decodeParsed(name, src, append(slices.Clone(blob), 0)); ok {
		t.Error("decodeParsed accepts trailing bytes")
	}
}

// TestEncodeParsedRefuses checks the parseds that are not cached, since
// restoring them would not give them back: a Doc whose source is not the
// end of the file, and one that looks like markdown.Parse's plain-text Doc
// for a body goldmark could not parse.
func TestEncodeParsedRefuses(t *testing.T) {
	md := markdown.New(markdown.Config{})
	tests := []struct {
		name      string
		src, body string
		parts     markdown.Doc
	}{
		{"source elsewhere", "---\ntitle: x\n---\n## a\n", "## b\n", markdown.Doc{Text: "b", Headings: []markdown.Heading{{Level: 2, Text: "b"}}}},
		{"source longer than the file", "x", "## a\n", markdown.Doc{Text: "a", Headings: []markdown.Heading{{Level: 2, Text: "a"}}}},
		{"plain text", "---\ntitle: x\n---\nplain", "plain", markdown.Doc{Text: "plain"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &article.Article{Path: "content/ja/x.md", Doc: md.Restore([]byte(tc.body), tc.parts)}
			if _, ok := encodeParsed(a.Path, []byte(tc.src), parsed{page: &Page{Article: a}}); ok {
				t.Errorf("encodeParsed(%q with body %q) = _, true; want false", tc.src, tc.body)
			}
		})
	}
}

// openCounter is a directory's fs.FS that counts the Markdown files opened.
// Its ReadDir is the directory's, so the walk sees the files' stamps.
type openCounter struct {
	fsys   fs.FS
	opened atomic.Int64
}

func (o *openCounter) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, ".md") {
		o.opened.Add(1)
	}
	return o.fsys.Open(name)
}

func (o *openCounter) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(o.fsys, name)
}

// TestParseCacheStamps checks which files a load with the parse cache
// reads: none whose stamp the cache holds; every one written too recently
// for its stamp to be recorded (stampSettle), again on every load; one
// whose stamp alone changed once, restored by its content, and then no
// more.
func TestParseCacheStamps(t *testing.T) {
	root := t.TempDir()
	writeSite(t, root, parseCacheSite())
	cache := filepath.Join(root, ".kbgen", "parse-cache")
	fsys := &openCounter{fsys: os.DirFS(root)}
	cfg, cdiags := LoadConfig(fsys)
	if cdiags.HasErrors() {
		t.Fatalf("LoadConfig: %v", cdiags)
	}
	const files = 6 // the Markdown files of parseCacheSite
	// Every file touched: its change time is now, whatever the time
	// the steps before took.
	touchAll := func(t *testing.T) {
		for name := range parseCacheSite() {
			when := time.Now().Add(-time.Hour)
			if err := os.Chtimes(filepath.Join(root, name), when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []struct {
		name             string
		change           func(t *testing.T)
		stamps           stampPolicy
		opened, restored int
	}{
		{"cold", func(*testing.T) {}, stampsSettled, files, 0},
		// Just changed: no stamp recorded, every file read again.
		{"recent files", touchAll, stampsSettled, files, files},
		{"recent files again", touchAll, stampsSettled, files, files},
		{"stamps recorded", func(*testing.T) {}, stampsAll, files, files},
		{"nothing changed", func(*testing.T) {}, stampsAll, 0, files},
		{"nothing changed, stamps settled", func(*testing.T) {}, stampsSettled, 0, files},
		{"one file touched", func(t *testing.T) {
			when := time.Now().Add(-time.Hour)
			if err := os.Chtimes(filepath.Join(root, "content/ja/time.md"), when, when); err != nil {
				t.Fatal(err)
			}
		}, stampsAll, 1, files},
		{"nothing after the touch", func(*testing.T) {}, stampsAll, 0, files},
		{"one file edited", func(t *testing.T) {
			editFile(t, filepath.Join(root, "content/ja/time.md"), "要約の本文。", "要約の本文、書き直し。")
		}, stampsAll, 1, files - 1},
		{"one file replaced by a rename", func(t *testing.T) {
			// Same content, so the same size; a new inode.
			name := filepath.Join(root, "content/ja/kms.md")
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name+".tmp", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(name+".tmp", name); err != nil {
				t.Fatal(err)
			}
		}, stampsAll, 1, files},
		{"nothing at the end", func(*testing.T) {}, stampsAll, 0, files},
	}
	for _, st := range steps {
		st.change(t)
		fsys.opened.Store(0)
		s, _, err := LoadWith(t.Context(), fsys, cfg, LoadOptions{ParseCache: cache, stamps: st.stamps})
		if err != nil {
			t.Fatalf("%s: LoadWith: %v", st.name, err)
		}
		if got := fsys.opened.Load(); got != int64(st.opened) {
			t.Errorf("%s: the load opened %d Markdown files, want %d", st.name, got, st.opened)
		}
		if ls := s.LoadStats(); ls.Files != files || ls.Restored != st.restored {
			t.Errorf("%s: LoadStats() = %+v, want %d files of which %d restored", st.name, ls, files, st.restored)
		}
	}
}

// TestStampSettled checks the rule for recording a stamp: the file's last
// change, by either time, strictly before the cutoff.
func TestStampSettled(t *testing.T) {
	const cutoff = 1_000
	for _, tc := range []struct {
		mtime, ctime int64
		want         bool
	}{
		{998, 999, true},
		{999, 1_000, false},
		{1_000, 999, false},
		{5_000, 500, false}, // a modification time set in the future
	} {
		st := fileStamp{size: 1, mtime: tc.mtime, ctime: tc.ctime, ino: 7}
		if got := st.settled(cutoff) == st; got != tc.want {
			t.Errorf("stamp with mtime %d, ctime %d: recorded %v before %d, want %v", tc.mtime, tc.ctime, got, cutoff, tc.want)
		}
	}
}

// TestParseCacheAppends checks how a load writes the parse cache file
// after a change: the entries it made appended to the file as it was,
// while no more than a quarter of the file would be replaced entries, or
// the file written anew, which an append cut short also asks for. Every
// load is compared with one without the cache.
func TestParseCacheAppends(t *testing.T) {
	root := t.TempDir()
	writeSite(t, root, parseCacheSite())
	cache := filepath.Join(root, ".kbgen", "parse-cache")
	fsys := os.DirFS(root)
	cfg, cdiags := LoadConfig(fsys)
	if cdiags.HasErrors() {
		t.Fatalf("LoadConfig: %v", cdiags)
	}
	const files = 6 // the Markdown files of parseCacheSite
	edited := filepath.Join(root, "content/ja/time.md")
	edits := 0
	edit := func(t *testing.T) {
		t.Helper()
		edits++
		f, err := os.OpenFile(edited, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(f, "\n追記 %d。\n", edits); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// load loads the site with the cache and checks it against a load
	// without; it returns the cache file as the load left it.
	load := func(t *testing.T, parsed int) (os.FileInfo, parseCacheLayout) {
		t.Helper()
		got, gotDiags, err := LoadWith(t.Context(), fsys, cfg, LoadOptions{ParseCache: cache, stamps: stampsNone})
		if err != nil {
			t.Fatalf("LoadWith with the cache: %v", err)
		}
		want, wantDiags, err := LoadWith(t.Context(), fsys, cfg, LoadOptions{})
		if err != nil {
			t.Fatalf("LoadWith without the cache: %v", err)
		}
		if ls := got.LoadStats(); ls.Files != files || ls.Files-ls.Restored != parsed {
			t.Errorf("LoadStats() = %+v, want %d files of which %d parsed", ls, files, parsed)
		}
		compareSites(t, got, gotDiags, want, wantDiags)
		fi, err := os.Stat(cache)
		if err != nil {
			t.Fatal(err)
		}
		_, entries, layout, ok := readParseCache(cache)
		if !ok || len(entries) != files {
			t.Fatalf("the cache file holds %d entries (readable: %v), want %d", len(entries), ok, files)
		}
		if layout.dead*4 > layout.size {
			t.Errorf("%d of the cache file's %d bytes are replaced entries, more than a quarter", layout.dead, layout.size)
		}
		return fi, layout
	}

	first, _ := load(t, files)

	// An append cut short: a path whose length says 5 bytes, and 2.
	f, err := os.OpenFile(cache, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{5, 'c', 'o'}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, layout := load(t, 0); layout.whole {
		t.Errorf("an append cut short was read as whole")
	}
	edit(t)
	fi, layout := load(t, 1)
	if os.SameFile(first, fi) || !layout.whole || layout.dead != 0 {
		t.Errorf("after an append cut short and an edit: the cache file was not written anew (same file %v, whole %v, %d bytes replaced)",
			os.SameFile(first, fi), layout.whole, layout.dead)
	}

	edit(t)
	before := fi
	fi, layout = load(t, 1)
	if !os.SameFile(before, fi) || fi.Size() <= before.Size() || layout.dead == 0 || !layout.whole {
		t.Fatalf("after one edit: the cache file was not appended to (same file %v, %d bytes then %d, %d bytes replaced)",
			os.SameFile(before, fi), before.Size(), fi.Size(), layout.dead)
	}
	if again, _ := load(t, 0); !os.SameFile(fi, again) || again.Size() != fi.Size() {
		t.Errorf("with nothing changed, the cache file was written")
	}

	// Edits of the one file until a quarter of the file would be
	// replaced entries: it is then written anew, without them.
	rewritten := false
	for range 8 {
		edit(t)
		before := fi
		fi, layout = load(t, 1)
		if !os.SameFile(before, fi) {
			rewritten = true
			if layout.dead != 0 {
				t.Errorf("the cache file written anew holds %d bytes of replaced entries", layout.dead)
			}
			break
		}
		if fi.Size() <= before.Size() {
			t.Errorf("an edit neither appended to the cache file nor wrote it anew")
		}
	}
	if !rewritten {
		t.Errorf("eight edits of one file of %d never wrote the cache file anew", files)
	}
}
