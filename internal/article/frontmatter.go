package article

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/adrg/frontmatter"
	// yaml.v2 is the decoder adrg/frontmatter itself uses (already in go.sum
	// through it). It is imported for yaml.MapSlice: the keys in written
	// order with their values' YAML types, which a struct decode hides
	// ("tags: KMS" would quietly fail, title: 123 would become "123"), and
	// which give each key its line.
	"gopkg.in/yaml.v2"

	"github.com/kbgen/kbgen/internal/diag"
	"github.com/kbgen/kbgen/internal/errcode"
)

// keys are the frontmatter keys, in the order the package doc lists them.
// Read only.
var keys = []string{"title", "errorText", "tags", "updatedAt", "lang", "codes", "draft"}

// fmText is the frontmatter as it sits in the file.
type fmText struct {
	open    int    // file line of the opening ---
	block   []byte // the YAML between the delimiters
	line    int    // file line of block's first byte
	bodyOff int    // byte offset in the file of the body, after the closing --- line
	body    []byte // the body: a copy of the file from bodyOff, made by the library
}

// splitFrontmatter finds the frontmatter with adrg/frontmatter. The library
// matches delimiter lines with surrounding white space trimmed and skips
// blank lines before the opening one; the opening line is located here by the
// same rule so that the block's line number is right. The library's own
// decoding is replaced by a function that only keeps the block: decoding is
// done in decodeFrontmatter, where positions are known.
func splitFrontmatter(path string, src []byte, l *diag.List) (fmText, bool) {
	start, line := 0, 1
	for start < len(src) {
		if len(bytes.TrimSpace(lineAt(src, start))) != 0 {
			break
		}
		start += len(lineAt(src, start)) + 1
		line++
	}
	if start >= len(src) || string(bytes.TrimSpace(lineAt(src, start))) != "---" {
		l.Errorf(diag.Pos{File: path, Line: 1, Col: 1}, "missing frontmatter: the file must start with a --- line")
		return fmText{}, false
	}
	openPos := diag.Pos{File: path, Line: line, Col: 1}

	var block []byte
	format := frontmatter.NewFormat("---", "---", func(data []byte, _ any) error {
		block = data
		return nil
	})
	rest, err := frontmatter.MustParse(bytes.NewReader(src), nil, format)
	if errors.Is(err, frontmatter.ErrNotFound) {
		l.Errorf(openPos, "unterminated frontmatter: no closing --- line after the opening --- on line %d", line)
		return fmText{}, false
	}
	if err != nil { // not expected from a bytes.Reader
		l.Errorf(openPos, "cannot read frontmatter: %v", err)
		return fmText{}, false
	}
	blockOff := min(start+len(lineAt(src, start))+1, len(src))
	return fmText{
		open:    line,
		block:   src[blockOff:min(blockOff+len(block), len(src))],
		line:    line + 1,
		bodyOff: len(src) - len(rest),
		body:    rest,
	}, true
}

// lineAt returns the line of src starting at byte off, without its newline.
func lineAt(src []byte, off int) []byte {
	s := src[off:]
	if i := bytes.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// decodeFrontmatter decodes and checks the frontmatter, reporting every bad
// key at its own position. It returns what it could read.
func decodeFrontmatter(path string, fm fmText, opts Options, l *diag.List) Frontmatter {
	langs := opts.Languages
	var f Frontmatter
	openPos := diag.Pos{File: path, Line: fm.open, Col: 1}
	lines := strings.Split(string(fm.block), "\n")

	var ms yaml.MapSlice
	if err := yaml.Unmarshal(fm.block, &ms); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// The document is not a mapping: decoding into MapSlice fails
			// only at the top level, since MapSlice holds values of any type.
			var v any
			_ = yaml.Unmarshal(fm.block, &v)
			l.Errorf(firstContent(path, fm, lines), "frontmatter: want \"key: value\" lines, got %s", kind(v))
			return f
		}
		line, msg := yamlErrorLine(err)
		line = min(line, len(lines)) // past the end: the closing --- line
		l.Errorf(diag.Pos{File: path, Line: fm.line + line - 1, Col: 1}, "invalid YAML in frontmatter: %s", msg)
		return f
	}
	locs := locateKeys(path, fm, lines, ms)
	first := make(map[string]int) // key → index of its first occurrence in ms
	last := make(map[string]int)  // key → index of its last occurrence, whose value is used
	// An alias stands for its kbgen key only where the file does not also
	// have the kbgen key itself.
	keyOf := func(it yaml.MapItem) string {
		k := fmt.Sprint(it.Key)
		if to, ok := opts.Aliases[k]; ok {
			for _, other := range ms {
				if fmt.Sprint(other.Key) == to {
					return k
				}
			}
			return to
		}
		return k
	}
	aliased := make(map[string]bool) // kbgen keys read through an alias
	for i, it := range ms {
		k := keyOf(it)
		if k != fmt.Sprint(it.Key) {
			aliased[k] = true
		}
		if _, ok := first[k]; !ok {
			first[k] = i
		}
		last[k] = i
	}
	for i, it := range ms {
		k := keyOf(it)
		loc := locs[i]
		if j := first[k]; j != i {
			l.Errorf(loc.key, "duplicate key %q (first at line %d)", k, locs[j].key.Line)
		}
		if last[k] != i {
			continue
		}
		v := it.Value
		switch k {
		case "title":
			if opts.Imported && (v == nil || v == "") {
				l.Warnf(loc.value, "title: empty; the first heading or the file name stands in")
				break
			}
			f.Title, _ = wantString(l, loc, k, v)
		case "errorText":
			if v == nil || v == "" {
				break // reported as missing below
			}
			f.ErrorText, _ = wantString(l, loc, k, v)
		case "lang":
			s, ok := wantString(l, loc, k, v)
			if !ok {
				break
			}
			if len(langs) > 0 && !slices.Contains(langs, s) {
				l.Errorf(loc.value, "lang: want one of %s, got %q", quoteList(langs), s)
				break
			}
			f.Lang = s
		case "updatedAt":
			s, ok := wantString(l, loc, k, v)
			if !ok {
				break
			}
			t, ok := parseTime(s)
			if !ok && aliased[k] {
				// Imported content: docfx's ms.date is MM/DD/YYYY.
				t, ok = parseUSDate(s)
			}
			if !ok {
				l.Errorf(loc.value, "updatedAt: want an RFC 3339 date-time like \"2025-11-03T09:11:56Z\" or a date like \"2025-11-03\", got %q", s)
				break
			}
			f.UpdatedAt = t
		case "tags":
			items, ok := wantList(l, loc, k, "strings", v)
			if !ok {
				break
			}
			pos := loc.items(lines, fm, stringsOf(items))
			for n, item := range items {
				s, ok := item.(string)
				switch {
				case !ok:
					l.Errorf(pos[n], "tags item %d: want a string, got %s%s", n+1, kind(item), quoteHint(item))
				case strings.TrimSpace(s) == "":
					l.Errorf(pos[n], "tags item %d: want a tag, got an empty string", n+1)
				default:
					f.Tags = append(f.Tags, s)
				}
			}
		case "codes":
			items, ok := wantList(l, loc, k, "error codes", v)
			if !ok {
				break
			}
			// The raw decode gives each codes item as written: YAML reads
			// an unquoted 0x0000007B as the number 123, which is not
			// recognisable as a code. Type errors are ignored here; the
			// checks below report them. It is a second decode of the
			// block, so it is done only for a file that has codes.
			var raw struct {
				Codes []rawText `yaml:"codes"`
			}
			_ = yaml.Unmarshal(fm.block, &raw)
			texts := stringsOf(items)
			if len(raw.Codes) == len(items) { // always, unless codes was not a list
				for n, t := range raw.Codes {
					texts[n] = string(t)
				}
			}
			pos := loc.items(lines, fm, texts)
			for n, item := range items {
				if !isScalar(item) {
					l.Errorf(pos[n], "codes item %d: want an error code like \"0xC004F074\", got %s", n+1, kind(item))
					continue
				}
				c, ok := errcode.Parse(texts[n])
				if !ok {
					l.Errorf(pos[n], "codes item %d: want an error code like \"0xC004F074\", got %q", n+1, texts[n])
					continue
				}
				if !slices.Contains(f.Codes, c) {
					f.Codes = append(f.Codes, c)
				}
			}
		case "draft":
			switch b := v.(type) {
			case nil:
			case bool:
				f.Draft = b
			default:
				l.Errorf(loc.value, "draft: want true or false, got %s", kind(v))
			}
		default:
			if opts.Imported {
				break // keys of the tool the content was written for
			}
			if known := fold(k); known != "" {
				l.Warnf(loc.key, "unknown key %q: the key is %q (keys are case-sensitive)", k, known)
			} else {
				l.Warnf(loc.key, "unknown key %q: want one of %s", k, strings.Join(keys, ", "))
			}
		}
	}
	for _, k := range []string{"title", "updatedAt", "lang"} {
		if _, ok := first[k]; ok {
			continue
		}
		if k == "lang" && opts.DefaultLang != "" {
			f.Lang = opts.DefaultLang
			continue
		}
		if opts.Imported && k != "lang" {
			l.Warnf(openPos, "missing key %q", k)
			continue
		}
		l.Errorf(openPos, "missing required key %q", k)
	}
	if f.ErrorText == "" {
		if i, ok := last["errorText"]; !ok || ms[i].Value == nil || ms[i].Value == "" {
			l.Warnf(openPos, "missing key \"errorText\": want the error message as users see it, for the page and for search")
		}
	}
	return f
}

// rawText is a YAML scalar's text as written, whatever type YAML gives it,
// and "" for anything else. Decoding never fails, so that a list of rawText
// has one element per item even when some items are not scalars.
type rawText string

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *rawText) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if unmarshal(&s) == nil {
		*r = rawText(s)
	}
	return nil
}

// wantString checks that v is a non-empty string.
func wantString(l *diag.List, loc keyLoc, key string, v any) (string, bool) {
	s, ok := v.(string)
	switch {
	case !ok:
		l.Errorf(loc.value, "%s: want a string, got %s%s", key, kind(v), quoteHint(v))
		return "", false
	case strings.TrimSpace(s) == "":
		l.Errorf(loc.value, "%s: want a value, got an empty string", key)
		return "", false
	}
	return s, true
}

// wantList checks that v is a list; nothing at all counts as an empty list,
// since the keys that take lists are optional.
func wantList(l *diag.List, loc keyLoc, key, of string, v any) ([]any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, false
	case []any:
		return v, true
	}
	l.Errorf(loc.value, "%s: want a list of %s, got %s", key, of, kind(v))
	return nil, false
}

// quoteHint suggests quotes for a scalar that YAML read as another type:
// title: 0xC004F074 is a number to YAML, and yes, no, on and off are booleans.
func quoteHint(v any) string {
	switch v.(type) {
	case bool, int, int64, uint64, float64:
		return " (put the value in quotes)"
	}
	return ""
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, int, int64, uint64, float64:
		return true
	}
	return false
}

// stringsOf returns the text of each scalar item, for locating it in the
// source; non-scalars give "".
func stringsOf(items []any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		if isScalar(it) {
			out[i] = fmt.Sprint(it)
		}
	}
	return out
}

// parseTime reads an RFC 3339 date-time or full-date (the package doc says why
// nothing else). A date is midnight UTC.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseUSDate reads a month/day/year date (12/03/2020, 3/31/2022) as
// midnight UTC.
func parseUSDate(s string) (time.Time, bool) {
	t, err := time.Parse("1/2/2006", strings.TrimSpace(s))
	return t, err == nil
}

// yamlErrorLine returns the 1-based line within the block that a yaml.v2
// syntax error names, and the message without the "yaml: line N: " prefix.
//
// Reading the number out of the message is a last resort, used because there
// is nothing structured to read: yaml.v2 returns syntax errors as plain
// errors made with fmt, and keeps the parser's marks unexported (yaml.v3 is no
// different). Its decode.go (parser.fail) leaves out "line N: " exactly when
// the mark is on the first line, so no number means line 1. Messages that do
// not come from the parser (an unknown anchor) have no position either and
// also land on line 1.
func yamlErrorLine(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 1, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	n, err2 := strconv.Atoi(num)
	if !ok || err2 != nil || n < 1 {
		return 1, msg
	}
	return n, text
}

// firstContent returns the position of the first non-blank line of the block,
// or of the opening --- line.
func firstContent(path string, fm fmText, lines []string) diag.Pos {
	for i, s := range lines {
		if t := strings.TrimLeft(s, " \t"); t != "" && t[0] != '#' {
			return diag.Pos{File: path, Line: fm.line + i, Col: 1 + len([]rune(s)) - len([]rune(t))}
		}
	}
	return diag.Pos{File: path, Line: fm.open, Col: 1}
}

// keyLoc is where a top-level key and its value were written.
type keyLoc struct {
	key   diag.Pos
	value diag.Pos // the value's first character when on the key's line, else the key
	line  int      // index into the block's lines, -1 when the key was not found
}

// locateKeys finds the line of each key of ms. yaml.v2 keeps no positions in
// a MapSlice, but it keeps the written order, and in block style every
// top-level key starts a line at column 1 (continuation lines of a value must
// be indented), so the keys are found by walking the lines in step with ms.
// A key not found that way (flow style, unusual quoting) is placed at the
// opening --- line.
func locateKeys(path string, fm fmText, lines []string, ms yaml.MapSlice) []keyLoc {
	// at lists the lines each key starts, in order, so that a key that is
	// not found costs a lookup rather than a scan of the rest of the block.
	at := make(map[string][]int)
	for j, s := range lines {
		if k, _, ok := lineKey(s); ok {
			at[k] = append(at[k], j)
		}
	}
	locs := make([]keyLoc, len(ms))
	next := 0
	for i, it := range ms {
		locs[i] = keyLoc{
			key:   diag.Pos{File: path, Line: fm.open, Col: 1},
			value: diag.Pos{File: path, Line: fm.open, Col: 1},
			line:  -1,
		}
		cand := at[fmt.Sprint(it.Key)]
		if n, _ := slices.BinarySearch(cand, next); n < len(cand) {
			j := cand[n]
			_, colon, _ := lineKey(lines[j])
			s := lines[j]
			locs[i].line = j
			locs[i].key = diag.Pos{File: path, Line: fm.line + j, Col: 1}
			locs[i].value = locs[i].key
			off := colon + 1
			for off < len(s) && (s[off] == ' ' || s[off] == '\t') {
				off++
			}
			if off < len(s) && s[off] != '#' {
				locs[i].value.Col = diag.Col([]byte(s), off)
			}
			next = j + 1
		}
	}
	return locs
}

// items returns a position for each item of a list value whose items are
// written as texts: each block-style "- item" line, or each item found in
// order on a one-line flow-style [a, b] value. Where the items cannot be
// matched to the text, every item gets the value's position.
func (k keyLoc) items(lines []string, fm fmText, texts []string) []diag.Pos {
	pos := make([]diag.Pos, len(texts))
	for i := range pos {
		pos[i] = k.value
	}
	if k.line < 0 {
		return pos
	}
	s := lines[k.line]
	if off := byteCol(s, k.value.Col); k.value != k.key && off < len(s) && s[off] == '[' {
		for i, t := range texts {
			if t == "" {
				continue
			}
			j := strings.Index(s[off:], t)
			if j < 0 {
				break
			}
			off += j
			pos[i].Col = diag.Col([]byte(s), off)
			off += len(t)
		}
		return pos
	}
	if k.value != k.key {
		return pos // a scalar or a multi-line flow value: nothing better to say
	}
	var found []diag.Pos
	for j := k.line + 1; j < len(lines); j++ {
		t := strings.TrimLeft(lines[j], " ")
		if _, _, ok := lineKey(lines[j]); ok {
			break
		}
		if t != "-" && !strings.HasPrefix(t, "- ") {
			continue
		}
		off := len(lines[j]) - len(t) + 1
		for off < len(lines[j]) && lines[j][off] == ' ' {
			off++
		}
		found = append(found, diag.Pos{File: k.key.File, Line: fm.line + j, Col: diag.Col([]byte(lines[j]), off)})
	}
	if len(found) == len(texts) {
		return found
	}
	return pos
}

// byteCol returns the byte offset in s of 1-based character column col.
func byteCol(s string, col int) int {
	n := 1
	for i := range s {
		if n == col {
			return i
		}
		n++
	}
	return len(s)
}

// lineKey returns the key of a block-style top-level "key: value" line and
// the byte offset of its colon.
func lineKey(s string) (key string, colon int, ok bool) {
	if s == "" {
		return "", 0, false
	}
	switch s[0] {
	case ' ', '\t', '#', '-', '[', '{', '?', ':', '&', '*', '!', '|', '>', '%', '@', '`':
		return "", 0, false
	case '"', '\'':
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", 0, false
		}
		key = s[1 : 1+end]
		rest := s[2+end:]
		trimmed := strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(trimmed, ":") {
			return "", 0, false
		}
		return key, len(s) - len(trimmed), true
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			return strings.TrimRight(s[:i], " \t"), i, true
		}
	}
	return "", 0, false
}

// fold returns the known key that k differs from only in case, or "".
func fold(k string) string {
	for _, known := range keys {
		if strings.EqualFold(k, known) {
			return known
		}
	}
	return ""
}

// quoteList formats list as "ja", "en".
func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// kind names the YAML type of a decoded value for messages: "want a string,
// got a number".
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[any]any, yaml.MapSlice:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", v)
}
