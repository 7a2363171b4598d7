// Package sshsig signs and verifies detached SSH signatures (the SSHSIG format of
// ssh-keygen -Y sign/verify), so an evidence bundle can be signed with the key the
// analyst already has and checked by anyone with ssh-keygen and an allowed_signers file.
//
// The wire format is PROTOCOL.sshsig of OpenSSH:
//
//	blob   = "SSHSIG" | uint32 1 | string publickey | string namespace |
//	         string reserved | string hash_algorithm | string signature
//	signed = "SSHSIG" | string namespace | string reserved |
//	         string hash_algorithm | string H(message)
//
// and the blob is armored as base64 wrapped at 70 columns between
// "-----BEGIN SSH SIGNATURE-----" and "-----END SSH SIGNATURE-----".
package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

const (
	magic       = "SSHSIG"
	version     = 1
	hashSHA512  = "sha512"
	hashSHA256  = "sha256"
	armorBegin  = "-----BEGIN SSH SIGNATURE-----"
	armorEnd    = "-----END SSH SIGNATURE-----"
	armorColumn = 70
)

// now is the clock valid-after/valid-before are checked against; tests replace it.
var now = time.Now

// Errors returned (wrapped) by Verify; test them with errors.Is.
var (
	// ErrMalformed means the armored signature could not be decoded or parsed.
	ErrMalformed = errors.New("malformed SSH signature")
	// ErrNamespace means the signature was made for a different namespace.
	ErrNamespace = errors.New("SSH signature namespace mismatch")
	// ErrNotAllowed means the signing key is not in the allowed signers for the namespace.
	ErrNotAllowed = errors.New("SSH signature key not allowed")
	// ErrBadSignature means the signature does not match the message and key.
	ErrBadSignature = errors.New("bad SSH signature")
)

// wireSig is the SSHSIG blob after the magic preamble.
type wireSig struct {
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	HashAlg   string
	Signature []byte
}

// signedData is what the key actually signs (after the magic preamble).
type signedData struct {
	Namespace string
	Reserved  string
	HashAlg   string
	Hash      []byte
}

// Sign returns the armored signature ("-----BEGIN SSH SIGNATURE-----" …) of message
// under namespace, hash sha512, as ssh-keygen -Y sign writes it. RSA keys sign with
// rsa-sha2-512, never with SHA-1 ssh-rsa.
func Sign(signer ssh.Signer, namespace string, message []byte) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("sshsig: no signer")
	}
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	h := sha512.Sum512(message)
	data := toBeSigned(namespace, "", hashSHA512, h[:])

	pub := signer.PublicKey()
	var sig *ssh.Signature
	var err error
	if isRSA(pub) {
		as, ok := signer.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("sshsig: RSA signer cannot sign with rsa-sha2-512")
		}
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("sshsig: sign: %w", err)
	}

	blob := append([]byte(magic), ssh.Marshal(wireSig{
		Version:   version,
		PublicKey: pub.Marshal(),
		Namespace: namespace,
		HashAlg:   hashSHA512,
		Signature: ssh.Marshal(sig),
	})...)
	return armor(blob), nil
}

// Verify checks the armored signature of message under namespace against allowed,
// returning the matching signer. Errors wrap ErrMalformed, ErrNamespace,
// ErrNotAllowed or ErrBadSignature and say why. A key outside its valid-after/
// valid-before window now is not allowed. Signatures made by certificates
// are refused (cert-authority lines are not supported either).
func Verify(armored, message []byte, namespace string, allowed []AllowedSigner) (AllowedSigner, error) {
	if namespace == "" {
		return AllowedSigner{}, fmt.Errorf("%w: empty namespace", ErrNamespace)
	}
	blob, err := dearmor(armored)
	if err != nil {
		return AllowedSigner{}, err
	}
	if !bytes.HasPrefix(blob, []byte(magic)) {
		return AllowedSigner{}, fmt.Errorf("%w: missing SSHSIG preamble", ErrMalformed)
	}
	var w wireSig
	if err := ssh.Unmarshal(blob[len(magic):], &w); err != nil {
		return AllowedSigner{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Version != version {
		return AllowedSigner{}, fmt.Errorf("%w: unsupported version %d", ErrMalformed, w.Version)
	}
	if w.Namespace != namespace {
		return AllowedSigner{}, fmt.Errorf("%w: signed for %q, expected %q", ErrNamespace, w.Namespace, namespace)
	}
	var h []byte
	switch w.HashAlg {
	case hashSHA512:
		s := sha512.Sum512(message)
		h = s[:]
	case hashSHA256:
		s := sha256.Sum256(message)
		h = s[:]
	default:
		return AllowedSigner{}, fmt.Errorf("%w: unsupported hash algorithm %q", ErrMalformed, w.HashAlg)
	}
	pub, err := ssh.ParsePublicKey(w.PublicKey)
	if err != nil {
		return AllowedSigner{}, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	if _, ok := pub.(*ssh.Certificate); ok {
		return AllowedSigner{}, fmt.Errorf("%w: signed by a certificate (not supported)", ErrNotAllowed)
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(w.Signature, &sig); err != nil {
		return AllowedSigner{}, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	if isRSA(pub) && sig.Format != ssh.KeyAlgoRSASHA512 && sig.Format != ssh.KeyAlgoRSASHA256 {
		return AllowedSigner{}, fmt.Errorf("%w: RSA signature algorithm %q not allowed", ErrBadSignature, sig.Format)
	}
	if err := pub.Verify(toBeSigned(w.Namespace, w.Reserved, w.HashAlg, h), &sig); err != nil {
		return AllowedSigner{}, fmt.Errorf("%w: %s key %s: %v", ErrBadSignature, pub.Type(), ssh.FingerprintSHA256(pub), err)
	}

	keyListed, invalid := false, ""
	at := now()
	for _, a := range allowed {
		if a.Key == nil || !bytes.Equal(a.Key.Marshal(), w.PublicKey) {
			continue
		}
		keyListed = true
		if !a.allowsNamespace(namespace) {
			continue
		}
		if invalid = a.validAt(at); invalid == "" {
			return a, nil
		}
	}
	if invalid != "" {
		return AllowedSigner{}, fmt.Errorf("%w: %s key %s is %s",
			ErrNotAllowed, pub.Type(), ssh.FingerprintSHA256(pub), invalid)
	}
	if keyListed {
		return AllowedSigner{}, fmt.Errorf("%w: %s key %s is not allowed for namespace %q",
			ErrNotAllowed, pub.Type(), ssh.FingerprintSHA256(pub), namespace)
	}
	return AllowedSigner{}, fmt.Errorf("%w: %s key %s is not in the allowed signers",
		ErrNotAllowed, pub.Type(), ssh.FingerprintSHA256(pub))
}

// toBeSigned builds the byte string the key signs.
func toBeSigned(namespace, reserved, hashAlg string, hash []byte) []byte {
	return append([]byte(magic), ssh.Marshal(signedData{
		Namespace: namespace,
		Reserved:  reserved,
		HashAlg:   hashAlg,
		Hash:      hash,
	})...)
}

// isRSA reports whether pub is an RSA key or a certificate of one: both must be
// signed with an explicit rsa-sha2-* algorithm, since the default is SHA-1 ssh-rsa.
func isRSA(pub ssh.PublicKey) bool {
	if c, ok := pub.(*ssh.Certificate); ok {
		pub = c.Key
	}
	return pub.Type() == ssh.KeyAlgoRSA
}

// armor wraps blob as ssh-keygen does: base64 in lines of 70 columns.
func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > armorColumn {
		b.WriteString(enc[:armorColumn] + "\n")
		enc = enc[armorColumn:]
	}
	b.WriteString(enc + "\n")
	b.WriteString(armorEnd + "\n")
	return b.Bytes()
}

// dearmor returns the blob between the armor lines.
func dearmor(armored []byte) ([]byte, error) {
	s := strings.TrimSpace(string(armored))
	if !strings.HasPrefix(s, armorBegin) {
		return nil, fmt.Errorf("%w: missing %q", ErrMalformed, armorBegin)
	}
	s = s[len(armorBegin):]
	end := strings.Index(s, armorEnd)
	if end < 0 {
		return nil, fmt.Errorf("%w: missing %q", ErrMalformed, armorEnd)
	}
	if strings.TrimSpace(s[end+len(armorEnd):]) != "" {
		return nil, fmt.Errorf("%w: data after %q", ErrMalformed, armorEnd)
	}
	body := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s[:end])
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrMalformed, err)
	}
	return blob, nil
}
