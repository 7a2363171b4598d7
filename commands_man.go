package main

// claudit man DIR: man pages for every visible command, from the same
// cobra tree as --help (cobra's doc generator), so they cannot drift.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

func (a *app) manCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write man pages for every command into DIR",
		Long: `man writes one man page (section 1) per command into DIR, creating it if
needed: claudit.1, claudit-query.1, claudit-sync.1, … Hidden commands get none.
The pages carry the text of --help. To read them with man, write them into a
directory on the man path, for example:

    claudit man ~/.local/share/man/man1
    man claudit-query`,
		Example: `  claudit man ~/.local/share/man/man1 && man claudit-query
  claudit man /tmp/claudit-man && man -l /tmp/claudit-man/claudit.1`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &usageError{err: fmt.Errorf("man: %w", err)}
			}
			root := cmd.Root()
			prepareForMan(root, map[*pflag.Flag]bool{})
			header := &doc.GenManHeader{
				Section: "1",
				Source:  "claudit " + toolVersion(),
				Manual:  "claudit manual",
				Date:    a.manDate(),
			}
			if err := doc.GenManTree(root, header, dir); err != nil {
				return &usageError{err: fmt.Errorf("man: %w", err)}
			}
			n, err := filepath.Glob(filepath.Join(dir, "claudit*.1"))
			if err != nil {
				return err
			}
			fprintf(a.env.stdout, "wrote %d man pages to %s\n", len(n), dir)
			return nil
		},
	}
}

// manDate is the pages' date: the commit's (so the pages of one commit
// are the same bytes whenever they are written), else today.
func (a *app) manDate() *time.Time {
	if t, err := time.Parse(time.RFC3339, currentBuild().Date); err == nil {
		return &t
	}
	t := a.env.now()
	return &t
}

// prepareForMan readies the command tree for the man generator: no
// "auto generated" footer with today's date, and help text and flag
// descriptions that the generator's Markdown pass keeps as written (see
// manText); done records the flags escaped already (a persistent flag is
// every subcommand's).
func prepareForMan(c *cobra.Command, done map[*pflag.Flag]bool) {
	c.DisableAutoGenTag = true
	c.Long = manText(c.Long)
	escape := func(f *pflag.Flag) {
		if !done[f] {
			done[f] = true
			f.Usage = escapeMarkdown(f.Usage)
		}
	}
	c.Flags().VisitAll(escape)
	c.PersistentFlags().VisitAll(escape)
	for _, sub := range c.Commands() {
		prepareForMan(sub, done)
	}
}

// manText keeps --help text intact through the Markdown pass of the man
// generator: an indented line (a list of terms or examples) becomes a
// verbatim block, as it is laid out by hand; in the other lines the
// characters Markdown would read as markup (type:*api_key*, <dir>) are
// escaped.
func manText(s string) string {
	if s == "" {
		return s
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines)+4)
	inBlock := false
	for _, l := range lines {
		verbatim := strings.HasPrefix(l, " ")
		switch {
		case verbatim && !inBlock:
			if len(out) > 0 && out[len(out)-1] != "" {
				out = append(out, "")
			}
			out = append(out, "    "+l)
		case verbatim:
			out = append(out, "    "+l)
		case inBlock && l != "":
			out = append(out, "", escapeMarkdown(l))
		default:
			out = append(out, escapeMarkdown(l))
		}
		inBlock = verbatim
	}
	return strings.Join(out, "\n")
}

// escapeMarkdown backslash-escapes the characters Markdown gives a meaning.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]<>#|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
