package render

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/kbgen/kbgen/templates"
)

func TestOverlayFileByFile(t *testing.T) {
	lower := fstest.MapFS{
		"base.html":          {Data: []byte("lower base")},
		"article.html":       {Data: []byte("lower article")},
		"assets/site.css":    {Data: []byte("lower css")},
		"assets/site.js":     {Data: []byte("lower js")},
		"assets/img/a.svg":   {Data: []byte("lower svg")},
		"dir-in-lower/x.txt": {Data: []byte("lower x")},
		"file-in-lower":      {Data: []byte("lower file")},
	}
	upper := fstest.MapFS{
		"article.html":       {Data: []byte("upper article")},
		"assets/site.css":    {Data: []byte("upper css")},
		"assets/extra.js":    {Data: []byte("upper extra")},
		"dir-in-lower":       {Data: []byte("upper file hides lower dir")},
		"file-in-lower/y.md": {Data: []byte("upper dir hides lower file")},
	}
	o := overlay{upper: upper, lower: lower}

	tests := []struct {
		name string
		want string // file contents; "" means the name must not exist
	}{
		{"article.html", "upper article"},
		{"base.html", "lower base"},
		{"assets/site.css", "upper css"},
		{"assets/site.js", "lower js"},
		{"assets/extra.js", "upper extra"},
		{"assets/img/a.svg", "lower svg"},
		{"dir-in-lower", "upper file hides lower dir"},
		{"dir-in-lower/x.txt", ""}, // hidden with its directory
		{"file-in-lower/y.md", "upper dir hides lower file"},
		{"missing.html", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fs.ReadFile(o, tc.name)
			if tc.want == "" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("ReadFile(%q) = %q, %v, want fs.ErrNotExist", tc.name, got, err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("ReadFile(%q) = %q, %v, want %q", tc.name, got, err, tc.want)
			}
		})
	}

	entries, err := fs.ReadDir(o, "assets")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"extra.js", "img", "site.css", "site.js"}; !slices.Equal(names, want) {
		t.Errorf("ReadDir(assets) = %v, want %v", names, want)
	}

	if err := fstest.TestFS(o, "article.html", "base.html", "assets/site.css", "assets/site.js",
		"assets/extra.js", "assets/img/a.svg", "dir-in-lower", "file-in-lower/y.md"); err != nil {
		t.Error(err)
	}
}

func TestOverlayNilLayers(t *testing.T) {
	only := fstest.MapFS{"a.html": {Data: []byte("a")}}
	for _, o := range []overlay{{upper: only}, {lower: only}} {
		if err := fstest.TestFS(o, "a.html"); err != nil {
			t.Error(err)
		}
	}
}

func TestOverlayOverDefaults(t *testing.T) {
	site := fstest.MapFS{
		"article.html":     {Data: []byte(`{{define "main"}}site{{end}}`)},
		"assets/site.css":  {Data: []byte("body{}")},
		"assets/brand.png": {Data: []byte("png")},
	}
	o := overlay{upper: site, lower: templates.FS()}
	want := append(slices.Clone(pageNames), "base.html", "partials.html",
		"assets/site.css", "assets/site.js", "assets/icon.svg", "assets/brand.png")
	if err := fstest.TestFS(o, want...); err != nil {
		t.Error(err)
	}
}

func TestOverlayInvalidPath(t *testing.T) {
	o := overlay{lower: templates.FS()}
	for _, name := range []string{"/base.html", "../base.html", "a//b", ""} {
		if _, err := o.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) error = %v, want fs.ErrInvalid", name, err)
		}
	}
}
