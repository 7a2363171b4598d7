package main

import (
	"context"
	"io"
	"os"
	"time"

	"claudit/feed"

	"github.com/charmbracelet/x/term"
)

// environment is everything a claudit run touches outside the process: streams,
// environment, terminal, keychain and clock. main builds the real one;
// tests build their own and call run in-process.
type environment struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// getenv and unsetenv read and remove environment variables. The key
	// variable is removed as soon as it has been read.
	getenv   func(string) string
	unsetenv func(string) error

	// isTerminal reports whether a stream (stdin, stdout or stderr) is a
	// terminal; termWidth returns its width in cells (0 when unknown).
	isTerminal func(stream any) bool
	termWidth  func(stream any) int
	// readPassword reads a line from a terminal stream without echo.
	readPassword func(stream any) ([]byte, error)

	// keychain is the OS keychain.
	keychain keychain

	// now is the clock; location the local time zone (nil = time.Local).
	now      func() time.Time
	location *time.Location

	// retry overrides the client's retry policy (nil = the default), so a
	// test of a stopped server gives up in about a second, not thirty.
	retry *feed.RetryPolicy

	// fetchDirectory reads the Compliance directory (nil: through the
	// API client; tests fake it).
	fetchDirectory directoryFetcher
}

// keychain stores one secret per (service, account) in the OS keychain.
// Every call honours ctx; the system keyring also bounds each call by
// keychainTimeout and maps failures to *keychainError.
type keychain interface {
	get(ctx context.Context, service, account string) (string, error)
	set(ctx context.Context, service, account, secret string) error
	delete(ctx context.Context, service, account string) error
	// backendName names the keychain for `claudit status`.
	backendName() string
}

// systemEnv is the environment of the real process.
func systemEnv() *environment {
	return &environment{
		stdin:        os.Stdin,
		stdout:       os.Stdout,
		stderr:       os.Stderr,
		getenv:       os.Getenv,
		unsetenv:     os.Unsetenv,
		isTerminal:   isTerminal,
		termWidth:    termWidth,
		readPassword: readPassword,
		keychain:     newSystemKeyring(os.Getenv),
		now:          time.Now,
	}
}

// fdOf returns the file descriptor behind a stream, if it has one.
func fdOf(stream any) (uintptr, bool) {
	f, ok := stream.(interface{ Fd() uintptr })
	if !ok {
		return 0, false
	}
	return f.Fd(), true
}

func isTerminal(stream any) bool {
	fd, ok := fdOf(stream)
	return ok && term.IsTerminal(fd)
}

func termWidth(stream any) int {
	fd, ok := fdOf(stream)
	if !ok {
		return 0
	}
	w, _, err := term.GetSize(fd)
	if err != nil {
		return 0
	}
	return w
}

func readPassword(stream any) ([]byte, error) {
	fd, ok := fdOf(stream)
	if !ok {
		return nil, os.ErrInvalid
	}
	return term.ReadPassword(fd)
}
