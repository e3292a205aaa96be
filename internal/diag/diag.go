// Package diag holds diagnostics: problems found in authors' files, each with
// the position where it was found, and the writers that print them as text,
// JSON or GitHub Actions workflow commands.
//
// Diagnostics are values, collected rather than returned on the first
// problem, so that one run reports every problem in every file. They are
// distinct from errors, which mean the build itself could not proceed.
//
// Lines and columns are 1-based. Columns count characters (Unicode code
// points), not bytes: a Japanese heading's column must match what an editor
// and a GitHub annotation show.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a source file. File is the slash-separated path
// relative to the site root, as the fs.FS names it.
type Pos struct {
	File string
	Line int // 1-based; 0 means the whole file
	Col  int // 1-based, in characters; 0 means the whole line
}

// String formats p as file:line:col, leaving out zero parts.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity says whether a diagnostic fails the build.
type Severity int

const (
	// Error fails the build: nothing is published.
	Error Severity = iota
	// Warning is reported but does not fail the build (unless strict).
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText encodes s as "error" or "warning", the form JSON output uses.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is one problem at one position. Msg is lower-case with no
// trailing period, and says what was expected as well as what was found.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

// String formats d as "file:line:col: severity: message".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// List is a list of diagnostics. The zero value is an empty list ready to use.
type List []Diagnostic

// Errorf appends an error at pos.
func (l *List) Errorf(pos Pos, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning at pos.
func (l *List) Warnf(pos Pos, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Severity: Warning, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders l by file, line, column, then severity and message, so that
// output is the same whatever order files were checked in.
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			strings.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Severity, b.Severity),
			strings.Compare(a.Msg, b.Msg),
		)
	})
}

// Count returns the number of errors and of warnings in l.
func (l List) Count() (errors, warnings int) {
	for _, d := range l {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// HasErrors reports whether any diagnostic in l is an error.
func (l List) HasErrors() bool {
	n, _ := l.Count()
	return n > 0
}

// Err returns nil if l holds no error, and otherwise an error that says how
// many problems were found; the diagnostics themselves are printed by the
// caller with one of the writers.
func (l List) Err() error {
	n, _ := l.Count()
	if n == 0 {
		return nil
	}
	if n == 1 {
		return fmt.Errorf("1 error in content")
	}
	return fmt.Errorf("%d errors in content", n)
}

// Col returns the 1-based character column of byte offset off in line.
func Col(line []byte, off int) int {
	if off > len(line) {
		off = len(line)
	}
	return len([]rune(string(line[:off]))) + 1
}
