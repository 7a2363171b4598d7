package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/spf13/cobra"
)

// defaultSince is the window synced for a query without a time term.
const defaultSince = 30 * 24 * time.Hour

// Environment variables besides the key.
const (
	envBaseURL = "CLAUDIT_BASE_URL"
	envCache   = "CLAUDIT_CACHE"
	envNoColor = "NO_COLOR"
)

// app is one run of claudit: the environment, the global flags, and the
// key read from the environment (at most once).
type app struct {
	env *environment

	profile  string
	baseURL  string
	cache    string
	utc      bool
	noColor  bool
	pageSize int
	redact   bool
	// parallel is sync --parallel: requests a backfill keeps in flight;
	// budgetReserve is the config's budget_reserve.
	parallel      int
	budgetReserve float64
	// evidenceDir is the config's evidence_dir, resolved ("" = not set).
	evidenceDir string
	// red is the process's one Redactor (redactor), so a value gets the
	// same mask on stdout, stderr and in files.
	red *feed.Redactor
	// Live-tail tuning (hidden flags, for tests and for orgs whose SIEM
	// needs more of the shared budget): the fastest poll interval and how
	// often the trailing overlap is re-read.
	tailPoll      time.Duration
	tailReconcile time.Duration

	// cfg is the config file as loaded by settings.
	cfg *config

	envKey feed.Secret
	// envKeyErr is why checkKey refused the environment's key; every
	// command that needs a key (and the explorer) fails with it, exit 2.
	envKeyErr error
	// loggingIn is set while login verifies a key that is not stored yet,
	// so a rejection gets advice about the pasted key, not about login.
	loggingIn bool
}

// run executes one claudit command line and returns the exit code. Errors
// are printed to env.Stderr as one or two plain sentences.
func run(ctx context.Context, args []string, env *environment) int {
	a := &app{env: env}
	// The key variable is read once and removed from the Go environment, so
	// nothing this process starts inherits it; it is checked as login
	// checks a key, before anything could send it.
	if k := env.getenv(envKeyVar); k != "" {
		a.envKey = feed.NewSecret(k)
		if _, err := checkKey(k); err != nil {
			a.envKeyErr = keyFrom(err, "It comes from "+envKeyVar+", which overrides the keychain: fix it, or unset it and run \"claudit login\".")
		}
		_ = env.unsetenv(envKeyVar)
	}
	root := a.rootCommand()
	root.SetArgs(protectQueryArgs(args))
	root.SetIn(env.stdin)
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code, msg := a.describe(err)
	fmt.Fprint(env.stderr, msg)
	return code
}

// rootCommand builds the command tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "claudit [QUERY]",
		Short: "Explore the Anthropic Compliance API Activity Feed from the terminal",
		Long: `claudit pulls the Compliance API Activity Feed into a local cache and answers
questions from it: who revoked this key, what did this key do, who turned off SSO.

Without a subcommand it opens the explorer (a TUI) on the cache, then syncs the
query's window in the background. Queries use one language everywhere:

  since:24h  from:2026-11-25T02:00Z to:2026-11-26   time window (default: last 30 days)
  actor:alice@example.com  key:apikey_01…  type:@keys  type:*api_key*  org:org_01…
  ip:198.51.100.7  "free text"  apikey_01… (any id)  -type:claude_chat_viewed (exclude)
  actor:"Alice Chen"  org:"Research*"  key:"Nightly SIEM pull"   names from the directory (claudit who)

A first word within two edits of a command (claudit qeury since:1h) is an error
that names the command; to search for such a word, quote it (claudit '"qeury"').

The key is read from the OS keychain (claudit login) or from
ANTHROPIC_COMPLIANCE_ACCESS_KEY; it is never a flag.

Settings come from the flags, then the environment, then the config file
<user config dir>/claudit/config.toml (CLAUDIT_CONFIG names another; claudit
status shows which), then the defaults. The file may set profile, utc,
no_color, redact, cache, evidence_dir, base_url, api_version, budget_reserve, directory_ttl, the table's columns, [keys] to rebind keys
and [views] of saved queries: @view:NAME in any query stands for a view's
query (claudit @view:incident, claudit query @view:incident actor:bob@…), and
the explorer's : palette lists every view.

Exit codes: 0 ok (also zero results), 1 usage or query error, 2 authentication or
permission, 3 network or API failure after retries, 4 cache error, 5 an evidence
bundle that does not verify.`,
		Example: `  claudit                                   # the explorer on the last 30 days
  claudit since:24h type:@keys              # key lifecycle events of the last day
  claudit demo                              # the explorer on a simulated org, no key needed
  claudit login                             # store the key in the OS keychain
  claudit query since:7d actor:bob@example.com --format csv > bob.csv
  claudit key apikey_01HxYz...              # who created, renamed, revoked the key; what it did
  claudit @view:incident                    # the explorer on a saved view of the config file
  claudit export since:48h key:apikey_01HxYz... --out evidence/
  claudit version                           # version, commit and build of this binary
  claudit man ~/.local/share/man/man1       # man pages, then: man claudit-query`,
		Version:           currentBuild().text(),
		Args:              cobra.ArbitraryArgs,
		SilenceUsage:      true,
		SilenceErrors:     true,
		ValidArgsFunction: a.completeQuery,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTUI(cmd, args)
		},
	}
	root.SetVersionTemplate("{{.Version}}")
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err: fmt.Errorf("%w\nsee \"%s --help\"", err, c.CommandPath())}
	})

	pf := root.PersistentFlags()
	pf.StringVar(&a.profile, "profile", "default", "profile: selects the keychain entry and the default cache file (env "+envProfile+"; config profile)")
	pf.StringVar(&a.baseURL, "base-url", "", "API base URL (env "+envBaseURL+"; config base_url; default "+feed.DefaultBaseURL+")")
	pf.StringVar(&a.cache, "cache", "", "cache file (env "+envCache+"; config cache; default <user cache dir>/claudit/<profile>.db)")
	pf.BoolVar(&a.utc, "utc", false, "show times in UTC instead of local time (config utc)")
	pf.BoolVar(&a.noColor, "no-color", false, "no colour (also when NO_COLOR is set; config no_color)")
	pf.BoolVar(&a.redact, "redact", false, "screen-share mode: mask e-mails, ips, user agents and ids everywhere: the explorer, query and key output (json not byte-exact), exports, error messages (config redact)")
	pf.IntVar(&a.pageSize, "page-size", feed.MaxLimit, "activities per request (1-5000)")
	_ = pf.MarkHidden("page-size")
	pf.DurationVar(&a.tailPoll, "tail-poll", 10*time.Second, "fastest live-tail poll interval")
	pf.DurationVar(&a.tailReconcile, "tail-reconcile", 5*time.Minute, "how often live tail re-reads the last 15 minutes")
	_ = pf.MarkHidden("tail-poll")
	_ = pf.MarkHidden("tail-reconcile")

	root.AddCommand(
		a.loginCommand(), a.logoutCommand(), a.statusCommand(),
		a.syncCommand(), a.queryCommand(), a.keyCommand(), a.whoCommand(), a.exportCommand(), a.tailCommand(),
		a.simCommand(), a.demoCommand(), a.versionCommand(), a.manCommand(),
	)
	return root
}

// settings resolves the global flags against the environment and the
// config file: a flag set on the command line wins, then the environment
// variable, then the config file, then the default. It validates what
// every command relies on.
func (a *app) settings(cmd *cobra.Command) error {
	if err := a.applyConfig(cmd.Flags().Changed); err != nil {
		return err
	}
	if !validProfile(a.profile) {
		return &usageError{err: fmt.Errorf("profile %q: use letters, digits, '.', '_' and '-' (at most 64)", a.profile)}
	}
	if a.baseURL == "" {
		a.baseURL = feed.DefaultBaseURL
	}
	if a.cache == "" {
		p, err := store.DefaultPath(a.profile)
		if err != nil {
			return &cacheError{err: err}
		}
		a.cache = p
	}
	if a.tailPoll < time.Second || a.tailReconcile < time.Second {
		return &usageError{err: errors.New("--tail-poll and --tail-reconcile must be at least 1s")}
	}
	if a.pageSize < 1 || a.pageSize > feed.MaxLimit {
		return &usageError{err: fmt.Errorf("--page-size %d: want 1 to %d", a.pageSize, feed.MaxLimit)}
	}
	return nil
}

// validProfile accepts names that are safe as a keychain account and a
// file name: letters, digits, '.', '_' and '-', at most 64, not . or ..
func validProfile(p string) bool {
	if p == "" || len(p) > 64 || p == "." || p == ".." {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// loc is the zone times are shown in.
func (a *app) loc() *time.Location {
	switch {
	case a.utc:
		return time.UTC
	case a.env.location != nil:
		return a.env.location
	}
	return time.Local
}

// color reports whether output to stream may be coloured.
func (a *app) color(stream any) bool {
	return !a.noColor && a.env.getenv("TERM") != "dumb" && a.env.isTerminal(stream)
}

// theme is what the printers colour stream with: the explorer's styles
// (so the CLI and the TUI show the same colours), or nil when stream may
// not be coloured.
func (a *app) theme(stream any) *printer.Theme {
	if !a.color(stream) {
		return nil
	}
	st := ui.NewStyles(true)
	return &printer.Theme{
		Header: st.Table.Header, Time: st.Table.Time, Dim: st.Table.Dim,
		Label: st.Detail.Label, Change: st.Detail.Change, Bar: st.Hist.Bar,
		Type: st.TypeStyle,
	}
}

// printOptions lays out human output for stdout.
func (a *app) printOptions() printer.PrintOptions {
	opt := printer.PrintOptions{Theme: a.theme(a.env.stdout), Loc: a.loc(), Redactor: a.redactor()}
	if a.env.isTerminal(a.env.stdout) {
		opt.Width = a.env.termWidth(a.env.stdout)
	}
	return opt
}

// openStore opens the cache; every failure is a cache error (exit 4).
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, a.cache, store.WithNow(a.env.now))
	if err != nil {
		return nil, &cacheError{err: err}
	}
	return st, nil
}

// openStoreOffline opens the cache for a command that only reads it: as
// openStore does, else, when the file or its directory cannot be written,
// read-only (store.OpenReadOnly).
func (a *app) openStoreOffline(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, a.cache, store.WithNow(a.env.now))
	if errors.Is(err, store.ErrPermission) {
		if ro, rerr := store.OpenReadOnly(ctx, a.cache, store.WithNow(a.env.now)); rerr == nil {
			return ro, nil
		}
	}
	if err != nil {
		return nil, &cacheError{err: err}
	}
	return st, nil
}

// Key sources, for status and error advice.
const (
	sourceEnv      = "env"
	sourceKeychain = "keychain"
)

// key returns the key to use: the environment variable's, else the
// keychain's for the profile; either passes checkKey or is refused.
func (a *app) key(ctx context.Context) (feed.Secret, string, error) {
	if a.envKeyErr != nil {
		return feed.Secret{}, "", a.envKeyErr
	}
	if !a.envKey.IsZero() {
		return a.envKey, sourceEnv, nil
	}
	k, err := a.env.keychain.get(ctx, keychainService, a.profile)
	if err != nil {
		return feed.Secret{}, "", err
	}
	if feed.NewSecret(k).IsZero() {
		return feed.Secret{}, "", &keychainError{op: "read", profile: a.profile, backend: a.env.keychain.backendName(), kind: errNoKey}
	}
	s, err := checkKey(k)
	if err != nil {
		return feed.Secret{}, "", keyFrom(err, fmt.Sprintf("It is the key stored in the keychain for profile %q: run \"claudit login --profile %s\" to store a valid one.", a.profile, a.profile))
	}
	return s, sourceKeychain, nil
}

// keyFrom adds to checkKey's refusal where the refused key came from.
func keyFrom(err error, where string) error {
	var kk *keyKindError
	if errors.As(err, &kk) {
		return &keyKindError{msg: kk.msg + "\n" + where}
	}
	return err
}

// newClient builds the API client for key; hook (may be nil) sees every
// retry wait. It gives up as a command without a screen should
// (feed.HeadlessRetryPolicy) unless extra options say otherwise; the
// environment's Retry (tests) overrides both.
func (a *app) newClient(key feed.Secret, hook func(feed.RetryEvent), extra ...feed.Option) (*feed.Client, error) {
	opts := []feed.Option{
		feed.WithBaseURL(a.baseURL),
		feed.WithKey(key),
		feed.WithUserAgent(userAgent()),
		feed.WithAPIVersion(a.apiVersion()),
		feed.WithRetry(feed.HeadlessRetryPolicy()),
	}
	opts = append(opts, extra...)
	if a.env.retry != nil {
		opts = append(opts, feed.WithRetry(*a.env.retry))
	}
	if hook != nil {
		opts = append(opts, feed.WithRetryHook(hook))
	}
	c, err := feed.New(opts...)
	if err != nil {
		return nil, &usageError{err: err}
	}
	return c, nil
}

// scrub removes the environment key from text, as a last line of defence:
// every layer below already keeps it out of errors. While redacting it
// also masks personal data: it is what every message to stderr passes.
func (a *app) scrub(text string) string {
	if k := a.envKey.Reveal(); k != "" && strings.Contains(text, k) {
		text = strings.ReplaceAll(text, k, "["+a.envKey.Masked()+"]")
	}
	return a.redactor().String(text)
}

// redactor is the process's Redactor with --redact (or redact = true),
// else nil, which masks nothing.
func (a *app) redactor() *feed.Redactor {
	if !a.redact {
		return nil
	}
	return a.sessionRedactor()
}

// sessionRedactor is the process's Redactor whether or not redaction is
// on: the explorer's R switches it on later.
func (a *app) sessionRedactor() *feed.Redactor {
	if a.red == nil {
		a.red = feed.NewRedactor(nil)
	}
	return a.red
}

// warn prints a note on stderr.
func (a *app) warn(format string, args ...any) {
	fmt.Fprintln(a.env.stderr, "claudit: "+safe.Text(a.scrub(fmt.Sprintf(format, args...))))
}

// fprintf writes to w ignoring errors (a closed pipe is the reader's choice).
func fprintf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

// maxCommandTypo is how far (edit distance) a first word may be from a
// command name to be taken for a mistyped command rather than free text.
const maxCommandTypo = 2

// mistypedCommand is the usage error for a first word of the explorer's
// query that is a mistyped command (claudit qeury since:1h), else nil. Only
// a bare word can be one: a field term (since:1h), quoted text, an id, an
// e-mail, a view or an exclusion is a real query term. A bare word is one
// when it is within maxCommandTypo edits of a command (and not made
// entirely of edits, as "ip" is of "sim"); free text that is no command's
// neighbour (mozilla) stays a search.
func mistypedCommand(root *cobra.Command, word string) error {
	if word == "" || strings.Trim(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "" {
		return nil
	}
	lower := strings.ToLower(word)
	best, bestD := "", maxCommandTypo+1
	for _, c := range root.Commands() {
		if c.Hidden || c.Deprecated != "" {
			continue
		}
		for _, name := range append([]string{c.Name()}, c.Aliases...) {
			if d := feed.EditDistance(lower, name); d < bestD && d < len(word) {
				best, bestD = name, d
			}
		}
	}
	if best == "" {
		return nil
	}
	return &usageError{err: fmt.Errorf("unknown command %q; did you mean %q?\n"+
		"\"claudit help\" lists the commands; to search for the word, quote it: claudit '\"%s\"'", word, best, word)}
}

// usageArgs makes an argument validator's complaint a usage error that
// names the command (once: stderr already says "claudit: ") and points at
// its help.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		if err == nil {
			return nil
		}
		path := cmd.CommandPath()
		if !strings.Contains(err.Error(), path) { // cobra's "unknown command \"x\" for \"claudit login\"" names it
			err = fmt.Errorf("%s: %w", strings.TrimPrefix(path, cmd.Root().Name()+" "), err)
		}
		return &usageError{err: fmt.Errorf("%w\nsee \"%s --help\"", err, path)}
	}
}
