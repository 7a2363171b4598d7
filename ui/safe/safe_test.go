package safe

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"alice@example.com", "alice@example.com"},
		{"naïve café 日本", "naïve café 日本"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]52;c;aGk=\x07", `\x1b]52;c;aGk=\x07`},
		{"a\u009b31mb", `a\u009b31mb`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`},
		{"line\nbreak\ttab\r", `line\nbreak\ttab\r`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"del\x7f", `del\x7f`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMultilineKeepsNewlinesOnly(t *testing.T) {
	got := Multiline("{\n  \"a\": \"\x1b[2J\"\n}")
	want := "{\n  \"a\": \"\\x1b[2J\"\n}"
	if got != want {
		t.Fatalf("Multiline = %q, want %q", got, want)
	}
}

// FuzzText checks that no output of Text can carry a control character,
// whatever the input.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31m", "\u202e", "\xc2\x9b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isInvisible(r) {
				t.Fatalf("Text(%q) leaks %U", s, r)
			}
		}
		if strings.ContainsRune(out, '\n') {
			t.Fatalf("Text(%q) kept a newline", s)
		}
	})
}
