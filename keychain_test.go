package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed/sim"

	"github.com/zalando/go-keyring"
)

// stubBackend is a go-keyring backend whose calls return err, or block
// until release is closed.
type stubBackend struct {
	err     error
	release chan struct{}
	calls   int
	secret  string
}

func (s *stubBackend) wait() error {
	s.calls++
	if s.release != nil {
		<-s.release
	}
	return s.err
}
func (s *stubBackend) Get(string, string) (string, error) { return s.secret, s.wait() }
func (s *stubBackend) Set(string, string, string) error   { return s.wait() }
func (s *stubBackend) Delete(string, string) error        { return s.wait() }
func (s *stubBackend) DeleteAll(string) error             { return s.wait() }

func stubKeyring(b *stubBackend, env map[string]string) *systemKeyring {
	return &systemKeyring{backend: b, getenv: func(k string) string { return env[k] }, goos: "linux", timeout: keychainTimeout}
}

func TestKeychainTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &stubBackend{release: make(chan struct{})}
		k := stubKeyring(b, map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"})
		start := time.Now()
		_, err := k.get(context.Background(), keychainService, "default")
		if !errors.Is(err, errKeychainTimeout) {
			t.Fatalf("err = %v, want a timeout", err)
		}
		if d := time.Since(start); d != keychainTimeout {
			t.Fatalf("gave up after %s, want exactly %s", d, keychainTimeout)
		}
		if !strings.Contains(err.Error(), "did not answer within 3s") || !strings.Contains(err.Error(), envKeyVar) {
			t.Fatalf("message %q", err)
		}
		close(b.release)
	})
}

func TestKeychainErrorMapping(t *testing.T) {
	bus := map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
	cases := []struct {
		err  error
		kind error
		want string
	}{
		{keyring.ErrNotFound, errNoKey, "claudit login --profile default"},
		{errors.New("The name org.freedesktop.secrets was not provided by any .service files"), errNoSecretService, "start a keyring"},
		{errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), errKeychainLocked, "is locked"},
		{errors.New("dbus: connection refused"), errNoSecretService, envKeyVar},
		{errors.New("something else"), nil, "cannot read the key"},
	}
	for _, c := range cases {
		k := stubKeyring(&stubBackend{err: c.err}, bus)
		_, err := k.get(context.Background(), keychainService, "default")
		var ke *keychainError
		if !errors.As(err, &ke) || ke.kind != c.kind || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v → %v (kind %v), want kind %v and %q", c.err, err, ke.kind, c.kind, c.want)
		}
		if c.kind != nil && !errors.Is(err, c.kind) {
			t.Errorf("errors.Is(%v, %v) = false", err, c.kind)
		}
	}
}

func TestKeychainPrecheckNeedsNoBus(t *testing.T) {
	b := &stubBackend{}
	k := stubKeyring(b, map[string]string{})
	err := k.set(context.Background(), keychainService, "default", "sk-ant-admin01-secret")
	if !errors.Is(err, errNoSecretService) || b.calls != 0 {
		t.Fatalf("err = %v after %d backend calls; want errNoSecretService without calling D-Bus", err, b.calls)
	}
	k.goos = "darwin"
	if err := k.set(context.Background(), keychainService, "default", "x"); err != nil || b.calls != 1 {
		t.Fatalf("darwin: err = %v, calls %d", err, b.calls)
	}
}

func TestKeychainSetNeverEchoesTheKey(t *testing.T) {
	const key = "sk-ant-admin01-ECHOED-BY-BACKEND-1234"
	b := &stubBackend{err: fmt.Errorf("cannot store %q: bad things", key)}
	k := stubKeyring(b, map[string]string{"DBUS_SESSION_BUS_ADDRESS": "x"})
	err := k.set(context.Background(), keychainService, "default", key)
	if err == nil || strings.Contains(err.Error(), key) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoginStatusLogout(t *testing.T) {
	_, url := startSim(t, sim.Config{Seed: 7, Events: 1200})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")

	// A model key is refused by prefix, before any request or storing.
	e.stdin = strings.NewReader("sk-ant-api03-model-key-0000000000\n")
	code, _, stderr := e.run("login")
	if code != exitAuth || !strings.Contains(stderr, "Claude API key") || len(e.keyring.m) != 0 {
		t.Fatalf("model key: exit %d, %q, stored %v", code, stderr, len(e.keyring.m))
	}
	// A key the server rejects is not stored.
	e.stdin = strings.NewReader("sk-ant-admin01-unknown-to-the-server\n")
	if code, _, stderr := e.run("login"); code != exitAuth || !strings.Contains(stderr, "(401)") || len(e.keyring.m) != 0 {
		t.Fatalf("401 key: exit %d, %q", code, stderr)
	}
	// A key without the scope is not stored, and the scopes are named.
	e.stdin = strings.NewReader(sim.UserDataOnlyKey)
	if code, _, stderr := e.run("login"); code != exitAuth || !strings.Contains(stderr, "read:compliance_user_data") || len(e.keyring.m) != 0 {
		t.Fatalf("403 key: exit %d, %q", code, stderr)
	}
	// Spaces around a piped key are refused as login refuses any whitespace.
	e.stdin = strings.NewReader("  " + sim.ComplianceKey + "  \n")
	if code, _, stderr := e.run("login"); code != exitAuth || !strings.Contains(stderr, "whitespace") || len(e.keyring.m) != 0 {
		t.Fatalf("spaced key: exit %d, %q", code, stderr)
	}
	// A good key from a pipe (no terminal, a CRLF line end) is verified and stored.
	e.stdin = strings.NewReader(sim.ComplianceKey + "\r\n")
	code, stdout, stderr := e.run("login", "--profile", "prod")
	if code != 0 || e.keyring.m[keychainService+"/prod"] != sim.ComplianceKey {
		t.Fatalf("login: exit %d, %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "compliance key …ance") || strings.Contains(stdout, sim.ComplianceKey) {
		t.Fatalf("login output %q", stdout)
	}
	// On a terminal the key is read without echo.
	e.isTerminal = func(s any) bool { return s == e.stdin }
	e.readPassword = func(any) ([]byte, error) { return []byte(sim.AdminKey), nil }
	if code, _, stderr := e.run("login"); code != 0 || e.keyring.m[keychainService+"/default"] != sim.AdminKey || !strings.Contains(stderr, "input hidden") {
		t.Fatalf("terminal login: exit %d, %q", code, stderr)
	}
	e.isTerminal = func(any) bool { return false }

	code, stdout, _ = e.run("status", "--profile", "prod", "--check")
	for _, want := range []string{"prod", "compliance key …ance from the keychain", "test keyring", "rate budget", "/600", "not created yet"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Fatalf("status lacks %q (exit %d):\n%s", want, code, stdout)
		}
	}
	// The environment variable overrides the keychain, and is removed.
	e.key = sim.AdminKey
	code, stdout, _ = e.run("status", "--profile", "prod")
	if code != 0 || !strings.Contains(stdout, "admin key …dmin from "+envKeyVar) || len(e.unset) == 0 || e.unset[0] != envKeyVar {
		t.Fatalf("env override: exit %d, unset %v:\n%s", code, e.unset, stdout)
	}
	e.key = ""

	if code, stdout, _ := e.run("logout", "--profile", "prod"); code != 0 || !strings.Contains(stdout, "Deleted") {
		t.Fatalf("logout: %d %s", code, stdout)
	}
	if _, ok := e.keyring.m[keychainService+"/prod"]; ok {
		t.Fatal("logout left the key")
	}
	if code, stdout, _ := e.run("logout", "--profile", "prod"); code != 0 || !strings.Contains(stdout, "No key") {
		t.Fatalf("second logout: %d %s", code, stdout)
	}
	code, stdout, _ = e.run("status", "--profile", "prod")
	if code != 0 || !strings.Contains(stdout, "key          none: no key for profile \"prod\"") {
		t.Fatalf("status without key: %d\n%s", code, stdout)
	}
	if code, _, stderr := e.run("status", "--profile", "prod", "--check"); code != exitAuth || !strings.Contains(stderr, "claudit login") {
		t.Fatalf("status --check without key: %d %q", code, stderr)
	}
}

// secretServiceReachable stores, reads and deletes a throwaway secret
// through the real keychain; it returns why it cannot when it cannot.
func secretServiceReachable(t *testing.T) error {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return errors.New("DBUS_SESSION_BUS_ADDRESS is not set")
	}
	k := newSystemKeyring(os.Getenv)
	ctx := context.Background()
	account := fmt.Sprintf("probe-%d", time.Now().UnixNano())
	if err := k.set(ctx, "claudit-test", account, "probe-secret"); err != nil {
		return err
	}
	v, err := k.get(ctx, "claudit-test", account)
	if err != nil {
		return err
	}
	if v != "probe-secret" {
		return fmt.Errorf("read back %q", v)
	}
	if err := k.delete(ctx, "claudit-test", account); err != nil {
		return err
	}
	if _, err := k.get(ctx, "claudit-test", account); !errors.Is(err, errNoKey) {
		return fmt.Errorf("after delete: %v, want errNoKey", err)
	}
	return nil
}

// TestKeychainSystem stores, reads and deletes a key through the real
// Secret Service, then runs the built binary's login, status and logout
// with the key piped on stdin. Run it locally with:
//
//	dbus-run-session -- bash -c 'eval "$(echo pw | gnome-keyring-daemon --unlock --components=secrets)"; go test -run Keychain -v .'
func TestKeychainSystem(t *testing.T) {
	if err := secretServiceReachable(t); err != nil {
		if os.Getenv("CLAUDIT_REQUIRE_SYSTEM_TESTS") == "1" {
			t.Fatalf("no usable Secret Service and CLAUDIT_REQUIRE_SYSTEM_TESTS=1: %v", err)
		}
		t.Skipf("no usable Secret Service (%v): run under dbus-run-session with gnome-keyring-daemon to test the real keychain", err)
	}
	bin := buildBinary(t)
	_, url := startSim(t, sim.Config{Seed: 7, Events: 1200, Now: time.Now, End: time.Now().Add(-2 * time.Minute)})
	profile := fmt.Sprintf("systest-%d", time.Now().UnixNano())
	home := t.TempDir()
	cmd := func(stdin string, args ...string) (int, string, string) {
		c := exec.Command(bin, append(args, "--profile", profile, "--base-url", url, "--cache", filepath.Join(home, "c.db"))...)
		c.Stdin = strings.NewReader(stdin)
		var out, errb strings.Builder
		c.Stdout, c.Stderr = &out, &errb
		c.Env = append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home)
		err := c.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
	t.Cleanup(func() { cmd("", "logout") })

	if code, out, errs := cmd(sim.AdminKey+"\n", "login"); code != 0 || !strings.Contains(out, "Secret Service") {
		t.Fatalf("login: exit %d\n%s%s", code, out, errs)
	}
	// The key is really in the Secret Service, under service claudit.
	v, err := newSystemKeyring(os.Getenv).get(context.Background(), keychainService, profile)
	if err != nil || v != sim.AdminKey {
		t.Fatalf("keychain holds %q, %v", v, err)
	}
	code, out, errs := cmd("", "status")
	if code != 0 || !strings.Contains(out, "admin key …dmin from the keychain") || !strings.Contains(out, "Secret Service (D-Bus)") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errs)
	}
	if strings.Contains(out+errs, sim.AdminKey) {
		t.Fatal("status printed the key")
	}
	if code, out, errs := cmd("", "sync", "since:1h"); code != 0 {
		t.Fatalf("sync with the keychain key: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := cmd("", "logout"); code != 0 || !strings.Contains(out, "Deleted") {
		t.Fatalf("logout: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := cmd("", "status"); code != 0 || !strings.Contains(out, "none: no key for profile") {
		t.Fatalf("status after logout: exit %d\n%s", code, out)
	}
}

// withoutKeyEnv drops the key variable from an environment list.
func withoutKeyEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, envKeyVar+"=") && !strings.HasPrefix(kv, envBaseURL+"=") && !strings.HasPrefix(kv, envCache+"=") {
			out = append(out, kv)
		}
	}
	return out
}
