package main

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"claudit/feed/sim"
)

// BenchmarkTmuxFirstRows measures, in a real 160×48 terminal, the time from
// starting `claudit` on a 1,000,000-event cache to its first rows on
// screen, and the peak resident memory while scrolling from the newest row
// to the oldest and back. The cache is filled by `claudit sync` from the
// simulator. Not run by the test suite (go test -bench TmuxFirstRows).
func BenchmarkTmuxFirstRows(b *testing.B) {
	if testing.Short() {
		b.Skip("syncs a 1,000,000-event cache")
	}
	bin := buildBinary(b)
	home := b.TempDir()
	env := append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home, "XDG_CONFIG_HOME="+home, "NO_COLOR=1", "TZ=UTC")
	url, _ := startSimProcess(b, bin, env, "--seed", "3", "--events", "1000000")
	cache := filepath.Join(home, "1m.db")
	sync := run1(b, env, bin, "sync", "--cache", cache, "--base-url", url)
	if sync != "" {
		b.Fatalf("sync: %s", sync)
	}
	// The explorer runs without a key: the first screen must come from the
	// cache alone (its background sync then fails on the keychain).
	var firstRows, peakRSS float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tm := startTmux(b, 160, 48, fmt.Sprintf("%s --cache %s --base-url %s", bin, cache, url), env...)
		newest := rowTimes(tm.waitFor("the first rows", 30*time.Second, func(s string) bool { return len(rowTimes(s)) > 10 }))[0]
		firstRows += float64(time.Since(start).Microseconds()) / 1000
		b.StopTimer()
		pid := childPID(b, tm)
		// Scroll through everything: to the oldest row (a month before the
		// newest), page back up, then to the newest again.
		tm.keys("G")
		tm.waitFor("the oldest rows", 60*time.Second, func(s string) bool {
			rows := rowTimes(s)
			return len(rows) > 0 && rows[0][:5] != newest[:5]
		})
		for range 200 {
			tm.keys("PageUp")
		}
		tm.keys("g")
		tm.waitFor("the newest rows again", 60*time.Second, func(s string) bool {
			rows := rowTimes(s)
			return len(rows) > 0 && rows[0] >= newest
		})
		peakRSS = max(peakRSS, float64(procStatusKB(b, pid, "VmHWM"))/1024)
		tm.keys("q")
		tm.waitText("EXIT:0", 15*time.Second)
		b.StartTimer()
	}
	b.ReportMetric(firstRows/float64(b.N), "ms-to-first-rows")
	b.ReportMetric(peakRSS, "peak-RSS-MB")
}

// run1 runs a command to completion and returns its combined output when
// it fails ("" on success).
func run1(b *testing.B, env []string, name string, args ...string) string {
	b.Helper()
	c := osexec.Command(name, args...)
	c.Env = append(env, envKeyVar+"="+sim.AdminKey)
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Sprintf("%v: %s", err, out)
	}
	return ""
}

// childPID is the pid of the program the pane's shell started.
func childPID(b *testing.B, tm *tmuxTerm) int {
	b.Helper()
	shell := strings.TrimSpace(tm.paneFlag("pane_pid"))
	children, err := os.ReadFile(filepath.Join("/proc", shell, "task", shell, "children"))
	if err != nil {
		b.Fatalf("children of the pane's shell: %v", err)
	}
	f := strings.Fields(string(children))
	if len(f) == 0 {
		b.Fatal("the pane's shell has no child")
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		b.Fatal(err)
	}
	return pid
}

// procStatusKB reads a kB field (VmRSS, VmHWM) of /proc/<pid>/status.
func procStatusKB(b *testing.B, pid int, field string) int {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				b.Fatal(err)
			}
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
