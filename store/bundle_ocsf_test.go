package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The OCSF rendering of a bundle: one event per activity line, in order,
// verified by re-deriving it; an edited, dropped or added line fails.
func TestBundleOCSF(t *testing.T) {
	_, dir, m, acts := exportFixture(t, 300)
	if err := WriteBundleOCSF(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, BundleOCSF))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(acts) {
		t.Fatalf("%d OCSF lines for %d activities", len(lines), len(acts))
	}
	for i, l := range lines {
		var ev struct {
			Metadata struct {
				UID     string `json:"uid"`
				Version string `json:"version"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Metadata.UID != m.Lines[i].ID || ev.Metadata.Version != "1.6.0" {
			t.Fatalf("line %d: %v %+v", i+1, err, ev)
		}
	}
	res, err := VerifyBundle(dir, VerifyOptions{Digest: m.Digest})
	if err != nil || !res.OCSF {
		t.Fatalf("verify: %v (ocsf %v)", err, res.OCSF)
	}
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		line int
	}{
		{"edited", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"severity_id":1`), []byte(`"severity_id":2`), 1)
		}, 1},
		{"dropped", func(b []byte) []byte { return b[bytes.IndexByte(b, '\n')+1:] }, 1},
		{"added", func(b []byte) []byte { return append(b, "{}\n"...) }, len(acts) + 1},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }, len(acts)},
	} {
		cp := tamper(t, dir, BundleOCSF, tc.edit)
		_, err := VerifyBundle(cp, VerifyOptions{})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.File != BundleOCSF || ve.Line != tc.line {
			t.Errorf("%s: err = %v, want %s line %d", tc.name, err, BundleOCSF, tc.line)
		}
	}
}
