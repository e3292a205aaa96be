package search

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	index "github.com/blevesearch/bleve_index_api"

	"github.com/kbgen/kbgen/internal/corpus"
)

// readTree returns every file under dir by slash-separated relative name.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportDeterministic builds the same documents in two orders and
// requires the same version and the same bytes in every file.
func TestExportDeterministic(t *testing.T) {
	docs := smallDocs()
	rev := slices.Clone(docs)
	slices.Reverse(rev)
	var versions []string
	var trees []map[string][]byte
	for _, ds := range [][]Doc{docs, rev} {
		ix, err := Build("", ds)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		v, err := ix.Export(dir)
		if err != nil {
			t.Fatal(err)
		}
		if v2, err := ix.Export(dir); err != nil || v2 != v { // exporting again is a no-op
			t.Errorf("second Export = %q, %v, want %q", v2, err, v)
		}
		ix.Close()
		versions = append(versions, v)
		trees = append(trees, readTree(t, filepath.Join(dir, v)))
	}
	if versions[0] != versions[1] {
		t.Errorf("versions differ: %s, %s", versions[0], versions[1])
	}
	if !reflect.DeepEqual(trees[0], trees[1]) {
		t.Error("exported files differ between builds of the same documents")
	}
	// A changed document changes the version.
	docs[0].Title += " (更新)"
	ix, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if v, _ := ix.Export(t.TempDir()); v == versions[0] {
		t.Error("version unchanged after a title changed")
	}
}

// TestExportLayout checks that the files the browser computes names for
// exist and hold what it looks for.
func TestExportLayout(t *testing.T) {
	ix := buildSmall(t)
	dir := export(t, ix)
	files := readTree(t, dir)
	var m manifest
	if err := json.Unmarshal(files["index.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.Format != formatVersion || m.Docs != len(smallDocs()) {
		t.Errorf("index.json = %+v", m)
	}
	for i := 0; i < m.Docs; i++ {
		var d docFile
		if err := json.Unmarshal(files["d/"+strconv.Itoa(i)+".json"], &d); err != nil || d.ID != ix.ids[i] {
			t.Errorf("d/%d.json: %+v, %v; want ID %s", i, d, err, ix.ids[i])
		}
	}
	for i, k := range m.Codes {
		if _, ok := files["c/"+k+".json"]; !ok {
			t.Errorf("no c/%s.json", k)
		}
		for _, k2 := range m.Codes[i+1:] {
			if strings.HasPrefix(k2, k) || strings.HasPrefix(k, k2) {
				t.Errorf("code bucket keys %s and %s overlap", k, k2)
			}
		}
	}
	// Every indexed term is in the shard its name hashes to.
	r, err := ix.reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	terms, err := ix.allTerms(r)
	if err != nil {
		t.Fatal(err)
	}
	shards := make(map[string]map[string]string)
	for _, term := range terms {
		name := "t/" + strconv.Itoa(shardOf(term, m.Terms, ix.split)) + ".json"
		if len([]rune(term)) == 1 {
			name = "u/" + strconv.Itoa(shardOf(term, m.Chars, ix.split)) + ".json"
		}
		if shards[name] == nil {
			var pairs [][2]string
			if err := json.Unmarshal(files[name], &pairs); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			shards[name] = make(map[string]string)
			for _, p := range pairs {
				shards[name][p[0]] = p[1]
			}
		}
		if _, ok := shards[name][term]; !ok {
			t.Errorf("term %q not in %s", term, name)
		}
	}
	for _, f := range []string{"f/l0.json", "f/t0.json"} {
		if _, ok := files[f]; !ok {
			t.Errorf("no %s", f)
		}
	}
}

func TestVarint(t *testing.T) {
	for _, v := range []uint32{0, 1, 31, 32, 1023, 1024, 1 << 20, 1<<32 - 1} {
		b := appendVarint(nil, v)
		var got uint32
		for i, c := range b {
			x := uint32(strings.IndexByte(digits64, c))
			got |= (x & 31) << (5 * i)
			if (x >= 32) != (i < len(b)-1) {
				t.Errorf("appendVarint(%d) = %q: bad continuation at %d", v, b, i)
			}
		}
		if got != v {
			t.Errorf("appendVarint(%d) = %q, decodes to %d", v, b, got)
		}
	}
}

// TestQueryBytes measures, with search.js on a cold cache, what a code
// query and a Japanese two-word query download from the export of a
// generated corpus, and holds them to the budgets the design promises.
// gzip sizes are what a static host serving compressed JSON sends.
func TestQueryBytes(t *testing.T) {
	for _, n := range corpusSizes() {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			docs, manifest := generatedCorpus(t, n)
			start := time.Now()
			ix, err := Build("", docs)
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			built := time.Since(start)
			start = time.Now()
			dir := export(t, ix)
			exported := time.Since(start)
			files := readTree(t, dir)
			var total, totalGz int
			for _, b := range files {
				total += len(b)
				totalGz += gzipSize(b)
			}
			t.Logf("%d articles: build %v, export %v; %d files, %s (%s gzipped)",
				n, built.Round(time.Millisecond), exported.Round(time.Millisecond), len(files), kb(total), kb(totalGz))

			code := sortedCodes(manifest)[len(manifest)/2]
			cases := []struct {
				name     string
				q        string
				raw, gz  int // budgets, bytes
				minFound int
			}{
				{"code", string(code), 20 << 10, 10 << 10, 1},
				{"code, decimal", code.Decimal(), 20 << 10, 10 << 10, 1},
				{"code prefix", string(code)[:7], 40 << 10, 20 << 10, 1},
				{"Japanese, two words", "ライセンス認証 時刻同期", 0, 100 << 10, 10},
				{"Japanese, two words", "ファイアウォール 再起動", 0, 100 << 10, 10},
				{"mixed", "KMS 認証", 0, 100 << 10, 10},
				{"English", "activation", 0, 100 << 10, 10},
				{"one kanji", "認", 0, 100 << 10, 10},
			}
			// As from a Japanese page, which ranks its own language first
			// and so also fetches that language's bitmap.
			var qs []Query
			for _, c := range cases {
				qs = append(qs, Query{Text: c.q, Prefer: "ja"})
			}
			js := searchJSExport(t, dir, qs, 10)
			for i, c := range cases {
				var idx, idxGz, docs, docsGz, nf int
				for _, f := range js[i].Fetched {
					b := files[f.Path]
					if strings.HasPrefix(f.Path, "d/") {
						docs += len(b)
						docsGz += gzipSize(b)
					} else {
						idx += len(b)
						idxGz += gzipSize(b)
					}
					nf++
				}
				t.Logf("%-20s %-24q %5d results, %2d files: %s (%s gz) = index %s (%s gz) + 10 results %s (%s gz); node: cold %.1f ms, warm %.1f ms",
					c.name, c.q, js[i].Total, nf, kb(idx+docs), kb(idxGz+docsGz), kb(idx), kb(idxGz), kb(docs), kb(docsGz), js[i].Ms, js[i].Warm)
				if js[i].Total < c.minFound {
					t.Errorf("%q: %d results, want at least %d", c.q, js[i].Total, c.minFound)
				}
				if c.raw > 0 && idx+docs > c.raw {
					t.Errorf("%q downloads %s, budget %s", c.q, kb(idx+docs), kb(c.raw))
				}
				if idxGz+docsGz > c.gz {
					t.Errorf("%q downloads %s gzipped, budget %s", c.q, kb(idxGz+docsGz), kb(c.gz))
				}
			}
		})
	}
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(b)
	z.Close()
	return buf.Len()
}

func kb(n int) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB" }

// TestVersion checks that the input version follows the documents: the
// same documents give the same version, any changed field another.
func TestVersion(t *testing.T) {
	docs := []Doc{{ID: "ja/a/", Title: "ライセンス認証 0xC004F074", Lang: "ja", Body: "本文"}}
	v := Version(docs)
	if again := Version([]Doc{docs[0]}); again != v {
		t.Errorf("Version of equal documents = %s and %s", v, again)
	}
	changed := docs[0]
	changed.Body = "本文。"
	if Version([]Doc{changed}) == v {
		t.Errorf("Version did not change with the body")
	}
	moved := []Doc{{ID: "ja/a/", Title: "ライセンス認証 0xC004F074", Lang: "ja", Body: "", Summary: "本文"}}
	if Version(moved) == v {
		t.Errorf("Version did not change when text moved between fields")
	}
}

// TestExportBytes pins the export of a generated corpus. Export's version
// hashes the name and bytes of every file, so it changes with any byte of
// the export. The wanted version is what the in-memory export, which the
// streaming one replaced, wrote for this corpus; it changes only with a
// deliberate change of the format (and formatVersion). The corpus is
// large enough for several term shards per family, several chunks of
// terms (termChunk) and both posting encodings. ExportAs must write the
// same files under the version it is given.
func TestExportBytes(t *testing.T) {
	const want = "3d9de40c9351d4e3"
	fsys, _ := corpus.Generate(2000, 1)
	var docs []Doc
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		docs = append(docs, parseTestArticle(p, string(src), corpusOptions{}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	dir := t.TempDir()
	v, err := ix.Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v != want {
		t.Errorf("Export of %d generated articles = version %s, want %s", len(docs), v, want)
	}
	var m manifest
	files := readTree(t, filepath.Join(dir, v))
	if err := json.Unmarshal(files["index.json"], &m); err != nil {
		t.Fatal(err)
	}
	if terms, _ := ix.allTerms(mustReader(t, ix)); m.Terms < 2 || m.Chars < 2 || len(terms) <= termChunk {
		t.Errorf("corpus too small for the test: %d and %d shards, %d terms", m.Terms, m.Chars, len(terms))
	}
	if err := ix.ExportAs(dir, "as"); err != nil {
		t.Fatal(err)
	}
	if as := readTree(t, filepath.Join(dir, "as")); !reflect.DeepEqual(as, files) {
		t.Errorf("ExportAs wrote other files than Export")
	}
	// Nothing of the temporary directories and files is left.
	entries, _ := os.ReadDir(dir)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if want := []string{"as", v}; !slices.Equal(dirs, want) && !slices.Equal(dirs, []string{v, "as"}) {
		t.Errorf("export directory holds directories %q, want the 2 exports %q", dirs, want)
	}
}

func mustReader(t *testing.T, ix *Index) index.IndexReader {
	t.Helper()
	r, err := ix.reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
