package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestReadBuild(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, c := range []struct {
		name   string
		bi     *debug.BuildInfo
		ok     bool
		linked string
		want   buildInfo
	}{
		{"no build info", nil, false, "",
			buildInfo{Version: "(devel)", Commit: "unknown", Date: "unknown", Go: runtime.Version(), Platform: platform}},
		{"go run: devel, no vcs", &debug.BuildInfo{GoVersion: "go1.26.7", Main: debug.Module{Version: "(devel)"}}, true, "",
			buildInfo{Version: "(devel)", Commit: "unknown", Date: "unknown", Go: "go1.26.7", Platform: platform}},
		{"clean clone", &debug.BuildInfo{GoVersion: "go1.26.7", Main: debug.Module{Version: "v0.0.0-20261203053405-e820cf1f0a12"},
			Settings: vcs("vcs", "git", "vcs.revision", "e820cf1f0a12aaaa", "vcs.time", "2026-12-03T05:34:05Z", "vcs.modified", "false")}, true, "",
			buildInfo{Version: "v0.0.0-20261203053405-e820cf1f0a12", Commit: "e820cf1f0a12aaaa", Date: "2026-12-03T05:34:05Z",
				Go: "go1.26.7", Platform: platform}},
		{"dirty tree", &debug.BuildInfo{GoVersion: "go1.26.7", Main: debug.Module{Version: "v1.2.0+dirty"},
			Settings: vcs("vcs.revision", "abc123", "vcs.time", "2026-12-01T00:00:00Z", "vcs.modified", "true")}, true, "",
			buildInfo{Version: "v1.2.0+dirty", Commit: "abc123+dirty", Date: "2026-12-01T00:00:00Z", Modified: true, Go: "go1.26.7", Platform: platform}},
		{"link-time version wins", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "1.3.0",
			buildInfo{Version: "1.3.0", Commit: "unknown", Date: "unknown", Go: runtime.Version(), Platform: platform}},
	} {
		if got := readBuild(c.bi, c.ok, c.linked); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
	if ua := userAgent(); strings.ContainsAny(ua, "() ") || !strings.HasPrefix(ua, "claudit/") {
		t.Errorf("user agent %q is not a product token", ua)
	}
}

func TestVersionCommand(t *testing.T) {
	e := newTestEnv(t)
	code, stdout, stderr := e.run("version")
	b := currentBuild()
	want := "claudit " + b.Version + "\ncommit:   " + b.Commit + "\ndate:     " + b.Date + "\ngo:       " + runtime.Version() +
		" " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("version: exit %d\n%q\nwant %q\nstderr %q", code, stdout, want, stderr)
	}
	if code, flag, _ := e.run("--version"); code != 0 || flag != want {
		t.Fatalf("--version: exit %d %q, want the text of version", code, flag)
	}
	code, stdout, _ = e.run("version", "--format", "json")
	var got buildInfo
	if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil || got != b {
		t.Fatalf("version --format json: exit %d, %v: %q", code, err, stdout)
	}
	if code, _, stderr := e.run("version", "--format", "yaml"); code != exitUsage || !strings.Contains(stderr, "want table or json") {
		t.Fatalf("--format yaml: exit %d %q", code, stderr)
	}
	if code, _, stderr := e.run("version", "extra"); code != exitUsage || !strings.HasPrefix(stderr, "claudit: ") {
		t.Fatalf("version extra: exit %d %q", code, stderr)
	}
}

// TestGoInstallFromAClone does what the README's Install section says on
// a clone of this tree (its tracked and new files, committed in a fresh
// repository): go install . (with version-control stamping, which this
// machine's GOFLAGS may turn off), then claudit version, checked against
// git itself.
func TestGoInstallFromAClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	files, err := exec.Command(git, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	clone := t.TempDir()
	for _, name := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) { // deleted in the work tree
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(clone, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(git, append([]string{"-C", clone, "-c", "user.name=t", "-c", "user.email=t@invalid", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitIn("init", "-q")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "clone")
	head := gitIn("rev-parse", "HEAD")

	gobin := t.TempDir()
	cmd := exec.Command("go", "install", ".")
	cmd.Dir = clone
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install .: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "claudit"), "version", "--format", "json").Output()
	if err != nil {
		t.Fatalf("claudit version: %v", err)
	}
	var b buildInfo
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	// Go 1.24+ derives a pseudo-version from the commit: v0.0.0-<time>-<hash12>.
	if b.Commit != head || b.Modified || !strings.HasSuffix(b.Version, "-"+head[:12]) || !strings.HasPrefix(b.Date, "20") || b.Go != runtime.Version() {
		t.Fatalf("claudit version of go install from a clone = %+v, want commit %s", b, head)
	}
}
