package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allowed is a statement of policy: for each internal package, the kbgen
// packages it may import. Dependencies point one way: the CLI calls site,
// site composes the rest, leaves know nothing of the build. Adding an edge
// here is a reviewed change.
var allowed = map[string][]string{
	"diag":      {},
	"errcode":   {},
	"highlight": {},
	"markdown":  {"highlight"},
	"article":   {"markdown", "errcode", "diag"},
	"schema":    {"article", "diag"},
	"mapfile":   {},
	"search":    {"errcode", "mapfile"},
	"render":    {"templates"},
	"site":      {"render", "search", "schema", "article", "markdown", "highlight", "errcode", "diag", "mapfile"},
	"server":    {"site", "diag"},
	"webtest":   {},
	"corpus":    {"errcode"},        // synthetic articles for tests and benchmarks
	"bench":     {"corpus", "site"}, // the side-by-side benchmark harness
}

// owners says which one package may import each third-party library, so a
// library can be upgraded or replaced in one place.
var owners = map[string]string{
	"github.com/yuin/goldmark":               "markdown",
	"github.com/alecthomas/chroma/v2":        "highlight",
	"github.com/blevesearch/bleve/v2":        "search",
	"github.com/adrg/frontmatter":            "article",
	"github.com/tdewolff/minify/v2":          "site",
	"github.com/blevesearch/bleve_index_api": "search",
	"github.com/fsnotify/fsnotify":           "server",
}

const module = "github.com/kbgen/kbgen/"

func TestImportPolicy(t *testing.T) {
	dirs, err := filepath.Glob("../../internal/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no internal packages found")
	}
	for _, dir := range dirs {
		pkg := filepath.Base(dir)
		allow, known := allowed[pkg]
		if !known {
			t.Errorf("internal/%s is not in the import policy: add it to allowed", pkg)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if rest, ok := strings.CutPrefix(path, module); ok {
					name := strings.TrimPrefix(rest, "internal/")
					if !slices.Contains(allow, name) {
						t.Errorf("%s imports %s: not allowed by the import policy", file, path)
					}
					continue
				}
				for lib, owner := range owners {
					if (path == lib || strings.HasPrefix(path, lib+"/")) && owner != pkg {
						t.Errorf("%s imports %s: only internal/%s may", file, path, owner)
					}
				}
			}
		}
	}
	// The CLI must not reach past site to the leaves that site composes.
	files, _ := filepath.Glob("*.go")
	for _, file := range files {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for lib := range owners {
				if strings.HasPrefix(path, lib) {
					t.Errorf("%s imports %s: the CLI must go through internal packages", file, path)
				}
			}
		}
	}
}
