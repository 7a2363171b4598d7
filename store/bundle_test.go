package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// exportFixture is a store holding n simulated activities and a bundle of
// all of them.
func exportFixture(t *testing.T, n int) (*Store, string, Manifest, []feed.Activity) {
	t.Helper()
	s := openTest(t)
	acts, _ := simActivities(t, 3, n, testNow.Add(-time.Hour))
	putPages(t, s, acts, 500)
	dir := filepath.Join(t.TempDir(), "bundle")
	m, err := s.Export(context.Background(), dir, feed.Query{}, testNow, Manifest{Tool: "claudit test", Query: "", CreatedAt: testNow})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return s, dir, m, acts
}

func TestExportWritesRawNewestFirstWithDigests(t *testing.T) {
	_, dir, m, acts := exportFixture(t, 2500)
	data, err := os.ReadFile(filepath.Join(dir, BundleActivities))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(acts) || m.Counts.Events != len(acts) || len(m.Lines) != len(acts) {
		t.Fatalf("%d lines, manifest %d events / %d digests, want %d", len(lines), m.Counts.Events, len(m.Lines), len(acts))
	}
	// simActivities is newest first in the cache's order, raw as generated.
	for i, a := range acts {
		if lines[i] != string(a.Raw) {
			t.Fatalf("line %d is not activity %s verbatim", i+1, a.ID)
		}
		sum := sha256.Sum256([]byte(lines[i]))
		if m.Lines[i].ID != a.ID || m.Lines[i].SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("digest %d = %+v", i+1, m.Lines[i])
		}
	}
	whole := sha256.Sum256(data)
	if m.File.SHA256 != hex.EncodeToString(whole[:]) || m.File.Bytes != int64(len(data)) {
		t.Fatalf("file digest/size = %s/%d", m.File.SHA256, m.File.Bytes)
	}
	total := 0
	for _, c := range m.Counts.ByType {
		total += c
	}
	if total != len(acts) || m.Counts.Newest == nil || !m.Counts.Newest.Equal(acts[0].CreatedAt) {
		t.Fatalf("counts = %+v", m.Counts)
	}
	for _, name := range []string{BundleActivities, BundleManifest} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v", name, fi.Mode(), err)
		}
	}
	res, err := VerifyBundle(dir, VerifyOptions{Digest: m.Digest})
	if err != nil {
		t.Fatalf("VerifyBundle of a fresh bundle: %v", err)
	}
	got := res.Manifest
	if res.Reformatted || res.Signed || got.Digest != m.Digest || !strings.HasPrefix(m.Digest, "sha256:") {
		t.Fatalf("result = %+v, digest %q", res, m.Digest)
	}
	if got.File.SHA256 != m.File.SHA256 || got.Tool != "claudit test" || got.Format != BundleFormat {
		t.Fatalf("verified manifest = %+v", got.File)
	}
}

func TestExportFiltersAndRefusesNonEmptyDir(t *testing.T) {
	s, dir, _, acts := exportFixture(t, 1200)
	if _, err := s.Export(context.Background(), dir, feed.Query{}, testNow, Manifest{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("export into a used directory: %v", err)
	}
	q, err := feed.Parse("type:@keys")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Export(context.Background(), filepath.Join(t.TempDir(), "keys"), q, testNow, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := feed.Catalogue().Expand("@keys")
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, a := range acts {
		if slices.Contains(keys, a.Type) {
			want++
		}
	}
	if m.Counts.Events != want || want == 0 {
		t.Fatalf("type:@keys exported %d, want %d", m.Counts.Events, want)
	}
}

// tamper rewrites one file of a copy of the bundle and returns the copy.
func tamper(t *testing.T, dir, name string, edit func([]byte) []byte) string {
	t.Helper()
	return tamperSeal(t, dir, name, true, edit)
}

// tamperSeal is tamper; with seal, an edited manifest gets a matching
// DIGEST and SHA256SUMS, as a forger who re-wrote the digests would do.
func tamperSeal(t *testing.T, dir, name string, seal bool, edit func([]byte) []byte) string {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy")
	if err := os.MkdirAll(cp, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		f := e.Name()
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == name {
			b = edit(b)
		}
		if err := os.WriteFile(filepath.Join(cp, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if seal && name == BundleManifest {
		mb, err := os.ReadFile(filepath.Join(cp, BundleManifest))
		if err != nil {
			t.Fatal(err)
		}
		if d, err := ManifestDigest(mb); err == nil {
			var mm Manifest
			_ = json.Unmarshal(mb, &mm)
			if err := os.WriteFile(filepath.Join(cp, BundleDigest), []byte(d+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cp, BundleSums), sha256Sums(mm.File.SHA256, mb), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return cp
}

func TestVerifyNamesTheFirstMismatch(t *testing.T) {
	_, dir, m, _ := exportFixture(t, 1200)
	nthLine := func(b []byte, n int) (int, int) { // byte range of line n (1-based)
		start := 0
		for i := 1; i < n; i++ {
			start += bytes.IndexByte(b[start:], '\n') + 1
		}
		return start, start + bytes.IndexByte(b[start:], '\n')
	}
	cases := []struct {
		name     string
		file     string
		edit     func([]byte) []byte
		wantLine int
		want     string
	}{
		{"one byte of line 42", BundleActivities, func(b []byte) []byte {
			s, e := nthLine(b, 42)
			i := s + bytes.Index(b[s:e], []byte(`"created_at":"`)) + len(`"created_at":"`) + 3
			b[i] ^= 1
			return b
		}, 42, "SHA-256 differs"},
		{"line 7 removed", BundleActivities, func(b []byte) []byte {
			s, e := nthLine(b, 7)
			return append(b[:s:s], b[e+1:]...)
		}, 7, "SHA-256 differs"},
		{"lines truncated", BundleActivities, func(b []byte) []byte {
			_, e := nthLine(b, 1000)
			return b[:e+1]
		}, 1001, "ends early"},
		{"a line appended", BundleActivities, func(b []byte) []byte {
			s, e := nthLine(b, 1)
			return append(b, b[s:e+1]...)
		}, 1201, "extra line"},
		{"newline removed at the end", BundleActivities, func(b []byte) []byte { return b[:len(b)-1] }, 1200, "newline"},
		{"count by type edited", BundleManifest, func(b []byte) []byte {
			var mm Manifest
			if err := json.Unmarshal(b, &mm); err != nil {
				t.Fatal(err)
			}
			for k := range mm.Counts.ByType {
				mm.Counts.ByType[k]++
				break
			}
			out, _ := json.Marshal(mm)
			return out
		}, 0, "counts"},
		{"file digest edited", BundleManifest, func(b []byte) []byte {
			return bytes.Replace(b, []byte(m.File.SHA256), []byte(strings.Repeat("0", 64)), 1)
		}, 0, "SHA-256 of the file"},
		{"manifest not JSON", BundleManifest, func(b []byte) []byte { return b[:len(b)/2] }, 0, "not valid JSON"},
		{"newest edited", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { mm["counts"].(map[string]any)["newest"] = "2020-01-01T00:00:00Z" })
		}, 0, "field counts.newest"},
		{"window narrowed", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) {
				mm["window"] = map[string]any{"from": testNow.Add(-30 * time.Minute).Format(time.RFC3339), "to": nil}
			})
		}, 1, "outside the manifest's window"},
		{"query edited", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { mm["query"] = "type:user_logged_in" })
		}, 0, "field query"},
		{"server params edited", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { mm["server_params"] = map[string]any{"activity_types[]": []string{"x"}} })
		}, 0, "field server_params"},
		{"a request id edited", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { mm["request_ids"] = []string{"req_forged"} })
		}, 0, "field request_ids"},
		{"offline flipped", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { mm["offline"] = false })
		}, 0, "field offline"},
		{"a field deleted", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { delete(mm, "redacted") })
		}, 0, "field redacted"},
		{"a field added", BundleManifest, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) { mm["note"] = "hi" })
		}, 0, "field note"},
		{"README edited", BundleReadme, func(b []byte) []byte { return append(b, 'x') }, 0, "README.txt: differs"},
		{"SHA256SUMS edited", BundleSums, func(b []byte) []byte { b[0] ^= 1; return b }, 0, "SHA256SUMS: does not list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := tamper(t, dir, c.file, c.edit)
			_, err := VerifyBundle(cp, VerifyOptions{})
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *VerifyError", err)
			}
			if ve.Line != c.wantLine || !strings.Contains(ve.Error(), c.want) {
				t.Fatalf("err = %q (line %d), want line %d and %q", ve.Error(), ve.Line, c.wantLine, c.want)
			}
			if c.wantLine > 0 && c.wantLine <= len(m.Lines) && ve.ID != m.Lines[c.wantLine-1].ID {
				t.Fatalf("error names activity %q, want %q", ve.ID, m.Lines[c.wantLine-1].ID)
			}
		})
	}
}

func TestEarlierRunsOverlap(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	day := func(d int) time.Time { return testNow.Add(time.Duration(d) * 24 * time.Hour) }
	record := func(from, to time.Time, events int, ids ...string) int64 {
		id, err := s.BeginRun(ctx, feed.RunInfo{Kind: "window", Window: feed.Range{From: from, To: to}, Started: testNow})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EndRun(ctx, id, feed.RunSummary{Finished: testNow, Events: events, Pages: 1, RequestIDs: ids}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := record(day(-30), day(-20), 5, "req_old")
	record(day(-3), day(-1), 0, "req_empty")
	recent := record(day(-2), day(0), 7, "req_recent")
	mine := record(day(-1), day(0), 1, "req_mine")

	got, err := s.EarlierRuns(ctx, feed.Range{From: day(-2), To: day(0)}, mine)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RequestIDs[0] != "req_recent" {
		t.Fatalf("runs overlapping the last 2 days = %+v, want only req_recent (run %d)", got, recent)
	}
	all, err := s.EarlierRuns(ctx, feed.Range{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].RequestIDs[0] != "req_old" {
		t.Fatalf("open window = %d runs (first %v), want 3 oldest first (run %d)", len(all), all[0].RequestIDs, old)
	}

	// The manifest lists every request-id once, earlier runs first.
	dir := filepath.Join(t.TempDir(), "b")
	m, err := s.Export(ctx, dir, feed.Query{}, testNow, Manifest{EarlierRuns: all,
		Runs: []RunRecord{{RequestIDs: []string{"req_mine", "req_new"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.RequestIDs, ",") != "req_old,req_recent,req_mine,req_new" {
		t.Fatalf("request ids = %v", m.RequestIDs)
	}
}

func BenchmarkExport(b *testing.B) {
	n := 20_000
	if testing.Short() {
		b.Skip("builds a 20,000-event cache")
	}
	s := openTest(b)
	acts, _ := simActivities(b, 3, n, testNow.Add(-time.Hour))
	putPages(b, s, acts, 5000)
	var bytes int64
	i := 0
	for b.Loop() {
		i++
		m, err := s.Export(context.Background(), filepath.Join(b.TempDir(), "b", strconv.Itoa(i)), feed.Query{}, testNow, Manifest{})
		if err != nil {
			b.Fatal(err)
		}
		bytes = m.File.Bytes
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/(1<<20), "MiB/s")
}

func BenchmarkVerifyBundle(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 20,000-event cache")
	}
	s := openTest(b)
	acts, _ := simActivities(b, 3, 20_000, testNow.Add(-time.Hour))
	putPages(b, s, acts, 5000)
	dir := filepath.Join(b.TempDir(), "b")
	if _, err := s.Export(context.Background(), dir, feed.Query{}, testNow, Manifest{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := VerifyBundle(dir, VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(acts))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// editManifest decodes a manifest, lets fn change it and re-encodes it.
func editManifest(t *testing.T, b []byte, fn func(map[string]any)) []byte {
	t.Helper()
	var mm map[string]any
	if err := json.Unmarshal(b, &mm); err != nil {
		t.Fatal(err)
	}
	fn(mm)
	out, err := json.MarshalIndent(mm, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Any edit of the manifest that is not only whitespace changes its
// canonical digest; a re-indented manifest still verifies.
func TestVerifyManifestDigest(t *testing.T) {
	_, dir, m, _ := exportFixture(t, 50)
	mb, err := os.ReadFile(filepath.Join(dir, BundleManifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"created_at", "tool", "query_input", "coverage", "redacted"} {
		cp := tamperSeal(t, dir, BundleManifest, false, func(b []byte) []byte {
			return editManifest(t, b, func(mm map[string]any) {
				switch v := mm[field].(type) {
				case string:
					mm[field] = v + "1"
				case float64:
					mm[field] = v + 0.5
				case bool:
					mm[field] = !v
				}
			})
		})
		_, err := VerifyBundle(cp, VerifyOptions{})
		if err == nil || !strings.Contains(err.Error(), "canonical digest") {
			t.Errorf("%s edited: err = %v", field, err)
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, mb); err != nil {
		t.Fatal(err)
	}
	cp := tamperSeal(t, dir, BundleManifest, false, func([]byte) []byte { return compact.Bytes() })
	res, err := VerifyBundle(cp, VerifyOptions{Digest: m.Digest})
	if err != nil || !res.Reformatted {
		t.Fatalf("re-indented manifest: %+v, %v", res, err)
	}
	// A forger who re-wrote the digests passes the self-check, not the
	// digest from the ticket.
	cp = tamper(t, dir, BundleManifest, func(b []byte) []byte {
		return editManifest(t, b, func(mm map[string]any) { mm["tool"] = "claudit forged" })
	})
	if _, err := VerifyBundle(cp, VerifyOptions{}); err != nil {
		t.Fatalf("resealed bundle without --digest: %v", err)
	}
	if _, err := VerifyBundle(cp, VerifyOptions{Digest: m.Digest}); err == nil || !strings.Contains(err.Error(), "not the expected") {
		t.Fatalf("resealed bundle with the ticket's digest: %v", err)
	}
}

// A bundle has exactly its files: one missing or one added fails.
func TestVerifyFileSet(t *testing.T) {
	_, dir, _, _ := exportFixture(t, 10)
	for _, name := range []string{BundleActivities, BundleManifest, BundleDigest, BundleSums, BundleReadme} {
		cp := tamper(t, dir, "", nil)
		if err := os.Remove(filepath.Join(cp, name)); err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyBundle(cp, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), name+": is missing") {
			t.Errorf("%s removed: %v", name, err)
		}
	}
	cp := tamper(t, dir, "", nil)
	if err := os.WriteFile(filepath.Join(cp, "extra.ndjson"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBundle(cp, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "extra.ndjson: is not part of a bundle") {
		t.Errorf("added file: %v", err)
	}
}

// The real sha256sum -c accepts a fresh bundle and rejects a tampered one.
func TestSHA256SUMSWithSha256sum(t *testing.T) {
	bin, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("sha256sum not installed")
	}
	_, dir, _, _ := exportFixture(t, 20)
	check := func(d string) error {
		cmd := exec.Command(bin, "-c", "--quiet", BundleSums)
		cmd.Dir = d
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	if err := check(dir); err != nil {
		t.Fatalf("fresh bundle: %v", err)
	}
	for _, name := range []string{BundleActivities, BundleManifest} {
		cp := tamperSeal(t, dir, name, false, func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
		if err := check(cp); err == nil {
			t.Errorf("sha256sum -c passes with %s tampered", name)
		}
	}
}
