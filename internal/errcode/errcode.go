// Package errcode recognises error codes in text and puts them in one
// canonical form, so that the build, the templates, the search index and the
// browser's query parser cannot disagree on how a code is written.
//
// An error code is a 32-bit value written in hex with a 0x prefix and
// exactly eight digits, as Windows prints HRESULTs and NTSTATUS values:
// 0xC004F074. Its canonical form is lower-case "0x" followed by eight
// upper-case hex digits. People type the same code in other forms, all of
// which Parse accepts: without 0x (C004F074), in any case (0XC004F074,
// c004f074), in full-width characters (０ｘＣ００４Ｆ０７４, as Japanese input
// methods produce), and as the decimal value Windows logs sometimes print,
// signed (-1073418124) or unsigned (3221549172).
package errcode

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Code is an error code in canonical form: "0x" and eight upper-case hex
// digits. Only Parse and Find make Codes, so a Code is always canonical.
type Code string

// Value returns the code's 32-bit value.
func (c Code) Value() uint32 {
	v, _ := strconv.ParseUint(string(c[2:]), 16, 32)
	return uint32(v)
}

// Hex returns the eight hex digits without the 0x prefix.
func (c Code) Hex() string { return string(c[2:]) }

// Decimal returns the value as an unsigned decimal (3221549172).
func (c Code) Decimal() string { return strconv.FormatUint(uint64(c.Value()), 10) }

// SignedDecimal returns the value as a signed 32-bit decimal (-1073418124),
// the form event logs print for HRESULTs with the high bit set.
func (c Code) SignedDecimal() string { return strconv.FormatInt(int64(int32(c.Value())), 10) }

// Forms returns the lower-case spellings of c that a reader may type and that
// Parse maps back to c: with and without 0x, and the unsigned and signed
// decimal values. The first is the lower-cased canonical form.
func (c Code) Forms() []string {
	h := strings.ToLower(c.Hex())
	forms := []string{"0x" + h, h, c.Decimal()}
	if s := c.SignedDecimal(); s != forms[2] {
		forms = append(forms, s)
	}
	return forms
}

func fromValue(v uint32) Code {
	const digits = "0123456789ABCDEF"
	b := []byte("0x00000000")
	for i := 9; i >= 2; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return Code(b)
}

// Fold maps full-width ASCII variants (U+FF01–U+FF5E, as Japanese input
// methods produce) and the ideographic space to their ASCII forms, and
// leaves every other rune alone. It is the part of NFKC that matters for
// codes; it keeps byte offsets simple for Find.
func Fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// Parse reads s, which should hold one code in any of the forms the package
// doc lists, surrounding spaces allowed, and returns it in canonical form.
// Decimal values are taken only where they must be an HRESULT-style code:
// unsigned values with the high bit set (≥ 2147483648), and negative signed
// values with at least seven digits, so that ordinary numbers (port 1688, a
// KB number) are not read as codes.
func Parse(s string) (Code, bool) {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(Fold(r))
	}
	t := strings.TrimSpace(b.String())
	if len(t) == 10 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = t[2:]
	}
	if len(t) == 8 && isHex(t) {
		v, err := strconv.ParseUint(t, 16, 32)
		if err == nil {
			return fromValue(uint32(v)), true
		}
	}
	if len(t) >= 8 && t[0] == '-' && isDigits(t[1:]) && len(t) <= 11 {
		v, err := strconv.ParseInt(t, 10, 32)
		if err == nil && v < 0 {
			return fromValue(uint32(int32(v))), true
		}
	}
	if (len(t) == 10) && isDigits(t) {
		v, err := strconv.ParseUint(t, 10, 32)
		if err == nil && v >= 1<<31 {
			return fromValue(uint32(v)), true
		}
	}
	return "", false
}

// ParsePrefix reads s as the start of a code being typed, "0x" followed by
// three to seven hex digits in any case or width, and returns the canonical
// prefix ("0xc004f" → "0xC004F"). A complete code is not a prefix: use Parse.
func ParsePrefix(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(Fold(r))
	}
	t := strings.TrimSpace(b.String())
	if len(t) < 5 || len(t) > 9 || t[0] != '0' || (t[1] != 'x' && t[1] != 'X') || !isHex(t[2:]) {
		return "", false
	}
	return "0x" + strings.ToUpper(t[2:]), true
}

// Match is a code found in a text, with the byte offsets of its spelling.
type Match struct {
	Code       Code
	Start, End int // text[Start:End] is the code as written
}

// Find returns the codes written in text as 0x or 0X followed by exactly
// eight hex digits, in ASCII or full-width characters, in order of
// appearance. A code must not be glued to a preceding ASCII letter or digit
// or to a following hex digit, letter, digit or underscore, so that longer
// hex strings (memory addresses, 0x80180002b) are not taken as codes; it may
// be glued to Japanese text (エラー0xC004F074が発生).
func Find(text string) []Match {
	var out []Match
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if Fold(r) != '0' || (i > 0 && isWordBefore(text[:i])) {
			i += n
			continue
		}
		j := i + n
		x, xn := utf8.DecodeRuneInString(text[j:])
		if x = Fold(x); x != 'x' && x != 'X' {
			i += n
			continue
		}
		j += xn
		var v uint32
		digits := 0
		for digits < 8 && j < len(text) {
			d, dn := utf8.DecodeRuneInString(text[j:])
			h, ok := hexVal(Fold(d))
			if !ok {
				break
			}
			v = v<<4 | h
			digits++
			j += dn
		}
		if digits == 8 && !isWordAfter(text[j:]) {
			out = append(out, Match{Code: fromValue(v), Start: i, End: j})
			i = j
			continue
		}
		i += n
	}
	return out
}

// Unique returns the distinct codes of ms in order of first appearance.
func Unique(ms []Match) []Code {
	var out []Code
	seen := make(map[Code]bool)
	for _, m := range ms {
		if !seen[m.Code] {
			seen[m.Code] = true
			out = append(out, m.Code)
		}
	}
	return out
}

func isWordBefore(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	r = Fold(r)
	return r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '_')
}

func isWordAfter(s string) bool {
	if s == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	r = Fold(r)
	return r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '_')
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func hexVal(r rune) (uint32, bool) {
	switch {
	case '0' <= r && r <= '9':
		return uint32(r - '0'), true
	case 'a' <= r && r <= 'f':
		return uint32(r - 'a' + 10), true
	case 'A' <= r && r <= 'F':
		return uint32(r - 'A' + 10), true
	}
	return 0, false
}

func isHex(s string) bool {
	for _, r := range s {
		if _, ok := hexVal(r); !ok {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
