package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// keychainService is the service name claudit's keys are stored under; the
// account is the profile name.
const keychainService = "claudit"

// keychainTimeout bounds every keychain call: a locked keyring may wait
// forever on an unlock prompt nobody sees, and a broken D-Bus may hang.
const keychainTimeout = 3 * time.Second

// envKeyVar overrides the keychain (CI, headless machines). It is read once
// and removed from the environment, so child processes never inherit it.
const envKeyVar = "ANTHROPIC_COMPLIANCE_ACCESS_KEY"

// Kinds of keychain failure, each with its own advice.
var (
	// errNoKey means the keychain has no key for the profile.
	errNoKey = errors.New("no key stored")
	// errNoSecretService means there is no keychain to talk to (typically a
	// headless Linux machine without a Secret Service).
	errNoSecretService = errors.New("no Secret Service")
	// errKeychainLocked means the keychain refused to unlock.
	errKeychainLocked = errors.New("keychain locked")
	// errKeychainTimeout means the keychain did not answer in time.
	errKeychainTimeout = errors.New("keychain timed out")
)

// keychainError is a failed keychain call with the advice that fixes it.
// kind is one of the err* sentinels above, or nil for other failures.
type keychainError struct {
	op      string // "read", "store", "delete"
	profile string
	backend string
	kind    error
	cause   error // the underlying error (never holds the key)
}

// Error returns one or two sentences: what failed and what to do.
func (e *keychainError) Error() string {
	switch e.kind {
	case errNoKey:
		return fmt.Sprintf("no key for profile %q in the keychain: run \"claudit login --profile %s\", or set %s", e.profile, e.profile, envKeyVar)
	case errNoSecretService:
		return fmt.Sprintf("no Secret Service on this machine, so there is no keychain to %s the key (%v). On a headless Linux machine start a keyring (e.g. gnome-keyring-daemon in a D-Bus session), or set %s",
			e.op, e.cause, envKeyVar)
	case errKeychainLocked:
		return fmt.Sprintf("the keychain (%s) is locked: unlock it and try again, or set %s", e.backend, envKeyVar)
	case errKeychainTimeout:
		return fmt.Sprintf("the keychain (%s) did not answer within %s (it may be waiting for an unlock prompt): unlock it and try again, or set %s",
			e.backend, keychainTimeout, envKeyVar)
	}
	return fmt.Sprintf("cannot %s the key in the keychain (%s): %v", e.op, e.backend, e.cause)
}

// Unwrap lets errors.Is match the kind.
func (e *keychainError) Unwrap() []error {
	var out []error
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// systemKeyring is the OS keychain through go-keyring, each call bounded by
// a timeout and its failures mapped to actionable errors.
type systemKeyring struct {
	backend keyring.Keyring
	getenv  func(string) string
	goos    string
	timeout time.Duration
}

// newSystemKeyring returns the real keychain.
func newSystemKeyring(getenv func(string) string) *systemKeyring {
	return &systemKeyring{backend: goKeyring{}, getenv: getenv, goos: runtime.GOOS, timeout: keychainTimeout}
}

// goKeyring adapts go-keyring's package functions to its Keyring interface.
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, pass string) error     { return keyring.Set(service, user, pass) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }
func (goKeyring) DeleteAll(service string) error           { return keyring.DeleteAll(service) }

// backendName names the platform keychain.
func (k *systemKeyring) backendName() string {
	switch k.goos {
	case "darwin":
		return "macOS Keychain"
	case "windows":
		return "Windows Credential Manager"
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return "Secret Service (D-Bus)"
	}
	return "unsupported on " + k.goos
}

// get reads the secret of account.
func (k *systemKeyring) get(ctx context.Context, service, account string) (string, error) {
	var v string
	err := k.call(ctx, "read", account, func() error {
		var err error
		v, err = k.backend.Get(service, account)
		return err
	})
	return v, err
}

// set stores secret for account, replacing any previous one.
func (k *systemKeyring) set(ctx context.Context, service, account, secret string) error {
	err := k.call(ctx, "store", account, func() error { return k.backend.Set(service, account, secret) })
	var ke *keychainError
	if errors.As(err, &ke) && ke.cause != nil && secret != "" && strings.Contains(ke.cause.Error(), secret) {
		// A backend error must never carry the key into a message.
		ke.cause = errors.New(strings.ReplaceAll(ke.cause.Error(), secret, "[the key]"))
	}
	return err
}

// delete removes the secret of account (errNoKey when there is none).
func (k *systemKeyring) delete(ctx context.Context, service, account string) error {
	return k.call(ctx, "delete", account, func() error { return k.backend.Delete(service, account) })
}

// call runs op under the timeout and maps its failure.
func (k *systemKeyring) call(ctx context.Context, opName, account string, op func() error) error {
	fail := func(kind, cause error) error {
		return &keychainError{op: opName, profile: account, backend: k.backendName(), kind: kind, cause: cause}
	}
	if err := k.precheck(); err != nil {
		return fail(errNoSecretService, err)
	}
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	done := make(chan error, 1)
	// go-keyring cannot be cancelled: on timeout the call is abandoned and
	// its goroutine ends when the backend answers (or with the process).
	go func() { done <- op() }()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		return fail(classifyKeyringError(err), err)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fail(errKeychainTimeout, ctx.Err())
		}
		return fmt.Errorf("keychain %s: %w", opName, ctx.Err())
	}
}

// precheck fails fast where no Secret Service can exist: without a session
// bus address D-Bus would try to autolaunch a bus (dbus-launch), which
// hangs or spawns daemons on a headless machine.
func (k *systemKeyring) precheck() error {
	switch k.goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return nil
	}
	if k.getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if dir := k.getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return nil
		}
	}
	return errors.New("DBUS_SESSION_BUS_ADDRESS is not set and there is no session bus")
}

// classifyKeyringError maps a go-keyring failure to one of the kinds.
// go-keyring passes D-Bus errors through as text, so this matches the
// messages of the Secret Service and of godbus.
func classifyKeyringError(err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return errNoKey
	}
	msg := err.Error()
	for _, s := range []string{"failed to unlock", "IsLocked", "is locked", "dismissed"} {
		if strings.Contains(msg, s) {
			return errKeychainLocked
		}
	}
	for _, s := range []string{"org.freedesktop.secrets", "ServiceUnknown", "was not provided by any", "NameHasNoOwner",
		"DBUS_SESSION_BUS_ADDRESS", "dbus-launch", "connection refused", "no such file or directory", "autolaunch"} {
		if strings.Contains(msg, s) {
			return errNoSecretService
		}
	}
	return nil
}
