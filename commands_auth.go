package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
	"unicode"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/printer"
	"claudit/ui/safe"

	"github.com/spf13/cobra"
)

// maxKeyInput bounds what login reads from a pipe: a key is ~100 bytes.
const maxKeyInput = 4096

func (a *app) loginCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "login",
		Short: "Store the API key in the OS keychain (prompts without echo, verifies it first)",
		Long: `login reads a key (without echo on a terminal; from stdin when it is not a
terminal), checks its kind by prefix, verifies it with one request for a single
activity, and stores it in the OS keychain under service "claudit", account = the
profile. Accepted: a Compliance Access Key (the Claude Enterprise admin key,
sk-ant-api01-…, claude.ai › Organization settings › API) with
read:compliance_activities or read:org_audit, or a Claude Console Admin API key
(sk-ant-admin01-…), which can read the feed only, and only if the Compliance API
was on when it was created. A Claude API key (sk-ant-api03-…) is refused: the
Compliance API rejects it.`,
		Example: `  claudit login
  claudit login --profile prod
  pass show anthropic/compliance | claudit login   # from a password manager`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			return a.login(cmd.Context())
		},
	}
}

// readKey prompts for the key and reads it: the terminal line as typed, or
// all of stdin without one final line ending ("\n" or "\r\n"), so a second
// line is part of what checkKey judges, not silently dropped.
func (a *app) readKey() (string, error) {
	if a.env.isTerminal(a.env.stdin) {
		fprintf(a.env.stderr, "Compliance Access Key or Admin API key for profile %q (input hidden): ", a.profile)
		b, err := a.env.readPassword(a.env.stdin)
		fprintf(a.env.stderr, "\n")
		if err != nil {
			return "", &usageError{err: fmt.Errorf("read the key: %w", err)}
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(a.env.stdin, maxKeyInput))
	if err != nil {
		return "", &usageError{err: fmt.Errorf("read the key from stdin: %w", err)}
	}
	in := string(b)
	if l, ok := strings.CutSuffix(in, "\n"); ok {
		in = strings.TrimSuffix(l, "\r")
	}
	return in, nil
}

// checkKey is the one local check of a key, wherever it comes from (login,
// ANTHROPIC_COMPLIANCE_ACCESS_KEY, the keychain), made before any request:
// raw must be a Compliance Access Key or an Admin API key, with no
// whitespace or control character anywhere (a CR or LF inside a key would
// end up in the x-api-key header). It returns the key as a Secret.
func checkKey(raw string) (feed.Secret, error) {
	for _, c := range raw {
		if c <= ' ' || c == 0x7f || unicode.IsSpace(c) || unicode.IsControl(c) {
			return feed.Secret{}, &keyKindError{msg: "the key contains whitespace or a control character (a line break, a tab, a space), which no key has.\n" +
				"Check that the whole key, and only the key, was pasted."}
		}
	}
	k := feed.NewSecret(raw)
	switch k.Kind() {
	case feed.KeyAdmin, feed.KeyCompliance:
		return k, nil
	case feed.KeyModel:
		return feed.Secret{}, &keyKindError{msg: "that is a Claude API key (sk-ant-api03-…), which the Compliance API rejects.\n" +
			"Use a Compliance Access Key (the Claude Enterprise admin key, sk-ant-api01-…, claude.ai › Organization settings › API) with " +
			feed.ScopeActivities + " or " + feed.ScopeOrgAudit + ", or an Admin API key (sk-ant-admin01-…, Console › Settings › Admin keys)."}
	}
	return feed.Secret{}, &keyKindError{msg: "that does not look like a Compliance Access Key (sk-ant-api01-…) or an Admin API key (sk-ant-admin01-…).\n" +
		"Check that the whole key was pasted."}
}

func (a *app) login(ctx context.Context) error {
	if !a.envKey.IsZero() {
		a.warn("note: %s is set and overrides the keychain in this shell", envKeyVar)
	}
	raw, err := a.readKey()
	if err != nil {
		return err
	}
	if raw == "" {
		return &usageError{err: errors.New("no key given")}
	}
	key, err := checkKey(raw)
	if err != nil {
		return err
	}
	client, err := a.newClient(key, nil)
	if err != nil {
		return err
	}
	a.loggingIn = true
	page, err := client.ListPage(ctx, feed.PageParams{Limit: 1})
	if err != nil {
		return apiFailure(err)
	}
	a.loggingIn = false
	if err := a.env.keychain.set(ctx, keychainService, a.profile, key.Reveal()); err != nil {
		return err
	}
	rl := ""
	if page.Meta.RateLimit.Known {
		rl = fmt.Sprintf(" Rate budget %d/%d.", page.Meta.RateLimit.Remaining, page.Meta.RateLimit.Limit)
	}
	fprintf(a.env.stdout, "Verified the key (%s) against %s and stored it in the keychain (%s) for profile %q.%s\nKind: %s; it reads %s.\n",
		key.Masked(), a.host(), a.env.keychain.backendName(), a.profile, rl, key.Kind().Describe(), key.Kind().Reach())
	return nil
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "logout",
		Short:   "Delete the profile's key from the OS keychain",
		Example: "  claudit logout --profile prod",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			err := a.env.keychain.delete(cmd.Context(), keychainService, a.profile)
			switch {
			case errors.Is(err, errNoKey):
				fprintf(a.env.stdout, "No key was stored for profile %q.\n", a.profile)
				return nil
			case err != nil:
				return err
			}
			fprintf(a.env.stdout, "Deleted the key of profile %q from the keychain (%s).\n", a.profile, a.env.keychain.backendName())
			if !a.envKey.IsZero() {
				a.warn("note: %s is still set in this shell and will be used", envKeyVar)
			}
			return nil
		},
	}
}

func (a *app) statusCommand() *cobra.Command {
	var (
		check  bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the profile, key (masked), keychain, cache, coverage, last sync and rate budget",
		Long: `status shows the profile, the key's kind and last four characters and where it
comes from (keychain or environment), the keychain backend, the config file's
path and whether it was found, the cache's path, size and permissions, how much
of the last 30 days it covers, and the last sync.
It makes no request unless --check is given: then one request for a single
activity verifies the key and reads the rate budget.

--format json prints the same as one JSON object for scripts and monitoring
(is the cache fresh, when did the last sync finish, how much budget is left);
the README documents every field.`,
		Example: `  claudit status
  claudit status --check --profile prod
  claudit status --format json | jq .freshness.age_seconds`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			switch format {
			case printer.FormatJSON:
				return a.statusJSON(cmd.Context(), check)
			case printer.FormatTable:
				return a.status(cmd.Context(), check)
			}
			return &usageError{err: fmt.Errorf("--format %q: want table or json", format)}
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "verify the key and read the rate budget with one request")
	cmd.Flags().StringVarP(&format, "format", "o", printer.FormatTable, "output format: table or json")
	return cmd
}

func (a *app) status(ctx context.Context, check bool) error {
	out := &strings.Builder{}
	row := func(label, value string) { fmt.Fprintf(out, "%-12s %s\n", label, value) }
	now := a.env.now()
	ts := func(t time.Time) string { return t.In(a.loc()).Format(printer.PrintTimeLayout) }

	row("profile", a.profile)
	key, source, keyErr := a.key(ctx)
	switch {
	case keyErr != nil:
		row("key", "none: "+strings.ReplaceAll(keyErr.Error(), "\n", " "))
	case source == sourceEnv:
		row("key", key.Masked()+" from "+envKeyVar+" (overrides the keychain)")
	default:
		row("key", key.Masked()+" from the keychain")
	}
	if keyErr == nil {
		row("key kind", key.Kind().Describe()+": reads "+key.Kind().Reach())
	}
	row("keychain", fmt.Sprintf("%s, service %q, account %q", a.env.keychain.backendName(), keychainService, a.profile))
	row("base URL", a.baseURL)
	row("config", a.configStatus())

	var runErr error
	if _, err := os.Stat(a.cache); errors.Is(err, fs.ErrNotExist) {
		row("catalogue", catalogueStatus(ctx, nil))
		row("cache", a.cache+" (not created yet: run claudit sync)")
	} else if st, err := a.openStore(ctx); err != nil {
		row("catalogue", catalogueStatus(ctx, nil))
		row("cache", a.cache)
		runErr = err
	} else {
		row("catalogue", catalogueStatus(ctx, st))
		runErr = a.cacheStatus(ctx, st, now, row, ts)
		st.Close()
	}

	if !check {
		row("rate budget", "not checked (claudit status --check makes one request)")
	} else if keyErr == nil {
		m, err := a.verifyKey(ctx, key)
		switch {
		case err != nil:
			row("check", "failed")
			runErr = errors.Join(runErr, apiFailure(err))
		case m.RateLimit.Known:
			row("check", "the key works (request-id "+m.RequestID+")")
			row("rate budget", fmt.Sprintf("%d/%d requests left this minute, resets %s (shared with the whole organisation)",
				m.RateLimit.Remaining, m.RateLimit.Limit, ts(m.RateLimit.Reset)))
		default:
			row("check", "the key works (request-id "+m.RequestID+")")
			row("rate budget", "not reported by the server")
		}
	}
	fprintf(a.env.stdout, "%s", safe.Multiline(a.scrub(out.String())))
	var refused *keyKindError
	if check && keyErr != nil || errors.As(keyErr, &refused) {
		return keyErr
	}
	return runErr
}

// cacheStatus adds the cache, coverage and last-sync rows.
func (a *app) cacheStatus(ctx context.Context, st *store.Store, now time.Time, row func(string, string), ts func(time.Time) string) error {
	stats, err := st.Stats(ctx)
	if err != nil {
		row("cache", a.cache)
		return &cacheError{err: err}
	}
	row("cache", stats.Path)
	desc := fmt.Sprintf("%s, %s, %s", humanBytes(stats.Bytes), stats.Mode, printer.Count(stats.Events, "event"))
	if stats.Events > 0 {
		desc += ", " + ts(stats.Oldest) + " → " + ts(stats.Newest)
	}
	row("", desc)
	cov, err := st.Coverage(ctx, "", syncWindow(feed.Query{}, now))
	if err != nil {
		return &cacheError{err: err}
	}
	row("coverage", fmt.Sprintf("%d%% of the last 30 days (%s)", int(cov.Fraction*100), printer.Count(len(cov.Missing), "gap")))
	if err := a.directoryStatus(ctx, st, row); err != nil {
		return err
	}
	if r := stats.LastRun; r == nil {
		row("last sync", "never")
	} else {
		s := r.Summary
		desc := fmt.Sprintf("%s (%s, %s, %s, %s)", ts(r.Info.Started), r.Info.Kind, printer.Count(s.Pages, "page"),
			printer.Count(s.Events, "event"), printer.Count(s.Retries, "retry"))
		switch {
		case s.Err != "":
			desc += " failed: " + s.Err
		case s.Finished.IsZero():
			desc += " did not finish"
		default:
			desc += " ok"
		}
		row("last sync", desc)
	}
	return nil
}

// humanBytes renders a size in B, KiB, MiB or GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"B", "KiB", "MiB", "GiB"}[i])
}
