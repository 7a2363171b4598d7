package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"claudit/feed"
)

// An evidence bundle is a directory with the matching activities, raw and
// newest first, one per line (BundleActivities), and a manifest
// (BundleManifest) that says how they were obtained and lets anyone check
// that not a byte has changed since: the SHA-256 of every line and of the
// whole file. DIGEST, SHA256SUMS and README.txt (bundle_verify.go) let a third
// party check it with or without claudit.
const (
	// BundleFormat names the bundle layout; VerifyBundle refuses others.
	BundleFormat = "claudit-evidence-bundle/1"
	// BundleActivities is the NDJSON file of a bundle.
	BundleActivities = "activities.ndjson"
	// BundleManifest is the manifest file of a bundle.
	BundleManifest = "manifest.json"
)

// Manifest describes an evidence bundle. The caller fills in how the data
// was obtained (tool, query, window, server parameters, sync runs);
// Export adds what was written (counts, file and line digests).
type Manifest struct {
	Format    string    `json:"format"`
	Tool      string    `json:"tool"` // name and version, e.g. "claudit 1.2.0"
	CreatedAt time.Time `json:"created_at"`
	// Query is the canonical query; QueryInput is what the analyst typed.
	Query      string `json:"query"`
	QueryInput string `json:"query_input"`
	// Window is the time range exported (open ends are null); a query
	// without a time term exports the whole cache.
	Window RangeJSON `json:"window"`
	// ServerParams are the parameters the sync sent to the Activity Feed
	// for the query (server-side filters and created_at bounds).
	ServerParams map[string][]string `json:"server_params"`
	// Offline is true when no sync ran before the export (Export sets it
	// when Runs is empty).
	Offline bool `json:"offline"`
	// Redacted is true when e-mails, ips, user agents and ids were masked
	// (screen-share mode): the lines are then not the server's bytes.
	Redacted bool `json:"redacted"`
	// Coverage is the fraction of the synced window the cache held
	// completely when the bundle was written (1 = no gaps).
	Coverage float64 `json:"coverage"`
	// Runs are the sync runs made for this export, with every request-id.
	Runs []RunRecord `json:"sync_runs"`
	// EarlierRuns are the cache's earlier sync runs that fetched events
	// inside the window: the requests that brought most of the data.
	EarlierRuns []RunRecord `json:"earlier_runs"`
	// RequestIDs lists the request-ids of EarlierRuns then Runs, oldest
	// first, without repeats.
	RequestIDs []string       `json:"request_ids"`
	Counts     ManifestCounts `json:"counts"`
	File       ManifestFile   `json:"file"`
	// Lines holds, in file order, the id and SHA-256 of every line (the
	// line's bytes without its newline).
	Lines []LineDigest `json:"lines"`
	// Digest is the bundle digest (ManifestDigest of manifest.json), set
	// by Export and VerifyBundle; it is not part of the manifest.
	Digest string `json:"-"`
}

// RangeJSON is a time range whose zero ends encode as null.
type RangeJSON struct {
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
}

// NewRangeJSON converts r (UTC; zero ends become null).
func NewRangeJSON(r feed.Range) RangeJSON {
	var out RangeJSON
	if !r.From.IsZero() {
		t := r.From.UTC()
		out.From = &t
	}
	if !r.To.IsZero() {
		t := r.To.UTC()
		out.To = &t
	}
	return out
}

// RunRecord is one sync run as recorded in a manifest.
type RunRecord struct {
	Kind           string    `json:"kind"`
	Window         RangeJSON `json:"window"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
	Pages          int       `json:"pages"`
	Events         int       `json:"events"`
	Inserted       int       `json:"inserted"`
	Late           int       `json:"late"`
	Anomalies      int       `json:"anomalies"`
	Retries        int       `json:"retries"`
	StartCursor    string    `json:"start_cursor"`
	EndCursor      string    `json:"end_cursor"`
	FinalRequestID string    `json:"final_request_id"`
	RequestIDs     []string  `json:"request_ids"`
	Err            string    `json:"error,omitempty"`
}

// NewRunRecord builds the manifest record of a finished sync run.
func NewRunRecord(info feed.RunInfo, s feed.RunSummary) RunRecord {
	ids := s.RequestIDs
	if ids == nil {
		ids = []string{}
	}
	return RunRecord{
		Kind: info.Kind, Window: NewRangeJSON(info.Window), Started: info.Started.UTC(), Finished: s.Finished.UTC(),
		Pages: s.Pages, Events: s.Events, Inserted: s.Inserted, Late: s.Late, Anomalies: s.Anomalies, Retries: s.Retries,
		StartCursor: s.StartCursor, EndCursor: s.EndCursor, FinalRequestID: s.FinalRequestID, RequestIDs: ids, Err: s.Err,
	}
}

// maxEarlierRuns bounds how far back the run log is searched.
const maxEarlierRuns = 10000

// EarlierRuns returns, oldest first, the recorded sync runs that fetched
// at least one event and whose window overlaps w (an open end of w
// overlaps everything on that side), skipping the run ids in except.
func (s *Store) EarlierRuns(ctx context.Context, w feed.Range, except ...int64) ([]RunRecord, error) {
	runs, err := s.Runs(ctx, maxEarlierRuns)
	if err != nil {
		return nil, err
	}
	var out []RunRecord
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.Summary.Events == 0 || slices.Contains(except, r.ID) {
			continue
		}
		rw := r.Info.Window
		if !w.To.IsZero() && !rw.From.IsZero() && !rw.From.Before(w.To) {
			continue
		}
		if !w.From.IsZero() && !rw.To.IsZero() && !rw.To.After(w.From) {
			continue
		}
		out = append(out, NewRunRecord(r.Info, r.Summary))
	}
	return out, nil
}

// ManifestCounts summarises the exported activities.
type ManifestCounts struct {
	Events int            `json:"events"`
	ByType map[string]int `json:"by_type"`
	Oldest *time.Time     `json:"oldest"`
	Newest *time.Time     `json:"newest"`
}

// ManifestFile describes the NDJSON file as a whole.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	Lines  int    `json:"lines"`
	SHA256 string `json:"sha256"`
}

// LineDigest is the id and SHA-256 of one line of the NDJSON file.
type LineDigest struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
}

// exportPage is how many rows each keyset read fetches.
const exportPage = 1000

// ExportOption changes how Export writes a bundle.
type ExportOption func(*exportConfig)

type exportConfig struct {
	redactor *feed.Redactor
}

// WithRedactor masks e-mails, ips, user agents and ids in every line and in
// the manifest's query and server parameters, consistently with what the
// redacted screen shows, and marks the manifest as redacted. A nil
// redactor changes nothing.
func WithRedactor(r *feed.Redactor) ExportOption {
	return func(c *exportConfig) { c.redactor = r }
}

// Export writes an evidence bundle of the cached activities matching q
// (resolved against now) into dir, which must not exist or be empty. It
// returns the manifest as written. Files are created 0600 in a 0700
// directory; the manifest is written last, under its final name only once
// complete, so a bundle with a manifest is a finished one.
func (s *Store) Export(ctx context.Context, dir string, q feed.Query, now time.Time, m Manifest, opts ...ExportOption) (Manifest, error) {
	var cfg exportConfig
	for _, o := range opts {
		o(&cfg)
	}
	if err := prepareBundleDir(dir); err != nil {
		return m, err
	}
	if r := cfg.redactor; r != nil {
		m.Redacted = true
		m.Query, m.QueryInput = r.String(m.Query), r.String(m.QueryInput)
		for k, vs := range m.ServerParams {
			masked := make([]string, len(vs))
			for i, v := range vs {
				masked[i] = r.String(v)
			}
			m.ServerParams[k] = masked
		}
	}
	m.Format = BundleFormat
	m.Counts = ManifestCounts{ByType: map[string]int{}}
	m.File = ManifestFile{Name: BundleActivities}
	m.Lines = []LineDigest{}
	if m.ServerParams == nil {
		m.ServerParams = map[string][]string{}
	}
	if m.Runs == nil {
		m.Runs = []RunRecord{}
	}
	if len(m.Runs) == 0 {
		m.Offline = true // no sync ran for this export
	}
	if m.EarlierRuns == nil {
		m.EarlierRuns = []RunRecord{}
	}
	m.RequestIDs = []string{}
	seen := map[string]bool{}
	for _, r := range append(slices.Clone(m.EarlierRuns), m.Runs...) {
		for _, id := range r.RequestIDs {
			if id != "" && !seen[id] {
				seen[id] = true
				m.RequestIDs = append(m.RequestIDs, id)
			}
		}
	}

	actPath := filepath.Join(dir, BundleActivities)
	f, err := os.OpenFile(actPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return m, fmt.Errorf("export: create %s: %w", actPath, err)
	}
	fileHash := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, fileHash), 1<<20)
	werr := func() error {
		var cur Cursor
		for {
			rows, err := s.Search(ctx, q, now, cur, Older, exportPage)
			if err != nil {
				return err
			}
			for _, r := range rows {
				line, err := feed.RawLine(r.Raw)
				if err != nil {
					return fmt.Errorf("activity %q: %w", r.ID, err)
				}
				if cfg.redactor != nil {
					line = cfg.redactor.JSON(line)
				}
				sum := sha256.Sum256(line)
				m.Lines = append(m.Lines, LineDigest{ID: r.ID, SHA256: hex.EncodeToString(sum[:])})
				m.Counts.ByType[r.Type]++
				t := r.CreatedAt.UTC()
				if m.Counts.Newest == nil {
					m.Counts.Newest = &t
				}
				m.Counts.Oldest = &t
				if _, err := bw.Write(line); err != nil {
					return err
				}
				if err := bw.WriteByte('\n'); err != nil {
					return err
				}
				m.File.Bytes += int64(len(line)) + 1
			}
			if len(rows) < exportPage {
				return nil
			}
			cur = rows[len(rows)-1].Cursor()
		}
	}()
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(actPath)
		return m, fmt.Errorf("export: write %s: %w", actPath, werr)
	}
	m.Counts.Events = len(m.Lines)
	m.File.Lines = len(m.Lines)
	m.File.SHA256 = hex.EncodeToString(fileHash.Sum(nil))

	if err := writeBundleFiles(dir, &m); err != nil {
		os.Remove(actPath)
		return m, err
	}
	return m, nil
}

// prepareBundleDir creates dir (0700) or accepts an existing empty one:
// evidence is never written over other files.
func prepareBundleDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("export: create %s: %w", dir, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("export: %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("export: %s is not empty: choose a new directory (a bundle is never written over other files)", dir)
	}
	return nil
}

// writeBundleFiles writes the digest, SHA256SUMS and README.txt files,
// then manifest.json (through a temporary file and a rename, last, so a
// bundle with a manifest is a finished one), and sets m.Digest.
func writeBundleFiles(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("export: encode manifest: %w", err)
	}
	b = append(b, '\n')
	if m.Digest, err = ManifestDigest(b); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{BundleDigest, []byte(m.Digest + "\n")},
		{BundleSums, sha256Sums(m.File.SHA256, b)},
		{BundleReadme, []byte(bundleReadme())},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return fmt.Errorf("export: write %s: %w", f.name, err)
		}
	}
	tmp := filepath.Join(dir, "."+BundleManifest+".partial")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("export: write manifest: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, BundleManifest)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("export: write manifest: %w", err)
	}
	return nil
}
