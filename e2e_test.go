package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"claudit/feed/sim"
	"claudit/store"
)

// TestKeyNeverLeaks runs every command with a recognisable key and checks
// that neither the key nor its secret part appears in any output, cache
// file, export file or the process command line.
func TestKeyNeverLeaks(t *testing.T) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		t.Fatal(err)
	}
	secretPart := "CANARY" + hex.EncodeToString(nonce[:])
	key := "sk-ant-admin01-" + secretPart + "-LEAKTEST"
	keys := sim.DefaultKeys()
	keys[key] = sim.KeySpec{Kind: "admin", KeyID: "adminkey_01CanaryKey000000000001", Scopes: []string{sim.ScopeActivities}}
	srv, url := startSim(t, sim.Config{Seed: 9, Events: 1500, Keys: keys})

	root := t.TempDir()
	cacheDir := filepath.Join(root, "cache")
	e := newTestEnv(t)
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(cacheDir, "c.db")
	var transcript bytes.Buffer
	do := func(args ...string) {
		t.Helper()
		code, stdout, stderr := e.run(args...)
		transcript.WriteString(strings.Join(args, " ") + "\n" + stdout + stderr)
		_ = code
	}

	// Through the keychain.
	e.stdin = strings.NewReader(key + "\n")
	do("login")
	if e.keyring.m[keychainService+"/default"] != key {
		t.Fatalf("login did not store the key:\n%s", transcript.String())
	}
	do("status")
	do("status", "--check")
	do("sync")
	for _, f := range []string{"table", "json", "ndjson", "csv"} {
		do("query", "since:2d", "--format", f)
	}
	do("key", srv.Scenario().LeakedKeyID)
	do("key", "adminkey_01CanaryKey000000000001", "--format", "json")
	bundle := filepath.Join(root, "bundle")
	do("export", "since:1d", "--out", bundle)
	do("export", "--verify", bundle)
	do("")            // the TUI refuses: not a terminal
	do("demo")        // likewise
	do("query", "a:") // a query error
	do("sync", "--base-url", "http://127.0.0.1:1")
	do("sync", "--base-url", "http://example.com") // plain http off loopback is refused
	do("logout")

	// Through the environment variable, including failures.
	e.key = key
	do("status", "--check")
	do("sync", "since:3d")
	do("query", "--format", "ndjson", "since:1h")
	srv.Revoke(key)
	do("sync", "since:30d") // 401
	do("status", "--check")
	e.stdin = strings.NewReader(key + "\n")
	do("login") // a revoked key is refused
	e.key = ""

	if !strings.Contains(transcript.String(), "admin key …TEST") {
		t.Fatalf("the masked key never appeared, so the commands did not run as intended:\n%s", transcript.String())
	}
	if !strings.Contains(transcript.String(), "rejected (401)") {
		t.Fatalf("the revoked key did not produce a 401:\n%.2000s", transcript.String())
	}
	check := func(what string, b []byte) {
		t.Helper()
		for _, s := range []string{key, secretPart} {
			if i := bytes.Index(b, []byte(s)); i >= 0 {
				t.Fatalf("the key leaked into %s at byte %d: %q", what, i, b[max(0, i-60):min(len(b), i+len(s)+20)])
			}
		}
	}
	check("stdout/stderr", transcript.Bytes())
	for _, dir := range []string{cacheDir, bundle} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, ent := range entries {
			b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
			if err != nil {
				t.Fatal(err)
			}
			check(filepath.Join(filepath.Base(dir), ent.Name()), b)
		}
	}
	if b, err := os.ReadFile("/proc/self/cmdline"); err == nil {
		check("/proc/self/cmdline", b)
	}
	if b, err := os.ReadFile("/proc/self/environ"); err == nil {
		check("/proc/self/environ", b)
	}
}

// TestEndToEnd builds claudit, starts `claudit sim` with faults, and runs
// sync, query, key and export --verify against it as separate processes,
// with the key in the environment (never on the command line).
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	baseEnv := append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home, "NO_COLOR=1")

	url, leaked := startSimProcess(t, bin, baseEnv, "--seed", "11", "--events", "4000", "--faults", "429every=7,5xxevery=5")

	cache := filepath.Join(home, "e2e.db")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		c := exec.Command(bin, append(args, "--base-url", url, "--cache", cache)...)
		c.Env = append(baseEnv, envKeyVar+"="+sim.AdminKey)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return ee.ExitCode(), out.String(), errb.String()
		case err != nil:
			t.Fatal(err)
		}
		if strings.Contains(strings.Join(c.Args, " "), sim.AdminKey) {
			t.Fatal("the key is on the command line")
		}
		return 0, out.String(), errb.String()
	}

	// Small pages so the faults (every 5th and 7th request) hit the sync.
	code, _, stderr := run("sync", "--page-size", "250")
	if code != 0 || !strings.Contains(stderr, "synced ") || !strings.Contains(stderr, "retr") {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	st, err := store.Open(t.Context(), cache)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(t.Context())
	st.Close()
	if err != nil || stats.Events < 3900 {
		t.Fatalf("cache holds %d events after the sync (want ~4000): %v", stats.Events, err)
	}

	code, out, stderr := run("query", "key:"+leaked, "--format", "ndjson")
	if code != 0 || strings.Count(out, "\n") < 30 || !strings.Contains(out, `"api_key_id":"`+leaked+`"`) {
		t.Fatalf("query: exit %d, %d lines: %s", code, strings.Count(out, "\n"), stderr)
	}
	code, out, stderr = run("query", "since:1d", "type:@keys")
	if code != 0 || !strings.HasPrefix(out, "TIME") || strings.Contains(out, "\x1b") {
		t.Fatalf("table: exit %d: %s%s", code, out, stderr)
	}
	code, out, stderr = run("key", leaked)
	if code != 0 || !strings.Contains(out, "deactivated") || !strings.Contains(out, "WHAT IT DID") {
		t.Fatalf("key: exit %d: %s%s", code, out, stderr)
	}
	bundle := filepath.Join(home, "bundle")
	if code, out, stderr := run("export", "since:2d", "--out", bundle); code != 0 || !strings.Contains(out, "wrote ") {
		t.Fatalf("export: exit %d: %s%s", code, out, stderr)
	}
	if code, out, stderr := run("export", "--verify", bundle); code != 0 || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("verify: exit %d: %s%s", code, out, stderr)
	}
	if code, _, stderr := run("query", "since:banana"); code != exitUsage || !strings.Contains(stderr, "^") {
		t.Fatalf("bad query: exit %d: %s", code, stderr)
	}
}

// startSimProcess runs `claudit sim` on a free loopback port as a separate
// process (stopped when the test ends) and returns its base URL and the
// leaked key id it announces.
func startSimProcess(t testing.TB, bin string, env []string, args ...string) (url, leaked string) {
	t.Helper()
	simCmd := exec.Command(bin, append([]string{"sim", "--addr", "127.0.0.1:0"}, args...)...)
	simCmd.Env = env
	stdout, err := simCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	simCmd.Stderr = io.Discard
	if err := simCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = simCmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- simCmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = simCmd.Process.Kill()
		}
	})
	urlRe := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && (url == "" || leaked == "") {
		l := lines.Text()
		if url == "" {
			url = urlRe.FindString(l)
		}
		if i := strings.Index(l, "claudit key "); i >= 0 {
			leaked = strings.Fields(l[i+len("claudit key "):])[0]
		}
	}
	if url == "" || leaked == "" {
		t.Fatalf("sim did not print its URL and the leaked key (url %q, key %q)", url, leaked)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return url, leaked
}
