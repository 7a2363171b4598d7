package ui

import (
	"regexp"
	"strings"
	"unicode"

	"claudit/feed"

	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line editor: the value, a cursor and readline keys.
// It never renders: the query bar and palette draw it themselves so that
// whatever was typed or pasted is sanitised on the way to the terminal.
type lineInput struct {
	value []rune
	pos   int
	limit int // maximum runes; 0 = none
}

// SetValue replaces the value; line breaks and tabs become spaces.
func (l *lineInput) SetValue(s string) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	l.value = []rune(s)
	if l.limit > 0 && len(l.value) > l.limit {
		l.value = l.value[:l.limit]
	}
	l.pos = min(l.pos, len(l.value))
}

// Value returns the text.
func (l lineInput) Value() string { return string(l.value) }

// Position returns the cursor position in runes.
func (l lineInput) Position() int { return l.pos }

// SetCursor moves the cursor, clamped to the value.
func (l *lineInput) SetCursor(p int) { l.pos = min(max(0, p), len(l.value)) }

// CursorEnd moves the cursor past the last rune.
func (l *lineInput) CursorEnd() { l.pos = len(l.value) }

func (l *lineInput) insert(s string) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	ins := []rune(s)
	if l.limit > 0 {
		ins = ins[:max(0, min(len(ins), l.limit-len(l.value)))]
	}
	v := make([]rune, 0, len(l.value)+len(ins))
	v = append(append(append(v, l.value[:l.pos]...), ins...), l.value[l.pos:]...)
	l.value = v
	l.pos += len(ins)
}

func (l *lineInput) deleteRange(from, to int) {
	from, to = max(0, from), min(len(l.value), to)
	if from >= to {
		return
	}
	l.value = append(l.value[:from:from], l.value[to:]...)
	l.pos = from
}

// wordStart is the start of the word before the cursor.
func (l lineInput) wordStart() int {
	i := l.pos
	for i > 0 && unicode.IsSpace(l.value[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(l.value[i-1]) {
		i--
	}
	return i
}

// wordEnd is the end of the word after the cursor.
func (l lineInput) wordEnd() int {
	i := l.pos
	for i < len(l.value) && unicode.IsSpace(l.value[i]) {
		i++
	}
	for i < len(l.value) && !unicode.IsSpace(l.value[i]) {
		i++
	}
	return i
}

// Update edits the value for a key press or a paste.
func (l lineInput) Update(msg tea.Msg) lineInput {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		l.insert(msg.Content)
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "ctrl+b":
			l.SetCursor(l.pos - 1)
		case "right", "ctrl+f":
			l.SetCursor(l.pos + 1)
		case "home", "ctrl+a":
			l.pos = 0
		case "end", "ctrl+e":
			l.CursorEnd()
		case "alt+left", "ctrl+left", "alt+b":
			l.pos = l.wordStart()
		case "alt+right", "ctrl+right", "alt+f":
			l.pos = l.wordEnd()
		case "backspace", "ctrl+h":
			l.deleteRange(l.pos-1, l.pos)
		case "delete", "ctrl+d":
			p := l.pos
			l.deleteRange(p, p+1)
		case "ctrl+w", "alt+backspace", "ctrl+backspace":
			l.deleteRange(l.wordStart(), l.pos)
		case "alt+d", "alt+delete", "ctrl+delete":
			p := l.pos
			l.deleteRange(p, l.wordEnd())
			l.pos = p
		case "ctrl+u":
			l.deleteRange(0, l.pos)
		case "ctrl+k":
			l.deleteRange(l.pos, len(l.value))
		case "space":
			l.insert(" ")
		default:
			if msg.Text != "" && !msg.Mod.Contains(tea.ModCtrl) && !msg.Mod.Contains(tea.ModAlt) {
				l.insert(msg.Text)
			}
		}
	}
	return l
}

// partialIP matches an IPv4 address being typed (two octets or more) or
// anything with two colons and hex (IPv6).
var partialIP = regexp.MustCompile(`^(?:[0-9]{1,3}\.[0-9]{1,3}(?:\.[0-9]{0,3}){0,2}|[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*)$`)

// maskPartial masks a word as the redactor does (Redactor.String) and, for
// a word it leaves alone, the value of an e-mail or an IP address still
// being typed ("bob.security@ex", "198.51."), which the redactor does not
// recognise yet but which already says who.
func maskPartial(red *feed.Redactor, word string) string {
	if red.Unmask(word) != word {
		// It holds masks the session gave out (a reopened find or query):
		// they stay as they are, not masked a second time.
		return red.String(word)
	}
	if m := red.String(word); m != word {
		return m
	}
	head, v := "", word
	if i := strings.IndexByte(word, ':'); i >= 0 && !partialIP.MatchString(word) {
		head, v = word[:i+1], word[i+1:]
	}
	switch {
	case strings.IndexByte(v, '@') > 0:
		return head + red.Field("email_address", v)
	case partialIP.MatchString(v):
		return head + red.Field("ip_address", v)
	}
	return word
}

// maskWords is maskPartial for each space-separated word of s: for text
// that echoes what is being typed (a parse error naming its token).
func maskWords(red *feed.Redactor, s string) string {
	if red == nil {
		return s
	}
	words := strings.Split(s, " ")
	for i, w := range words {
		words[i] = maskPartial(red, w)
	}
	return strings.Join(words, " ")
}

// shown is the value as drawn, with the cursor's rune offset in it. With
// red (while redacting) every word is drawn through the redactor, the one
// being typed included (the cursor then sits at the end of its mask):
// nothing the redactor masks is drawn, not even what the analyst types.
func (l lineInput) shown(red *feed.Redactor) ([]rune, int) {
	r := l.value
	pos := min(l.pos, len(r))
	if red == nil {
		return r, pos
	}
	out := make([]rune, 0, len(r))
	shownPos := -1
	for start := 0; start <= len(r); {
		end := start
		for end < len(r) && r[end] != ' ' {
			end++
		}
		typed := string(r[start:end])
		word := []rune(maskPartial(red, typed))
		if shownPos < 0 && pos >= start && pos <= end {
			switch {
			case string(word) == typed:
				shownPos = len(out) + pos - start
			case pos == start:
				shownPos = len(out)
			default:
				shownPos = len(out) + len(word)
			}
		}
		out = append(out, word...)
		if end < len(r) {
			out = append(out, ' ')
		}
		start = end + 1
	}
	if shownPos < 0 {
		shownPos = len(out)
	}
	return out, shownPos
}
