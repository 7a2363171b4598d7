package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store/sshsig"

	"golang.org/x/crypto/ssh"
)

func testSigner(t *testing.T, seed byte) ssh.Signer {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(s))
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// TestSignAndCheckBundle: a signed bundle's signature checks against the
// allowed signer, names its principal, and a missing signature, another
// key or an edited manifest is a VerifyError on manifest.json.sig.
func TestSignAndCheckBundle(t *testing.T) {
	_, dir, _, _ := exportFixture(t, 20)
	signer, other := testSigner(t, 1), testSigner(t, 2)
	allowed := []sshsig.AllowedSigner{{Principals: []string{"analyst@example.com"}, Key: signer.PublicKey()}}
	var ve *VerifyError
	if _, err := CheckSignature(dir, allowed); !errors.As(err, &ve) || ve.File != BundleSignature {
		t.Fatalf("unsigned bundle: %v", err)
	}
	if err := SignBundle(dir, signer); err != nil {
		t.Fatal(err)
	}
	if who, err := CheckSignature(dir, allowed); err != nil || who != "analyst@example.com" {
		t.Fatalf("CheckSignature = %q, %v", who, err)
	}
	if _, err := CheckSignature(dir, []sshsig.AllowedSigner{{Principals: []string{"x"}, Key: other.PublicKey()}}); !errors.As(err, &ve) {
		t.Fatalf("other key: %v", err)
	}
	mp := filepath.Join(dir, BundleManifest)
	mb, err := os.ReadFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, append(mb, ' '), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckSignature(dir, allowed); !errors.As(err, &ve) {
		t.Fatalf("edited manifest: %v", err)
	}
}

// TestWriteBundleManifest: the manifest WriteBundle assembles records the
// query, the server parameters of the window, the run and the coverage;
// without a run it is offline.
func TestWriteBundleManifest(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	acts, _ := simActivities(t, 3, 50, testNow.Add(-time.Hour))
	putPages(t, s, acts, 50)
	q, err := feed.Parse("since:30d")
	if err != nil {
		t.Fatal(err)
	}
	win := feed.Range{From: testNow.Add(-30 * 24 * time.Hour), To: testNow}
	run := &BundleRun{ID: 7, Info: feed.RunInfo{Kind: "sync", Window: win}, Summary: feed.RunSummary{Pages: 1, Events: 50}}
	dir := filepath.Join(t.TempDir(), "b")
	m, err := s.WriteBundle(ctx, dir, BundleRequest{Tool: "claudit test", Now: testNow, Query: q, QueryInput: "since:30d", Window: win, Run: run})
	if err != nil {
		t.Fatal(err)
	}
	if m.Offline || len(m.Runs) != 1 || m.QueryInput != "since:30d" || m.Tool != "claudit test" || len(m.ServerParams) == 0 || m.Counts.Events != 50 {
		t.Fatalf("manifest %+v", m)
	}
	if _, err := VerifyBundle(dir, VerifyOptions{Digest: m.Digest}); err != nil {
		t.Fatalf("VerifyBundle: %v", err)
	}
	// Without a run the bundle is from the cache as it is.
	m, err = s.WriteBundle(ctx, filepath.Join(t.TempDir(), "c"), BundleRequest{Now: testNow, Query: q, Window: win})
	if err != nil || !m.Offline || len(m.Runs) != 0 {
		t.Fatalf("offline bundle: %+v %v", m, err)
	}
}
