package corpus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbgen/kbgen/internal/corpus"
	"github.com/kbgen/kbgen/internal/errcode"
	"github.com/kbgen/kbgen/internal/site"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestCheck loads generated sites the way kbgen check does and wants no
// diagnostic at all, and wants every article's codes to be those the
// manifest lists.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		n    int
		seed int64
	}{{1, 1}, {10, 2}, {400, 1}, {400, 0xC004F074}} {
		t.Run(fmt.Sprintf("n=%d,seed=%d", tc.n, tc.seed), func(t *testing.T) {
			fsys, m := corpus.Generate(tc.n, tc.seed)
			cfg, diags := site.LoadConfig(fsys)
			if len(diags) != 0 {
				t.Fatalf("LoadConfig: %v", diags)
			}
			s, diags, err := site.Load(context.Background(), fsys, cfg)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(diags) != 0 {
				var b strings.Builder
				for _, d := range diags[:min(len(diags), 10)] {
					fmt.Fprintf(&b, "%s:%d:%d: %s\n", d.Pos.File, d.Pos.Line, d.Pos.Col, d.Msg)
				}
				t.Fatalf("Load: %d diagnostics, want none; first ones:\n%s", len(diags), b.String())
			}
			if len(s.Articles) != tc.n {
				t.Fatalf("Load: %d articles, want %d", len(s.Articles), tc.n)
			}
			got := make(corpus.Manifest)
			for _, p := range s.Articles {
				for _, c := range p.Codes {
					got[c] = append(got[c], p.Path)
				}
			}
			var gb, wb bytes.Buffer
			got.WriteTo(&gb)
			m.WriteTo(&wb)
			if gb.String() != wb.String() {
				t.Errorf("codes kbgen found differ from the manifest:\ngot\n%.2000s\nwant\n%.2000s", gb.String(), wb.String())
			}
		})
	}
}

// TestShape checks the properties benchmarks and search tests rely on.
func TestShape(t *testing.T) {
	const n = 2000
	var en, linked, extra int
	dates := make(map[time.Time]bool)
	paths := make(map[string]bool)
	m := make(corpus.Manifest)
	for a := range corpus.All(n, 1) {
		if a.Lang == "en" {
			en++
		}
		if dates[a.UpdatedAt] {
			t.Errorf("%s: updatedAt %v repeats", a.Path, a.UpdatedAt)
		}
		dates[a.UpdatedAt] = true
		for _, r := range a.Related {
			if !paths[r] {
				t.Errorf("%s: related %s is not an earlier article", a.Path, r)
			}
		}
		if len(a.Related) > 0 {
			linked++
		}
		if len(a.Codes) > 1 {
			extra++
		}
		for _, c := range a.Codes {
			if got, ok := errcode.Parse(string(c)); !ok || got != c {
				t.Errorf("%s: code %q is not canonical", a.Path, c)
			}
			m[c] = append(m[c], a.Path)
		}
		paths[a.Path] = true
	}
	shared := 0
	for _, ps := range m {
		if len(ps) > 1 {
			shared++
		}
	}
	if share := float64(en) / n; share < 0.12 || share > 0.18 {
		t.Errorf("English share = %.3f, want about %.2f", share, corpus.EnglishShare)
	}
	if linked < n/2 {
		t.Errorf("%d of %d articles link related cases, want at least half", linked, n)
	}
	if extra < n/5 {
		t.Errorf("%d of %d articles carry more than one code, want at least a fifth", extra, n)
	}
	if shared < n/10 {
		t.Errorf("%d codes are shared by several articles, want at least %d", shared, n/10)
	}
}

// TestDeterministic pins the bytes of a whole corpus: the same n and seed
// give the same files in every run and every Go release. Run with -update
// after an intended change to the generator.
func TestDeterministic(t *testing.T) {
	sum := func() string {
		h := sha256.New()
		fsys, _ := corpus.Generate(1000, 1)
		var names []string
		for name := range fsys {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(h, "%s %d\n", name, len(fsys[name].Data))
			h.Write(fsys[name].Data)
		}
		return hex.EncodeToString(h.Sum(nil)) + "\n"
	}
	got := sum()
	if again := sum(); again != got {
		t.Fatalf("two runs of Generate(1000, 1) differ: %s vs %s", got, again)
	}
	golden(t, "sha256-1000-1.txt", []byte(got))

	// A few whole articles, so that a change shows as a readable diff.
	var b bytes.Buffer
	seen := make(map[string]bool)
	for a := range corpus.All(40, 7) {
		if !seen[a.Lang] && len(a.Related) > 1 && len(a.Codes) > 1 {
			fmt.Fprintf(&b, "-- %s --\n%s", a.Path, a.Src)
			seen[a.Lang] = true
		}
	}
	golden(t, "sample.txt", b.Bytes())
}

// TestWrite checks that Write writes what Generate returns.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	m, err := corpus.Write(dir, 50, 3)
	if err != nil {
		t.Fatal(err)
	}
	fsys, want := corpus.Generate(50, 3)
	if len(m) != len(want) {
		t.Errorf("Write manifest has %d codes, Generate's %d", len(m), len(want))
	}
	n := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if f := fsys[filepath.ToSlash(rel)]; f == nil || !bytes.Equal(f.Data, data) {
			t.Errorf("Write wrote %s, which Generate does not have or has with other bytes", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Errorf("Write wrote %d files, want 50", n)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", file)
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the generator's output at line %d:\ngot  %q\nwant %q\n(run with -update after an intended change)", file, i+1, g, w)
			}
		}
	}
}
