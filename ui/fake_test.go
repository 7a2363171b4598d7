package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"
	"claudit/store"
)

// fakeSource is an in-memory Source over rows ordered newest first by
// (CreatedAt, ID). Rows come from a function so that a million synthetic
// rows cost nothing until read; every search is keyset (binary search for
// the cursor, then a scan), so a screen costs O(window).
type fakeSource struct {
	n  int
	at func(i int) store.Row
	// key is row i's keyset position; binary searches use it so that a
	// synthetic source need not build whole rows to find a cursor.
	key func(i int) store.Cursor

	mu        sync.Mutex
	marks     map[string]bool
	notes     map[string]string
	facets    store.Facets
	searchErr error
	getErr    error
	coverage  float64
	suggest   map[string][]string
	dossiers  map[string]store.Dossier
	names     *store.Names
	namesErr  error
	calls     map[string]int
}

func newFakeRows(rows []store.Row) *fakeSource {
	rows = append([]store.Row(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool { return newer(rows[i].Cursor(), rows[j].Cursor()) })
	return &fakeSource{n: len(rows), at: func(i int) store.Row { return rows[i] }, coverage: 1}
}

func newFakeFunc(n int, at func(int) store.Row) *fakeSource {
	return &fakeSource{n: n, at: at, coverage: 1}
}

// newer reports whether a sorts before b in newest-first order.
func newer(a, b store.Cursor) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

func (f *fakeSource) count(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
}

func (f *fakeSource) callCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeSource) cursor(i int) store.Cursor {
	if f.key != nil {
		return f.key(i)
	}
	return f.at(i).Cursor()
}

func (f *fakeSource) row(i int) store.Row {
	r := f.at(i)
	f.mu.Lock()
	if m, ok := f.marks[r.ID]; ok {
		r.Marked, r.Note = m, f.notes[r.ID]
	}
	f.mu.Unlock()
	return r
}

// replace swaps in a new set of rows, as if a sync or tail had written
// them. Reads happen on the test goroutine (the harness runs Cmds inline).
func (f *fakeSource) replace(rows []store.Row) {
	rows = append([]store.Row(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool { return newer(rows[i].Cursor(), rows[j].Cursor()) })
	f.n, f.at, f.key = len(rows), func(i int) store.Row { return rows[i] }, nil
}

// matcher evaluates a query the way the store would, for the fields the
// tests use.
type matcher struct {
	q        feed.Query
	from, to time.Time
	types    map[string]bool
	xtypes   map[string]bool
	plain    bool // only a window: binary searches answer counts
}

func newMatcher(q feed.Query, now time.Time) (matcher, error) {
	if q.HidesSelf() {
		// The cache leaves claudit's own calls out by default.
		q = q.With("is", feed.IsSelf, true)
	}
	m := matcher{q: q}
	m.from, m.to = q.Bounds(now, 0)
	c := feed.Catalogue()
	inc, err := c.ExpandAll(q.Type.Include)
	if err != nil {
		return m, err
	}
	exc, err := c.ExpandAll(q.Type.Exclude)
	if err != nil {
		return m, err
	}
	set := func(list []string) map[string]bool {
		s := map[string]bool{}
		for _, v := range list {
			s[v] = true
		}
		return s
	}
	m.types, m.xtypes = set(inc), set(exc)
	bare := q
	bare.Window = feed.Window{}
	m.plain = bare.IsZero()
	return m, nil
}

func (m matcher) inWindow(t time.Time) bool {
	return (m.from.IsZero() || !t.Before(m.from)) && (m.to.IsZero() || t.Before(m.to))
}

func terms(t feed.Terms, has func(string) bool) bool {
	for _, v := range t.Exclude {
		if has(v) {
			return false
		}
	}
	if len(t.Include) == 0 {
		return true
	}
	for _, v := range t.Include {
		if has(v) {
			return true
		}
	}
	return false
}

func (m matcher) match(r store.Row) bool {
	if !m.inWindow(r.CreatedAt) {
		return false
	}
	if m.plain {
		return true
	}
	if len(m.types) > 0 && !m.types[r.Type] || m.xtypes[r.Type] {
		return false
	}
	keys := r.KeyMentions()
	var raw string
	if len(m.q.ID.Include)+len(m.q.ID.Exclude)+len(m.q.Text.Include)+len(m.q.Text.Exclude) > 0 {
		raw = strings.ToLower(string(r.Raw))
	}
	return terms(m.q.Actor, func(v string) bool {
		return strings.EqualFold(v, r.Actor.EmailAddress) || v == r.Actor.ID()
	}) && terms(m.q.Key, func(v string) bool {
		for _, k := range keys {
			if k.ID == v {
				return true
			}
		}
		return false
	}) && terms(m.q.Org, func(v string) bool {
		return v == r.OrganizationID || v == r.OrganizationUUID
	}) && terms(m.q.IP, func(v string) bool {
		if p, err := netip.ParsePrefix(v); err == nil {
			a, err := netip.ParseAddr(r.Actor.IPAddress)
			return err == nil && p.Contains(a)
		}
		return v == r.Actor.IPAddress
	}) && terms(m.q.ID, func(v string) bool {
		return v == r.ID || strings.Contains(raw, strings.ToLower(v))
	}) && terms(m.q.Text, func(v string) bool {
		return strings.Contains(raw, strings.ToLower(v))
	}) && terms(m.q.Is, func(v string) bool {
		switch v {
		case feed.IsSelf:
			return r.Self
		case feed.IsLate:
			return r.Late
		case feed.IsMarked:
			return r.Marked
		}
		return false
	})
}

// firstOlder is the index of the first row strictly older than c.
func (f *fakeSource) firstOlder(c store.Cursor) int {
	if c.IsZero() {
		return 0
	}
	return sort.Search(f.n, func(i int) bool { return newer(c, f.cursor(i)) })
}

// firstNotNewer is the index of the first row not strictly newer than c.
func (f *fakeSource) firstNotNewer(c store.Cursor) int {
	if c.IsZero() {
		return f.n
	}
	return sort.Search(f.n, func(i int) bool { return !newer(f.cursor(i), c) })
}

// indexAt is the index of the first row older than t (CreatedAt < t).
func (f *fakeSource) indexAt(t time.Time) int {
	return sort.Search(f.n, func(i int) bool { return f.cursor(i).CreatedAt.Before(t) })
}

func (f *fakeSource) Search(ctx context.Context, q feed.Query, now time.Time, from store.Cursor, dir store.Direction, n int) ([]store.Row, error) {
	f.count("Search")
	if f.searchErr != nil {
		return nil, f.searchErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := newMatcher(q, now)
	if err != nil {
		return nil, err
	}
	var out []store.Row
	if dir == store.Older {
		for i := f.firstOlder(from); i < f.n && len(out) < n; i++ {
			if r := f.row(i); m.match(r) {
				out = append(out, r)
			}
		}
		return out, nil
	}
	for i := f.firstNotNewer(from) - 1; i >= 0 && len(out) < n; i-- {
		if r := f.row(i); m.match(r) {
			out = append(out, r)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (f *fakeSource) Get(ctx context.Context, id string) (store.Row, error) {
	f.count("Get")
	if f.getErr != nil {
		return store.Row{}, f.getErr
	}
	for i := 0; i < f.n && i < 100_000; i++ {
		if r := f.row(i); r.ID == id {
			return r, nil
		}
	}
	return store.Row{}, errors.New("not found")
}

func (f *fakeSource) Count(ctx context.Context, q feed.Query, now time.Time, limit int) (int, bool, error) {
	f.count("Count")
	if limit <= 0 { // counts everything, as the store does
		limit = math.MaxInt
	}
	if q.String() == "is:marked" {
		// Marks live in the map: no need to build a million synthetic
		// rows to count them.
		f.mu.Lock()
		defer f.mu.Unlock()
		n := 0
		for _, on := range f.marks {
			if on {
				n++
			}
		}
		return min(n, limit), n > limit, nil
	}
	m, err := newMatcher(q, now)
	if err != nil {
		return 0, false, err
	}
	if m.plain {
		lo, hi := 0, f.n
		if !m.to.IsZero() {
			lo = f.indexAt(m.to)
		}
		if !m.from.IsZero() {
			hi = f.indexAt(m.from)
		}
		n := max(0, hi-lo)
		return min(n, limit), n > limit, nil
	}
	n := 0
	for i := 0; i < f.n; i++ {
		if m.match(f.row(i)) {
			n++
			if n > limit {
				return limit, true, nil
			}
		}
	}
	return n, false, nil
}

func (f *fakeSource) Histogram(ctx context.Context, q feed.Query, now time.Time, from, to time.Time, buckets int) (store.Histogram, error) {
	f.count("Histogram")
	h := store.Histogram{From: from, To: to, Buckets: make([]int, buckets)}
	m, err := newMatcher(q, now)
	if err != nil || buckets <= 0 || !to.After(from) {
		return h, err
	}
	span := to.Sub(from)
	if m.plain {
		for b := 0; b < buckets; b++ {
			lo := from.Add(span * time.Duration(b) / time.Duration(buckets))
			hi := from.Add(span * time.Duration(b+1) / time.Duration(buckets))
			h.Buckets[b] = f.indexAt(lo) - f.indexAt(hi)
		}
		return h, nil
	}
	for i := 0; i < f.n; i++ {
		r := f.row(i)
		if !m.match(r) || r.CreatedAt.Before(from) || !r.CreatedAt.Before(to) {
			continue
		}
		h.Buckets[int(int64(r.CreatedAt.Sub(from))*int64(buckets)/int64(span))]++
	}
	return h, nil
}

func (f *fakeSource) Facets(ctx context.Context, q feed.Query, now time.Time, n int) (store.Facets, error) {
	f.count("Facets")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.facets, nil
}

func (f *fakeSource) Dossier(ctx context.Context, keyID string) (store.Dossier, error) {
	f.count("Dossier")
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.dossiers[keyID]; ok {
		return d, nil
	}
	return store.Dossier{KeyID: keyID}, nil
}

func (f *fakeSource) Coverage(ctx context.Context, filter string, r feed.Range) (store.Coverage, error) {
	f.count("Coverage")
	return store.Coverage{Window: r, Fraction: f.coverage}, nil
}

func (f *fakeSource) Suggest(ctx context.Context, field, prefix string, n int) ([]string, error) {
	f.count("Suggest")
	var out []string
	for _, v := range f.suggest[field] {
		if strings.HasPrefix(v, prefix) && len(out) < n {
			out = append(out, v)
		}
	}
	return out, nil
}

func (f *fakeSource) Mark(ctx context.Context, id, note string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.marks == nil {
		f.marks, f.notes = map[string]bool{}, map[string]string{}
	}
	f.marks[id], f.notes[id] = true, note
	return nil
}

func (f *fakeSource) Unmark(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.marks == nil {
		f.marks, f.notes = map[string]bool{}, map[string]string{}
	}
	f.marks[id], f.notes[id] = false, ""
	return nil
}

var _ Source = (*fakeSource)(nil)

// --- data ---

// toRow wraps an activity the way the store would.
func toRow(a feed.Activity) store.Row {
	return store.Row{Activity: a, Group: feed.Catalogue().Group(a.Type)}
}

// exampleRows decodes the documented example pages (copied into testdata).
// selfRows is exampleRows with the compliance_api_accessed row marked as
// claudit's own call.
func selfRows(t testing.TB) []store.Row {
	rows := exampleRows(t)
	for i := range rows {
		rows[i].Self = rows[i].Type == "compliance_api_accessed"
	}
	return rows
}

func exampleRows(t testing.TB) []store.Row {
	t.Helper()
	var rows []store.Row
	for _, name := range []string{"page-mixed.json", "page-final.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Data []feed.Activity }
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, a := range page.Data {
			r := toRow(a)
			// The late flag shows on one ordinary row. The example's
			// compliance_api_accessed row is another client's call here:
			// claudit's own are hidden by default (selfRows makes some).
			r.Late = a.ID == "activity_01EXAMPLEFEED00000000116"
			rows = append(rows, r)
		}
	}
	return rows
}

// synthTypes are the types synthetic rows cycle through.
var synthTypes = []string{
	"claude_chat_viewed", "api_key_created", "scoped_api_key_updated", "sso_login_succeeded",
	"org_user_invite_sent", "compliance_api_accessed", "claude_file_uploaded", "platform_api_key_updated",
}

// synthBase is the created_at of synthetic row 0.
var synthBase = time.Date(2026, 9, 15, 14, 30, 0, 0, time.UTC)

// synthCursor is synthRow(i, n).Cursor() without building the row.
func synthCursor(i, n int) store.Cursor {
	return store.Cursor{CreatedAt: synthBase.Add(-time.Duration(i) * time.Second), ID: fmt.Sprintf("activity_01SYNTH%012d", n-i)}
}

// synthRow is row i of an endless synthetic feed, newest first, one second
// apart; ids grow with time so (created_at, id) order holds.
func synthRow(i, n int) store.Row {
	typ := synthTypes[i%len(synthTypes)]
	at := synthBase.Add(-time.Duration(i) * time.Second)
	var actor string
	switch i % 3 {
	case 0:
		actor = fmt.Sprintf(`{"type":"user_actor","email_address":"user%d@example.com","user_id":"user_01SYNTH%016d","ip_address":"192.0.2.%d","user_agent":"Mozilla/5.0"}`, i%17, i%17, i%250)
	case 1:
		actor = fmt.Sprintf(`{"type":"api_actor","api_key_id":"apikey_01SYNTH%014d","ip_address":"198.51.100.%d","user_agent":"siem/1.0"}`, i%5, i%250)
	default:
		actor = fmt.Sprintf(`{"type":"admin_api_key_actor","admin_api_key_id":"adminkey_01SYNTH%012d","ip_address":"198.51.100.%d"}`, i%3, i%250)
	}
	extra := ""
	switch typ {
	case "api_key_created", "scoped_api_key_updated", "platform_api_key_updated":
		extra = fmt.Sprintf(`,"api_key_id":"apikey_01TARGET%014d"`, i%11)
		if typ != "api_key_created" {
			extra += `,"updates":[{"type":"activation_state","previous_value":"active","current_value":"inactive"}]`
		}
	case "claude_chat_viewed":
		extra = fmt.Sprintf(`,"claude_chat_id":"claude_chat_01SYNTH%012d"`, i%97)
	}
	raw := fmt.Sprintf(`{"id":"activity_01SYNTH%012d","created_at":%q,"organization_id":"org_01SYNTHORG00000000000001","organization_uuid":"11111111-2222-4333-8444-000000000001","actor":%s,"type":%q%s}`,
		n-i, at.Format(time.RFC3339), actor, typ, extra)
	var a feed.Activity
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		panic(err)
	}
	r := toRow(a)
	r.Late = i%41 == 0
	return r
}

// hostileStrings are the injection payloads every render must neutralise.
func hostileStrings() []string {
	big := strings.Repeat("A\x1b[2J\u202e", 64*1024/6)
	return []string{"\x1b[31m", "\x1b]52;c;aGk=\x07", "\u009b", "\u202e", "\u200b", big}
}

// hostileRows puts each hostile string in every field a screen shows.
func hostileRows(t testing.TB) []store.Row {
	t.Helper()
	var rows []store.Row
	at := time.Date(2026, 9, 15, 14, 50, 0, 0, time.UTC)
	for i, h := range hostileStrings() {
		obj := map[string]any{
			"id":                fmt.Sprintf("activity_01HOSTILE%04d", i),
			"created_at":        at.Add(-time.Duration(i) * time.Minute).Format(time.RFC3339),
			"organization_id":   "org_" + h,
			"organization_uuid": nil,
			"type":              "scoped_api_key_updated",
			"actor": map[string]any{
				"type": "user_actor", "email_address": "mallory" + h + "@example.com",
				"user_id": "user_" + h, "ip_address": "203.0.113.9" + h, "user_agent": "ua" + h,
			},
			"api_key_id":   "apikey_" + h,
			"api_key_name": "name" + h,
			"updates": []map[string]any{
				{"type": "name" + h, "previous_value": "old" + h, "current_value": "new" + h},
			},
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var a feed.Activity
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, toRow(a))
		// The same payload as the type name and in raw JSON that is not
		// valid JSON at all (raw control bytes), as a corrupt cache could
		// hold.
		bad := toRow(a)
		bad.ID = fmt.Sprintf("activity_01HOSTILEX%04d", i)
		bad.Type = "type" + h
		bad.Group = "other"
		bad.CreatedAt = bad.CreatedAt.Add(-30 * time.Second)
		bad.Raw = []byte(`{"id":"` + bad.ID + `","ua":"` + h + `"}`)
		bad.Note = "note" + h
		bad.Marked = true
		rows = append(rows, bad)
	}
	if !bytes.Contains(rows[0].Raw, []byte(`\u001b`)) {
		t.Fatal("json.Marshal should escape ESC in raw JSON")
	}
	return rows
}

func (f *fakeSource) Names(ctx context.Context) (*store.Names, error) {
	f.count("Names")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.names, f.namesErr
}
