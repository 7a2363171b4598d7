package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxTerm runs a command in a real terminal: a detached tmux session on a
// private server socket, driven with send-keys and read with capture-pane.
type tmuxTerm struct {
	t      testing.TB
	socket string
}

// requireSystem skips a test that needs a system component, or fails it
// when CLAUDIT_REQUIRE_SYSTEM_TESTS=1 (as in CI, which installs them).
func requireSystem(t testing.TB, what, why string) {
	t.Helper()
	if os.Getenv("CLAUDIT_REQUIRE_SYSTEM_TESTS") == "1" {
		t.Fatalf("%s is required (CLAUDIT_REQUIRE_SYSTEM_TESTS=1): %s", what, why)
	}
	t.Skipf("skipping: %s is not available (%s); install it or run .ci/run", what, why)
}

// startTmux starts command (a shell command line) in a w×h terminal with
// the test's environment plus env. The variables reach the command through
// the environment of the tmux server, never its command line. The
// command's exit status is printed as "EXIT:<n>" when it ends, and the
// pane stays open so the final screen can be read.
func startTmux(t testing.TB, w, h int, command string, env ...string) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		requireSystem(t, "tmux", err.Error())
	}
	tm := &tmuxTerm{t: t, socket: fmt.Sprintf("claudit-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	script := command + `; echo "EXIT:$?"; sleep 600`
	args := []string{"-L", tm.socket, "-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "sh", "-c", script}
	cmd := exec.Command("tmux", args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmuxTerm) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen returns the visible pane as text.
func (tm *tmuxTerm) screen() string { return tm.tmux("capture-pane", "-p") }

// keys sends tmux key names (Enter, Escape, C-u) or literal text with a
// leading "literal:" prefix.
func (tm *tmuxTerm) keys(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		if text, ok := strings.CutPrefix(k, "literal:"); ok {
			tm.tmux("send-keys", "-l", text)
			continue
		}
		tm.tmux("send-keys", k)
	}
}

// waitFor polls the screen until ok accepts it or the deadline passes.
func (tm *tmuxTerm) waitFor(what string, within time.Duration, ok func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(within)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("timed out after %v waiting for %s; screen:\n%s", within, what, s)
		}
		time.Sleep(50 * time.Millisecond) // polling interval of a deadline-bounded wait
	}
}

func (tm *tmuxTerm) waitText(text string, within time.Duration) string {
	tm.t.Helper()
	return tm.waitFor(fmt.Sprintf("%q", text), within, func(s string) bool { return strings.Contains(s, text) })
}

// paneFlag reads a tmux format flag of the pane, e.g. alternate_on.
func (tm *tmuxTerm) paneFlag(name string) string {
	return strings.TrimSpace(tm.tmux("display-message", "-p", "#{"+name+"}"))
}
