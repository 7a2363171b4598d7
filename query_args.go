package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
)

// queryText joins the positional arguments into the query string.
func queryText(args []string) string {
	out := make([]string, len(args))
	for i, s := range args {
		out[i] = strings.TrimPrefix(s, negMarker)
	}
	return strings.Join(out, " ")
}

// parseQuery parses the positional arguments as one query, with each
// @view:NAME replaced by the saved view's query.
func (a *app) parseQuery(args []string) (feed.Query, string, error) {
	text, err := a.expandViews(queryText(args))
	if err != nil {
		return feed.Query{}, queryText(args), err
	}
	names := a.nameResolver(context.Background())
	q, warnings, err := feed.ParseWith(text, names.resolve)
	names.close()
	if err != nil {
		return q, text, &queryError{text: text, err: err}
	}
	if _, err := q.ServerFilter(); err != nil {
		return q, text, &queryError{text: text, err: err}
	}
	for _, w := range warnings {
		fprintf(a.env.stderr, "claudit: warning: %s\n%s", safe.Text(w.String()), caretAt(text, w.Pos, w.Token, a.redactor()))
	}
	if names.resolved {
		// What a name stands for changes with the directory: the text
		// returned (an export's query_input) is the ids it stood for, so
		// the bundle verifies from its own text.
		text = q.String()
	}
	return q, text, nil
}

// negMarker hides an exclusion term such as -type:claude_chat_viewed from
// the flag parser, which would read it as the shorthand flags -t -y -p …
// A NUL byte cannot occur in a real argument, so the marker is unambiguous.
const negMarker = "\x00"

// protectQueryArgs marks the arguments that are query exclusions rather
// than flags: a single dash followed by a field name and a colon (-type:x),
// or by a quote (-"text"). Everything after "--" is left alone.
func protectQueryArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, s := range out {
		if s == "--" {
			break
		}
		if isExclusionTerm(s) {
			out[i] = negMarker + s
		}
	}
	return out
}

func isExclusionTerm(s string) bool {
	if len(s) < 3 || s[0] != '-' || s[1] == '-' {
		return false
	}
	if s[1] == '"' {
		return true
	}
	field, _, ok := strings.Cut(s[1:], ":")
	if !ok {
		return false
	}
	for _, f := range feed.QueryFields() {
		if f.Name == field {
			return true
		}
	}
	return false
}

// completeQuery completes query terms: field names, then type names and
// presets; actor:, key:, org: and ip: values from the cache and the names
// and e-mails of its directory (see completeValues).
func (a *app) completeQuery(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	neg := ""
	word := toComplete
	if strings.HasPrefix(word, "-") {
		neg, word = "-", word[1:]
	}
	if field, prefix, ok := strings.Cut(word, ":"); ok {
		switch field {
		case "type":
		case "actor", "key", "org", "ip":
			return a.completeValues(cmd, neg+field+":", field, prefix), cobra.ShellCompDirectiveNoFileComp
		default:
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c := feed.Catalogue()
		var names []string
		for _, p := range c.Presets() {
			names = append(names, "@"+p.Name)
		}
		var out []string
		for _, n := range append(names, c.Names()...) {
			if strings.HasPrefix(n, prefix) {
				out = append(out, neg+"type:"+n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, f := range feed.QueryFields() {
		if strings.HasPrefix(f.Name, word) && f.Name != "text" {
			out = append(out, neg+f.Name+":\t"+f.Help)
		}
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// completionValues is how many values of each source completion offers.
const completionValues = 20

// completeValues is head+value for the values of field starting with
// prefix: the cache's most frequent ones, then the directory's names and
// e-mails (people for actor:, Compliance keys for key:, organizations for
// org:), names quoted when they hold a space. It reads an existing cache
// read-only and never creates one; any failure, and --redact (a mask typed
// back into a command line means nothing), offers nothing: completion
// prints no errors.
func (a *app) completeValues(cmd *cobra.Command, head, field, prefix string) []string {
	if a.settings(cmd) != nil || a.redact {
		return nil
	}
	if _, err := os.Stat(a.cache); err != nil {
		return nil
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	st, err := store.OpenReadOnly(ctx, a.cache, store.WithNow(a.env.now))
	if err != nil {
		return nil
	}
	defer st.Close()
	prefix = strings.TrimPrefix(prefix, `"`)
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		// Values come from events and the directory, untrusted: one the
		// terminal would not show as it is (escapes, controls, bidi) is
		// not offered rather than printed to the shell.
		if safe.Text(v) != v {
			return
		}
		if c := head + feed.QuoteValue(v); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	vals, _ := st.Suggest(ctx, field, prefix, completionValues)
	for _, v := range vals {
		add(v)
	}
	kind, named := store.FieldKind(field)
	if names, err := st.Names(ctx); err == nil && named {
		for _, v := range names.Complete(prefix, completionValues, kind) {
			add(v)
		}
	}
	return out
}

// caretLines shows the query with a caret under the bad token, masked by
// red while redacting (the caret then sits under the masked token).
func caretLines(qe *queryError, red *feed.Redactor) string {
	var pe *feed.ParseError
	if !errors.As(qe.err, &pe) {
		return ""
	}
	return caretAt(qe.text, pe.Pos, pe.Token, red)
}

// caretAt shows text with a caret under token at byte offset pos, masked
// by red while redacting (the caret then sits under the masked token).
func caretAt(text string, pos int, token string, red *feed.Redactor) string {
	if pos < 0 || pos > len(text) {
		return ""
	}
	shown := safe.Text(red.String(text))
	col := ansi.StringWidth(safe.Text(red.String(text[:pos])))
	n := max(1, ansi.StringWidth(safe.Text(red.String(token))))
	return "  " + shown + "\n  " + strings.Repeat(" ", col) + strings.Repeat("^", n) + "\n"
}
