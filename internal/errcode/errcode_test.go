package errcode

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Code
		ok   bool
	}{
		{"0xC004F074", "0xC004F074", true},
		{"0xc004f074", "0xC004F074", true},
		{"0XC004F074", "0xC004F074", true},
		{"C004F074", "0xC004F074", true},
		{"c004f074", "0xC004F074", true},
		{"０ｘＣ００４Ｆ０７４", "0xC004F074", true},
		{"Ｃ００４Ｆ０７４", "0xC004F074", true},
		{"  0xC004F074 ", "0xC004F074", true},
		{"-1073418124", "0xC004F074", true},
		{"3221549172", "0xC004F074", true},
		{"80070005", "0x80070005", true},
		{"-2147024891", "0x80070005", true},
		{"0x0000007B", "0x0000007B", true},
		{"0xC004F07", "", false},   // too short
		{"0xC004F0745", "", false}, // too long
		{"1688", "", false},        // a port, not a code
		{"974998", "", false},      // a KB number
		{"1073418124", "", false},  // high bit clear: an ordinary number
		{"-1", "", false},          // too short to be an HRESULT
		{"4294967296", "", false},  // beyond 32 bits
		{"0xG004F074", "", false},  // not hex
		{"", "", false},
		{"activation", "", false},
	}
	for _, tc := range tests {
		got, ok := Parse(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"0xC004F0", "0xC004F0", true},
		{"0xc004f", "0xC004F", true},
		{"０ｘｃ００", "0xC00", true},
		{"0xC0", "", false},
		{"0xC004F074", "", false},
		{"C004F0", "", false},
	}
	for _, tc := range tests {
		got, ok := ParsePrefix(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParsePrefix(%q) = %q, %v, want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		in   string
		want []Code
	}{
		{"Windows のライセンス認証に失敗 0xC004F074", []Code{"0xC004F074"}},
		{"エラー0xc004f074が発生", []Code{"0xC004F074"}},
		{"０ｘＣ００４Ｆ０７４ と 0x80070005", []Code{"0xC004F074", "0x80070005"}},
		{"(0x80070005), 0X800F0922.", []Code{"0x80070005", "0x800F0922"}},
		{"address 0x80180002b and 0x1234", nil},
		{"a0x80070005", nil},
		{"0x800700055", nil},
		{"0x80070005_x", nil},
		{"`0x80070005`", []Code{"0x80070005"}},
	}
	for _, tc := range tests {
		got := Unique(Find(tc.in))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Find(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFindOffsets(t *testing.T) {
	in := "失敗 ０ｘＣ００４Ｆ０７４。"
	ms := Find(in)
	if len(ms) != 1 {
		t.Fatalf("Find(%q) = %v, want one match", in, ms)
	}
	if got := in[ms[0].Start:ms[0].End]; got != "０ｘＣ００４Ｆ０７４" {
		t.Errorf("Find(%q) spelling = %q, want the full-width code", in, got)
	}
}

func TestForms(t *testing.T) {
	c := Code("0xC004F074")
	want := []string{"0xc004f074", "c004f074", "3221549172", "-1073418124"}
	if got := c.Forms(); !reflect.DeepEqual(got, want) {
		t.Errorf("Forms() = %q, want %q", got, want)
	}
	for _, f := range c.Forms() {
		if got, ok := Parse(f); !ok || got != c {
			t.Errorf("Parse(%q) = %q, %v, want %q", f, got, ok, c)
		}
	}
	if got := Code("0x00000005").Forms(); len(got) != 3 {
		t.Errorf("Forms of a positive code = %q, want no separate signed form", got)
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"0xC004F074", "エラー０ｘＣ００４Ｆ０７４", "0x0x0x", "\xff0x80070005"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range Find(s) {
			if m.Start < 0 || m.End > len(s) || m.Start >= m.End {
				t.Fatalf("Find(%q): bad offsets %d..%d", s, m.Start, m.End)
			}
			if got, ok := Parse(s[m.Start:m.End]); !ok || got != m.Code {
				t.Fatalf("Parse(%q) = %q, %v, want %q", s[m.Start:m.End], got, ok, m.Code)
			}
		}
		if c, ok := Parse(s); ok {
			if again, ok := Parse(string(c)); !ok || again != c {
				t.Fatalf("Parse(Parse(%q)) = %q, want %q", s, again, c)
			}
		}
	})
}
