package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"claudit/feed/sim"
)

// A key from the environment or the keychain is checked as login checks
// it, before any request: a model key, garbage, or a key with whitespace or
// a control character anywhere is refused with login's explanation, exit 2,
// by every command that needs a key and by the explorer.
func TestEnvAndKeychainKeysCheckedLikeLogin(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no request should arrive", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	bad := []struct{ name, key, want string }{
		{"model key", "sk-ant-api03-model-key-0000000000", "Claude API key"},
		{"garbage", "hunter2", "does not look like"},
		{"trailing CR", sim.AdminKey + "\r", "whitespace or a control character"},
		{"CRLF inside", "sk-ant-admin01-abc\r\nX-Evil: 1", "whitespace or a control character"},
		{"space inside", "sk-ant-admin01-abc def", "whitespace or a control character"},
		{"tab", "\t" + sim.AdminKey, "whitespace or a control character"},
		{"NUL", sim.AdminKey + "\x00", "whitespace or a control character"},
		{"only spaces", "   ", "whitespace or a control character"},
	}
	commands := [][]string{{"sync"}, {"query", "since:1h"}, {"key", "apikey_01"}, {"export", "--out", "DIR"}, {"status"}, {"status", "--check"}, {}}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range commands {
				e := newTestEnv(t)
				e.vars[envBaseURL] = srv.URL
				e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
				e.vars[envKeyVar] = c.key
				for i, a := range args {
					if a == "DIR" {
						args[i] = filepath.Join(t.TempDir(), "b")
					}
				}
				// The explorer ({}) is refused before it checks for a terminal.
				e.isTerminal = func(any) bool { return len(args) == 0 }
				code := run(t.Context(), args, e.environment)
				stderr := e.errBuf.String()
				if code != exitAuth || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, envKeyVar) {
					t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", args, code, stderr, c.want)
				}
				if strings.Contains(e.outBuf.String()+stderr, "model-key-0000") {
					t.Errorf("%v: the key is in the output", args)
				}
			}
			if n := requests.Load(); n != 0 {
				t.Fatalf("%d requests reached the server with a refused key", n)
			}
		})
	}

	t.Run("keychain key with a line break", func(t *testing.T) {
		e := newTestEnv(t)
		e.vars[envBaseURL] = srv.URL
		e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
		e.keyring.m[keychainService+"/default"] = "sk-ant-admin01-abc\ndef"
		code, _, stderr := e.run("sync")
		if code != exitAuth || !strings.Contains(stderr, "control character") || !strings.Contains(stderr, "claudit login --profile default") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if n := requests.Load(); n != 0 {
			t.Fatalf("%d requests reached the server", n)
		}
	})

	t.Run("login gives the same explanation", func(t *testing.T) {
		e := newTestEnv(t)
		e.vars[envBaseURL] = srv.URL
		for _, c := range bad {
			if c.name == "only spaces" { // login: "no key given"
				continue
			}
			e.stdin = strings.NewReader(c.key) // the pipe's own line end is not part of the key
			code, _, stderr := e.run("login")
			if code != exitAuth || !strings.Contains(stderr, c.want) || len(e.keyring.m) != 0 {
				t.Errorf("login %s: exit %d, stderr %q", c.name, code, stderr)
			}
		}
		if n := requests.Load(); n != 0 {
			t.Fatalf("%d requests reached the server", n)
		}
	})
}

// A running claudit is non-dumpable with a core limit of 0: its
// /proc/<pid>/environ, which still holds the key the process was started
// with, is owned by root and unreadable to another process of the same
// (unprivileged) user.
func TestProcessNonDumpable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("prctl(PR_SET_DUMPABLE) is Linux only")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	// as runs a command as the unprivileged user: root can read everything,
	// so as root both the child and the reader run as nobody.
	var as []string
	if os.Geteuid() == 0 {
		p, err := exec.LookPath("setpriv")
		if err != nil {
			requireSystem(t, "setpriv", "running the child as an unprivileged user: "+err.Error())
		}
		as = []string{p, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}
		dir, err := os.MkdirTemp("", "claudit-nobody-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		bin = filepath.Join(dir, "claudit")
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	command := func(args ...string) *exec.Cmd {
		all := append(append(append([]string{}, as...), bin), args...)
		return exec.Command(all[0], all[1:]...)
	}
	cmd := command("sim", "--addr", "127.0.0.1:0", "--events", "10")
	cmd.Env = append(os.Environ(), envKeyVar+"="+sim.AdminKey, "HOME=/nonexistent")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	// The first line is printed once the process is up (harden ran first).
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "serving") {
		t.Fatalf("child: %q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	// With setpriv the child is setpriv's exec image: the same pid.
	pid := cmd.Process.Pid
	proc := fmt.Sprintf("/proc/%d/", pid)

	limits, err := os.ReadFile(proc + "limits")
	if err != nil {
		t.Fatal(err)
	}
	var core string
	for l := range strings.SplitSeq(string(limits), "\n") {
		if strings.HasPrefix(l, "Max core file size") {
			core = strings.Join(strings.Fields(l)[4:6], " ")
		}
	}
	if core != "0 0" {
		t.Fatalf("core limit (soft hard) = %q, want \"0 0\":\n%s", core, limits)
	}
	fi, err := os.Stat(proc + "environ")
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 0 {
		t.Fatalf("/proc/%d/environ is owned by uid %d, want root (the process is dumpable)", pid, uid)
	}
	// The same user cannot read it (nor, by the same rule, mem or ptrace it).
	reader := exec.Command("cat", proc+"environ")
	if as != nil {
		reader = exec.Command(as[0], append(as[1:], "cat", proc+"environ")...)
	}
	got, err := reader.CombinedOutput()
	if err == nil || strings.Contains(string(got), sim.AdminKey) {
		t.Fatalf("the same user read /proc/%d/environ: err %v, %d bytes", pid, err, len(got))
	}
	if !strings.Contains(string(got), "ermission denied") {
		t.Fatalf("reading environ failed for another reason: %s", got)
	}
}
