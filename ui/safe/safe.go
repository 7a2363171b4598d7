// Package safe is the one choke point through which untrusted event text
// passes before it reaches a terminal: it makes control sequences, C0/C1
// controls, bidi overrides and invisible characters visible as escapes.
package safe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns s with every character that could change what a terminal
// shows escaped: ESC and the rest of C0 (except none: tab and newline are
// escaped too, since a table cell or one-line field must stay one line), DEL,
// C1 controls, bidi embedding/override/isolate marks, zero-width and other
// invisible format characters, and invalid UTF-8. Escapes use Go syntax
// (\x1b, \u202e) so the analyst sees exactly what was sent.
func Text(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		writeRune(&b, r)
		i += size
	}
	return b.String()
}

// Multiline is Text for text meant to span lines (pretty JSON, help): it
// keeps '\n' and escapes everything else that Text escapes.
func Multiline(s string) string {
	if !strings.Contains(s, "\n") {
		return Text(s)
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = Text(p)
	}
	return strings.Join(parts, "\n")
}

// isPlain is the fast path: printable ASCII needs no work.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func writeRune(b *strings.Builder, r rune) {
	switch {
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x%02x`, r)
	case r >= 0x80 && r <= 0x9f: // C1 controls, including CSI (0x9b) and OSC (0x9d)
		fmt.Fprintf(b, `\u%04x`, r)
	case isInvisible(r):
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		b.WriteRune(r)
	}
}

// isInvisible reports characters that reorder or hide text: bidi controls
// (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069), zero-width and other
// format characters (Unicode category Cf, e.g. U+200B, U+FEFF), line and
// paragraph separators, and unassigned or private-use code points that a
// terminal may render unpredictably.
func isInvisible(r rune) bool {
	switch r {
	case '\u2028', '\u2029':
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || !unicode.IsGraphic(r) && !unicode.IsSpace(r) || r == utf8.RuneError
}
