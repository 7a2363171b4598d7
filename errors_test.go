package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"claudit/feed"
	"claudit/store"

	"github.com/spf13/cobra"
)

// TestExitCodeTable pins the exit codes of DESIGN.md's CLI contract for
// every error kind, bare and wrapped, and the order of the table where
// kinds overlap.
func TestExitCodeTable(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("sync: %w", err) }
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"unknown", errors.New("something"), exitUsage},
		{"usage", &usageError{err: errors.New("bad flag")}, exitUsage},
		{"query", &queryError{text: "x:", err: errors.New("bad")}, exitUsage},
		{"verify", &store.VerifyError{}, exitUnverified},
		{"key kind", &keyKindError{msg: "not a compliance key"}, exitAuth},
		{"keychain", &keychainError{kind: errNoKey}, exitAuth},
		{"401", &feed.APIError{Status: 401}, exitAuth},
		{"403", &feed.APIError{Status: 403}, exitAuth},
		{"cache kind", &cacheError{err: errors.New("disk")}, exitCache},
		{"unreachable", feed.ErrUnreachable, exitAPI},
		{"retries", &feed.RetryExhaustedError{Attempts: 3, Last: errors.New("503")}, exitAPI},
		{"500", &feed.APIError{Status: 500}, exitAPI},
		{"api run", &apiRunError{err: errors.New("did not converge")}, exitAPI},
		{"interrupted", context.Canceled, exitInterrupted},
		// Overlaps: an interrupt wins over the cache, a query error over
		// the API, a 401 after retries is still authentication.
		{"interrupted cache", &cacheError{err: context.Canceled}, exitInterrupted},
		{"401 after retries", &feed.RetryExhaustedError{Attempts: 2, Last: &feed.APIError{Status: 401}}, exitAuth},
	}
	for _, s := range cacheSentinels() {
		cases = append(cases, struct {
			name string
			err  error
			want int
		}{s.Error(), s, exitCache})
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
		if c.err == nil {
			continue
		}
		if got := exitCode(wrap(c.err)); got != c.want && c.want != exitUsage {
			t.Errorf("%s wrapped: exitCode = %d, want %d", c.name, got, c.want)
		}
		if code, _ := (&app{env: &environment{getenv: func(string) string { return "" }}}).describe(c.err); code != c.want {
			t.Errorf("%s: describe says exit %d, exitCode %d", c.name, code, c.want)
		}
	}
	// A sync failure the table does not know is the API's; one it knows
	// keeps its code.
	if got := exitCode(apiFailure(errors.New("coverage did not converge"))); got != exitAPI {
		t.Errorf("unknown sync failure: exit %d, want %d", got, exitAPI)
	}
	if got := exitCode(apiFailure(store.ErrBusy)); got != exitCache {
		t.Errorf("busy cache during a sync: exit %d, want %d", got, exitCache)
	}
}

// TestErrorsArePrefixedOnce runs every command with a flag it does not
// know and with arguments it cannot take: each error says "claudit: "
// once, at the start, never "claudit: claudit key: …".
func TestErrorsArePrefixedOnce(t *testing.T) {
	e := newTestEnv(t)
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	root := (&app{env: e.environment}).rootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if !sub.Hidden {
				p := append(slices.Clone(path), sub.Name())
				paths = append(paths, p)
				walk(sub, p)
			}
		}
	}
	walk(root, nil)
	failed := 0
	for _, path := range paths {
		for _, extra := range [][]string{{"--no-such-flag"}, {"%bad", "x", "y", "z"}} {
			args := append(slices.Clone(path), extra...)
			code, _, stderr := e.run(args...)
			if code == exitOK { // help and completion print their help
				continue
			}
			failed++
			if !strings.HasPrefix(stderr, "claudit: ") || strings.Count(stderr, "claudit: ") != 1 || strings.Contains(stderr, "claudit: claudit") {
				t.Errorf("claudit %s: exit %d, stderr %q: want \"claudit: \" once, at the start", strings.Join(args, " "), code, stderr)
			}
		}
	}
	if len(paths) < 19 || failed < 2*len(paths)-2 { // help and completion answer bad arguments with their help
		t.Fatalf("%d commands, %d failures checked", len(paths), failed)
	}
}
