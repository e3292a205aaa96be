// Package templates holds kbgen's default page templates and the assets
// (stylesheet, scripts, icon) they reference. They are embedded in the
// binary so that `go install …/cmd/kbgen@latest` gives a working generator
// anywhere; a site's own templates/ directory overrides them file by file
// (see package render).
//
// Files:
//
//	base.html      the layout every page shares (header with the search box, footer)
//	partials.html  shared fragments: article lists, chips, breadcrumbs
//	home.html, article.html, list.html, tags.html, codes.html, search.html, 404.html
//	               one file per page kind
//	assets/        site.css, site.js, icon.svg (search.js and search.css belong to search)
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.html assets/*
var files embed.FS

// FS returns the default templates and assets, rooted so that "base.html"
// and "assets/site.css" are names in it.
func FS() fs.FS { return files }
