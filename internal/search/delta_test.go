package search

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/mapfile"
)

// TestExportDelta makes a series of edits to a generated corpus, each
// followed by Update and ExportAs with a Reuse that links the previous
// export's files, and checks every export against a full export of a
// fresh index of the same documents, byte for byte: whether ExportAs
// exported from its state (delta) or in full, as each step expects.
// A delta export must take every file it does not make again from the
// previous export (checked by inode), and make few. Made over a base (as
// kbgen build makes it over the spare's export), a copy of the previous
// export by links with a stray file added, the export must keep the
// base's unchanged files where they are, remove the rest, and never write
// into a file of the base, which is a link to a published one.
func TestExportDelta(t *testing.T) {
	docs := internalCorpus(t, 300)
	steps := []deltaStep{
		{"first", func(d []Doc) []Doc { return d }, false},
		{"nothing", func(d []Doc) []Doc { return d }, true},
		{"body", func(d []Doc) []Doc {
			d[17].Body += "\n追記: 再起動後に rare-zebra で再試行してください。"
			d[17].ID = strings.Clone(d[17].ID) // as a page parsed again has
			return d
		}, true},
		{"two bodies, words removed", func(d []Doc) []Doc {
			d[40].Body = strings.Replace(d[40].Body, "の", "", 5)
			d[41].Body = d[41].Body[:len(d[41].Body)/2] + d[17].Body[len(d[17].Body)/2:]
			return d
		}, true},
		{"words another article has", func(d []Doc) []Doc {
			// No term comes or goes: only the counts of those d[20]
			// gains move (see termsAt).
			d[20].Body += "\n" + d[21].Title
			return d
		}, true},
		{"title and error text", func(d []Doc) []Doc {
			d[60].Title = "新しい題名 entirely new title"
			d[60].ErrorText = "0x8007000E out of memory"
			return d
		}, true},
		{"codes", func(d []Doc) []Doc {
			d[70].Codes = []errcode.Code{"0x80070005", "0xC004F074"}
			d[71].Codes = nil
			return d
		}, true},
		{"tags, headings, date", func(d []Doc) []Doc {
			d[80].Tags = []string{"Lonely"}
			d[81].Headings = append(d[81].Headings, "新しい見出し")
			d[82].UpdatedAt = d[82].UpdatedAt.AddDate(0, 1, 0)
			d[83].Lang = "en"
			return d
		}, true},
		{"deletion", func(d []Doc) []Doc { return slices.Delete(d, 90, 91) }, false},
		{"addition", func(d []Doc) []Doc {
			n := d[5]
			n.ID, n.Body = "ja/new-article/", n.Body+" 新規"
			d = append(d, n)
			slices.SortFunc(d, func(a, b Doc) int { return strings.Compare(a.ID, b.ID) })
			return d
		}, false},
		{"average length moved", func(d []Doc) []Doc {
			d[100].Body += strings.Repeat(" padding words to move the average", 200)
			return d
		}, false},
		{"back to a delta", func(d []Doc) []Doc {
			d[101].Body += " もう一行"
			return d
		}, true},
	}

	// Each step either opens the index again, as kbgen build does (told
	// the earlier versions of the documents, as its parse cache has them,
	// or not), or updates the one kept open since the first, as kbgen
	// serve does, exporting with ExportAs (over a base, as kbgen build
	// does) or, as kbgen serve does, ExportOver.
	// Over a base, the files of the base are found by reading its
	// directories, or given as its caller listed them (listed).
	for _, mode := range []deltaMode{
		{false, false, false, false, false}, {false, false, true, false, false}, {false, false, true, true, false},
		{false, false, true, true, true}, {true, false, false, false, false}, {true, true, false, false, false},
	} {
		t.Run(fmt.Sprintf("keepOpen=%v,over=%v,based=%v,earlier=%v,listed=%v", mode.keepOpen, mode.over, mode.based, mode.earlier, mode.listed), func(t *testing.T) {
			testExportDelta(t, slices.Clone(docs), steps, mode)
		})
	}
}

type deltaMode struct{ keepOpen, over, based, earlier, listed bool }

type deltaStep struct {
	name  string
	edit  func([]Doc) []Doc
	delta bool // whether ExportAs can export from its state
}

func testExportDelta(t *testing.T, docs []Doc, steps []deltaStep, mode deltaMode) {
	keepOpen, over := mode.keepOpen, mode.over
	ctx := context.Background()
	root := t.TempDir()
	indexDir, exportDir := filepath.Join(root, "index"), filepath.Join(root, "search")
	var prevDir string
	var prevSums map[string]Sum
	var prevFiles map[string]File // with over
	cached := 0                   // shards taken decoded from the export before
	var ix *Index
	defer func() {
		if ix != nil {
			ix.Close()
		}
	}()
	for i, step := range steps {
		before := docs
		docs = step.edit(slices.Clone(docs))
		var err error
		switch {
		case ix != nil:
			err = ix.Update(ctx, docs)
		case mode.earlier:
			ix, err = Hash(docs).Update(ctx, indexDir, before)
		default:
			ix, err = Update(ctx, indexDir, docs)
		}
		if err != nil {
			ix = nil
			t.Fatalf("%s: %v", step.name, err)
		}
		moved := movedTerms(ix, before, docs)
		// Kept open, an update that adds and removes no document updates
		// the doc table, as listing it would make it, whatever segments
		// bleve merged meanwhile in the background.
		if keepOpen && i > 1 && sameIDs(before, docs) {
			ids, num := ix.ids, ix.num
			if !ix.lastTable {
				t.Errorf("%s: Update listed the doc table again (updateDocTable)", step.name)
			}
			if err := ix.loadDocTable(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, ix.ids) || !maps.Equal(num, ix.num) {
				t.Errorf("%s: the doc table Update made differs from the index's", step.name)
			}
		}
		// Kept open, an update of documents of the same IDs takes the
		// hashes of the unchanged ones over without looking them up.
		if want := keepOpen && i > 0 && sameIDs(before, docs); ix.lastAlong != want {
			t.Errorf("%s: Update took the hashes along the last documents: %v, want %v (sumsAlong)", step.name, ix.lastAlong, want)
		}
		if v, want := ix.Version(), Version(docs); v != want {
			t.Errorf("%s: index version %q, want Version's %q", step.name, v, want)
		}
		version := "v" + strconv.Itoa(i)
		reuse := func(name string, sum Sum, dst string) bool {
			if prevSums == nil || prevSums[name] != sum {
				return false
			}
			return os.Link(filepath.Join(prevDir, filepath.FromSlash(name)), dst) == nil
		}
		if i > 1 && !ix.lastDFs {
			t.Errorf("%s: Update read every term's postings, not the changed ones' (dfsFrom)", step.name)
		}
		// Kept open, or told them, the index knows the documents before
		// the edit and reads the frequencies of only their terms, before
		// and after.
		knows := keepOpen || mode.earlier
		if touched := touchedTerms(ix, before, docs); knows && i > 1 && ix.lastDFs && ix.lastCounted > touched {
			t.Errorf("%s: Update read the frequencies of %d terms, want at most the %d of the changed documents", step.name, ix.lastCounted, touched)
		}
		// The state holds the field lengths, which an update keeps when
		// the documents are the same IDs, from the built index on
		// (buildWithSums): the export of the step that changed nothing
		// (an update that works out no lengths) keeps them too (lensFor).
		if want := i > 1 && sameIDs(before, docs); ix.lastLens != want {
			t.Errorf("%s: Update took the field lengths from the state: %v, want %v (lensFrom)", step.name, ix.lastLens, want)
		}
		if ix.lastLens {
			r, err := ix.reader()
			if err != nil {
				t.Fatal(err)
			}
			_, want, err := fieldLengths(r, len(docs), ix.num)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ix.lens, want) {
				t.Errorf("%s: field lengths from the state differ from the index's", step.name)
			}
		}
		var sums map[string]Sum
		var files map[string]File
		var base Base
		if mode.based && prevDir != "" {
			base.Dir = linkCopy(t, prevDir, filepath.Join(root, "base"))
			if mode.listed {
				for name := range readTree(t, base.Dir) {
					base.Files = append(base.Files, name)
				}
			}
			// Keeping the base's file if it is the one wanted, and
			// leaving it to the export to remove it otherwise.
			reuse = func(name string, sum Sum, dst string) bool {
				b, err := os.ReadFile(dst)
				return err == nil && sha256.Sum256(b) == sum
			}
		}
		if over {
			files, err = ix.ExportOver(filepath.Join(exportDir, version), prevFiles)
		} else {
			sums, err = ix.ExportAs(exportDir, version, base, reuse)
		}
		delta, read, remade := ix.lastDelta, ix.lastRead, slices.Clone(ix.lastShards)
		cached += int(ix.lastCached.Load())
		if err == nil {
			checkCounts(t, step.name, ix)
		}
		if !keepOpen {
			ix.Close()
			ix = nil
		}
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if delta != step.delta {
			t.Errorf("%s: exported from the state %v, want %v", step.name, delta, step.delta)
		}
		// Only the terms whose document frequency moved have their
		// postings read again; the others are patched (shardPatch).
		if delta && read != moved {
			t.Errorf("%s: read the postings of %d terms, want the %d whose document frequency moved", step.name, read, moved)
		}
		dir := filepath.Join(exportDir, version)
		var got map[string][]byte
		if over {
			got, sums = readFiles(t, files, dir, prevFiles)
		} else {
			got = readTree(t, dir)
		}
		want := cleanExport(t, docs)
		if d := treeDifference(got, want); d != "" {
			t.Fatalf("%s: export differs from a full export: %s", step.name, d)
		}
		if base.Dir != "" {
			if _, err := os.Lstat(base.Dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: the base is still there: %v", step.name, err)
			}
			for name, b := range readTree(t, prevDir) {
				if sha256.Sum256(b) != prevSums[name] {
					t.Errorf("%s: %s of the previous export was written into through the base's link", step.name, name)
				}
			}
		}
		checkSums(t, got, sums)
		// Kept open, or told the earlier documents, the index knows what
		// it held of the changed documents before, and makes again only
		// the shards that change.
		if knows && delta && i > 1 {
			for _, name := range remade {
				if sums[name] == prevSums[name] {
					t.Errorf("%s: made the shard %s again, which did not change", step.name, name)
				}
			}
		}

		if prevSums != nil && !over {
			written := 0
			for name := range got {
				fi, err1 := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
				old, err2 := os.Stat(filepath.Join(prevDir, filepath.FromSlash(name)))
				linked := err1 == nil && err2 == nil && os.SameFile(fi, old)
				if !linked {
					written++
				}
				if !linked && sums[name] == prevSums[name] {
					t.Errorf("%s: %s is unchanged but was made again", step.name, name)
				}
			}
			t.Logf("%s: %d of %d files made", step.name, written, len(got))
		}
		prevDir, prevSums, prevFiles = dir, sums, files
	}
	if over != (cached > 0) {
		t.Errorf("%d shards taken decoded from the export before; want some over an earlier export, none otherwise", cached)
	}
}

// readFiles reads the files of an export ExportOver made in dir over
// prev, checking that it made (into dir or memory) all the files prev has
// not with the same content and only those, and the manifest, and
// returns them and their hashes.
func readFiles(t *testing.T, files map[string]File, dir string, prev map[string]File) (map[string][]byte, map[string]Sum) {
	t.Helper()
	got := make(map[string][]byte, len(files))
	sums := make(map[string]Sum, len(files))
	made := 0
	for name, f := range files {
		data, err := f.Content()
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(data) != f.Sum {
			t.Errorf("%s: content and hash differ", name)
		}
		got[name], sums[name] = data, f.Sum
		old, had := prev[name]
		kept := had && old.Path == f.Path && old.Sum == f.Sum &&
			len(old.Data) == len(f.Data) && (len(f.Data) == 0 || &old.Data[0] == &f.Data[0])
		own := !kept && (f.Data != nil || f.Path == filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case !kept && !own:
			t.Errorf("%s is at %s, neither made by the export nor the earlier export's file", name, f.Path)
		case own && had && old.Sum == f.Sum && name != "index.json":
			t.Errorf("%s is unchanged but was made again", name)
		case own:
			made++
		}
	}
	t.Logf("%d of %d files made", made, len(files))
	return got, sums
}

// sameIDs reports whether a and b are documents of the same IDs.
func sameIDs(a, b []Doc) bool {
	return slices.EqualFunc(a, b, func(a, b Doc) bool { return a.ID == b.ID })
}

// movedTerms returns the number of text terms that a document changed
// between before and after has in one version and not in the other.
func movedTerms(ix *Index, before, after []Doc) int {
	was := make(map[string]*Doc, len(before))
	for i := range before {
		was[before[i].ID] = &before[i]
	}
	moved := make(map[string]bool)
	for i := range after {
		old, ok := was[after[i].ID]
		if !ok || old.sum() == after[i].sum() {
			continue
		}
		had := make(map[string]bool)
		for _, t := range ix.textTerms(old) {
			had[t] = true
		}
		has := make(map[string]bool)
		for _, t := range ix.textTerms(&after[i]) {
			has[t] = true
			if !had[t] {
				moved[t] = true
			}
		}
		for t := range had {
			if !has[t] {
				moved[t] = true
			}
		}
	}
	return len(moved)
}

// checkCounts checks that the state of ix's last export counts, for every
// term, the documents the index has it in.
func checkCounts(t *testing.T, step string, ix *Index) {
	t.Helper()
	st := ix.state
	if st == nil || len(st.Count) != len(st.Terms) {
		t.Errorf("%s: the export's state has no counts", step)
		return
	}
	r, err := ix.reader()
	if err != nil {
		t.Fatal(err)
	}
	m := ix.newMerger()
	for i, term := range st.Terms {
		ps, err := ix.impacts(r, m, term, allFields)
		if err != nil {
			t.Fatal(err)
		}
		if int(st.Count[i]) != len(ps) {
			t.Errorf("%s: the state counts %d documents with %q, the index %d", step, st.Count[i], term, len(ps))
			return
		}
	}
}

// touchedTerms returns the number of distinct text terms that the
// documents changed, added or removed between before and after have in
// either version.
func touchedTerms(ix *Index, before, after []Doc) int {
	now := make(map[string]*Doc, len(after))
	for i := range after {
		now[after[i].ID] = &after[i]
	}
	was := make(map[string]*Doc, len(before))
	terms := make(map[string]bool)
	add := func(d *Doc) {
		for _, t := range ix.textTerms(d) {
			terms[t] = true
		}
	}
	for i := range before {
		d := &before[i]
		was[d.ID] = d
		if n, ok := now[d.ID]; !ok || n.sum() != d.sum() {
			add(d)
		}
	}
	for i := range after {
		d := &after[i]
		if o, ok := was[d.ID]; !ok || o.sum() != d.sum() {
			add(d)
		}
	}
	return len(terms)
}

// TestExportDeltaFallback checks that an export from the state falls back
// to a full export, with the same result, when the Reuse cannot supply a
// file the state describes (here, one removed from the previous export).
func TestExportDeltaFallback(t *testing.T) {
	docs := internalCorpus(t, 120)
	ctx := context.Background()
	root := t.TempDir()
	indexDir, exportDir := filepath.Join(root, "index"), filepath.Join(root, "search")
	var prevSums map[string]Sum
	reuse := func(name string, sum Sum, dst string) bool {
		if prevSums == nil || prevSums[name] != sum {
			return false
		}
		return os.Link(filepath.Join(exportDir, "v1", filepath.FromSlash(name)), dst) == nil
	}
	export := func(version string) bool {
		t.Helper()
		ix, err := Update(ctx, indexDir, docs)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if prevSums, err = ix.ExportAs(exportDir, version, Base{}, reuse); err != nil {
			t.Fatal(err)
		}
		return ix.lastDelta
	}
	export("v1")
	if err := os.Remove(filepath.Join(exportDir, "v1", "d", "3.json")); err != nil {
		t.Fatal(err)
	}
	docs[50].Body += " 追記"
	if export("v2") {
		t.Errorf("exported from the state although d/3.json could not be reused")
	}
	if d := treeDifference(readTree(t, filepath.Join(exportDir, "v2")), cleanExport(t, docs)); d != "" {
		t.Fatalf("export differs from a full export: %s", d)
	}
}

// TestFullExportDFs checks that an export made in full by an index that
// was not updated (its documents unchanged, the last export's state
// unusable: after an upgrade of kbgen, or a site moved) records its
// terms' frequencies, so that the next update takes them from the state
// (dfsFrom) rather than reading every term's postings again.
func TestFullExportDFs(t *testing.T) {
	docs := internalCorpus(t, 120)
	ctx := context.Background()
	root := t.TempDir()
	indexDir, exportDir := filepath.Join(root, "index"), filepath.Join(root, "search")
	takeNothing := func(string, Sum, string) bool { return false }
	export := func(version string) *Index {
		t.Helper()
		ix, err := Update(ctx, indexDir, docs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ix.ExportAs(exportDir, version, Base{}, takeNothing); err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		return ix
	}
	export("v1")
	if err := removeExportState(indexDir); err != nil {
		t.Fatal(err)
	}
	if ix := export("v2"); ix.lastDelta {
		t.Fatal("exported from a state that was removed")
	}
	data, err := os.ReadFile(statePath(indexDir))
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeState(data)
	if err != nil {
		t.Fatal(err)
	}
	clean, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	want := dfAlong(st.Terms, clean.dfs)
	clean.Close()
	if !slices.Equal(st.DF, want) {
		t.Errorf("the state of a full export has %d frequencies, want the %d of a clean build's terms", len(st.DF), len(want))
	}
	docs[50].Body += " 追記"
	if ix := export("v3"); !ix.lastDFs {
		t.Errorf("the update after a full export read every term's frequency, not the state's (dfsFrom)")
	}
}

// TestExportDeltaShardCount changes one document so that the term shards'
// total size, and with it their count, changes while the statistics do
// not: ExportAs must see it and export in full.
func TestExportDeltaShardCount(t *testing.T) {
	word := func(i int) string { // distinct lower-case words of letters only
		b := []byte("qz")
		for ; i > 0; i /= 26 {
			b = append(b, byte('a'+i%26))
		}
		return string(b)
	}
	body := func(from, n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = word(from + i)
		}
		return strings.Join(ws, " ")
	}
	// With 140 words, the term shards come to just under one shard's
	// target size, and doc 0's words made its own push them over it.
	var docs []Doc
	for i := range 8 {
		// Every document has the same few words, doc 0 too.
		docs = append(docs, Doc{ID: "d" + strconv.Itoa(i) + "/", Title: "title", Lang: "en", Body: body(1, 140)})
	}
	ctx := context.Background()
	root := t.TempDir()
	indexDir, exportDir := filepath.Join(root, "index"), filepath.Join(root, "search")
	var prevSums map[string]Sum
	reuse := func(name string, sum Sum, dst string) bool {
		if prevSums == nil || prevSums[name] != sum {
			return false
		}
		return os.Link(filepath.Join(exportDir, "v1", filepath.FromSlash(name)), dst) == nil
	}
	export := func(version string) (stats, bool) {
		t.Helper()
		ix, err := Update(ctx, indexDir, docs)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if prevSums, err = ix.ExportAs(exportDir, version, Base{}, reuse); err != nil {
			t.Fatal(err)
		}
		return ix.stats, ix.lastDelta
	}
	before, _ := export("v1")
	docs[0].Body = body(1000, 140) // as many words, none shared
	after, delta := export("v2")
	if !sameStats(before, after) {
		t.Fatalf("statistics changed (%+v, then %+v): the test needs them unchanged", before, after)
	}
	var m1, m2 manifest
	for v, m := range map[string]*manifest{"v1": &m1, "v2": &m2} {
		if err := json.Unmarshal(readTree(t, filepath.Join(exportDir, v))["index.json"], m); err != nil {
			t.Fatal(err)
		}
	}
	if m1.Terms == m2.Terms {
		t.Fatalf("%d term shards both times: the test needs the count to change", m1.Terms)
	}
	if delta {
		t.Errorf("exported from the state although the shard count changed from %d to %d", m1.Terms, m2.Terms)
	}
	if d := treeDifference(readTree(t, filepath.Join(exportDir, "v2")), cleanExport(t, docs)); d != "" {
		t.Fatalf("export differs from a full export: %s", d)
	}
}

// TestDFsFromSplit checks the split keys an update computes from the
// export's state (dfsFrom) against those of a clean build, across edits
// that add a split key and remove it: 40 terms under "srv" in every
// document make "srv" a split key (see splitOf), in a few they do not.
func TestDFsFromSplit(t *testing.T) {
	docs := make([]Doc, 300)
	srv := ""
	for j := range 40 {
		srv += fmt.Sprintf(" srv%03d", j)
	}
	for i := range docs {
		docs[i] = Doc{ID: fmt.Sprintf("en/%03d/", i), Lang: "en", Body: fmt.Sprintf("article %d about servers", i)}
	}
	edit := func(from, to int, body string) {
		for i := from; i < to; i++ {
			docs[i].Body = fmt.Sprintf("article %d about servers%s", i, body)
		}
	}
	ctx := context.Background()
	root := t.TempDir()
	reuse := func(string, Sum, string) bool { return false }
	for i, step := range []struct {
		edit  func()
		split bool // whether "srv" is a split key after the edit
		noDFs bool // the last export's state lost its frequencies, not its lengths
	}{
		{func() { edit(0, 40, srv) }, false, false},
		{func() { edit(40, 300, srv) }, true, false},
		{func() { docs[299].Body += " more" }, true, false},
		{func() { docs[298].Body += " more" }, true, true},
		{func() { edit(40, 300, "") }, false, false},
		{func() { edit(40, 300, srv) }, true, false},
	} {
		step.edit()
		if step.noDFs {
			name := statePath(filepath.Join(root, "index"))
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			st, err := decodeState(data)
			if err != nil {
				t.Fatal(err)
			}
			st.DF = nil
			if err := mapfile.Write(name, st.encode); err != nil {
				t.Fatal(err)
			}
		}
		ix, err := Update(ctx, filepath.Join(root, "index"), docs)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && ix.lastDFs == step.noDFs {
			t.Errorf("step %d: Update took the frequencies from the state %v; want %v (dfsFrom)", i, ix.lastDFs, !step.noDFs)
		}
		if step.noDFs && !ix.lastLens {
			t.Errorf("step %d: Update did not take the lengths from the state (lensFrom)", i)
		}
		got := ix.stats.Split
		_, err = ix.ExportAs(filepath.Join(root, "search"), "v"+strconv.Itoa(i), Base{}, reuse)
		ix.Close()
		if err != nil {
			t.Fatal(err)
		}
		clean, err := Build("", docs)
		if err != nil {
			t.Fatal(err)
		}
		want := clean.stats.Split
		clean.Close()
		if !slices.Equal(got, want) || slices.Contains(want, "srv") != step.split {
			t.Errorf("step %d: split %q, a clean build's %q; want \"srv\" in it %v", i, got, want, step.split)
		}
	}
}

// TestEncodeBuckets checks that a document's buckets read back as
// encoded, in the shorter of the two forms, and that what is not an
// encoding reads as fewer buckets, never a bucket out of range.
func TestEncodeBuckets(t *testing.T) {
	every := make([]uint16, buckets)
	for i := range every {
		every[i] = uint16(i)
	}
	var sparse, dense []uint16
	for b := range uint16(buckets) {
		if b%97 == 3 {
			sparse = append(sparse, b)
		}
		if b%3 != 0 {
			dense = append(dense, b)
		}
	}
	for _, tc := range []struct {
		name string
		bs   []uint16
		form byte
	}{
		{"none", nil, bucketGaps},
		{"first", []uint16{0}, bucketGaps},
		{"last", []uint16{buckets - 1}, bucketGaps},
		{"ends", []uint16{0, 1, 2, buckets - 2, buckets - 1}, bucketGaps},
		{"sparse", sparse, bucketGaps},
		{"dense", dense, bucketBits},
		{"every", every, bucketBits},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeBuckets(tc.bs)
			if b[0] != tc.form {
				t.Errorf("form %d, want %d", b[0], tc.form)
			}
			if max := 1 + buckets/8; len(b) > max {
				t.Errorf("%d bytes, more than a bitmap's %d", len(b), max)
			}
			var got []uint16
			eachBucket(b, func(k uint16) { got = append(got, k) })
			if !slices.Equal(got, tc.bs) {
				t.Errorf("read back %d buckets %v…, want %d %v…", len(got), got[:min(len(got), 5)], len(tc.bs), tc.bs[:min(len(tc.bs), 5)])
			}
		})
	}
	for _, b := range [][]byte{
		{},
		{7, 1, 2},
		{bucketGaps, 0x80},          // a distance cut short
		{bucketGaps, 0xff, 0x1f},    // 4095
		{bucketGaps, 0xff, 0x1f, 1}, // 4095, then past the last bucket
		{bucketGaps, 0x80, 0x20},    // 4096
		append([]byte{bucketBits}, make([]byte, 600)...), // a bitmap too long
		append([]byte{bucketBits}, slices.Repeat([]byte{0xff}, 600)...),
	} {
		n := 0
		eachBucket(b, func(k uint16) {
			if k >= buckets {
				t.Errorf("% x read as bucket %d", b, k)
			}
			n++
		})
		if n > buckets {
			t.Errorf("% x read as %d buckets", b, n)
		}
	}
}

// TestExportStateFile writes a state with every field set, over many of
// the encoder's buffers, and reads it back; so with a state with none set.
// A file cut short, with one byte changed, of another layout or written by
// another build of kbgen reads as none.
func TestExportStateFile(t *testing.T) {
	ix := &Index{path: filepath.Join(t.TempDir(), "index")}
	if err := ix.saveExportState(&exportState{}); err != nil {
		t.Fatal(err)
	}
	if got := ix.loadExportState(); !reflect.DeepEqual(got, &exportState{}) {
		t.Errorf("an empty state read back as %+v", got)
	}
	n := 5000
	st := &exportState{Stats: stats{Format: formatVersion, Docs: n, AvgLen: [4]float64{3, 4, 5, 100}, Split: []string{"ab", "cd"}},
		Shards: [2]int{64, 16}, Codes: "AAEC"}
	st.Sizes[0][7], st.Sizes[1][3] = 1234, 56
	for i := range n {
		id := fmt.Sprintf("ja/a%05d/", i)
		st.IDs = append(st.IDs, id)
		st.Terms = append(st.Terms, fmt.Sprintf("term%d", i))
		st.DF = append(st.DF, uint32(i))
		st.Count = append(st.Count, uint32(i+1))
		st.Buckets = append(st.Buckets, []byte{byte(i), byte(i >> 8)})
		st.Cards = append(st.Cards, card{ID: id, Title: "題名", Lang: "ja", Codes: []string{"0xC004F074"}})
		st.Lens = append(st.Lens, uint32(i), 1, 2, 3)
		st.Files = append(st.Files, "d/"+strconv.Itoa(i)+".json")
	}
	st.Sums = make([]byte, 32*n)
	st.FileSum = make([]byte, 32*n)
	for i := range st.Sums {
		st.Sums[i], st.FileSum[i] = byte(i), byte(i*7)
	}
	if err := ix.saveExportState(st); err != nil {
		t.Fatal(err)
	}
	got := ix.loadExportState()
	if got == nil {
		t.Fatal("the state written reads as none")
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("the state read differs from the one written")
	}
	// Read by another build of kbgen (an upgrade), it reads as none.
	build := stateBuild
	stateBuild = build + " other"
	t.Cleanup(func() { stateBuild = build })
	if ix.loadExportState() != nil {
		t.Errorf("a state written by another build of kbgen reads as a state")
	}
	stateBuild = build
	name := statePath(ix.path)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 200<<10 {
		t.Fatalf("the state is %d bytes, want more than the encoder's buffer many times over", len(data))
	}
	changed := slices.Clone(data)
	changed[len(changed)/2] ^= 1
	other := slices.Clone(data)
	other[len(stateMagic)-2]++ // the layout's number
	for _, bad := range []struct {
		name string
		data []byte
	}{
		{"cut short", data[:len(data)*2/3]},
		{"cut by its last byte", data[:len(data)-1]},
		{"one byte changed", changed},
		{"of another layout", other},
		{"empty", nil},
	} {
		if err := os.WriteFile(name, bad.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if ix.loadExportState() != nil {
			t.Errorf("a state file %s reads as a state", bad.name)
		}
	}
}

// linkCopy makes dst a copy of the directory tree src by hard links, with
// a stray file added, and returns dst.
func linkCopy(t *testing.T, src, dst string) string {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return os.Link(p, filepath.Join(dst, rel))
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(dst, "t", "stray.json"), []byte("{}"), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestHashedBuild checks that an index made afresh by Hashed.Build (a
// build without the cache) is one the next Update starts from and
// exports from its state, as after an Update, and that an index made by
// Build is not: kbgen serve, starting from the index of a build without
// the cache, made its first export in full (18 s at 10,000 articles).
// Both exports after the edit must be a clean build's.
func TestHashedBuild(t *testing.T) {
	ctx := context.Background()
	docs := internalCorpus(t, 120)
	edited := slices.Clone(docs)
	edited[40].Body += "\n追記: 再起動後に rare-zebra で再試行してください。"
	for _, tc := range []struct {
		name  string
		build func(dir string) (*Index, error)
		delta bool
	}{
		{"Hashed.Build", func(dir string) (*Index, error) { return Hash(docs).Build(ctx, dir) }, true},
		{"Build", func(dir string) (*Index, error) { return Build(dir, docs) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir, pub := filepath.Join(root, "index"), filepath.Join(root, "search")
			ix, err := tc.build(dir)
			if err != nil {
				t.Fatal(err)
			}
			link := exportLinkable(t, ix, pub, docs)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			if ix, err = Update(ctx, dir, edited); err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if _, err := ix.ExportAs(pub, Version(edited), Base{}, link); err != nil {
				t.Fatal(err)
			}
			if ix.lastDelta != tc.delta {
				t.Errorf("export after the edit made from the state: %t, want %t", ix.lastDelta, tc.delta)
			}
			if d := treeDifference(readTree(t, filepath.Join(pub, Version(edited))), cleanExport(t, edited)); d != "" {
				t.Errorf("export after the edit differs from a clean build's: %s", d)
			}
		})
	}
}
