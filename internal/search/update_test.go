package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/kbgen/kbgen/internal/errcode"
)

// syntheticDocs returns n documents of mixed Japanese and English text
// drawn from a small vocabulary, so that many terms are shared and some
// are rare: the case where a deleted document leaves terms behind.
func syntheticDocs(n int, seed uint64) []Doc {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"ライセンス認証", "時刻同期", "キー管理", "サービス", "失敗", "再起動", "更新プログラム",
		"activation", "license", "server", "timeout", "network", "proxy", "update", "install", "retry"}
	text := func(k int) string {
		var b strings.Builder
		for range k {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "rare%d ", r.IntN(1000)) // a term few documents share
		}
		return b.String()
	}
	docs := make([]Doc, n)
	for i := range docs {
		lang := "ja"
		if i%3 == 0 {
			lang = "en"
		}
		docs[i] = Doc{
			ID:        fmt.Sprintf("%s/doc-%04d/", lang, i),
			Title:     text(4),
			ErrorText: text(6),
			Lang:      lang,
			Tags:      []string{[]string{"Windows", "KMS", "Office", "Network"}[r.IntN(4)]},
			Codes:     []errcode.Code{errcode.Code(fmt.Sprintf("0x%08X", 0xC004F000+r.IntN(64)))},
			Headings:  []string{text(2), text(2)},
			Body:      text(40 + r.IntN(80)),
			Summary:   text(10),
			UpdatedAt: time.Date(2025, 1, 1+r.IntN(300), 0, 0, 0, 0, time.UTC),
		}
	}
	return docs
}

// TestUpdateSameExport changes a document set in every way a site can
// (edits to every field, deletions, additions) and checks that the index
// Update brings up to date exports exactly the bytes of an index built
// from scratch on the same documents.
func TestUpdateSameExport(t *testing.T) {
	all := syntheticDocs(260, 7)
	base := slices.Clone(all[:240])
	tests := []struct {
		name   string
		change func([]Doc) []Doc
	}{
		{"nothing", func(d []Doc) []Doc { return d }},
		{"bodies", func(d []Doc) []Doc {
			d[3].Body += " 追記 appended"
			d[100].Body = "短い本文 short rare999"
			return d
		}},
		{"fields", func(d []Doc) []Doc {
			d[5].Title = "新しい題名 new title"
			d[6].Tags = []string{"Printer"}
			d[7].Codes = []errcode.Code{"0x80070005"}
			d[8].Lang = "en"
			d[9].Headings = nil
			d[10].UpdatedAt = d[10].UpdatedAt.Add(24 * time.Hour)
			return d
		}},
		{"deletions", func(d []Doc) []Doc {
			// Deleting a document that alone has a term, a tag and a code.
			d[11].Tags, d[11].Codes, d[11].Body = []string{"Lonely"}, []errcode.Code{"0x8024402C"}, d[11].Body+" uniqueterm"
			return slices.Delete(d, 11, 12)
		}},
		{"additions", func(d []Doc) []Doc { return append(d, all[240:]...) }},
		{"everything", func(d []Doc) []Doc {
			d = slices.Delete(d, 0, 20)
			d[0].Body = "ぜんぶ変更"
			return append(d, all[250:]...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			first := slices.Clone(base)
			if tt.name == "deletions" {
				first[11].Tags, first[11].Codes, first[11].Body = []string{"Lonely"}, []errcode.Code{"0x8024402C"}, first[11].Body+" uniqueterm"
			}
			ix, err := Update(context.Background(), dir, first)
			if err != nil {
				t.Fatal(err)
			}
			ix.Close()

			next := tt.change(slices.Clone(first))
			ix, err = Update(context.Background(), dir, next)
			if err != nil {
				t.Fatal(err)
			}
			got := exportTree(t, ix)
			ix.Close()

			want := cleanExport(t, next)
			if d := treeDifference(got, want); d != "" {
				t.Errorf("export of the updated index differs from a clean build's: %s", d)
			}

			// The updated index is a complete one: Open accepts it and a
			// further Update with the same documents changes nothing.
			ix, err = Open(dir)
			if err != nil {
				t.Fatalf("Open after Update: %v", err)
			}
			ix.Close()
			ix, err = Update(context.Background(), dir, next)
			if err != nil {
				t.Fatal(err)
			}
			again := exportTree(t, ix)
			ix.Close()
			if d := treeDifference(again, want); d != "" {
				t.Errorf("second Update: %s", d)
			}
		})
	}
}

// TestUpdateSegments updates an index several times and checks after
// every update that it exports what a clean build of the same documents
// does. An update of a few documents leaves the replaced versions in the
// older segment, marked deleted (see pin); one that replaces a tenth of
// the documents merges the segments (mergeWhen).
func TestUpdateSegments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	docs := syntheticDocs(120, 11)
	ix, err := Update(context.Background(), dir, docs)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	for i, edits := range []int{1, 1, 2, 30, 1} {
		docs = slices.Clone(docs)
		for j := range edits {
			d := &docs[(7*i+13*j)%len(docs)]
			d.Body = fmt.Sprintf("編集 %d edit%d", i, i) // drops the document's other body terms
			d.Tags = []string{fmt.Sprintf("Tag%d", i)} // and its tag, which no other document has
		}
		ix, err := Update(context.Background(), dir, docs)
		if err != nil {
			t.Fatal(err)
		}
		merged := ix.segments == 1 && ix.deleted == 0
		if want := edits*10 > len(docs); merged != want {
			t.Errorf("update %d of %d documents: %d segments, %d deleted documents; want merged %v",
				i, edits, ix.segments, ix.deleted, want)
		}
		got := exportTree(t, ix)
		ix.Close()
		want := cleanExport(t, docs)
		if d := treeDifference(got, want); d != "" {
			t.Fatalf("update %d: export differs from a clean build's: %s", i, d)
		}
	}
}

// TestUpdateRecovers checks that Update rebuilds an index it cannot
// trust: one from Build, without document hashes, one whose last Update
// was interrupted after it had dropped them, and one whose last Update
// was cancelled midway.
// TestHeldKeys follows an index held open and updated in memory
// (Index.Update), which writes its documents' hashes and statistics when
// it is closed rather than by each update: closed after its updates, it
// is one Update takes up where it left off, with the last documents'
// hashes; closed after an update that failed, it is not trusted.
func TestHeldKeys(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	docs := syntheticDocs(40, 5)
	ix, err := Update(ctx, dir, docs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		docs = slices.Clone(docs)
		docs[i].Body += " 追記"
		if err := ix.Update(ctx, docs); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, old, err := openForUpdate(dir)
	if err != nil {
		t.Fatalf("closed after its updates, the index is not trusted: %v", err)
	}
	if want := docSumsOf(docs); !maps.Equal(old, want) {
		t.Errorf("closed after its updates, the index holds other hashes than the last documents'")
	}
	ix.sums = old

	docs = slices.Clone(docs)
	docs[5].Body += " もう一度"
	if err := ix.Update(ctx, docs); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := ix.Update(cancelled, docs); err == nil {
		t.Fatal("an update with a cancelled context succeeded")
	}
	if _, _, err := openForUpdate(dir); err == nil {
		t.Error("closed after an update that failed, the index is trusted")
	}
}

// TestRestoreDocTable checks that an index opened for an update numbers
// its documents from the doc table recorded with their hashes as listing
// them would: after updates left several segments, after bleve merged
// them since, and not from a table that does not fit.
func TestRestoreDocTable(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	docs := syntheticDocs(60, 8)
	ix, err := Update(ctx, dir, docs)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	for _, i := range []int{3, 41, 17} {
		docs = slices.Clone(docs)
		docs[i].Body += " 追記"
		if ix, err = Update(ctx, dir, docs); err != nil {
			t.Fatal(err)
		}
		ix.Close()
	}
	// check opens the index as an update does and compares its doc
	// table with the one listing the documents gives.
	check := func(name string, restored bool) {
		t.Helper()
		ix, _, err := openForUpdate(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer ix.Close()
		if ix.restored != restored {
			t.Fatalf("%s: the recorded doc table taken: %v, want %v", name, ix.restored, restored)
		}
		gotIDs, gotNum := ix.ids, ix.num
		if err := ix.loadDocTable(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotIDs, ix.ids) || !maps.Equal(gotNum, ix.num) {
			t.Errorf("%s: the doc table differs from the listed one", name)
		}
		if len(ix.ids) != len(docs) {
			t.Errorf("%s: %d documents listed, want %d", name, len(ix.ids), len(docs))
		}
	}
	check("as closed", true)

	// Merged into one segment, every document is numbered anew. The
	// last update recorded the table with its own segment beside the
	// older ones, which bleve's background merger, working on segments
	// persisted, cannot have joined yet.
	ix, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ix.bi.GetInternal(tableKey)
	if n, _ := binary.Uvarint(raw); n < 2 {
		t.Fatalf("the table was recorded for %d segments, want several", n)
	}
	if err := ix.merge(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ix.pin(); err != nil {
		t.Fatal(err)
	}
	if n := len(segmentsOf(ix.snap)); n != 1 {
		t.Fatalf("merged into %d segments", n)
	}
	ix.Close()
	check("segments merged since", true)

	// A table of another number of documents is not taken.
	bi, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := binary.AppendUvarint(nil, 1)
	bad = binary.AppendUvarint(bad, 1)
	bad = binary.AppendUvarint(bad, 1)
	bad = binary.AppendUvarint(bad, 1)
	bad = binary.AppendUvarint(bad, 0)
	if err := bi.SetInternal(tableKey, bad); err != nil {
		t.Fatal(err)
	}
	bi.Close()
	check("a table of one document", false)
}

func TestUpdateRecovers(t *testing.T) {
	docs := syntheticDocs(50, 3)
	for _, tt := range []struct {
		name    string
		prepare func(dir string)
	}{
		{"built by Build", func(dir string) {
			ix, err := Build(dir, syntheticDocs(50, 4))
			if err != nil {
				t.Fatal(err)
			}
			ix.Close()
		}},
		{"interrupted", func(dir string) {
			ix, err := Update(context.Background(), dir, syntheticDocs(50, 4))
			if err != nil {
				t.Fatal(err)
			}
			b := ix.bi.NewBatch()
			b.DeleteInternal(docsKey)
			b.DeleteInternal(statsKey)
			if err := ix.commit(b); err != nil {
				t.Fatal(err)
			}
			// As a process that stops here leaves it: Close would write
			// the keys back.
			ix.Discard()
			if ix, err := Open(dir); err == nil {
				ix.Close()
				t.Error("Open accepted an index without statistics")
			}
		}},
		{"cancelled before its first commit", func(dir string) { cancelUpdate(t, dir, 1, true) }},
		{"cancelled after its first commit", func(dir string) { cancelUpdate(t, dir, 2, false) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			tt.prepare(dir)
			ix, err := Update(context.Background(), dir, docs)
			if err != nil {
				t.Fatal(err)
			}
			got := exportTree(t, ix)
			ix.Close()
			if d := treeDifference(got, cleanExport(t, docs)); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestSums(t *testing.T) {
	docs := syntheticDocs(20, 9)
	sums := make(map[string][32]byte)
	for i := range docs {
		sums[docs[i].ID] = docs[i].sum()
	}
	back, ids, err := decodeSums(encodeSums(sums))
	if err != nil || len(back) != len(sums) {
		t.Fatalf("decodeSums: %v, %d of %d", err, len(back), len(sums))
	}
	for id, s := range sums {
		if back[id] != s {
			t.Errorf("%s: hash lost", id)
		}
	}
	if want := slices.Sorted(maps.Keys(sums)); !slices.Equal(ids, want) {
		t.Errorf("decodeSums IDs = %q, want %q", ids, want)
	}
	if _, _, err := decodeSums([]byte{5, 'a'}); err == nil {
		t.Error("decodeSums accepted a truncated record")
	}
	d := docs[0]
	for i, change := range []func(*Doc){
		func(d *Doc) { d.Title += "x" }, func(d *Doc) { d.ErrorText += "x" }, func(d *Doc) { d.Lang = "xx" },
		func(d *Doc) { d.Tags = append(d.Tags, "x") }, func(d *Doc) { d.Codes = nil }, func(d *Doc) { d.Headings = []string{"x"} },
		func(d *Doc) { d.Body += "x" }, func(d *Doc) { d.Summary += "x" }, func(d *Doc) { d.UpdatedAt = d.UpdatedAt.Add(time.Second) },
	} {
		c := d
		c.Tags, c.Headings = slices.Clone(d.Tags), slices.Clone(d.Headings)
		if !sameDoc(&c, &d) {
			t.Errorf("change %d: a copy of the same strings is not the same document", i)
		}
		change(&c)
		if c.sum() == d.sum() {
			t.Errorf("change %d leaves the hash as it was", i)
		}
		// Index.sumsOf takes the last hash over only for the same strings.
		if sameDoc(&c, &d) {
			t.Errorf("change %d leaves the document the same (sameDoc)", i)
		}
	}
	c := d
	c.Body = strings.Clone(d.Body)
	if sameDoc(&c, &d) && len(d.Body) > 0 {
		t.Error("a body of the same text elsewhere in memory counts as the same string")
	}
}

// cleanExport returns the export of an index built from scratch on docs,
// what an updated index must export.
func cleanExport(t *testing.T, docs []Doc) map[string][]byte {
	t.Helper()
	ix, err := Build("", docs)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	return exportTree(t, ix)
}

func exportTree(t *testing.T, ix *Index) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	v, err := ix.Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	return readTree(t, filepath.Join(dir, v))
}

func treeDifference(got, want map[string][]byte) string {
	var diffs []string
	for name, w := range want {
		if g, ok := got[name]; !ok {
			diffs = append(diffs, name+" missing")
		} else if !bytes.Equal(g, w) {
			diffs = append(diffs, fmt.Sprintf("%s differs:\n got %.300s\nwant %.300s", name, g, w))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, name+" extra")
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "\n")
}

// cancelUpdate updates the index in dir, then updates it again to other
// documents with a context that reports itself cancelled from its n+1th
// check on, and checks that Update stopped with that error. Cancelled
// before its first commit (whole), it must leave the first index whole;
// after, an index Open refuses.
func cancelUpdate(t *testing.T, dir string, n int32, whole bool) {
	first := syntheticDocs(50, 4)
	ix, err := Update(context.Background(), dir, first)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ctx := &cancelAfter{Context: context.Background(), n: n}
	if _, err := Update(ctx, dir, syntheticDocs(50, 5)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Update: err = %v, want context.Canceled", err)
	}
	if got := ctx.calls.Load(); got <= n {
		t.Fatalf("Update checked ctx %d times, never after its %dth check", got, n)
	}
	ix, err = Open(dir)
	switch {
	case whole && err != nil:
		t.Fatalf("Open refused the index an Update cancelled before committing left: %v", err)
	case whole:
		got := exportTree(t, ix)
		ix.Close()
		if d := treeDifference(got, cleanExport(t, first)); d != "" {
			t.Errorf("the index an Update cancelled before committing left is not the one before: %s", d)
		}
	case err == nil:
		ix.Close()
		t.Error("Open accepted the index a cancelled Update left")
	}
}

// cancelAfter is a context that reports itself cancelled from its n+1th
// call of Err on, so that a test can cancel Update midway.
type cancelAfter struct {
	context.Context
	n     int32
	calls atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) > c.n {
		return context.Canceled
	}
	return nil
}

// TestHashed checks that documents hashed once give the version Version
// gives, and that Update with those hashes brings an index of other
// documents up to date: its export is a clean build's, byte for byte. Of
// the earlier versions it is given, it takes only the one the index
// holds.
func TestHashed(t *testing.T) {
	ctx := context.Background()
	before := syntheticDocs(60, 1)
	after := slices.Clone(before[5:])
	after[0].Body += " 追記"
	h := Hash(after)
	if got, want := h.Version(), Version(after); got != want {
		t.Fatalf("Hashed.Version %s, Version %s", got, want)
	}
	// The same documents in another order, sorted by ID as a site's
	// are or not, and with one given twice, are the same version.
	mixed := slices.Clone(after)
	slices.Reverse(mixed)
	if got, want := Hash(mixed).Version(), Version(after); got != want {
		t.Errorf("Hashed.Version of the documents in reverse %s, Version %s", got, want)
	}
	sorted := slices.SortedFunc(slices.Values(after), func(a, b Doc) int { return strings.Compare(a.ID, b.ID) })
	if got, want := Hash(sorted).Version(), Version(after); got != want {
		t.Errorf("Hashed.Version of the documents sorted by ID %s, Version %s", got, want)
	}
	if got, want := Hash(append(mixed, mixed[3])).Version(), Version(after); got != want {
		t.Errorf("Hashed.Version with a document twice %s, Version %s", got, want)
	}
	wrong := before[5]
	wrong.Body += " 別の版"
	for _, tc := range []struct {
		name    string
		earlier []Doc
		taken   bool
	}{
		{"none", nil, false},
		{"the indexed version", []Doc{before[5]}, true},
		{"another version", []Doc{wrong}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "index")
			ix, err := Update(ctx, dir, before)
			if err != nil {
				t.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			ix, err = h.Update(ctx, dir, tc.earlier)
			if err != nil {
				t.Fatal(err)
			}
			_, taken := ix.before[after[0].ID]
			got := exportTree(t, ix)
			ix.Close()
			if taken != tc.taken {
				t.Errorf("earlier version taken: %v, want %v", taken, tc.taken)
			}
			if d := treeDifference(got, cleanExport(t, after)); d != "" {
				t.Errorf("export after Hashed.Update differs from a clean build's: %s", d)
			}
		})
	}
}

// TestCloseState checks that Close writes the state of the index's last
// export once it has written the index's keys, and not when it could not
// write them: the state describes an index with those keys, and the next
// update takes both.
func TestCloseState(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	dir := filepath.Join(root, "index")
	reuse := func(string, Sum, string) bool { return false }
	docs := syntheticDocs(60, 5)
	export := func(version string) *Index {
		t.Helper()
		ix, err := Update(ctx, dir, docs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ix.ExportAs(filepath.Join(root, "search"), version, Base{}, reuse); err != nil {
			t.Fatal(err)
		}
		if ix.state == nil {
			t.Fatalf("export %s: no state to write", version)
		}
		return ix
	}

	ix := export("v1")
	var buf bytes.Buffer
	if err := ix.state.encode(&buf); err != nil {
		t.Fatal(err)
	}
	want := buf.Bytes()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(statePath(dir))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("after Close, the state file is %d bytes (%v); want the export's, %d bytes", len(got), err, len(want))
	}
	opened, _, err := openForUpdate(dir)
	if err != nil {
		t.Fatalf("after Close, the index is not trusted: %v", err)
	}
	opened.Discard()

	docs = slices.Clone(docs)
	docs[7].Body += " 追記"
	ix = export("v2")
	if !ix.keysDue {
		t.Fatal("updated, the index has no keys to write")
	}
	testHookKeys = func() error { return errors.New("no room on the device") }
	defer func() { testHookKeys = nil }()
	if err := ix.Close(); err == nil {
		t.Fatal("Close reported no error with the keys not written")
	}
	if got, err := os.ReadFile(statePath(dir)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("with the keys not written, the state file changed (%v): want the one before", err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("Close left %s behind", e.Name())
		}
	}
}
