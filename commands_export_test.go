package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
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

// sshKeygen runs ssh-keygen with args and stdin, returning its error and
// output.
func sshKeygen(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("ssh-keygen", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// newSSHKey makes an ed25519 key pair without a passphrase and an
// allowed_signers file naming it as identity.
func newSSHKey(t *testing.T, dir, identity string) (key, allowed string) {
	t.Helper()
	key = filepath.Join(dir, identity)
	if out, err := sshKeygen(t, nil, "-q", "-t", "ed25519", "-N", "", "-C", identity, "-f", key); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	allowed = filepath.Join(dir, identity+".allowed")
	if err := os.WriteFile(allowed, []byte(identity+" namespaces=\""+store.SignatureNamespace+"\" "+string(pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	return key, allowed
}

// claudit signs → ssh-keygen verifies and claudit verifies; ssh-keygen
// signs → claudit verifies; a wrong key or a tampered manifest fails both.
func TestExportSignVerify(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		requireSystem(t, "ssh-keygen", "signing evidence bundles (package openssh-client)")
	}
	e, sc, _ := syncedEnv(t)
	keys := t.TempDir()
	key, allowed := newSSHKey(t, keys, "analyst@example.com")
	_, otherAllowed := newSSHKey(t, keys, "other@example.com")
	dir := filepath.Join(t.TempDir(), "bundle")
	code, stdout, stderr := e.run("export", "key:"+sc.LeakedKeyID, "--out", dir, "--sign", key)
	if code != 0 || !strings.Contains(stdout, store.BundleSignature+" (SHA256:") {
		t.Fatalf("export --sign: exit %d: %s%s", code, stdout, stderr)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, store.BundleManifest))
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, store.BundleSignature)
	keygenVerify := func(allowedFile, sig string, msg []byte) error {
		out, err := sshKeygen(t, msg, "-Y", "verify", "-f", allowedFile, "-I", "analyst@example.com", "-n", store.SignatureNamespace, "-s", sig)
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if err := keygenVerify(allowed, sigPath, manifest); err != nil {
		t.Fatalf("ssh-keygen -Y verify of claudit's signature: %v", err)
	}
	if code, stdout, stderr := e.run("export", "--verify", dir, "--allowed-signers", allowed); code != 0 || !strings.Contains(stdout, "signature ok: manifest.json.sig signed by analyst@example.com") {
		t.Fatalf("verify --allowed-signers: exit %d: %s%s", code, stdout, stderr)
	}
	if code, stdout, _ := e.run("export", "--verify", dir); code != 0 || !strings.Contains(stdout, "signature not checked") {
		t.Fatalf("verify without --allowed-signers: exit %d: %s", code, stdout)
	}
	// The wrong key.
	code, _, stderr = e.run("export", "--verify", dir, "--allowed-signers", otherAllowed)
	if code != exitUnverified || !strings.Contains(stderr, "manifest.json.sig: does not verify") {
		t.Fatalf("other signer: exit %d: %s", code, stderr)
	}
	// ssh-keygen signs → claudit verifies.
	signCmd := exec.Command("ssh-keygen", "-Y", "sign", "-f", key, "-n", store.SignatureNamespace)
	signCmd.Stdin = bytes.NewReader(manifest)
	keygenSig, err := signCmd.Output()
	if err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v", err)
	}
	if err := os.WriteFile(sigPath, keygenSig, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("export", "--verify", dir, "--allowed-signers", allowed); code != 0 {
		t.Fatalf("verify of ssh-keygen's signature: exit %d: %s", code, stderr)
	}
	// A tampered manifest, even with DIGEST re-written, fails the
	// signature for both.
	forged := []byte(strings.Replace(string(manifest), `"tool": "claudit `, `"tool": "claudit forged `, 1))
	fd, err := store.ManifestDigest(forged)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.BundleManifest), forged, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.BundleDigest), []byte(fd+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := keygenVerify(allowed, sigPath, forged); err == nil {
		t.Fatal("ssh-keygen verifies a tampered manifest")
	}
	code, _, stderr = e.run("export", "--verify", dir, "--allowed-signers", allowed)
	if code != exitUnverified || !strings.Contains(stderr, "manifest.json.sig: does not verify") {
		t.Fatalf("tampered manifest: exit %d: %s", code, stderr)
	}
	// An unsigned bundle checked for a signature fails.
	unsigned := filepath.Join(t.TempDir(), "unsigned")
	if code, _, stderr := e.run("export", "key:"+sc.LeakedKeyID, "--out", unsigned, "--offline"); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	code, _, stderr = e.run("export", "--verify", unsigned, "--allowed-signers", allowed)
	if code != exitUnverified || !strings.Contains(stderr, "the bundle is not signed") {
		t.Fatalf("unsigned: exit %d: %s", code, stderr)
	}
}
