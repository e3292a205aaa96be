// Package article holds one knowledge-base article as its author wrote it:
// the typed frontmatter, the parsed Markdown body, the body's H2 sections
// with their positions, and the error codes the article is about.
//
// Parse turns the bytes of one file into an Article and a diag.List. It
// reports every problem it can find in the file rather than stopping at the
// first, each at the line and column where the author has to look, and it
// never panics. Which sections an article must have is not decided here but
// in package schema, which checks a parsed Article.
//
// # File format
//
// An article is a UTF-8 file: YAML frontmatter between two --- lines, then a
// CommonMark (GFM) body.
//
//	---
//	title: "Windows のライセンス認証に失敗 0xC004F074"
//	errorText: "Windows のライセンス認証に失敗 0xC004F074"
//	tags: ["Windows", "Activation", "KMS"]
//	updatedAt: "2025-11-03T09:11:56.107Z"
//	lang: "ja"
//	---
//
//	## 要約
//	…
//
// A UTF-8 byte order mark at the start is dropped and CRLF line endings are
// read as LF; neither changes a reported line or column. Blank lines before
// the opening --- are ignored (the frontmatter library skips them). Any other
// first line means the file has no frontmatter, which is an error.
//
// # Frontmatter keys
//
//	title      string, required. The page title; error codes written in it
//	           count as the article's codes.
//	errorText  string, recommended (a warning when missing). The error message
//	           as users see it; shown on the page and searched.
//	tags       list of strings, optional. tags: "KMS" (a string, not a list)
//	           is an error, so that a missing pair of brackets is not silently
//	           read as one tag.
//	updatedAt  required. An RFC 3339 date-time, with or without fractional
//	           seconds ("2025-11-03T09:11:56.107Z", "2025-11-03T18:11:56+09:00"),
//	           or an RFC 3339 full-date ("2025-11-03"), read as midnight UTC.
//	           Other forms ("2025/11/03", "2025-11-03 09:11") are errors: the
//	           date decides the order of lists and feeds, so it must not be
//	           guessed. The offset is kept as written.
//	lang       string, required unless Options.DefaultLang is set, which an
//	           article without the key then gets. One of Options.Languages
//	           (any non-empty value when that list is empty).
//	codes      list, optional. Extra error codes, in any form errcode.Parse
//	           accepts. Items may be unquoted: YAML reads 0xC004F074 as a
//	           number, so the item's text as written is what is parsed.
//	draft      boolean, optional. Drafts are parsed and checked like any
//	           article; whether they are published is the site's business.
//
// Values must have the types above: a title written as a number or a list is
// an error (quote it), not converted. Any other key is a warning, with a
// suggestion when it differs from a known key only in case. A key given twice
// is an error at the second; the last value is the one used and checked, as
// in any YAML decoder.
//
// # Errors and warnings
//
// Errors: a file that is not valid UTF-8 (reported at the first bad byte,
// and nothing else is checked); missing or unterminated frontmatter (the
// Article is nil); YAML that does not parse or is not a mapping; a missing
// required key; a value of the wrong type; an updatedAt that is not a date; a
// lang that is not allowed; a code that is not an error code; a duplicated
// key. Warnings: a missing errorText; an unknown key.
//
// When the frontmatter was found, Parse returns an Article even if the list
// holds errors, with the fields it could read filled in, so that schema checks
// of the body can be reported in the same run. A caller must not publish an
// article whose list has errors.
//
// # Positions
//
// Lines and columns are those of the file as the author sees it (1-based,
// columns in characters). A problem with a key's value is reported at the
// value; with one item of a list, at the item when it can be found in the text;
// a missing key, at the opening --- line. YAML syntax errors are reported at
// the line the YAML decoder names, shifted to the file, column 1: the decoder
// gives no column, and for some errors its line is the one before the problem
// (an unclosed [ is reported where the list opened).
//
// # Sections and codes
//
// The sections of an article are its H2 headings, in document order, each
// with its position, anchor ID, whether it is empty, and its plain text.
//
// Article.Codes lists the article's error codes in canonical form, each once,
// the primary code first: the codes written in the title, then in errorText
// (the title names the article's subject), then the frontmatter codes, then
// those in the body. Codes that appear in the body
// only inside the related-cases section (Options.Related) are not the
// article's codes: that section names other articles' errors.
package article
