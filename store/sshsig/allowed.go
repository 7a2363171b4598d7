package sshsig

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigner is one line of an ssh-keygen allowed_signers file.
type AllowedSigner struct {
	// Principals are the comma-separated identities of the line, e.g. "alice@example.com".
	Principals []string
	// Namespaces are the namespaces="a,b" option; empty means any namespace.
	Namespaces []string
	// Key is the public key allowed to sign for the principals.
	Key ssh.PublicKey
	// ValidAfter and ValidBefore are the valid-after/valid-before options; the zero
	// time means unbounded. Verify checks them against the current time, as
	// ssh-keygen -Y verify does.
	ValidAfter, ValidBefore time.Time
}

// validAt reports why the line is not valid at t, or "" when it is.
func (a AllowedSigner) validAt(t time.Time) string {
	if !a.ValidAfter.IsZero() && t.Before(a.ValidAfter) {
		return "not valid before " + a.ValidAfter.Format(time.RFC3339)
	}
	if !a.ValidBefore.IsZero() && !t.Before(a.ValidBefore) {
		return "expired at " + a.ValidBefore.Format(time.RFC3339)
	}
	return ""
}

// allowsNamespace reports whether the line permits signatures under namespace.
// Entries are matched literally (ssh-keygen also allows wildcard patterns; they
// are refused by ParseAllowedSigners rather than matched differently).
func (a AllowedSigner) allowsNamespace(namespace string) bool {
	if len(a.Namespaces) == 0 {
		return true
	}
	for _, n := range a.Namespaces {
		if n == namespace {
			return true
		}
	}
	return false
}

// ParseAllowedSigners parses an allowed_signers file as described in ssh-keygen(1)
// ALLOWED SIGNERS: each line is principals (comma-separated, optionally in double
// quotes), optional comma-separated options, then key type, base64 key and an
// optional comment; blank lines and lines starting with # are skipped.
//
// Options: namespaces="a,b" restricts the line to those namespaces;
// valid-after="T" and valid-before="T" bound when the key is valid (T is
// YYYYMMDD or YYYYMMDDHHMM[SS], local time unless suffixed with Z); cert-authority is refused with an error
// because certificates are not supported. Any other option is an error.
func ParseAllowedSigners(data []byte) ([]AllowedSigner, error) {
	var out []AllowedSigner
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, err := parseAllowedLine(line)
		if err != nil {
			return nil, fmt.Errorf("allowed signers line %d: %w", n, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allowed signers: %w", err)
	}
	return out, nil
}

// parseAllowedLine parses one non-blank, non-comment line.
func parseAllowedLine(line string) (AllowedSigner, error) {
	var principals, rest string
	if strings.HasPrefix(line, `"`) {
		end := strings.IndexByte(line[1:], '"')
		if end < 0 {
			return AllowedSigner{}, fmt.Errorf("unterminated quoted principals")
		}
		principals, rest = line[1:1+end], line[2+end:]
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			return AllowedSigner{}, fmt.Errorf("no space after quoted principals")
		}
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return AllowedSigner{}, fmt.Errorf("missing key")
		}
		principals, rest = line[:i], line[i:]
	}
	var a AllowedSigner
	for _, p := range strings.Split(principals, ",") {
		if p = strings.TrimSpace(p); p != "" {
			a.Principals = append(a.Principals, p)
		}
	}
	if len(a.Principals) == 0 {
		return AllowedSigner{}, fmt.Errorf("empty principals")
	}

	rest = strings.TrimSpace(rest)
	if rest == "" {
		return AllowedSigner{}, fmt.Errorf("missing key")
	}
	key, _, options, tail, err := ssh.ParseAuthorizedKey([]byte(rest))
	if err != nil {
		return AllowedSigner{}, fmt.Errorf("key: %w", err)
	}
	if len(bytes.TrimSpace(tail)) != 0 {
		return AllowedSigner{}, fmt.Errorf("unexpected data after key")
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return AllowedSigner{}, fmt.Errorf("certificate keys are not supported")
	}
	a.Key = key
	for _, opt := range options {
		name, value, hasValue := strings.Cut(opt, "=")
		switch strings.ToLower(name) {
		case "cert-authority":
			return AllowedSigner{}, fmt.Errorf("cert-authority is not supported")
		case "namespaces":
			v, err := unquote(value, hasValue)
			if err != nil {
				return AllowedSigner{}, fmt.Errorf("namespaces: %w", err)
			}
			for _, ns := range strings.Split(v, ",") {
				ns = strings.TrimSpace(ns)
				if ns == "" {
					continue
				}
				if strings.ContainsAny(ns, "*?!") {
					return AllowedSigner{}, fmt.Errorf("namespace pattern %q is not supported", ns)
				}
				a.Namespaces = append(a.Namespaces, ns)
			}
			if len(a.Namespaces) == 0 {
				return AllowedSigner{}, fmt.Errorf("namespaces: empty list")
			}
		case "valid-after", "valid-before":
			v, err := unquote(value, hasValue)
			if err == nil {
				var t time.Time
				if t, err = parseSSHTime(v); err == nil && strings.EqualFold(name, "valid-after") {
					a.ValidAfter = t
				} else if err == nil {
					a.ValidBefore = t
				}
			}
			if err != nil {
				return AllowedSigner{}, fmt.Errorf("%s: %w", name, err)
			}
		default:
			return AllowedSigner{}, fmt.Errorf("unsupported option %q", name)
		}
	}
	return a, nil
}

// parseSSHTime parses the YYYYMMDD[Z] and YYYYMMDDHHMM[SS][Z] times of ssh-keygen(1).
func parseSSHTime(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, fmt.Errorf("time %q is not YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]", v)
	}
	t, err := time.ParseInLocation(layout, v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", v, err)
	}
	return t, nil
}

// unquote returns the value of a name="value" option.
func unquote(value string, hasValue bool) (string, error) {
	if !hasValue || len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return "", fmt.Errorf("value must be in double quotes")
	}
	return value[1 : len(value)-1], nil
}
