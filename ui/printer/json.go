package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// WriteJSON prints v as indented JSON that is safe on a terminal:
// encoding/json escapes C0 controls but passes C1 controls, bidi overrides
// and other invisible characters through as UTF-8, so those are escaped
// too (they can only occur inside strings, where \uXXXX means the same).
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err := w.Write(TerminalSafeJSON(buf.Bytes()))
	return err
}

// TerminalSafeJSON escapes, as \uXXXX, the characters of a JSON document
// that a terminal could act on or that hide text: C1 controls, DEL, and
// Unicode format characters (bidi overrides, zero-width marks). Invalid
// UTF-8 becomes \ufffd. Valid JSON stays valid and means the same.
func TerminalSafeJSON(b []byte) []byte {
	clean := true
	for _, c := range b {
		if c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r > 0xffff && unicode.Is(unicode.Cf, r):
			// Astral format characters (tags) need a surrogate pair.
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		case r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029:
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
