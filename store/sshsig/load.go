package sshsig

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// LoadSigner returns the signer for --sign PATH: "agent" = the first key of the
// ssh-agent at $SSH_AUTH_SOCK; a public key file (.pub or an authorized_keys-style
// line) = the agent's key matching it; else an OpenSSH/PEM private key file, asking
// passphrase() when it is encrypted (passphrase may be nil: then an encrypted key is
// an error saying so). The returned close func closes the agent connection (no-op
// otherwise). The passphrase slice is zeroed after use. Errors name the path, never
// key material or the passphrase.
func LoadSigner(path string, passphrase func() ([]byte, error)) (signer ssh.Signer, close func() error, err error) {
	noop := func() error { return nil }
	if path == "agent" {
		return agentSigner(nil)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, noop, fmt.Errorf("signing key: %w", err)
	}
	if pub, _, _, _, perr := ssh.ParseAuthorizedKey(data); perr == nil {
		return agentSigner(pub)
	}

	raw, err := ssh.ParseRawPrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if passphrase == nil {
			return nil, noop, fmt.Errorf("signing key %s is encrypted and no passphrase can be asked for", path)
		}
		pass, perr := passphrase()
		if perr != nil {
			return nil, noop, fmt.Errorf("signing key %s: passphrase: %w", path, perr)
		}
		raw, err = ssh.ParseRawPrivateKeyWithPassphrase(data, pass)
		clear(pass)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, noop, fmt.Errorf("signing key %s: wrong passphrase", path)
		}
	}
	if err != nil {
		return nil, noop, fmt.Errorf("signing key %s: not a public or private SSH key: %w", path, err)
	}
	s, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return nil, noop, fmt.Errorf("signing key %s: %w", path, err)
	}
	return s, noop, nil
}

// agentSigner dials $SSH_AUTH_SOCK and returns the agent's signer for want, or its
// first key when want is nil.
func agentSigner(want ssh.PublicKey) (ssh.Signer, func() error, error) {
	noop := func() error { return nil }
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, noop, errors.New("ssh-agent: SSH_AUTH_SOCK is not set")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, noop, fmt.Errorf("ssh-agent: %w", err)
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return nil, noop, fmt.Errorf("ssh-agent: list keys: %w", err)
	}
	for _, s := range signers {
		if want == nil || keysEqual(s.PublicKey(), want) {
			return s, conn.Close, nil
		}
	}
	conn.Close()
	if want == nil {
		return nil, noop, errors.New("ssh-agent has no keys (add one with ssh-add)")
	}
	return nil, noop, fmt.Errorf("ssh-agent does not hold the %s key %s", want.Type(), ssh.FingerprintSHA256(want))
}

// keysEqual reports whether a and b are the same public key.
func keysEqual(a, b ssh.PublicKey) bool {
	return string(a.Marshal()) == string(b.Marshal())
}
