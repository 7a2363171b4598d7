package main

import (
	"path/filepath"
	"strings"
	"testing"

	"claudit/feed/sim"
)

// TestDirectoryAgainstTheSimulator syncs the simulator's directory with
// its Compliance key through the real client.
func TestDirectoryAgainstTheSimulator(t *testing.T) {
	srv, url := startSim(t, sim.Config{Seed: 7, Events: 1500})
	sc := srv.Scenario()
	e := newTestEnv(t)
	dir := t.TempDir()
	e.vars[envBaseURL] = url
	e.vars[envCache] = filepath.Join(dir, "c.db")
	e.vars[envConfig] = filepath.Join(dir, "none.toml")
	e.key = sim.ComplianceKey
	code, _, stderr := e.run("sync")
	if code != 0 || len(directoryLines(stderr)) != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	code, stdout, _ := e.run("status")
	if code != 0 || !strings.Contains(stdout, "directory    refreshed") || strings.Contains(stdout, " 0 users") {
		t.Fatalf("status after a directory refresh:\n%s", stdout)
	}
	code, stdout, stderr = e.run("who", sc.Users[1])
	if code != 0 || !strings.HasPrefix(stdout, "user  ") {
		t.Fatalf("who %s: exit %d\n%s%s", sc.Users[1], code, stdout, stderr)
	}
	code, stdout, _ = e.run("who", sc.Org1UUID, "--format", "json")
	if code != 0 || !strings.Contains(stdout, sc.Org1ID) {
		t.Fatalf("who org (with its org_… alias %s): exit %d\n%s", sc.Org1ID, code, stdout)
	}
}
