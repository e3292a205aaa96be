package search

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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

// decodeFile unmarshals the exported file name of files into v,
// decompressing it first if its name ends in .gz, as search.js does.
func decodeFile(files map[string][]byte, name string, v any) error {
	b, ok := files[name]
	if !ok {
		return fmt.Errorf("no file %s", name)
	}
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if b, err = io.ReadAll(z); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	return json.Unmarshal(b, v)
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
	// Term shards are gzip-compressed JSON, the rest JSON.
	for name, b := range files {
		var v any
		gz := len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
		if shard := strings.HasPrefix(name, "t/") || strings.HasPrefix(name, "u/"); shard != gz || shard != strings.HasSuffix(name, ".json.gz") {
			t.Errorf("%s: starts %q; want gzip and .json.gz for term shards only", name, b[:min(len(b), 4)])
		} else if err := decodeFile(files, name, &v); err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < m.Docs; i++ {
		var d docFile
		if err := decodeFile(files, "d/"+strconv.Itoa(i)+".json", &d); err != nil || d.ID != ix.ids[i] {
			t.Errorf("d/%d.json: %+v, %v; want ID %s", i, d, err, ix.ids[i])
		}
	}
	// The manifest's bitmap names exactly the three-digit code buckets.
	top := topBuckets(t, m.Codes)
	for name := range files {
		if k, ok := strings.CutPrefix(name, "c/"); ok && len(k) == len("C00.json") && !slices.Contains(top, k[:3]) {
			t.Errorf("%s is not in the manifest's bitmap %v", name, top)
		}
	}
	for _, k := range top {
		if _, ok := files["c/"+k+".json"]; !ok {
			t.Errorf("no c/%s.json", k)
		}
	}
	if len(top) == 0 {
		t.Error("no code buckets")
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
		name := "t/" + strconv.Itoa(shardOf(term, m.Terms, ix.split)) + ".json.gz"
		if len([]rune(term)) == 1 {
			name = "u/" + strconv.Itoa(shardOf(term, m.Chars, ix.split)) + ".json.gz"
		}
		if shards[name] == nil {
			var pairs [][2]string
			if err := decodeFile(files, name, &pairs); err != nil {
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

// topBuckets returns the three-digit code bucket keys the manifest's
// codes bitmap names, in order.
func topBuckets(t *testing.T, codes string) []string {
	t.Helper()
	bits, err := base64.StdEncoding.DecodeString(codes)
	if err != nil || len(bits) != 1<<12/8 {
		t.Fatalf("manifest codes %.40q: %d bytes, %v; want a bitmap of 4,096 bits", codes, len(bits), err)
	}
	var keys []string
	for n := range 1 << 12 {
		if bits[n/8]>>(n%8)&1 == 1 {
			keys = append(keys, fmt.Sprintf("%03X", n))
		}
	}
	return keys
}

// TestCodeBuckets checks the code buckets of sets of codes from a few to
// as many as 100,000 generated articles carry (115,000), without an
// index: the manifest's part does not grow with the codes, every code is
// found by walking from its three-digit bucket through the split buckets,
// as search.js does, and what a lookup downloads stays small.
func TestCodeBuckets(t *testing.T) {
	for _, n := range []int{3, 1000, 115000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			// Codes cluster as real ones do: a few facilities, and
			// within them nearby values.
			r := rand.New(rand.NewPCG(uint64(n), 1))
			codes := make(map[string][]codePosting)
			for len(codes) < n {
				hi := []uint32{0x80070000, 0x8004_0000, 0xC0040000, 0xC0000000, 0x80000000}[r.IntN(5)]
				c := fmt.Sprintf("0x%08X", hi+uint32(r.IntN(1<<16))+uint32(r.IntN(8))<<24)
				for range 1 + r.IntN(3) {
					codes[c] = append(codes[c], codePosting{doc: int32(r.IntN(100000)), primary: r.IntN(2) == 0})
				}
			}
			for c, ps := range codes {
				slices.SortFunc(ps, func(a, b codePosting) int { return int(a.doc - b.doc) })
				codes[c] = slices.CompactFunc(ps, func(a, b codePosting) bool { return a.doc == b.doc })
			}
			// Cards about the size of the generated corpus's.
			cards := make([]card, 100000)
			for i := range cards {
				cards[i] = card{ID: fmt.Sprintf("ja/outlook-send-receive-%05d/", i), Title: "Outlook の送受信がタイムアウト", Lang: "ja"}
			}
			for c, ps := range codes {
				for _, p := range ps {
					cards[p.doc].Codes = append(cards[p.doc].Codes, c)
				}
			}
			dir := t.TempDir()
			w := newExportWriter(dir)
			bitmap, err := writeCodeBuckets(w, codes, cards)
			if err != nil {
				t.Fatal(err)
			}
			if len(bitmap) != 684 {
				t.Errorf("manifest codes are %d bytes, want 684 whatever the corpus", len(bitmap))
			}
			files := readTree(t, dir)
			top := topBuckets(t, bitmap)
			// Each bucket, decoded once: split or pairs, each with the
			// card of every document its postings name.
			splits := make(map[string][]string)
			pairs := make(map[string]map[string]string)
			for name := range files {
				var b struct {
					splitBucket
					codeBucket
				}
				if err := decodeFile(files, name, &b); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if b.Split != nil {
					splits[name] = b.Split
					continue
				}
				pairs[name] = make(map[string]string)
				named := make(map[int32]bool)
				for _, p := range b.Codes {
					pairs[name][p[0]] = p[1]
					for _, cp := range codes[p[0]] {
						named[cp.doc] = true
						got, ok := b.Docs[strconv.Itoa(int(cp.doc))]
						if !ok || !reflect.DeepEqual(got, cards[cp.doc]) {
							t.Fatalf("%s: %s: card of document %d is %+v, want %+v", name, p[0], cp.doc, got, cards[cp.doc])
						}
					}
				}
				if len(b.Docs) != len(named) {
					t.Errorf("%s: %d cards for %d documents", name, len(b.Docs), len(named))
				}
			}
			found := make(map[string]int)
			maxPath := 0
			for _, c := range sortedKeys(codes) {
				// The walk search.js makes for c.
				key, path := c[2:5], 0
				if !slices.Contains(top, key) {
					t.Fatalf("%s: bucket %s not in the bitmap", c, key)
				}
				for {
					name := "c/" + key + ".json"
					path += len(files[name])
					if split, ok := splits[name]; ok {
						i := slices.IndexFunc(split, func(s string) bool { return strings.HasPrefix(c[2:], s) })
						if i < 0 {
							t.Fatalf("%s: split bucket %s has no sub-bucket for it: %v", c, key, split)
						}
						key = split[i]
						continue
					}
					if p, ok := pairs[name][c]; ok {
						found[c]++
						if want := encodeCodePostings(codes[c]); p != want {
							t.Errorf("%s: postings %q, want %q", c, p, want)
						}
					}
					break
				}
				maxPath = max(maxPath, path)
			}
			total := 0
			for _, ps := range pairs {
				total += len(ps)
			}
			if total != len(codes) {
				t.Errorf("the buckets hold %d codes, want %d", total, len(codes))
			}
			for c := range codes {
				if found[c] != 1 {
					t.Errorf("%s found %d times, want once", c, found[c])
				}
			}
			t.Logf("%d codes: %d files, %d top buckets; a lookup downloads at most %d bytes", n, len(files), len(top), maxPath)
			if maxPath > 16<<10 {
				t.Errorf("a code lookup downloads up to %d bytes, want at most 16 KB", maxPath)
			}
		})
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
// generated corpus, and holds them to the budgets the design promises:
// the bytes of the files as exported, which is what any host sends, and
// beside them the size of the JSON they hold.
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
			var total, totalJSON int
			for name, b := range files {
				total += len(b)
				totalJSON += jsonSize(t, name, b)
			}
			t.Logf("%d articles: build %v, export %v; %d files, %s (%s of JSON)",
				n, built.Round(time.Millisecond), exported.Round(time.Millisecond), len(files), kb(total), kb(totalJSON))

			code := sortedCodes(manifest)[len(manifest)/2]
			cases := []struct {
				name     string
				q        string
				budget   int // bytes downloaded
				minFound int
			}{
				{"code", string(code), 20 << 10, 1},
				{"code, decimal", code.Decimal(), 20 << 10, 1},
				{"code prefix", string(code)[:7], 40 << 10, 1},
				{"Japanese, two words", "ライセンス認証 時刻同期", 100 << 10, 10},
				{"Japanese, two words", "ファイアウォール 再起動", 100 << 10, 10},
				{"mixed", "KMS 認証", 100 << 10, 10},
				{"English", "activation", 100 << 10, 10},
				{"one kanji", "認", 100 << 10, 10},
			}
			// As from a Japanese page, which ranks its own language first
			// and so also fetches that language's bitmap.
			var qs []Query
			for _, c := range cases {
				qs = append(qs, Query{Text: c.q, Prefer: "ja"})
			}
			js := searchJSExport(t, dir, qs, 10)
			for i, c := range cases {
				var idx, idxJSON, docs, docsJSON, nf int
				for _, f := range js[i].Fetched {
					b := files[f.Path]
					if f.Bytes != len(b) {
						t.Errorf("search.js read %d bytes of %s, want %d", f.Bytes, f.Path, len(b))
					}
					if strings.HasPrefix(f.Path, "d/") {
						docs += len(b)
						docsJSON += jsonSize(t, f.Path, b)
					} else {
						idx += len(b)
						idxJSON += jsonSize(t, f.Path, b)
					}
					nf++
				}
				t.Logf("%-20s %-24q %5d results, %2d files: %s (%s of JSON) = index %s (%s) + 10 results %s (%s); node: cold %.1f ms, warm %.1f ms",
					c.name, c.q, js[i].Total, nf, kb(idx+docs), kb(idxJSON+docsJSON), kb(idx), kb(idxJSON), kb(docs), kb(docsJSON), js[i].Ms, js[i].Warm)
				if js[i].Total < c.minFound {
					t.Errorf("%q: %d results, want at least %d", c.q, js[i].Total, c.minFound)
				}
				if idx+docs > c.budget {
					t.Errorf("%q downloads %s, budget %s", c.q, kb(idx+docs), kb(c.budget))
				}
			}
		})
	}
}

// jsonSize returns the size of the JSON in the exported file name.
func jsonSize(t *testing.T, name string, b []byte) int {
	t.Helper()
	if !strings.HasSuffix(name, ".gz") {
		return len(b)
	}
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n, err := io.Copy(io.Discard, z)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return int(n)
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
	// The export numbers documents in ID order, whatever the order given.
	two := []Doc{docs[0], {ID: "en/b/", Title: "Activation", Lang: "en", Body: "text"}}
	if Version(two) != Version([]Doc{two[1], two[0]}) {
		t.Errorf("Version depends on the documents' order")
	}
	if Version(two) == v {
		t.Errorf("Version did not change with a document added")
	}
}

// TestExportBytes pins the export of a generated corpus. Export's version
// hashes the name and bytes of every file, so it changes with any byte of
// the export. The wanted version changes only with a deliberate change
// of the format (and formatVersion); when it does, check the new files
// against the old. Format 2's files (term shards decompressed) are
// exactly format 1's, which the in-memory export, since replaced, wrote,
// but for the manifest's codes (a bitmap of the keys format 1 listed;
// this corpus splits no code bucket). Format 3's are format 2's but for
// the manifest's format and the code buckets, which hold format 2's
// pairs as "codes" and beside them the cards of their documents, each
// the id, t, l and c of the document's d/ file (checked file by file).
// Format 4's are format 3's but for the manifest's format and the
// impacts in the term shards, scored with average field lengths rounded to
// a whole token: the same terms in the same shards, and 4,700 of the
// 46,850 terms with other numbers in their postings (checked file by
// file).
// The bytes of the gzip-compressed files depend on Go's compress/flate,
// so the wanted version holds for the toolchain go.mod names. The corpus is
// large enough for several term shards per family, several chunks of
// terms (termChunk) and both posting encodings. ExportAs must write the
// same files under the version it is given.
func TestExportBytes(t *testing.T) {
	const want = "327c359036c3b912"
	docs := internalCorpus(t, 2000)
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
	sums, err := ix.ExportAs(dir, "as", Base{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if as := readTree(t, filepath.Join(dir, "as")); !reflect.DeepEqual(as, files) {
		t.Errorf("ExportAs wrote other files than Export")
	}
	if sums != nil {
		t.Errorf("ExportAs without a Reuse hashed %d files", len(sums))
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

// checkSums checks that sums holds the SHA-256 of every file of files,
// and of no other.
func checkSums(t *testing.T, files map[string][]byte, sums map[string]Sum) {
	t.Helper()
	if len(sums) != len(files) {
		t.Errorf("%d sums for %d files", len(sums), len(files))
	}
	for name, data := range files {
		if sums[name] != sha256.Sum256(data) {
			t.Errorf("sum of %s is wrong", name)
		}
	}
}

// TestExportReuse exports an index, changes one document and exports
// again with a Reuse that offers the first export's files, the way a
// build offers the previous build's: the second export must be byte for
// byte a fresh one, and must have taken every unchanged file from the
// first instead of writing it, by link or by move.
func TestExportReuse(t *testing.T) {
	docs := internalCorpus(t, 300)
	export := func(docs []Doc, dir, version string, reuse Reuse) map[string]Sum {
		t.Helper()
		ix, err := Build("", docs)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		sums, err := ix.ExportAs(dir, version, Base{}, reuse)
		if err != nil {
			t.Fatal(err)
		}
		return sums
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "v1")
	never := func(string, Sum, string) bool { return false }
	sums1 := export(docs, dir, "v1", never)
	checkSums(t, readTree(t, first), sums1)
	before := make(map[string]os.FileInfo)
	for name := range sums1 {
		fi, err := os.Stat(filepath.Join(first, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		before[name] = fi
	}

	docs[len(docs)/2].Body += "\n追記: 再起動後に再試行してください。"
	fresh := filepath.Join(t.TempDir(), "v2")
	export(docs, filepath.Dir(fresh), "v2", nil)
	want := readTree(t, fresh)

	offered := make(map[string]bool)
	moved := make(map[string]bool)
	reuse := func(name string, sum Sum, dst string) bool {
		offered[name] = true
		old, ok := sums1[name]
		src := filepath.Join(first, filepath.FromSlash(name))
		switch {
		case !ok || old != sum:
			return false
		case strings.HasPrefix(name, "d/"):
			moved[name] = true
			return os.Rename(src, dst) == nil
		}
		return os.Link(src, dst) == nil
	}
	sums2 := export(docs, dir, "v2", reuse)
	got := readTree(t, filepath.Join(dir, "v2"))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("export with reuse differs from a fresh export")
	}
	checkSums(t, want, sums2)
	if len(offered) != len(want) {
		t.Errorf("Reuse asked for %d files of %d", len(offered), len(want))
	}
	var linked, moves, written int
	for name := range want {
		fi, err := os.Stat(filepath.Join(dir, "v2", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		same := before[name] != nil && os.SameFile(fi, before[name])
		_, err = os.Stat(filepath.Join(first, filepath.FromSlash(name)))
		gone := before[name] != nil && errors.Is(err, fs.ErrNotExist)
		switch {
		case moved[name] && (!same || !gone):
			t.Errorf("%s: offered to move, but same file %v, gone from the first export %v", name, same, gone)
		case moved[name]:
			moves++
		case same:
			linked++
		default:
			written++
		}
		if sums1[name] == sums2[name] && !same {
			t.Errorf("%s is unchanged but was written again", name)
		}
	}
	t.Logf("%d files: %d linked, %d moved, %d written", len(want), linked, moves, written)
	if linked == 0 || moves == 0 || written == 0 {
		t.Errorf("%d linked, %d moved, %d written: want some of each", linked, moves, written)
	}
}

// TestExportAsBase exports from the state of the last export over that
// export's directory (Base), as a rebuild does over its spare's: the
// directory is moved into place, the files Reuse keeps stay as they were,
// and the others are written again or removed, a stray among them, so
// that the export is file for file a fresh one. A base that cannot be
// moved (here, one that is gone) leaves the export to start from an empty
// directory, with the same result.
func TestExportAsBase(t *testing.T) {
	for _, tc := range []struct {
		name string
		gone bool // the base is removed before the second export
	}{
		{"moved", false},
		{"not moved", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			docs := internalCorpus(t, 120)
			root := t.TempDir()
			indexDir, exportDir := filepath.Join(root, "index"), filepath.Join(root, "search")
			export := func(docs []Doc, base Base, reuse Reuse) map[string]Sum {
				t.Helper()
				ix, err := Update(ctx, indexDir, docs)
				if err != nil {
					t.Fatal(err)
				}
				defer ix.Close()
				sums, err := ix.ExportAs(exportDir, Version(docs), base, reuse)
				if err != nil {
					t.Fatal(err)
				}
				return sums
			}
			sums1 := export(docs, Base{}, func(string, Sum, string) bool { return false })
			base := Base{Dir: filepath.Join(exportDir, Version(docs))}
			for name := range sums1 {
				base.Files = append(base.Files, name)
			}
			// A file no export has, which the caller found in the base.
			stray := filepath.Join(base.Dir, "d", "stray.json")
			if err := os.WriteFile(stray, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			base.Files = append(base.Files, "d/stray.json")
			slices.Sort(base.Files)
			// The base's files, each held by a link of its own, so that
			// none of their inodes is freed and given to a file the
			// second export writes.
			before := make(map[string]os.FileInfo)
			for i, name := range base.Files {
				p := filepath.Join(base.Dir, filepath.FromSlash(name))
				fi, err := os.Stat(p)
				if err == nil {
					err = os.Link(p, filepath.Join(root, "held"+strconv.Itoa(i)))
				}
				if err != nil {
					t.Fatal(err)
				}
				before[name] = fi
			}
			if tc.gone {
				if err := os.RemoveAll(base.Dir); err != nil {
					t.Fatal(err)
				}
			}

			docs[len(docs)/2].Body += "\n追記: 再起動後に再試行してください。"
			var kept atomic.Int32 // Reuse is called on several goroutines
			reuse := func(name string, sum Sum, dst string) bool {
				// dst holds the base's file of that name, if it had one:
				// keeping it is saying so.
				if old, ok := sums1[name]; !ok || old != sum || dst == "" {
					return false
				}
				if _, err := os.Stat(dst); err != nil {
					return false
				}
				kept.Add(1)
				return true
			}
			sums2 := export(docs, base, reuse)
			final := filepath.Join(exportDir, Version(docs))
			got := readTree(t, final)
			if d := treeDifference(got, cleanExport(t, docs)); d != "" {
				t.Fatalf("export over the base differs from a fresh export: %s", d)
			}
			checkSums(t, got, sums2)
			if _, err := os.Stat(base.Dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the base is still there (%v)", err)
			}
			same, changed := 0, 0
			for name := range got {
				fi, err := os.Stat(filepath.Join(final, filepath.FromSlash(name)))
				if err != nil {
					t.Fatal(err)
				}
				isSame := before[name] != nil && os.SameFile(fi, before[name])
				unchanged := sums1[name] == sums2[name]
				switch {
				case isSame:
					same++
				case !unchanged:
					changed++
				}
				if tc.gone && isSame {
					t.Errorf("%s is the removed base's file", name)
				} else if !tc.gone && isSame != unchanged {
					t.Errorf("%s: content unchanged %v, but the base's file %v", name, unchanged, isSame)
				}
			}
			t.Logf("%d files: %d the base's, %d changed; Reuse kept %d", len(got), same, changed, kept.Load())
			if tc.gone && kept.Load() != 0 {
				t.Errorf("Reuse kept %d files of a base that was gone", kept.Load())
			}
			if !tc.gone && (same == 0 || changed == 0) {
				t.Errorf("%d files the base's, %d changed: want some of each", same, changed)
			}
		})
	}
}

// internalCorpus returns n articles of the project's own generator
// (internal/corpus) as Docs, in path order.
func internalCorpus(t *testing.T, n int) []Doc {
	t.Helper()
	fsys, _ := corpus.Generate(n, 1)
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
	return docs
}

// TestRemoveExcept checks what an export over a base leaves of it: the
// files kept, the directories still holding one, and the directory
// itself, whatever it holds.
func TestRemoveExcept(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		keep  []string
		want  []string // what is left: files, and directories with a trailing slash
	}{
		{"nothing to remove", []string{"index.json", "t/0.json.gz", "t/1.json.gz"}, []string{"index.json", "t/0.json.gz", "t/1.json.gz"},
			[]string{"index.json", "t/", "t/0.json.gz", "t/1.json.gz"}},
		{"some files", []string{"index.json", "t/0.json.gz", "t/1.json.gz", "u/0.json.gz"}, []string{"index.json", "t/1.json.gz", "u/0.json.gz"},
			[]string{"index.json", "t/", "t/1.json.gz", "u/", "u/0.json.gz"}},
		{"a directory emptied", []string{"index.json", "t/0.json.gz", "u/0.json.gz", "u/x/0.json.gz"}, []string{"index.json", "t/0.json.gz"},
			[]string{"index.json", "t/", "t/0.json.gz"}},
		{"a deeper file kept", []string{"u/0.json.gz", "u/x/0.json.gz", "u/x/1.json.gz"}, []string{"u/x/1.json.gz"},
			[]string{"u/", "u/x/", "u/x/1.json.gz"}},
		{"everything", []string{"index.json", "t/0.json.gz"}, nil, nil},
		{"a name kept under another directory", []string{"t/0.json.gz"}, []string{"u/0.json.gz", "0.json.gz"}, nil},
	} {
		// The files found by reading the directories, or as listed.
		for _, listed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s,listed=%v", tc.name, listed), func(t *testing.T) {
				dir := t.TempDir()
				for _, f := range tc.files {
					p := filepath.Join(dir, filepath.FromSlash(f))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				keep := make(map[string]Sum)
				for _, f := range tc.keep {
					keep[f] = Sum{}
				}
				var files []string
				if listed {
					files = tc.files
				}
				if err := removeExcept(dir, files, keep); err != nil {
					t.Fatal(err)
				}
				var got []string
				err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil || p == dir {
						return err
					}
					rel, err := filepath.Rel(dir, p)
					if d.IsDir() {
						rel += "/"
					}
					got = append(got, filepath.ToSlash(rel))
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("left %q, want %q", got, tc.want)
				}
			})
		}
	}
}
