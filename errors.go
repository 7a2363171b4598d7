package main

// How a failed command ends: its exit code (DESIGN.md "CLI contract") and
// the one or two sentences it prints, both read from one table over the
// error kinds of this package and the sentinel errors of feed and store.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"
)

// Exit codes (DESIGN.md "CLI contract").
const (
	exitOK          = 0
	exitUsage       = 1 // usage or query error
	exitAuth        = 2 // authentication, permission, or no usable key
	exitAPI         = 3 // network or API failure after retries
	exitCache       = 4 // the cache cannot be opened, read or written
	exitUnverified  = 5 // an evidence bundle that does not verify
	exitInterrupted = 130
)

// Error kinds that carry their exit code.
type (
	// usageError is a command line the program cannot run (exit 1).
	usageError struct{ err error }
	// queryError is a query that does not parse (exit 1, with a caret).
	queryError struct {
		text string
		err  error
	}
	// cacheError is a failure of the cache (exit 4).
	cacheError struct{ err error }
	// keyKindError is a key claudit refuses by its prefix (exit 2).
	keyKindError struct{ msg string }
)

func (e *usageError) Error() string   { return e.err.Error() }
func (e *usageError) Unwrap() error   { return e.err }
func (e *queryError) Error() string   { return e.err.Error() }
func (e *queryError) Unwrap() error   { return e.err }
func (e *cacheError) Error() string   { return e.err.Error() }
func (e *cacheError) Unwrap() error   { return e.err }
func (e *keyKindError) Error() string { return e.msg }

// apiRunError marks a failure of a sync that the exit-code table does not
// otherwise know (a server that never lets the coverage converge, a sink
// failure, …): it is the API's (exit 3).
type apiRunError struct{ err error }

func (e *apiRunError) Error() string { return e.err.Error() }
func (e *apiRunError) Unwrap() error { return e.err }

// exitRule is one row of the exit-code table: which errors it takes, their
// exit code, and what stderr says about them.
type exitRule struct {
	match func(error) bool
	code  int
	say   func(a *app, err error) string
}

// wraps matches errors that wrap target.
func wraps(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// isA matches errors that wrap a T.
func isA[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// asA is the T that err wraps (the zero T when there is none).
func asA[T error](err error) T {
	var t T
	errors.As(err, &t)
	return t
}

// cacheSentinels are the store's errors that mean the cache failed (exit 4).
func cacheSentinels() []error {
	return []error{store.ErrBusy, store.ErrCorrupt, store.ErrFull, store.ErrPermission, store.ErrNewer, store.ErrSymlink}
}

// isCacheErr reports whether err is one of the store's sentinel errors.
func isCacheErr(err error) bool {
	for _, s := range cacheSentinels() {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// exitRules is the exit-code table: the first row that matches an error
// decides. An error no row matches is a usage error (exit 1) and says its
// own text.
func exitRules() []exitRule {
	own := func(_ *app, err error) string { return err.Error() }
	return []exitRule{
		{wraps(context.Canceled), exitInterrupted, func(*app, error) string { return "interrupted" }},
		{isA[*queryError], exitUsage, func(_ *app, err error) string { return "query error: " + asA[*queryError](err).err.Error() }},
		{isA[*store.VerifyError], exitUnverified, func(_ *app, err error) string {
			return "the bundle does not verify: " + asA[*store.VerifyError](err).Error()
		}},
		{isA[*usageError], exitUsage, func(_ *app, err error) string { return asA[*usageError](err).Error() }},
		{isA[*keyKindError], exitAuth, func(_ *app, err error) string { return asA[*keyKindError](err).msg }},
		{isA[*keychainError], exitAuth, func(_ *app, err error) string { return asA[*keychainError](err).Error() }},
		{feed.IsAuth, exitAuth, func(a *app, err error) string { return a.authMessage(asA[*feed.APIError](err)) }},
		{feed.IsPermission, exitAuth, func(_ *app, err error) string { return permissionMessage(asA[*feed.APIError](err)) }},
		{func(err error) bool { return isCacheErr(err) || isA[*cacheError](err) }, exitCache,
			func(_ *app, err error) string { return "cache error: " + err.Error() }},
		{wraps(feed.ErrUnreachable), exitAPI, func(a *app, err error) string {
			return "the Compliance API cannot be reached (" + a.host() + "): " + err.Error() +
				"\nCheck the network and --base-url / " + envBaseURL + "; the cache keeps everything fetched so far."
		}},
		{isA[*feed.RetryExhaustedError], exitAPI, func(_ *app, err error) string {
			return "the Compliance API kept failing, " + asA[*feed.RetryExhaustedError](err).Error() +
				"\nTry again later; the cache keeps everything fetched so far."
		}},
		{isA[*feed.APIError], exitAPI, func(_ *app, err error) string { return asA[*feed.APIError](err).Error() }},
		{isA[*apiRunError], exitAPI, own},
	}
}

// exitRuleOf is the row of the exit-code table that decides err.
func exitRuleOf(err error) (exitRule, bool) {
	for _, r := range exitRules() {
		if r.match(err) {
			return r, true
		}
	}
	return exitRule{}, false
}

// exitCode is the exit code of err (nil: exitOK).
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if r, ok := exitRuleOf(err); ok {
		return r.code
	}
	return exitUsage
}

// apiFailure marks a sync failure the exit-code table does not know as
// the API's (exit 3); an error it knows keeps its own code.
func apiFailure(err error) error {
	if _, ok := exitRuleOf(err); ok || err == nil {
		return err
	}
	return &apiRunError{err: err}
}

// describe maps an error to its exit code and the text for stderr: one or
// two plain sentences, sanitised, never a stack trace and never the key.
func (a *app) describe(err error) (int, string) {
	code, msg := exitUsage, err.Error()
	if r, ok := exitRuleOf(err); ok {
		code, msg = r.code, r.say(a, err)
	}
	msg = a.scrub(msg)
	var lines []string
	for l := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		lines = append(lines, safe.Text(l))
	}
	out := "claudit: " + strings.Join(lines, "\n") + "\n"
	var qe *queryError
	if errors.As(err, &qe) {
		out += caretLines(qe, a.redactor())
	}
	return code, out
}

// host is the configured API host, for messages.
func (a *app) host() string {
	if u, err := url.Parse(a.baseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return a.baseURL
}

// authMessage explains a 401.
func (a *app) authMessage(ae *feed.APIError) string {
	var b strings.Builder
	b.WriteString("the key was rejected (401)")
	if ae != nil && ae.Message != "" {
		b.WriteString(": " + strings.TrimSuffix(ae.Message, "."))
	}
	if ae != nil && ae.RequestID != "" {
		b.WriteString(" (request-id " + ae.RequestID + ")")
	}
	b.WriteString(".\n")
	switch {
	case a.loggingIn:
		b.WriteString("The key was not stored: check that the whole key was pasted and that it is not revoked or disabled.")
	case !a.envKey.IsZero():
		b.WriteString("The key comes from " + envKeyVar + ", which overrides the keychain: check it, or unset it and run \"claudit login\".")
	default:
		fmt.Fprintf(&b, "It may be wrong, revoked or disabled: run \"claudit login --profile %s\" to store a valid key.", a.profile)
	}
	return b.String()
}

// permissionMessage explains a 403 with the scopes the key has and needs.
func permissionMessage(ae *feed.APIError) string {
	got, needed := "(not reported)", "read:compliance_activities"
	if ae != nil {
		if ae.GotScopes != nil {
			got = strings.Join(ae.GotScopes, ", ")
			if got == "" {
				got = "none"
			}
		}
		if len(ae.NeededScopes) > 0 {
			needed = strings.Join(ae.NeededScopes, ", ")
		}
	}
	msg := fmt.Sprintf("the key lacks the scope for the Activity Feed (403): it has %s; it needs %s.", got, needed)
	if ae != nil && ae.RequestID != "" {
		msg = strings.TrimSuffix(msg, ".") + " (request-id " + ae.RequestID + ")."
	}
	if !strings.Contains(needed, feed.ScopeOrgAudit) {
		needed += " or " + feed.ScopeOrgAudit
	}
	return msg + "\nCreate a Compliance Access Key with " + needed + " (or an Admin API key) and run \"claudit login\"."
}
