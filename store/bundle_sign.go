package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"claudit/store/sshsig"

	"golang.org/x/crypto/ssh"
)

// SignBundle writes manifest.json.sig: a detached SSH signature (namespace
// SignatureNamespace) of manifest.json's bytes as written, which
// "ssh-keygen -Y verify" accepts.
func SignBundle(dir string, signer ssh.Signer) error {
	mb, err := os.ReadFile(filepath.Join(dir, BundleManifest))
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	sig, err := sshsig.Sign(signer, SignatureNamespace, mb)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, BundleSignature), sig, 0o600); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}

// CheckSignature verifies the bundle's manifest.json.sig against allowed
// (a parsed allowed_signers file) and returns the signer's principals,
// comma-separated. A missing or bad signature is a *VerifyError.
func CheckSignature(dir string, allowed []sshsig.AllowedSigner) (string, error) {
	sig, err := os.ReadFile(filepath.Join(dir, BundleSignature))
	if errors.Is(err, os.ErrNotExist) {
		return "", &VerifyError{File: BundleSignature, Reason: "is missing: the bundle is not signed"}
	}
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	mb, err := os.ReadFile(filepath.Join(dir, BundleManifest))
	if err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	who, err := sshsig.Verify(sig, mb, SignatureNamespace, allowed)
	if err != nil {
		return "", &VerifyError{File: BundleSignature, Reason: "does not verify: " + err.Error()}
	}
	return strings.Join(who.Principals, ","), nil
}
