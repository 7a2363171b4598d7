package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"claudit/feed"
)

// The other files of a bundle: the bundle digest, the digests in
// sha256sum format, how to verify without claudit, and the optional
// detached SSH signature of manifest.json.
const (
	// BundleDigest holds the bundle digest, "sha256:<hex>" and a newline.
	BundleDigest = "DIGEST"
	// BundleSums lists the SHA-256 of the data file and of manifest.json
	// in the format "sha256sum -c" reads.
	BundleSums = "SHA256SUMS"
	// BundleReadme tells a third party how to verify the bundle.
	BundleReadme = "README.txt"
	// BundleSignature is the detached SSH signature of manifest.json.
	BundleSignature = "manifest.json.sig"
	// SignatureNamespace is the ssh-keygen -Y namespace of the signature.
	SignatureNamespace = "claudit-evidence"
)

// ManifestDigest is the bundle digest, "sha256:<hex>": the SHA-256 of the
// manifest's canonical form (object keys sorted, no insignificant
// whitespace, numbers as written). The manifest holds the SHA-256 of the
// data file and of every line, so the digest covers the whole bundle;
// re-indenting manifest.json does not change it, any other edit does.
func ManifestDigest(manifest []byte) (string, error) {
	c, err := canonicalJSON(manifest)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// canonicalJSON re-encodes b with sorted keys and no insignificant
// whitespace; numbers keep their text (json.Number).
func canonicalJSON(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("manifest is not valid JSON: %w", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("manifest has data after its JSON object")
	}
	var out bytes.Buffer
	e := json.NewEncoder(&out)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// sha256Sums is the SHA256SUMS file of a bundle whose data file has the
// given digest and whose manifest.json is manifest.
func sha256Sums(dataSHA256 string, manifest []byte) []byte {
	sum := sha256.Sum256(manifest)
	return fmt.Appendf(nil, "%s  %s\n%s  %s\n", dataSHA256, BundleActivities, hex.EncodeToString(sum[:]), BundleManifest)
}

// bundleReadme is the README.txt of a bundle.
func bundleReadme() string {
	return `claudit evidence bundle (` + BundleFormat + `)

` + BundleActivities + `  the activities exactly as the Compliance API sent them, newest first
` + BundleManifest + `      how they were obtained, the counts, the SHA-256 of every line and of the file
` + BundleSums + `         the SHA-256 of ` + BundleActivities + ` and of ` + BundleManifest + `
` + BundleDigest + `             the bundle digest: SHA-256 of the manifest's canonical JSON (sorted keys,
                   no whitespace); compare it with the digest in the incident ticket
` + BundleSignature + `  (when signed) a detached SSH signature of ` + BundleManifest + `

Verify without claudit, in this directory:
  sha256sum -c ` + BundleSums + `
  ssh-keygen -Y verify -f allowed_signers -I <identity> -n ` + SignatureNamespace + ` -s ` + BundleSignature + ` < ` + BundleManifest + `
(allowed_signers holds "<identity> <public key>" of whoever signed). Then check that
every line's SHA-256 is listed in ` + BundleManifest + ` "lines", in order.

With claudit (also re-derives the counts, the window and the query):
  claudit export --verify DIR --digest sha256:... [--allowed-signers FILE]
`
}

// VerifyError names the first place where a bundle does not match its
// manifest.
type VerifyError struct {
	File   string // the file at fault
	Line   int    // 1-based line of the NDJSON file; 0 when not about a line
	ID     string // the activity id the manifest lists for that line, if any
	Field  string // the manifest field at fault, e.g. "counts.oldest"; "" when not about one
	Reason string
}

// Error says where and what, e.g. "activities.ndjson line 42 (activity
// act_01…): SHA-256 differs from the manifest".
func (e *VerifyError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Field != "" {
		fmt.Fprintf(&b, " field %s", e.Field)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.ID != "" {
		fmt.Fprintf(&b, " (activity %s)", e.ID)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// VerifyOptions are the external facts a bundle is checked against.
type VerifyOptions struct {
	// Digest is the bundle digest from the incident ticket ("" = not
	// checked): it proves nobody re-wrote the bundle and its digests.
	Digest string
}

// VerifyResult is what VerifyBundle found besides the manifest.
type VerifyResult struct {
	Manifest Manifest
	// Reformatted is true when manifest.json differs from the bytes in
	// SHA256SUMS only in whitespace ("sha256sum -c" and a signature then
	// fail, the content is unchanged).
	Reformatted bool
	// Signed is true when the bundle has a manifest.json.sig.
	Signed bool
	// OCSF is true when the bundle has an events.ocsf.ndjson (checked:
	// it is what activities.ndjson maps to).
	OCSF bool
}

// manifestFields are the keys a manifest has, each exactly once.
var manifestFields = []string{"format", "tool", "created_at", "query", "query_input", "window", "server_params",
	"offline", "redacted", "coverage", "sync_runs", "earlier_runs", "request_ids", "counts", "file", "lines"}

// VerifyBundle re-checks a bundle: that it holds exactly its files; the
// manifest's canonical digest against DIGEST (and opts.Digest); SHA256SUMS;
// every line's SHA-256 and id, the order (newest first), the size and
// SHA-256 of the whole file; and everything the manifest says that the
// data or the manifest itself determine (counts, oldest and newest, every
// event inside the window and passing the server filter, the query text
// parsing to the recorded query and server parameters, the request-ids),
// and that an events.ocsf.ndjson is what activities.ndjson maps to.
// It returns nil when everything matches, else a *VerifyError naming the
// first mismatch (or an error reading the bundle).
func VerifyBundle(dir string, opts VerifyOptions) (VerifyResult, error) {
	var res VerifyResult
	if err := checkBundleFiles(dir, &res); err != nil {
		return res, err
	}
	mb, err := os.ReadFile(filepath.Join(dir, BundleManifest))
	if err != nil {
		return res, fmt.Errorf("verify: read manifest: %w", err)
	}
	digest, err := ManifestDigest(mb)
	if err != nil {
		return res, &VerifyError{File: BundleManifest, Reason: err.Error()}
	}
	res.Manifest.Digest = digest
	db, err := os.ReadFile(filepath.Join(dir, BundleDigest))
	if err != nil {
		return res, fmt.Errorf("verify: %w", err)
	}
	if string(db) != digest+"\n" {
		return res, &VerifyError{File: BundleManifest, Reason: fmt.Sprintf("its canonical digest %s differs from %s (the manifest was changed)", digest, BundleDigest)}
	}
	if opts.Digest != "" && opts.Digest != digest {
		return res, &VerifyError{File: BundleManifest, Reason: fmt.Sprintf("the bundle digest is %s, not the expected %s (the bundle and its digests were re-written)", digest, opts.Digest)}
	}
	if err := checkManifestKeys(mb); err != nil {
		return res, err
	}
	m := &res.Manifest
	d := json.NewDecoder(bytes.NewReader(mb))
	d.DisallowUnknownFields()
	if err := d.Decode(m); err != nil {
		return res, &VerifyError{File: BundleManifest, Reason: "not a manifest: " + err.Error()}
	}
	m.Digest = digest
	if err := checkSums(dir, m.File.SHA256, mb, &res); err != nil {
		return res, err
	}
	if err := checkManifestSelf(m); err != nil {
		return res, err
	}
	if err := checkData(dir, m); err != nil || !res.OCSF {
		return res, err
	}
	return res, checkOCSF(dir, m)
}

// checkBundleFiles insists on exactly the files of a bundle: the data,
// manifest.json, DIGEST, SHA256SUMS, README.txt and optionally the
// signature and the OCSF rendering; README.txt must be the one claudit
// writes.
func checkBundleFiles(dir string, res *VerifyResult) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	required := []string{BundleActivities, BundleManifest, BundleDigest, BundleSums, BundleReadme}
	have := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !slices.Contains(required, name) && name != BundleSignature && name != BundleOCSF {
			return &VerifyError{File: name, Reason: "is not part of a bundle (an added file)"}
		}
		if !e.Type().IsRegular() {
			return &VerifyError{File: name, Reason: "is not a regular file"}
		}
		have[name] = true
	}
	for _, name := range required {
		if !have[name] {
			return &VerifyError{File: name, Reason: "is missing"}
		}
	}
	res.Signed = have[BundleSignature]
	res.OCSF = have[BundleOCSF]
	rb, err := os.ReadFile(filepath.Join(dir, BundleReadme))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if string(rb) != bundleReadme() {
		return &VerifyError{File: BundleReadme, Reason: "differs from the README claudit writes"}
	}
	return nil
}

// checkManifestKeys insists on every manifest field, once: a field deleted
// or added is a change the struct decoding alone would not see.
func checkManifestKeys(mb []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(mb, &top); err != nil {
		return &VerifyError{File: BundleManifest, Reason: "not a JSON object: " + err.Error()}
	}
	for _, k := range manifestFields {
		if _, ok := top[k]; !ok {
			return &VerifyError{File: BundleManifest, Field: k, Reason: "is missing"}
		}
	}
	for k := range top {
		if !slices.Contains(manifestFields, k) {
			return &VerifyError{File: BundleManifest, Field: k, Reason: "is not a manifest field"}
		}
	}
	return nil
}

// checkSums compares SHA256SUMS with the data file's recorded digest and
// manifest.json; a manifest that differs from its listed digest only in
// whitespace is reported as Reformatted (its canonical digest matched).
func checkSums(dir, dataSHA256 string, mb []byte, res *VerifyResult) error {
	sb, err := os.ReadFile(filepath.Join(dir, BundleSums))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if bytes.Equal(sb, sha256Sums(dataSHA256, mb)) {
		return nil
	}
	lines := strings.Split(string(sb), "\n")
	if len(lines) == 3 && lines[2] == "" && lines[0] == dataSHA256+"  "+BundleActivities &&
		strings.HasSuffix(lines[1], "  "+BundleManifest) && len(lines[1]) == 64+2+len(BundleManifest) && isHex(lines[1][:64]) {
		res.Reformatted = true
		return nil
	}
	return &VerifyError{File: BundleSums, Reason: "does not list the SHA-256 of " + BundleActivities + " and " + BundleManifest + " as recorded"}
}

// checkManifestSelf checks what the manifest determines about itself: the
// format, the data file's name, the request-ids derived from the runs, the
// query text and the server parameters it parses to, the coverage.
func checkManifestSelf(m *Manifest) error {
	bad := func(field, reason string, args ...any) error {
		return &VerifyError{File: BundleManifest, Field: field, Reason: fmt.Sprintf(reason, args...)}
	}
	if m.Format != BundleFormat {
		return bad("format", "%q is not %q", m.Format, BundleFormat)
	}
	if m.File.Name != BundleActivities {
		return bad("file.name", "names the data file %q, want %q", m.File.Name, BundleActivities)
	}
	if m.File.Lines != len(m.Lines) {
		return bad("file.lines", "says %d lines but lists %d line digests", m.File.Lines, len(m.Lines))
	}
	if m.Counts.Events != len(m.Lines) {
		return bad("counts.events", "says %d events but lists %d line digests", m.Counts.Events, len(m.Lines))
	}
	if m.Coverage < 0 || m.Coverage > 1 {
		return bad("coverage", "%v is not a fraction", m.Coverage)
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range append(slices.Clone(m.EarlierRuns), m.Runs...) {
		for _, id := range r.RequestIDs {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if !slices.Equal(ids, m.RequestIDs) {
		return bad("request_ids", "are not the request-ids of earlier_runs then sync_runs")
	}
	if m.Offline != (len(m.Runs) == 0) {
		return bad("offline", "is %v but the manifest records %d sync runs for this export", m.Offline, len(m.Runs))
	}
	if m.Redacted {
		// The query and parameters are masked: they no longer parse to
		// the values the server was sent.
		return nil
	}
	q, err := feed.Parse(m.QueryInput)
	if err != nil {
		return bad("query_input", "does not parse: %v", err)
	}
	if q.String() != m.Query {
		return bad("query", "%q is not the canonical form %q of query_input", m.Query, q.String())
	}
	want, err := q.ServerFilter()
	if err != nil {
		return bad("query", "has no server filter: %v", err)
	}
	got := map[string][]string{}
	for k, v := range m.ServerParams {
		if k != feed.ParamCreatedAtGTE && k != feed.ParamCreatedAtLT {
			got[k] = v
		}
	}
	if len(got) != len(want) {
		return bad("server_params", "are not the parameters the query sends")
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			return bad("server_params", "%s is not what the query sends", k)
		}
	}
	// The time parameters are the window of the sync run, which fetches
	// only what the cache lacked: it may be narrower than the export
	// window, so all that can be derived is that each is one time and
	// that they are in order (DIGEST covers their values).
	var bounds [2]time.Time
	for i, key := range []string{feed.ParamCreatedAtGTE, feed.ParamCreatedAtLT} {
		v, ok := m.ServerParams[key]
		if !ok {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, firstOf(v))
		if err != nil || len(v) != 1 {
			return bad("server_params", "%s is not one time", key)
		}
		bounds[i] = t
	}
	if !bounds[0].IsZero() && !bounds[1].IsZero() && !bounds[0].Before(bounds[1]) {
		return bad("server_params", "%s is not before %s", feed.ParamCreatedAtGTE, feed.ParamCreatedAtLT)
	}
	return nil
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// checkData reads the data file against the manifest's line digests and
// re-derives the counts, oldest and newest, the window and the filter.
func checkData(dir string, m *Manifest) error {
	name := m.File.Name
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	var filter map[string][]string
	if !m.Redacted {
		filter = m.ServerParams
	}
	fileHash := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, fileHash), 1<<20)
	var size int64
	byType := map[string]int{}
	var prev, first feed.Activity
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		size += int64(len(line))
		if len(line) == 0 && errors.Is(err, io.EOF) {
			if n-1 < len(m.Lines) {
				return &VerifyError{File: name, Line: n, ID: m.Lines[n-1].ID, Reason: "missing: the file ends early"}
			}
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("verify: read %s: %w", name, err)
		}
		if n > len(m.Lines) {
			return &VerifyError{File: name, Line: n, Reason: "not in the manifest (extra line)"}
		}
		want := m.Lines[n-1]
		if !bytes.HasSuffix(line, []byte("\n")) {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: "does not end with a newline"}
		}
		line = line[:len(line)-1]
		sum := sha256.Sum256(line)
		if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: "SHA-256 differs from the manifest (the line was changed)"}
		}
		var a feed.Activity
		if err := json.Unmarshal(line, &a); err != nil {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: "not a valid activity: " + err.Error()}
		}
		if a.ID != want.ID {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: fmt.Sprintf("holds activity %q, the manifest says %q", a.ID, want.ID)}
		}
		if n > 1 && (!a.CreatedAt.Before(prev.CreatedAt) && a.ID >= prev.ID || a.CreatedAt.After(prev.CreatedAt)) {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: "out of order or repeated (lines must be newest first, each once)"}
		}
		if w := m.Window; w.From != nil && a.CreatedAt.Before(*w.From) || w.To != nil && !a.CreatedAt.Before(*w.To) {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: "created_at is outside the manifest's window"}
		}
		if reason := failsFilter(a, filter); reason != "" {
			return &VerifyError{File: name, Line: n, ID: want.ID, Reason: reason}
		}
		if n == 1 {
			first = a
		}
		prev = a
		byType[a.Type]++
	}
	for typ, c := range byType {
		if m.Counts.ByType[typ] != c {
			return &VerifyError{File: BundleManifest, Field: "counts.by_type", Reason: fmt.Sprintf("counts %d events of type %q, the file has %d", m.Counts.ByType[typ], typ, c)}
		}
	}
	for typ, c := range m.Counts.ByType {
		if byType[typ] != c {
			return &VerifyError{File: BundleManifest, Field: "counts.by_type", Reason: fmt.Sprintf("counts %d events of type %q, the file has %d", c, typ, byType[typ])}
		}
	}
	if !sameTime(m.Counts.Newest, first, len(m.Lines) > 0) {
		return &VerifyError{File: BundleManifest, Field: "counts.newest", Reason: "is not the created_at of the first line"}
	}
	if !sameTime(m.Counts.Oldest, prev, len(m.Lines) > 0) {
		return &VerifyError{File: BundleManifest, Field: "counts.oldest", Reason: "is not the created_at of the last line"}
	}
	if size != m.File.Bytes {
		return &VerifyError{File: name, Reason: fmt.Sprintf("is %d bytes, the manifest says %d", size, m.File.Bytes)}
	}
	if got := hex.EncodeToString(fileHash.Sum(nil)); got != m.File.SHA256 {
		return &VerifyError{File: name, Reason: "SHA-256 of the file differs from the manifest"}
	}
	return nil
}

// sameTime reports whether t is a's created_at (any is false: t is nil).
func sameTime(t *time.Time, a feed.Activity, any bool) bool {
	if !any {
		return t == nil
	}
	return t != nil && t.Equal(a.CreatedAt) && t.Location() == time.UTC
}

// failsFilter says why a fails the recorded server filter (types, actor
// ids, organization ids), or "" when it passes: the server returned only
// such events, and the local filter only narrows them.
func failsFilter(a feed.Activity, p map[string][]string) string {
	if v, ok := p[feed.ParamActivityTypes]; ok && !slices.Contains(v, a.Type) {
		return fmt.Sprintf("type %q is not one the query asks for", a.Type)
	}
	if slices.Contains(p[feed.ParamExcludeActivityTypes], a.Type) {
		return fmt.Sprintf("type %q is one the query excludes", a.Type)
	}
	if v, ok := p[feed.ParamActorIDs]; ok && !slices.Contains(v, a.Actor.ID()) {
		return "the actor is not one the query asks for"
	}
	if v, ok := p[feed.ParamOrganizationIDs]; ok && !slices.Contains(v, a.OrganizationID) {
		return "the organization is not one the query asks for"
	}
	return ""
}

// isHex reports whether s is lower-case hexadecimal.
func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}
