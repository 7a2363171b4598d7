package sshsig

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const testNS = "claudit-test@example.com"

// requireTool returns the path of a system tool, skipping the test when it is missing
// unless CLAUDIT_REQUIRE_SYSTEM_TESTS=1.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CLAUDIT_REQUIRE_SYSTEM_TESTS") == "1" {
			t.Fatalf("%s is required (CLAUDIT_REQUIRE_SYSTEM_TESTS=1): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// genKey runs ssh-keygen -t typ and returns the private key path (public is path+".pub").
func genKey(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	keygen := requireTool(t, "ssh-keygen")
	path := filepath.Join(dir, name)
	cmd := exec.Command(keygen, append(append([]string{"-q"}, args...), "-C", name, "-f", path)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// allowedFile writes an allowed_signers file granting principal the key in pubPath.
func allowedFile(t *testing.T, dir, principal, pubPath string) string {
	t.Helper()
	line := principal + ` namespaces="` + testNS + `" ` + string(readFile(t, pubPath))
	return writeFile(t, filepath.Join(dir, "allowed_"+filepath.Base(pubPath)), []byte(line))
}

// keygenVerify runs ssh-keygen -Y verify and reports whether it accepted.
func keygenVerify(t *testing.T, allowed, principal, ns string, sig, msg []byte) (bool, string) {
	t.Helper()
	keygen := requireTool(t, "ssh-keygen")
	sigPath := writeFile(t, filepath.Join(t.TempDir(), "msg.sig"), sig)
	cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", principal, "-n", ns, "-s", sigPath)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.CombinedOutput()
	return err == nil, string(out)
}

// keygenSign runs ssh-keygen -Y sign and returns the armored signature.
func keygenSign(t *testing.T, key, ns string, msg []byte) []byte {
	t.Helper()
	keygen := requireTool(t, "ssh-keygen")
	msgPath := writeFile(t, filepath.Join(t.TempDir(), "msg"), msg)
	if out, err := exec.Command(keygen, "-q", "-Y", "sign", "-f", key, "-n", ns, msgPath).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	return readFile(t, msgPath+".sig")
}

// tamperSig flips a bit inside the signature bytes at the end of the blob.
func tamperSig(t *testing.T, armored []byte) []byte {
	t.Helper()
	blob, err := dearmor(armored)
	if err != nil {
		t.Fatal(err)
	}
	blob[len(blob)-3] ^= 0x01
	return armor(blob)
}

var keyTypes = []struct {
	name string
	args []string
}{
	{"ed25519", []string{"-t", "ed25519", "-N", ""}},
	{"ecdsa-p256", []string{"-t", "ecdsa", "-b", "256", "-N", ""}},
	{"rsa", []string{"-t", "rsa", "-b", "2048", "-N", ""}},
}

func TestSignVerifiedBySSHKeygen(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(kt.name, func(t *testing.T) {
			dir := t.TempDir()
			key := genKey(t, dir, "id_"+kt.name, kt.args...)
			other := genKey(t, dir, "other_"+kt.name, kt.args...)
			allowed := allowedFile(t, dir, "alice@example.com", key+".pub")
			otherAllowed := allowedFile(t, dir, "alice@example.com", other+".pub")

			signer, closeFn, err := LoadSigner(key, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			msg := []byte("bundle manifest\nsha256 abc\n")
			sig, err := Sign(signer, testNS, msg)
			if err != nil {
				t.Fatal(err)
			}
			if kt.name == "rsa" {
				if f := sigFormat(t, sig); f != ssh.KeyAlgoRSASHA512 {
					t.Fatalf("RSA signature format = %q, want %q", f, ssh.KeyAlgoRSASHA512)
				}
			}

			if ok, out := keygenVerify(t, allowed, "alice@example.com", testNS, sig, msg); !ok {
				t.Fatalf("ssh-keygen refused claudit signature:\n%s", out)
			}
			cases := []struct {
				name, allowed, ns string
				sig, msg          []byte
			}{
				{"wrong key", otherAllowed, testNS, sig, msg},
				{"wrong namespace", allowed, "other@example.com", sig, msg},
				{"tampered message", allowed, testNS, sig, append(slices.Clone(msg), 'x')},
				{"tampered signature", allowed, testNS, tamperSig(t, sig), msg},
			}
			for _, c := range cases {
				if ok, out := keygenVerify(t, c.allowed, "alice@example.com", c.ns, c.sig, c.msg); ok {
					t.Errorf("%s: ssh-keygen accepted:\n%s", c.name, out)
				}
			}
		})
	}
}

// sigFormat returns the signature algorithm inside an armored SSHSIG.
func sigFormat(t *testing.T, armored []byte) string {
	t.Helper()
	blob, err := dearmor(armored)
	if err != nil {
		t.Fatal(err)
	}
	var w wireSig
	if err := ssh.Unmarshal(blob[len(magic):], &w); err != nil {
		t.Fatal(err)
	}
	var s ssh.Signature
	if err := ssh.Unmarshal(w.Signature, &s); err != nil {
		t.Fatal(err)
	}
	return s.Format
}

func TestVerifyAcceptsSSHKeygen(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(kt.name, func(t *testing.T) {
			dir := t.TempDir()
			key := genKey(t, dir, "id_"+kt.name, kt.args...)
			other := genKey(t, dir, "other_"+kt.name, kt.args...)
			allowed, err := ParseAllowedSigners(readFile(t, allowedFile(t, dir, "alice@example.com", key+".pub")))
			if err != nil {
				t.Fatal(err)
			}
			otherAllowed, err := ParseAllowedSigners(readFile(t, allowedFile(t, dir, "alice@example.com", other+".pub")))
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("bundle manifest\nsha256 abc\n")
			sig := keygenSign(t, key, testNS, msg)

			got, err := Verify(sig, msg, testNS, allowed)
			if err != nil {
				t.Fatalf("Verify(ssh-keygen signature): %v", err)
			}
			if !slices.Equal(got.Principals, []string{"alice@example.com"}) {
				t.Errorf("principals = %v", got.Principals)
			}
			cases := []struct {
				name    string
				sig     []byte
				msg     []byte
				ns      string
				allowed []AllowedSigner
				want    error
			}{
				{"wrong key", sig, msg, testNS, otherAllowed, ErrNotAllowed},
				{"wrong namespace", sig, msg, "other@example.com", allowed, ErrNamespace},
				{"tampered message", sig, append(slices.Clone(msg), 'x'), testNS, allowed, ErrBadSignature},
				{"tampered signature", tamperSig(t, sig), msg, testNS, allowed, ErrBadSignature},
				{"not armored", []byte("hello"), msg, testNS, allowed, ErrMalformed},
				{"namespace not in option", keygenSign(t, key, "other@example.com", msg), msg, "other@example.com", allowed, ErrNotAllowed},
			}
			for _, c := range cases {
				_, err := Verify(c.sig, c.msg, c.ns, c.allowed)
				if !errors.Is(err, c.want) {
					t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
				}
			}
		})
	}
}

func TestSignVerifyRoundTripInProcess(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("evidence "), 100)
	sig, err := Sign(signer, testNS, msg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sig), "\n"), "\n")
	if lines[0] != armorBegin || lines[len(lines)-1] != armorEnd {
		t.Fatalf("armor lines: %q ... %q", lines[0], lines[len(lines)-1])
	}
	for i, l := range lines[1 : len(lines)-1] {
		if len(l) > armorColumn || (i < len(lines)-3 && len(l) != armorColumn) {
			t.Errorf("body line %d has %d columns", i, len(l))
		}
	}
	allowed := []AllowedSigner{{Principals: []string{"a"}, Key: signer.PublicKey()}}
	if _, err := Verify(sig, msg, testNS, allowed); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(sig, msg, testNS, nil); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("no allowed signers: err = %v", err)
	}
	if _, err := Sign(signer, "", msg); err == nil {
		t.Error("Sign with empty namespace succeeded")
	}
	if _, err := Verify(sig, msg, "", allowed); !errors.Is(err, ErrNamespace) {
		t.Errorf("Verify with empty namespace: err = %v", err)
	}
}

func TestSignRSACertificateUsesSHA512(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	_, caPriv, _ := ed25519.GenerateKey(rand.Reader)
	ca, err := ssh.NewSignerFromKey(caPriv)
	if err != nil {
		t.Fatal(err)
	}
	cert := &ssh.Certificate{Key: signer.PublicKey(), CertType: ssh.UserCert, ValidPrincipals: []string{"alice"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	certSigner, err := ssh.NewCertSigner(cert, signer)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(certSigner, testNS, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if f := sigFormat(t, sig); f != ssh.KeyAlgoRSASHA512 {
		t.Errorf("RSA certificate signature format = %q, want %q", f, ssh.KeyAlgoRSASHA512)
	}
	allowed := []AllowedSigner{{Principals: []string{"a"}, Key: cert}}
	if _, err := Verify(sig, []byte("m"), testNS, allowed); !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("certificate signature: err = %v, want refusal", err)
	}
}

func TestVerifyRefusesSHA1RSA(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "id_rsa", "-t", "rsa", "-b", "2048", "-N", "")
	signer, _, err := LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("m")
	h := sha512sum(msg)
	sig, err := signer.(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, toBeSigned(testNS, "", hashSHA512, h), ssh.KeyAlgoRSA)
	if err != nil {
		t.Fatal(err)
	}
	blob := append([]byte(magic), ssh.Marshal(wireSig{
		Version: version, PublicKey: signer.PublicKey().Marshal(), Namespace: testNS,
		HashAlg: hashSHA512, Signature: ssh.Marshal(sig),
	})...)
	allowed := []AllowedSigner{{Principals: []string{"a"}, Key: signer.PublicKey()}}
	if _, err := Verify(armor(blob), msg, testNS, allowed); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "ssh-rsa") {
		t.Errorf("SHA-1 RSA signature: err = %v, want refusal", err)
	}
}

func sha512sum(b []byte) []byte {
	s := sha512.Sum512(b)
	return s[:]
}

func TestLoadSignerEncryptedKey(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "id_enc", "-t", "ed25519", "-a", "1", "-N", "correct horse")
	allowed := allowedFile(t, dir, "alice@example.com", key+".pub")

	if _, _, err := LoadSigner(key, nil); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Fatalf("nil passphrase: err = %v, want an error saying the key is encrypted", err)
	}
	wrong := func() ([]byte, error) { return []byte("battery staple"), nil }
	if _, _, err := LoadSigner(key, wrong); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	asked := 0
	var given []byte
	right := func() ([]byte, error) { asked++; given = []byte("correct horse"); return given, nil }
	signer, closeFn, err := LoadSigner(key, right)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if asked != 1 {
		t.Errorf("passphrase asked %d times, want 1", asked)
	}
	if !bytes.Equal(given, make([]byte, len(given))) {
		t.Error("passphrase was not zeroed after use")
	}
	msg := []byte("msg")
	sig, err := Sign(signer, testNS, msg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, out := keygenVerify(t, allowed, "alice@example.com", testNS, sig, msg); !ok {
		t.Fatalf("ssh-keygen refused signature from encrypted key:\n%s", out)
	}
}

func TestLoadSignerErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadSigner(filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("missing file: no error")
	}
	junk := writeFile(t, filepath.Join(dir, "junk"), []byte("not a key"))
	if _, _, err := LoadSigner(junk, nil); err == nil || !strings.Contains(err.Error(), "not a public or private SSH key") {
		t.Errorf("junk file: err = %v", err)
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	if _, _, err := LoadSigner("agent", nil); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Errorf("agent without socket: err = %v", err)
	}
}

// startAgent runs ssh-agent -D on a socket in a temporary directory, sets
// SSH_AUTH_SOCK and kills the agent at cleanup.
func startAgent(t *testing.T) string {
	t.Helper()
	bin := requireTool(t, "ssh-agent")
	// Unix socket paths are short; t.TempDir can be too long.
	sockDir, err := os.MkdirTemp("", "sshsig-agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "s")
	cmd := exec.Command(bin, "-D", "-a", sock)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// ssh-agent prints SSH_AUTH_SOCK=... once it listens; that line is the handshake.
	ready := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(stdout).ReadString('\n')
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("ssh-agent did not start: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ssh-agent did not start within 10s")
	}
	// Bounded poll, in case the announcement ever precedes listen().
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent socket not ready: %v", err)
		}
		<-time.After(10 * time.Millisecond)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	return sock
}

func sshAdd(t *testing.T, key string) {
	t.Helper()
	bin := requireTool(t, "ssh-add")
	if out, err := exec.Command(bin, key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-add %s: %v\n%s", key, err, out)
	}
}

func TestLoadSignerAgent(t *testing.T) {
	dir := t.TempDir()
	ed := genKey(t, dir, "id_ed25519", "-t", "ed25519", "-N", "")
	rsaKey := genKey(t, dir, "id_rsa", "-t", "rsa", "-b", "2048", "-N", "")
	notAdded := genKey(t, dir, "id_absent", "-t", "ed25519", "-N", "")
	startAgent(t)

	if _, _, err := LoadSigner("agent", nil); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("empty agent: err = %v", err)
	}
	sshAdd(t, ed)
	sshAdd(t, rsaKey)

	msg := []byte("signed through the agent")
	for _, c := range []struct{ name, path, pub string }{
		{"agent", "agent", ed + ".pub"},
		{"ed25519 pub", ed + ".pub", ed + ".pub"},
		{"rsa pub", rsaKey + ".pub", rsaKey + ".pub"},
	} {
		t.Run(c.name, func(t *testing.T) {
			signer, closeFn, err := LoadSigner(c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := Sign(signer, testNS, msg)
			if cerr := closeFn(); cerr != nil {
				t.Errorf("close: %v", cerr)
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(c.name, "rsa") {
				if f := sigFormat(t, sig); f != ssh.KeyAlgoRSASHA512 {
					t.Errorf("agent RSA signature format = %q", f)
				}
			}
			allowed := allowedFile(t, t.TempDir(), "alice@example.com", c.pub)
			if ok, out := keygenVerify(t, allowed, "alice@example.com", testNS, sig, msg); !ok {
				t.Fatalf("ssh-keygen refused agent signature:\n%s", out)
			}
		})
	}

	// An authorized_keys-style line (with options) selects the agent key too.
	line := `restrict,command="true" ` + string(readFile(t, rsaKey+".pub"))
	ak := writeFile(t, filepath.Join(dir, "authorized_keys"), []byte(line))
	signer, closeFn, err := LoadSigner(ak, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeFn()
	if want, _, _, _, _ := ssh.ParseAuthorizedKey(readFile(t, rsaKey+".pub")); !keysEqual(signer.PublicKey(), want) {
		t.Error("authorized_keys line selected the wrong agent key")
	}

	if _, _, err := LoadSigner(notAdded+".pub", nil); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Errorf("key not in agent: err = %v", err)
	}
}

func TestSignByteIdenticalToSSHKeygen(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "id_ed25519", "-t", "ed25519", "-N", "")
	msg := bytes.Repeat([]byte("0123456789abcdef"), 64)
	signer, _, err := LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sign(signer, testNS, msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := keygenSign(t, key, testNS, msg); !bytes.Equal(got, want) {
		t.Errorf("claudit signature differs from ssh-keygen's:\n got %s\nwant %s", got, want)
	}
}

func TestVerifyAcceptsSHA256FromSSHKeygen(t *testing.T) {
	keygen := requireTool(t, "ssh-keygen")
	dir := t.TempDir()
	key := genKey(t, dir, "id_ed25519", "-t", "ed25519", "-N", "")
	msg := []byte("hashed with sha256")
	msgPath := writeFile(t, filepath.Join(dir, "msg"), msg)
	if out, err := exec.Command(keygen, "-q", "-Y", "sign", "-O", "hashalg=sha256", "-f", key, "-n", testNS, msgPath).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	allowed, err := ParseAllowedSigners(readFile(t, allowedFile(t, dir, "alice", key+".pub")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(readFile(t, msgPath+".sig"), msg, testNS, allowed); err != nil {
		t.Fatalf("Verify(sha256 signature): %v", err)
	}
	if _, err := Verify(readFile(t, msgPath+".sig"), []byte("other"), testNS, allowed); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered sha256 message: err = %v", err)
	}
}

func TestLoadSignerPEMKey(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "id_pem", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", "")
	if !bytes.HasPrefix(readFile(t, key), []byte("-----BEGIN EC PRIVATE KEY-----")) {
		t.Fatal("ssh-keygen -m PEM did not write a PEM key")
	}
	signer, _, err := LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("pem")
	sig, err := Sign(signer, testNS, msg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, out := keygenVerify(t, allowedFile(t, dir, "alice", key+".pub"), "alice", testNS, sig, msg); !ok {
		t.Fatalf("ssh-keygen refused signature from PEM key:\n%s", out)
	}
}
