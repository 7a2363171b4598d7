package main

import (
	"context"
	"io"
	"os"
	"time"

	"claudit/feed"

	"github.com/charmbracelet/x/term"
)

// Env is everything a claudit run touches outside the process: streams,
// environment, terminal, keychain and clock. main builds the real one;
// tests build their own and call run in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// Getenv and Unsetenv read and remove environment variables. The key
	// variable is removed as soon as it has been read.
	Getenv   func(string) string
	Unsetenv func(string) error

	// IsTerminal reports whether a stream (Stdin, Stdout or Stderr) is a
	// terminal; TermWidth returns its width in cells (0 when unknown).
	IsTerminal func(stream any) bool
	TermWidth  func(stream any) int
	// ReadPassword reads a line from a terminal stream without echo.
	ReadPassword func(stream any) ([]byte, error)

	// Keyring is the OS keychain.
	Keyring Keyring

	// Now is the clock; Location the local time zone (nil = time.Local).
	Now      func() time.Time
	Location *time.Location

	// Retry overrides the client's retry policy (nil = the default), so a
	// test of a stopped server gives up in about a second, not thirty.
	Retry *feed.RetryPolicy
}

// Keyring stores one secret per (service, account) in the OS keychain.
// Every call honours ctx; the system keyring also bounds each call by
// keychainTimeout and maps failures to *KeychainError.
type Keyring interface {
	Get(ctx context.Context, service, account string) (string, error)
	Set(ctx context.Context, service, account, secret string) error
	Delete(ctx context.Context, service, account string) error
	// Backend names the keychain for `claudit status`.
	Backend() string
}

// systemEnv is the Env of the real process.
func systemEnv() *Env {
	return &Env{
		Stdin:        os.Stdin,
		Stdout:       os.Stdout,
		Stderr:       os.Stderr,
		Getenv:       os.Getenv,
		Unsetenv:     os.Unsetenv,
		IsTerminal:   isTerminal,
		TermWidth:    termWidth,
		ReadPassword: readPassword,
		Keyring:      newSystemKeyring(os.Getenv),
		Now:          time.Now,
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
