package ui

import (
	"bytes"
	"encoding/json"
	"strings"

	"claudit/feed"
	"claudit/ui/safe"
)

// highlightJSON pretty-prints raw JSON (json.Indent) and colours keys,
// strings, numbers, booleans and null; it returns one string per line.
// The tokens come from feed's Scanner, the one JSON tokenizer. Every token
// passes through safe.Text here: JSON may carry raw C1, bidi and zero-width
// runes inside strings. Invalid JSON is shown as sanitised plain text
// rather than dropped.
func highlightJSON(raw []byte, st *Styles) []string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return strings.Split(safe.Multiline(string(raw)), "\n")
	}
	src := buf.Bytes()
	key, str, num := newPainter(st.JSON.Key), newPainter(st.JSON.String), newPainter(st.JSON.Number)
	boolean, null, punct := newPainter(st.JSON.Bool), newPainter(st.JSON.Null), newPainter(st.JSON.Punct)
	var lines []string
	var line strings.Builder
	// gap writes what lies between tokens: indentation spaces and line
	// breaks, and any other whitespace json.Indent kept after the value,
	// which is shown sanitised.
	gap := func(g []byte) {
		for len(g) > 0 {
			switch g[0] {
			case '\n':
				lines = append(lines, line.String())
				line.Reset()
				g = g[1:]
			case ' ':
				n := len(g) - len(bytes.TrimLeft(g, " "))
				line.Write(g[:n])
				g = g[n:]
			default:
				n := bytes.IndexAny(g, " \n")
				if n < 0 {
					n = len(g)
				}
				line.WriteString(num.paint(safe.Text(string(g[:n]))))
				g = g[n:]
			}
		}
	}
	s := feed.NewScanner(src)
	prev := 0
	for {
		tok, err := s.Next()
		if err != nil { // the end: json.Indent's output has no bad tokens
			break
		}
		gap(src[prev:tok.Start])
		prev = tok.End
		text := src[tok.Start:tok.End]
		switch tok.Kind {
		case feed.TokenPunct:
			line.WriteString(punct.paint(string(text)))
		case feed.TokenKey:
			line.WriteString(key.paint(safe.Text(string(text))))
		case feed.TokenString:
			line.WriteString(str.paint(safe.Text(string(text))))
		case feed.TokenTrue, feed.TokenFalse:
			line.WriteString(boolean.paint(string(text)))
		case feed.TokenNull:
			line.WriteString(null.paint(string(text)))
		default:
			line.WriteString(num.paint(string(text)))
		}
	}
	gap(src[prev:])
	lines = append(lines, line.String())
	return lines
}
