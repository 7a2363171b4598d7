package ui

import (
	"bytes"
	"encoding/json"
	"strings"

	"claudit/ui/safe"
)

// highlightJSON pretty-prints raw JSON (json.Indent) and colours keys,
// strings, numbers, booleans and null; it returns one string per line.
// Every token passes through safe.Text here: JSON may carry raw C1, bidi
// and zero-width runes inside strings. Invalid JSON is shown as sanitised
// plain text rather than dropped.
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
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			lines = append(lines, line.String())
			line.Reset()
			i++
		case c == ' ':
			j := i
			for j < len(src) && src[j] == ' ' {
				j++
			}
			line.Write(src[i:j])
			i = j
		case c == '"':
			j := stringEnd(src, i)
			tok := safe.Text(string(src[i:j]))
			if isKey(src, j) {
				line.WriteString(key.paint(tok))
			} else {
				line.WriteString(str.paint(tok))
			}
			i = j
		case c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':':
			line.WriteString(punct.paint(string(c)))
			i++
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \n,:]}", rune(src[j])) {
				j++
			}
			tok := safe.Text(string(src[i:j]))
			switch tok {
			case "true", "false":
				line.WriteString(boolean.paint(tok))
			case "null":
				line.WriteString(null.paint(tok))
			default:
				line.WriteString(num.paint(tok))
			}
			i = max(j, i+1)
		}
	}
	lines = append(lines, line.String())
	return lines
}

// stringEnd returns the index just past the JSON string starting at i.
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(src)
}

// isKey reports whether the string ending at j is an object key.
func isKey(src []byte, j int) bool {
	for ; j < len(src); j++ {
		switch src[j] {
		case ' ':
			continue
		case ':':
			return true
		default:
			return false
		}
	}
	return false
}
