package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"claudit/feed"
	"claudit/store"
)

// export prints the bundle digest; --verify --digest checks it, and a
// bundle re-written with matching digests fails against the ticket's
// digest with exit 5.
func TestExportDigestAndVerify(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	code, stdout, stderr := e.run("export", "key:"+sc.LeakedKeyID, "--out", dir)
	_, digest, ok := strings.Cut(stdout, "bundle digest (paste into the incident ticket): ")
	digest = strings.TrimSpace(digest)
	if code != 0 || !ok || !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		t.Fatalf("export: exit %d: %s%s", code, stdout, stderr)
	}
	for _, f := range []string{store.BundleSums, store.BundleDigest, store.BundleReadme} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if code, stdout, stderr := e.run("export", "--verify", dir, "--digest", digest); code != 0 || !strings.Contains(stdout, "matches the one given") {
		t.Fatalf("verify --digest: exit %d: %s%s", code, stdout, stderr)
	}
	// Forge: edit the tool and re-write DIGEST: the self-check passes (a
	// manifest that differs from SHA256SUMS but matches DIGEST counts as
	// re-formatted), the ticket's digest does not.
	mp := filepath.Join(dir, store.BundleManifest)
	mb, err := os.ReadFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	forged := []byte(strings.Replace(string(mb), `"tool": "claudit `, `"tool": "claudit forged `, 1))
	fd, err := store.ManifestDigest(forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, forged, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = e.run("export", "--verify", dir)
	if code != exitUnverified || !strings.Contains(stderr, "canonical digest") {
		t.Fatalf("edited manifest: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, store.BundleDigest), []byte(fd+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("export", "--verify", dir); code != 0 {
		t.Fatalf("resealed without --digest: exit %d: %s", code, stderr)
	}
	code, _, stderr = e.run("export", "--verify", dir, "--digest", digest)
	if code != exitUnverified || !strings.Contains(stderr, "not the expected "+digest) {
		t.Fatalf("resealed with --digest: exit %d: %s", code, stderr)
	}
	if code, _, _ := e.run("export", "--digest", digest); code != exitUsage {
		t.Fatalf("--digest without --verify: exit %d", code)
	}
}

// Without --out, a bundle goes to the config's evidence_dir, else to
// claudit-evidence under $XDG_DATA_HOME (or ~/.local/share), and never
// into the current directory; the path is printed. The explorer gets the
// same directory.
func TestExportEvidenceDir(t *testing.T) {
	e, sc, _ := syncedEnv(t)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(cwd)
	if err != nil {
		t.Fatal(err)
	}
	check := func(root string) {
		t.Helper()
		code, stdout, stderr := e.run("export", "key:"+sc.LeakedKeyID)
		if code != 0 {
			t.Fatalf("export: exit %d: %s%s", code, stdout, stderr)
		}
		entries, err := os.ReadDir(root)
		if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "claudit-evidence-") {
			t.Fatalf("%s holds %v (%v)", root, entries, err)
		}
		bundle := filepath.Join(root, entries[0].Name())
		if !strings.Contains(stdout, " to "+bundle+"\n") {
			t.Fatalf("path not printed: %s", stdout)
		}
		if _, err := store.VerifyBundle(bundle, store.VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
		a, err := resolve(t, e)
		if err != nil {
			t.Fatal(err)
		}
		if d := a.tuiDeps(nil, feed.Query{}, "", nil); d.ExportDir != root {
			t.Fatalf("explorer's ExportDir = %q, want %q", d.ExportDir, root)
		}
	}
	home := t.TempDir()
	e.vars["HOME"] = home
	delete(e.vars, "XDG_DATA_HOME")
	check(filepath.Join(home, ".local", "share", "claudit-evidence"))
	data := t.TempDir()
	e.vars["XDG_DATA_HOME"] = data
	check(filepath.Join(data, "claudit-evidence"))
	ev := filepath.Join(t.TempDir(), "evidence")
	writeConfig(t, e, "evidence_dir = "+`"`+ev+`"`+"\n")
	check(ev)
	after, err := os.ReadDir(cwd)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("the current directory changed: %d entries, was %d", len(after), len(before))
	}
}
