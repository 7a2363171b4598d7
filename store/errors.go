package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Driver errors are mapped to these so callers can branch
// with errors.Is and print a message that says what to do.
var (
	// ErrNotFound means the requested activity is not in the cache.
	ErrNotFound = errors.New("not in the cache")
	// ErrBusy means another process held the cache's write lock for too long.
	ErrBusy = errors.New("the cache is busy (another claudit is writing to it): try again, or point --cache elsewhere")
	// ErrCorrupt means the cache file is damaged.
	ErrCorrupt = errors.New("the cache file is damaged: delete it (it is only a cache) or point --cache elsewhere")
	// ErrFull means the disk holding the cache is full.
	ErrFull = errors.New("the cache disk is full: free space or point --cache elsewhere")
	// ErrNewer means the cache was written by a newer claudit (it has a
	// migration this binary does not know).
	ErrNewer = errors.New("the cache was written by a newer claudit: upgrade, or use another --cache")
	// ErrSymlink means the cache path (or its WAL or SHM file) is a
	// symbolic link, which claudit neither follows nor chmods through.
	ErrSymlink = errors.New("claudit does not follow a symbolic link for its cache: give the target's path to --cache")
	// ErrPermission means the cache file or its directory cannot be read or written.
	ErrPermission = errors.New("the cache cannot be opened or written (permissions, or a read-only disk): fix its permissions or point --cache elsewhere")
)

// mapErr wraps a driver error with the matching sentinel, keeping the
// original text for diagnosis; what says what the store was doing.
func mapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		var sentinel error
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			sentinel = ErrBusy
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			sentinel = ErrCorrupt
		case sqlite3.SQLITE_FULL:
			sentinel = ErrFull
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
			sentinel = ErrPermission
		case sqlite3.SQLITE_INTERRUPT:
			return fmt.Errorf("%s: interrupted: %w", what, context.Canceled)
		case sqlite3.SQLITE_ERROR:
			// The store's statements name only its own schema: a missing
			// table, column or index means the file's schema is damaged.
			if msg := err.Error(); strings.Contains(msg, "no such table") || strings.Contains(msg, "no such column") ||
				strings.Contains(msg, "no such index") {
				sentinel = ErrCorrupt
			}
		}
		if sentinel != nil {
			return fmt.Errorf("%s: %w (%v)", what, sentinel, err)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
