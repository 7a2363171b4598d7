package sshsig

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestParseAllowedSigners(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	keyB64 := strings.Fields(pub)[1]
	if _, err := base64.StdEncoding.DecodeString(keyB64); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		in         string
		principals [][]string
		namespaces [][]string
		wantErr    string
	}{
		{name: "simple", in: "alice@example.com " + pub,
			principals: [][]string{{"alice@example.com"}}, namespaces: [][]string{nil}},
		{name: "comment after key", in: "alice@example.com " + pub + " laptop key",
			principals: [][]string{{"alice@example.com"}}, namespaces: [][]string{nil}},
		{name: "blank and comment lines", in: "\n# team keys\n\n  \nbob " + pub + "\n",
			principals: [][]string{{"bob"}}, namespaces: [][]string{nil}},
		{name: "several principals", in: "alice@example.com,bob@example.com " + pub,
			principals: [][]string{{"alice@example.com", "bob@example.com"}}, namespaces: [][]string{nil}},
		{name: "quoted principals", in: `"alice@example.com,Bob Smith" ` + pub,
			principals: [][]string{{"alice@example.com", "Bob Smith"}}, namespaces: [][]string{nil}},
		{name: "namespaces option", in: `alice namespaces="claudit,git" ` + pub,
			principals: [][]string{{"alice"}}, namespaces: [][]string{{"claudit", "git"}}},
		{name: "option name case-insensitive", in: `alice NAMESPACES="claudit" ` + pub,
			principals: [][]string{{"alice"}}, namespaces: [][]string{{"claudit"}}},
		{name: "validity options", in: `alice valid-after="20260101",valid-before="20270101Z",namespaces="claudit" ` + pub,
			principals: [][]string{{"alice"}}, namespaces: [][]string{{"claudit"}}},
		{name: "two lines", in: "alice " + pub + "\n" + `bob namespaces="x" ` + pub,
			principals: [][]string{{"alice"}, {"bob"}}, namespaces: [][]string{nil, {"x"}}},
		{name: "empty file", in: "", principals: nil},
		{name: "cert-authority refused", in: "*@example.com cert-authority " + pub, wantErr: "cert-authority is not supported"},
		{name: "unknown option", in: `alice frobnicate="1" ` + pub, wantErr: "unsupported option"},
		{name: "unquoted namespaces", in: `alice namespaces=claudit ` + pub, wantErr: "double quotes"},
		{name: "namespace pattern", in: `alice namespaces="claudit*" ` + pub, wantErr: "pattern"},
		{name: "missing key", in: "alice", wantErr: "missing key"},
		{name: "bad valid-before", in: `alice valid-before="2027-01-01" ` + pub, wantErr: "valid-before"},
		{name: "bad key", in: "alice ssh-ed25519 AAAAnotbase64!!", wantErr: "line 1: key"},
		{name: "unterminated quote", in: `"alice ` + pub, wantErr: "unterminated"},
		{name: "error names line", in: "alice " + pub + "\n\nbob", wantErr: "line 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAllowedSigners([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.principals) {
				t.Fatalf("got %d signers, want %d", len(got), len(tc.principals))
			}
			for i, a := range got {
				if !slices.Equal(a.Principals, tc.principals[i]) {
					t.Errorf("[%d] principals = %q, want %q", i, a.Principals, tc.principals[i])
				}
				if !slices.Equal(a.Namespaces, tc.namespaces[i]) {
					t.Errorf("[%d] namespaces = %q, want %q", i, a.Namespaces, tc.namespaces[i])
				}
				if a.Key == nil || !keysEqual(a.Key, signer.PublicKey()) {
					t.Errorf("[%d] key mismatch", i)
				}
			}
		})
	}
}

// Ed25519 signatures are deterministic, so claudit's armored output must be
// byte-identical to ssh-keygen's for the same key, namespace and message.
func TestVerifyHonoursValidity(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := `alice valid-after="20260101Z",valid-before="202701021530Z" ` + string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	allowed, err := ParseAllowedSigners([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); !allowed[0].ValidAfter.Equal(want) {
		t.Errorf("ValidAfter = %v, want %v", allowed[0].ValidAfter, want)
	}
	if want := time.Date(2027, 1, 2, 15, 30, 0, 0, time.UTC); !allowed[0].ValidBefore.Equal(want) {
		t.Errorf("ValidBefore = %v, want %v", allowed[0].ValidBefore, want)
	}
	local, err := ParseAllowedSigners([]byte(`alice valid-after="20260101120000" ` + string(ssh.MarshalAuthorizedKey(signer.PublicKey()))))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 1, 12, 0, 0, 0, time.Local); !local[0].ValidAfter.Equal(want) {
		t.Errorf("local ValidAfter = %v, want %v", local[0].ValidAfter, want)
	}

	msg := []byte("m")
	sig, err := Sign(signer, testNS, msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at      time.Time
		wantErr string
	}{
		{time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC), "not valid before"},
		{time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), ""},
		{time.Date(2027, 1, 2, 15, 30, 0, 0, time.UTC), "expired"},
	} {
		now = func() time.Time { return c.at }
		_, err := Verify(sig, msg, testNS, allowed)
		now = time.Now
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("at %v: %v", c.at, err)
			}
		} else if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("at %v: err = %v, want %q", c.at, err, c.wantErr)
		}
	}
}

// claudit and ssh-keygen agree on an expired and a current allowed_signers line.
func TestValidityAgreesWithSSHKeygen(t *testing.T) {
	dir := t.TempDir()
	key := genKey(t, dir, "id_ed25519", "-t", "ed25519", "-N", "")
	msg := []byte("m")
	sig := keygenSign(t, key, testNS, msg)
	pub := string(readFile(t, key+".pub"))
	for _, c := range []struct {
		name, opts string
		ok         bool
	}{
		{"expired", `valid-before="20200101Z"`, false},
		{"not yet valid", `valid-after="29990101"`, false},
		{"current", `valid-after="20200101Z",valid-before="29990101000000Z"`, true},
	} {
		allowedPath := writeFile(t, filepath.Join(dir, "allowed"), []byte("alice "+c.opts+" "+pub))
		keygenOK, out := keygenVerify(t, allowedPath, "alice", testNS, sig, msg)
		if keygenOK != c.ok {
			t.Errorf("%s: ssh-keygen accepted=%v, want %v:\n%s", c.name, keygenOK, c.ok, out)
		}
		allowed, err := ParseAllowedSigners(readFile(t, allowedPath))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(sig, msg, testNS, allowed); (err == nil) != c.ok {
			t.Errorf("%s: claudit Verify err = %v, want accepted=%v", c.name, err, c.ok)
		}
	}
}
