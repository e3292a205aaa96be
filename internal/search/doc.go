// Package search holds the bleve index of the articles, queries it, and
// exports it as static files for the browser.
package search
