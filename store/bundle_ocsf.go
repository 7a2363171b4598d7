package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"claudit/feed"
	"claudit/feed/ocsf"
)

// BundleOCSF is the optional OCSF rendering of a bundle (`export --format
// ocsf`): one OCSF 1.6.0 event per line of activities.ndjson, in the same
// order. It is derived from activities.ndjson alone (no logged_time, which
// the bundle does not record), so VerifyBundle re-derives it and compares:
// it needs no digest of its own, and the evidence stays the raw JSON.
const BundleOCSF = "events.ocsf.ndjson"

// WriteBundleOCSF writes BundleOCSF into the finished bundle in dir, from
// its activities.ndjson (through a temporary file and a rename, so the file
// is there complete or not at all).
func WriteBundleOCSF(dir string) error {
	src, err := os.Open(filepath.Join(dir, BundleActivities))
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer src.Close()
	tmp := filepath.Join(dir, "."+BundleOCSF+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export: create %s: %w", tmp, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var enc ocsf.Encoder
	var buf []byte
	werr := eachBundleLine(src, func(n int, line []byte) error {
		buf = append(deriveOCSF(&enc, buf[:0], line), '\n')
		_, err := bw.Write(buf)
		return err
	})
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, filepath.Join(dir, BundleOCSF))
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("export: write %s: %w", BundleOCSF, werr)
	}
	return nil
}

// deriveOCSF appends the OCSF event of one activities.ndjson line.
func deriveOCSF(enc *ocsf.Encoder, dst, line []byte) []byte {
	var a feed.Activity
	if json.Unmarshal(line, &a) != nil {
		a = feed.Activity{Raw: line} // mapped as a corrupt row: nothing is dropped
	}
	return enc.Append(dst, a, time.Time{})
}

// eachBundleLine calls fn with every line of r (without its newline).
func eachBundleLine(r io.Reader, fn func(n int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if err := fn(n, bytes.TrimSuffix(line, []byte("\n"))); err != nil {
			return err
		}
	}
}

// checkOCSF re-derives BundleOCSF from activities.ndjson (already checked
// against the manifest) and compares it line by line.
func checkOCSF(dir string, m *Manifest) error {
	f, err := os.Open(filepath.Join(dir, BundleOCSF))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	src, err := os.Open(filepath.Join(dir, BundleActivities))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer src.Close()
	got := bufio.NewReaderSize(f, 1<<20)
	var enc ocsf.Encoder
	var want []byte
	lines := 0
	err = eachBundleLine(src, func(n int, line []byte) error {
		lines = n
		want = append(deriveOCSF(&enc, want[:0], line), '\n')
		have, err := got.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("verify: read %s: %w", BundleOCSF, err)
		}
		if !bytes.Equal(have, want) {
			id := ""
			if n <= len(m.Lines) {
				id = m.Lines[n-1].ID
			}
			return &VerifyError{File: BundleOCSF, Line: n, ID: id,
				Reason: "differs from the OCSF event of the same line of " + BundleActivities}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if _, err := got.ReadByte(); err == nil {
		return &VerifyError{File: BundleOCSF, Line: lines + 1, Reason: "not derived from " + BundleActivities + " (extra line)"}
	}
	return nil
}
