package markdown

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kbgen/kbgen/internal/highlight"
)

var update = flag.Bool("update", false, "rewrite the expected parts of the golden files in testdata")

// marker separates a golden file's Markdown input from its expected HTML.
const marker = "-- html --\n"

// testResolve stands in for the site's link resolver: "x.md" and
// "x.md#frag" become "/kb/x/" and "/kb/x/#frag"; anything else is kept.
func testResolve(dest string) string {
	path, frag, hasFrag := strings.Cut(dest, "#")
	if !strings.HasSuffix(path, ".md") || strings.Contains(path, ":") {
		return dest
	}
	out := "/kb/" + strings.TrimSuffix(path, ".md") + "/"
	if hasFrag {
		out += "#" + frag
	}
	return out
}

func render(t testing.TB, m *Markdown, src string) string {
	t.Helper()
	var b bytes.Buffer
	if err := m.Parse([]byte(src), 1).Render(&b, testResolve); err != nil {
		t.Fatalf("Render(%q) error: %v", src, err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata")
	}
	m := New(Config{Highlighter: highlight.New()})
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), marker)
			if !ok {
				t.Fatalf("%s: no %q line between input and expected HTML", file, strings.TrimSpace(marker))
			}
			got := render(t, m, input)
			checkGolden(t, file, got, want, func() []byte { return []byte(input + marker + got) })
		})
	}
}

// TestSeedGolden renders the reference article's body.
func TestSeedGolden(t *testing.T) {
	src := readSeed(t)
	got := render(t, New(Config{Highlighter: highlight.New()}), string(src))
	file := filepath.Join("testdata", "seed-0xC004F074.html")
	want, err := os.ReadFile(file)
	if err != nil && !*update {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	checkGolden(t, file, got, string(want), func() []byte { return []byte(got) })
}

// checkGolden compares got with want; under -update it writes content() to
// file instead.
func checkGolden(t *testing.T, file, got, want string, content func() []byte) {
	t.Helper()
	if *update {
		if got != want {
			if err := os.WriteFile(file, content(), 0o666); err != nil {
				t.Fatal(err)
			}
			t.Logf("updated %s", file)
		}
		return
	}
	if got != want {
		t.Errorf("%s: rendered HTML differs from the golden file (go test -update to accept):\n%s", file, diff(want, got))
	}
}

// diff is a minimal line diff: the first differing line with a line of
// context either side, enough to see a change without a diff library.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl && i < len(w) && i < len(g) {
			continue
		}
		var b strings.Builder
		b.WriteString("line " + strconv.Itoa(i+1) + ":\n")
		if i > 0 && i-1 < len(w) {
			b.WriteString("  " + w[i-1] + "\n")
		}
		b.WriteString("- " + wl + "\n+ " + gl + "\n")
		return b.String()
	}
	return "(no line differs)"
}

// readSeed returns the reference article's body from testdata.
func readSeed(t testing.TB) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "seed-0xC004F074.md"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// seedFirstLine is the line of the original file where the body in testdata
// starts (after 7 lines of frontmatter and a blank line).
const seedFirstLine = 9
