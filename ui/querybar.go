package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

const queryPrompt = "/ "

// queryBar shows the applied query and, while editing, the input with
// inline parse errors, completion and history. Rendering sanitises the
// value: pasted or pivoted text may be hostile.
type queryBar struct {
	input   lineInput
	editing bool
	applied string // canonical text of the applied query
	err     error  // parse error of the text being edited
	// warn and appliedWarn are the first warning (feed.Warnings: a type
	// the catalogue does not know) of the text being edited and of the
	// applied query; a warning never blocks the query.
	warn, appliedWarn *feed.Warning

	// Completion state: candidates replace value[compStart:compEnd]
	// (rune offsets); compSel cycles through them on repeated tab.
	completions []string
	compSel     int
	compStart   int
	compEnd     int
	compValue   string // the value the candidates were computed for

	history []string
	histPos int
	draft   string

	crumbs []string // the pivot stack, oldest first
	total  string   // "1,204 events", right-aligned when not editing
	width  int
	styles *Styles
	// red is non-nil while redacting. The input is then opened with the
	// masked query, history and candidates are masked as they are put in,
	// and every word is drawn masked (lineInput.shown), even one half
	// typed. query maps masks back to the real values.
	red *feed.Redactor
	// names resolves the names in the query's terms (nameResolver).
	names *store.Names
}

func newQueryBar(st *Styles, applied string) queryBar {
	b := queryBar{input: lineInput{limit: 4096}, styles: st}
	b.setApplied(applied)
	return b
}

// setApplied makes text the applied query's text.
func (b *queryBar) setApplied(text string) {
	b.applied, b.appliedWarn = text, firstWarning(text)
}

// firstWarning is the first of text's warnings, or nil.
func firstWarning(text string) *feed.Warning {
	if ws := feed.Warnings(text); len(ws) > 0 {
		return &ws[0]
	}
	return nil
}

// SetWidth sets the bar width.
func (b *queryBar) SetWidth(w int) { b.width = max(0, w) }

// open starts editing with the applied query text.
func (b *queryBar) open() {
	b.editing = true
	b.input.SetValue(b.red.String(b.applied))
	b.input.CursorEnd()
	b.histPos = len(b.history)
	b.clearCompletions()
	b.validate()
}

// close stops editing without applying.
func (b *queryBar) close() {
	b.editing = false
	b.err, b.warn = nil, nil
	b.clearCompletions()
}

// commit records text in the history and makes it the applied text.
func (b *queryBar) commit(text string) {
	b.setApplied(text)
	if text != "" && (len(b.history) == 0 || b.history[len(b.history)-1] != text) {
		b.history = append(b.history, text)
	}
	b.close()
}

// query parses the text being edited, with every mask the session gave
// out replaced by the real value it stands for.
func (b *queryBar) query() (feed.Query, error) {
	return parseQuery(b.red.Unmask(b.input.Value()), b.names)
}

// validate parses the current value so the error shows while typing.
func (b *queryBar) validate() {
	_, b.err = b.query()
	b.warn = nil
	if b.err == nil {
		b.warn = firstWarning(b.input.Value())
	}
}

// edited must be called after the input changed.
func (b *queryBar) edited() {
	if b.input.Value() != b.compValue {
		b.clearCompletions()
	}
	b.validate()
}

func (b *queryBar) clearCompletions() {
	b.completions, b.compSel, b.compValue = nil, -1, ""
}

func (b *queryBar) historyPrev() {
	if b.histPos == 0 {
		return
	}
	if b.histPos == len(b.history) {
		b.draft = b.input.Value()
	}
	b.histPos--
	b.input.SetValue(b.red.String(b.history[b.histPos]))
	b.input.CursorEnd()
	b.edited()
}

func (b *queryBar) historyNext() {
	if b.histPos >= len(b.history) {
		return
	}
	b.histPos++
	if b.histPos == len(b.history) {
		b.input.SetValue(b.draft)
	} else {
		b.input.SetValue(b.red.String(b.history[b.histPos]))
	}
	b.input.CursorEnd()
	b.edited()
}

// completionToken is the word under the cursor: its rune range, the field
// it names ("" for a bare word) and the partial value typed so far.
type completionToken struct {
	start, end int
	neg        bool
	field      string
	partial    string
	hasColon   bool
}

func (b queryBar) token() completionToken {
	r := []rune(b.input.Value())
	pos := min(b.input.Position(), len(r))
	// Words split at spaces outside quotes, so that actor:"Alice C
	// completes as one word.
	start, quoted, esc := 0, false, false
	for i := range pos {
		switch {
		case esc:
			esc = false
		case r[i] == '\\' && quoted:
			esc = true
		case r[i] == '"':
			quoted = !quoted
		case r[i] == ' ' && !quoted:
			start = i + 1
		}
	}
	end := pos
	for end < len(r) && (quoted || r[end] != ' ') {
		if r[end] == '"' {
			quoted = !quoted
		}
		end++
	}
	word := string(r[start:end])
	t := completionToken{start: start, end: end}
	if strings.HasPrefix(word, "-") {
		t.neg, word = true, word[1:]
	}
	if f, v, ok := strings.Cut(word, ":"); ok {
		t.field, t.partial, t.hasColon = f, unquotePartial(v), true
	} else {
		t.partial = word
	}
	return t
}

// unquotePartial is a value being typed without its quotes and escapes:
// "Alice C → Alice C, "Alice Chen" → Alice Chen.
func unquotePartial(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	v = v[1:]
	if strings.HasSuffix(v, `"`) && !strings.HasSuffix(v, `\"`) {
		v = v[:len(v)-1]
	}
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(v)
}

// staticCandidates completes what needs no I/O: field names, type names,
// presets, durations and flags. ok=false means the field's values come from
// the cache (Source.Suggest).
func staticCandidates(t completionToken) (cands []string, ok bool) {
	prefix := func(list []string, p string) []string {
		var out []string
		for _, s := range list {
			if strings.HasPrefix(strings.ToLower(s), strings.ToLower(p)) {
				out = append(out, s)
			}
		}
		return out
	}
	if !t.hasColon {
		var names []string
		for _, f := range feed.QueryFields() {
			if f.Name != "text" {
				names = append(names, f.Name+":")
			}
		}
		return prefix(names, t.partial), true
	}
	switch t.field {
	case "type":
		var all []string
		for _, p := range feed.Catalogue().Presets() {
			all = append(all, "@"+p.Name)
		}
		all = append(all, feed.Catalogue().Names()...)
		return prefix(all, t.partial), true
	case "since":
		return prefix([]string{"15m", "1h", "6h", "24h", "7d", "30d"}, t.partial), true
	case "is":
		return prefix([]string{"self", "late", "marked", "tripwire"}, t.partial), true
	case "actor", "key", "ip", "org", "id":
		return nil, false
	}
	return nil, true
}

// suggestValues is how many cached values (and as many directory names)
// the query bar's completion lists.
const suggestValues = 20

// suggestField maps a query field to the Source.Suggest field.
func suggestField(field string) string {
	if field == "id" {
		return "key"
	}
	return field
}

// setCandidates applies candidates for token t: a single one is inserted,
// several insert their common prefix and are listed for cycling.
func (b *queryBar) setCandidates(t completionToken, cands []string) {
	b.clearCompletions()
	if len(cands) == 0 {
		return
	}
	head := ""
	if t.neg {
		head = "-"
	}
	if t.hasColon {
		head += t.field + ":"
	}
	full := make([]string, len(cands))
	for i, c := range cands {
		full[i] = head + c
	}
	if len(full) == 1 {
		suffix := " "
		if strings.HasSuffix(full[0], ":") {
			suffix = ""
		}
		b.replaceToken(t.start, t.end, full[0]+suffix)
		b.validate()
		return
	}
	common := []rune(full[0])
	for _, c := range full[1:] {
		for !strings.HasPrefix(c, string(common)) {
			common = common[:len(common)-1]
		}
	}
	// A prefix shorter than what was typed (alice.admin@… and "Alice
	// Chen" share only actor:) would erase it: keep the token then.
	if cur := []rune(b.input.Value())[t.start:t.end]; len(common) < len(cur) {
		common = cur
	}
	b.replaceToken(t.start, t.end, string(common))
	b.completions = full
	b.compStart = t.start
	b.compEnd = t.start + len(common)
	b.compValue = b.input.Value()
	b.validate()
}

// cycle inserts the next listed candidate.
func (b *queryBar) cycle(step int) {
	if len(b.completions) == 0 {
		return
	}
	b.compSel = (b.compSel + step + len(b.completions)) % len(b.completions)
	c := b.completions[b.compSel]
	b.replaceToken(b.compStart, b.compEnd, c)
	b.compEnd = b.compStart + len([]rune(c))
	b.compValue = b.input.Value()
	b.validate()
}

func (b *queryBar) replaceToken(start, end int, with string) {
	r := []rune(b.input.Value())
	start, end = min(start, len(r)), min(end, len(r))
	nv := string(r[:start]) + with + string(r[end:])
	b.input.SetValue(nv)
	b.input.SetCursor(start + len([]rune(with)))
}

// extraLines is how many lines the bar needs below itself.
func (b queryBar) extraLines() int {
	n := 0
	if b.editing && (b.err != nil || b.warn != nil) || !b.editing && b.appliedWarn != nil {
		n++
	}
	if b.editing && len(b.completions) > 0 {
		n++
	}
	if len(b.crumbs) > 0 {
		n++
	}
	return n
}

// View renders the bar line. It is the query bar's one sanitising place
// (with extraView).
func (b queryBar) View() string {
	st := b.styles.Query
	if b.width == 0 {
		return ""
	}
	if !b.editing {
		text := safe.Text(b.red.String(b.applied))
		if text == "" {
			text = "(everything in the cache)"
		}
		right := st.Total.Render(b.total)
		avail := max(0, b.width-2-ansi.StringWidth(b.total)-1)
		return st.Prompt.Render("› ") + st.Text.Render(fit(text, avail)) + " " + right
	}
	before, at, after, _ := b.editPieces()
	line := st.Prompt.Render(queryPrompt) + st.Text.Render(before) + st.Cursor.Render(at) + st.Text.Render(after)
	return fit(line, b.width)
}

// editPieces splits the sanitised value around the cursor and scrolls it
// horizontally so the cursor stays visible; cut is how many cells of the
// text were cut on the left.
func (b queryBar) editPieces() (before, at, after string, cut int) {
	r, pos := b.shown()
	before = safe.Text(string(r[:pos]))
	at = " "
	rest := ""
	if pos < len(r) {
		at = safe.Text(string(r[pos]))
		rest = string(r[pos+1:])
	}
	after = safe.Text(rest)
	avail := max(1, b.width-ansi.StringWidth(queryPrompt)-ansi.StringWidth(at))
	if bw := ansi.StringWidth(before); bw > avail*3/4 {
		keep := avail * 3 / 4
		cut = bw - keep
		before = ansi.TruncateLeft(before, cut, "")
	}
	after = ansi.Truncate(after, max(0, avail-ansi.StringWidth(before)), "…")
	return before, at, after, cut
}

// shown is the text being edited as drawn, with the cursor's rune offset
// in it (lineInput.shown).
func (b queryBar) shown() ([]rune, int) { return b.input.shown(b.red) }

// shownWarning is the warning under the bar: the edited text's while
// editing (when it parses), else the applied query's.
func (b queryBar) shownWarning() *feed.Warning {
	if b.editing {
		return b.warn
	}
	return b.appliedWarn
}

// extraView renders the lines under the bar: the parse error or warning
// with a caret at its position, the completion candidates and the pivot
// breadcrumbs.
func (b queryBar) extraView() []string {
	st := b.styles.Query
	var out []string
	if b.editing && b.err != nil {
		msg := b.err.Error()
		col := ansi.StringWidth(queryPrompt)
		var pe *feed.ParseError
		if errors.As(b.err, &pe) {
			// The error's position is in the unmasked text; the text
			// before it, masked, is as wide as what is drawn before it.
			v := b.red.Unmask(b.input.Value())
			p := min(max(0, pe.Pos), len(v))
			_, _, _, cut := b.editPieces()
			col += max(0, ansi.StringWidth(safe.Text(maskWords(b.red, v[:p])))-cut)
			msg = pe.Msg
			if pe.Token != "" {
				msg = fmt.Sprintf("%s: %s", pe.Token, pe.Msg)
			}
		}
		col = min(col, max(0, b.width-1))
		line := strings.Repeat(" ", col) + st.Caret.Render("^") + " " + st.Error.Render(safe.Text(maskWords(b.red, msg)))
		out = append(out, fit(line, b.width))
	}
	if w := b.shownWarning(); w != nil {
		col := ansi.StringWidth(queryPrompt)
		if b.editing {
			v := b.input.Value()
			_, _, _, cut := b.editPieces()
			col += max(0, ansi.StringWidth(safe.Text(v[:min(max(0, w.Pos), len(v))]))-cut)
		} else if b.red == nil {
			col += ansi.StringWidth(safe.Text(b.applied[:min(max(0, w.Pos), len(b.applied))]))
		}
		col = min(col, max(0, b.width-1))
		line := strings.Repeat(" ", col) + st.WarnCaret.Render("^") + " " +
			st.Warn.Render(safe.Text(fmt.Sprintf("%s: %s", b.red.String(w.Token), w.Msg)))
		out = append(out, fit(line, b.width))
	}
	if b.editing && len(b.completions) > 0 {
		parts := make([]string, 0, len(b.completions))
		for i, c := range b.completions {
			s := safe.Text(c)
			if i == b.compSel {
				parts = append(parts, st.CompletionSel.Render(s))
			} else {
				parts = append(parts, st.Completion.Render(s))
			}
		}
		out = append(out, fit("  "+strings.Join(parts, "  "), b.width))
	}
	if len(b.crumbs) > 0 {
		parts := slices.Clone(b.crumbs)
		for i, c := range parts {
			parts[i] = st.Crumb.Render(safe.Text(b.red.String(c)))
		}
		line := st.Crumb.Render("esc ← ") + strings.Join(parts, st.CrumbSep.Render(" › "))
		out = append(out, fit(line, b.width))
	}
	return out
}
