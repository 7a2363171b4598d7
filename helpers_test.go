package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// The fixed clock of in-process tests: the simulated history ends at
// simEnd and the tests run five minutes later.
var (
	simEnd  = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	testNow = simEnd.Add(5 * time.Minute)
)

// binary builds claudit once per test process (for the tests that exec it).
var binary = struct {
	once sync.Once
	dir  string
	path string
	err  error
}{}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// buildBinary returns the path of a claudit binary built from this tree.
func buildBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "claudit-bin-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "claudit")
		out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput()
		if err != nil {
			binary.err = errors.New(string(out))
		}
	})
	if binary.err != nil {
		t.Fatalf("go build: %v", binary.err)
	}
	return binary.path
}

// fakeKeyring is an in-memory keychain.
type fakeKeyring struct {
	mu  sync.Mutex
	m   map[string]string
	err error // returned by every call when set
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{m: map[string]string{}} }

func (k *fakeKeyring) get(_ context.Context, service, account string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return "", k.err
	}
	v, ok := k.m[service+"/"+account]
	if !ok {
		return "", &keychainError{op: "read", profile: account, backend: k.backendName(), kind: errNoKey}
	}
	return v, nil
}

func (k *fakeKeyring) set(_ context.Context, service, account, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	k.m[service+"/"+account] = secret
	return nil
}

func (k *fakeKeyring) delete(_ context.Context, service, account string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	if _, ok := k.m[service+"/"+account]; !ok {
		return &keychainError{op: "delete", profile: account, backend: k.backendName(), kind: errNoKey}
	}
	delete(k.m, service+"/"+account)
	return nil
}

func (k *fakeKeyring) backendName() string { return "test keyring" }

// testEnv is an in-process environment: buffers for the streams, a map for
// the environment, a fake keychain, the fixed clock, UTC, no terminal, and
// a retry policy that gives up on a dead server within a second.
type testEnv struct {
	*environment
	outBuf, errBuf bytes.Buffer
	vars           map[string]string
	unset          []string
	keyring        *fakeKeyring
	// key, when set, is put in ANTHROPIC_COMPLIANCE_ACCESS_KEY before each
	// run, as each run is a new process (which removes it on start).
	key string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{vars: map[string]string{}, keyring: newFakeKeyring()}
	e.environment = &environment{
		stdin:        strings.NewReader(""),
		stdout:       &e.outBuf,
		stderr:       &e.errBuf,
		getenv:       func(k string) string { return e.vars[k] },
		unsetenv:     func(k string) error { e.unset = append(e.unset, k); delete(e.vars, k); return nil },
		isTerminal:   func(any) bool { return false },
		termWidth:    func(any) int { return 0 },
		readPassword: func(any) ([]byte, error) { return nil, errors.New("no terminal") },
		keychain:     e.keyring,
		now:          func() time.Time { return testNow },
		location:     time.UTC,
		retry: &feed.RetryPolicy{MaxAttempts: 4, BaseDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond,
			MaxElapsed: 5 * time.Second, UnreachableAfter: time.Second},
	}
	return e
}

// run runs one command line in-process and returns the exit code, stdout
// and stderr (the buffers are reset first).
func (e *testEnv) run(args ...string) (int, string, string) {
	e.outBuf.Reset()
	e.errBuf.Reset()
	if e.key != "" {
		e.vars[envKeyVar] = e.key
	}
	code := run(context.Background(), args, e.environment)
	return code, e.outBuf.String(), e.errBuf.String()
}

// startSim serves a deterministic simulator on loopback with the fixed
// clock and returns it with its base URL.
func startSim(t testing.TB, cfg sim.Config) (*sim.Server, string) {
	t.Helper()
	if cfg.End.IsZero() {
		cfg.End = simEnd
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	srv := sim.New(cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

// syncedEnv returns an environment whose cache was synced from a seeded
// simulator (3000 events over 30 days) with the admin key, and the
// simulator's scenario.
func syncedEnv(t *testing.T) (*testEnv, sim.Scenario, string) {
	t.Helper()
	srv, url := startSim(t, sim.Config{Seed: 7, Events: 3000})
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(t.TempDir(), "cache", "test.db")
	e.key = sim.AdminKey
	if code, _, stderr := e.run("sync"); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	return e, srv.Scenario(), url
}
