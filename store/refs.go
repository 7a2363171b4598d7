package store

import (
	"net/netip"
	"strconv"
	"strings"
	"unsafe"

	"claudit/feed"
)

// Roles of a reference: who acted, what was acted on, or anything else the
// activity mentions.
const (
	roleActor = iota
	roleTarget
	roleOther
)

// refs is what one walk over an activity's raw JSON yields.
type refs struct {
	// byRole holds the normalised id-like values per role, de-duplicated.
	byRole [3][]string
	// org holds organization_id and organization_uuid values.
	org []string
	// requestID is the top-level request_id (compliance_api_accessed).
	requestID string
	// targetKey is the first top-level *key_id value (api_key_id, …).
	targetKey string
	// subVals are the activity's searchable string values, folded and
	// de-duplicated, and subHashes their hashes (see substr.go); subLen is
	// their total length.
	subVals   []string
	subHashes []uint64
	subLen    int
}

func (r *refs) reset() {
	for i := range r.byRole {
		r.byRole[i] = r.byRole[i][:0]
	}
	r.org = r.org[:0]
	r.requestID, r.targetKey = "", ""
	r.subVals, r.subHashes, r.subLen = r.subVals[:0], r.subHashes[:0], 0
}

func (r *refs) add(role int, v string) {
	v = normRef(v)
	if v == "" {
		return
	}
	for _, have := range r.byRole[role] {
		if have == v {
			return
		}
	}
	r.byRole[role] = append(r.byRole[role], v)
}

// extractRefs walks raw once and fills r (which it resets first).
func extractRefs(raw []byte, r *refs) error {
	r.reset()
	w := walker{b: raw, r: r}
	w.skipSpace()
	return w.value(0, "", false)
}

// walker reads an activity's raw JSON with feed's Scanner and classifies
// every string value by the member it sits in.
type walker struct {
	b   []byte
	s   feed.Scanner
	r   *refs
	buf []byte // unescape scratch
	// visit, when set, is given every string value (decoded; not member
	// names) instead of classifying it into r.
	visit func(s string)
}

// skipSpace starts the walk: it points the scanner at b's first value.
func (w *walker) skipSpace() {
	w.s = feed.NewScanner(w.b)
	w.s.Peek()
}

// value reads one JSON value. depth is 0 for the activity object itself, 1
// for its members; key is the member name the value belongs to (array
// elements inherit it); inActor is true inside the actor object.
func (w *walker) value(depth int, key string, inActor bool) error {
	switch w.s.Peek() {
	case '{':
		return w.s.Object(func(k []byte) error {
			name := unsafe.String(unsafe.SliceData(k), len(k)) // read while k lives only
			return w.value(depth+1, name, inActor || (depth == 0 && name == "actor"))
		})
	case '[':
		// Elements keep the member's depth, so a top-level *_ids array is a
		// list of targets.
		return w.s.Array(func() error { return w.value(depth, key, inActor) })
	case '"':
		sp, err := w.s.ReadString()
		if err != nil {
			return err
		}
		s := w.str(sp)
		if w.visit != nil {
			if freeTextValue(depth, key, inActor) {
				w.visit(s)
			}
			return nil
		}
		w.leaf(depth, key, inActor, s)
		return nil
	default:
		// Numbers, true, false, null: nothing to index.
		return w.s.Skip()
	}
}

// str returns a scanned string's value. It aliases the input when the
// string needs no unquoting (no copy for the many values only looked at):
// whatever outlives the activity's raw JSON must be copied (the store
// copies the dictionary values it caches).
func (w *walker) str(sp feed.Span) string {
	if sp.Plain() {
		raw := w.s.Raw(sp)
		return unsafe.String(unsafe.SliceData(raw), len(raw))
	}
	w.buf = w.s.AppendUnquoted(w.buf[:0], sp)
	return string(w.buf)
}

// leaf classifies one string value by where it sits and what it looks like.
func (w *walker) leaf(depth int, key string, inActor bool, s string) {
	r := w.r
	if s == "" {
		return
	}
	if freeTextValue(depth, key, inActor) {
		r.addSub(s)
	}
	if depth == 1 && !inActor {
		switch key {
		case "type", "created_at":
			return // in their own columns
		case "organization_id", "organization_uuid":
			r.org = append(r.org, normRef(s))
			return
		case "request_id":
			r.requestID = s
		}
		if strings.HasSuffix(key, "key_id") && r.targetKey == "" {
			r.targetKey = s
		}
	}
	if inActor && depth == 2 && key == "type" {
		return
	}
	if isRefKey(key) || looksLikeRef(s) {
		role := roleOther
		switch {
		case inActor:
			role = roleActor
		case depth == 1 && key != "id":
			role = roleTarget
		}
		r.add(role, s)
	}
}

// isRefKey reports whether a member name holds an id-like value.
func isRefKey(k string) bool {
	return k == "id" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_ids") ||
		strings.HasSuffix(k, "_uuid") || strings.HasSuffix(k, "_uuids") ||
		strings.Contains(k, "email") || strings.Contains(k, "ip_address") ||
		k == "subject" || k == "kid_hash"
}

// looksLikeRef reports whether a value is an id, UUID, e-mail or IP address
// whatever member it is in (e.g. role lists, invited addresses).
func looksLikeRef(s string) bool {
	if len(s) > 200 {
		return false
	}
	if feed.IsUUID(s) {
		return true
	}
	if at := strings.IndexByte(s, '@'); at > 0 && at == strings.LastIndexByte(s, '@') &&
		strings.IndexByte(s[at:], '.') > 0 && !strings.ContainsAny(s, " \t\"<>") {
		return true
	}
	if (strings.IndexByte(s, '.') > 0 || strings.IndexByte(s, ':') >= 0) && len(s) <= 45 {
		if _, err := netip.ParseAddr(s); err == nil {
			return true
		}
	}
	return looksLikeTaggedID(s)
}

// looksLikeTaggedID matches prefix_TAIL ids (apikey_01…, claude_chat_…):
// lower-case prefix segments and a tail of 10+ letters/digits with at least
// one digit or capital.
func looksLikeTaggedID(s string) bool {
	cut := strings.LastIndexByte(s, '_')
	if cut <= 0 || len(s)-cut-1 < 10 {
		return false
	}
	if !feed.IsIDTail(s[cut+1:]) {
		return false
	}
	for i := 0; i < cut; i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s[0] >= 'a' && s[0] <= 'z'
}

// normRef is the canonical form of a reference value, used both when
// indexing and when querying: e-mails and UUIDs lower-cased, IP addresses in
// netip form, everything else exact (ids are case-sensitive). The result
// may share v's memory.
func normRef(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return ""
	case strings.IndexByte(v, '@') >= 0 || feed.IsUUID(v):
		return strings.ToLower(v)
	case len(v) <= 45 && (strings.IndexByte(v, '.') > 0 || strings.IndexByte(v, ':') >= 0):
		if a, err := netip.ParseAddr(v); err == nil {
			return a.Unmap().String()
		}
	}
	return v
}

// Token prefixes of the reference index: the role of the value (or that
// it is an organization or a type).
const (
	tokActor  = 'a'
	tokTarget = 't'
	tokOther  = 'r'
	tokOrg    = 'g'
	tokType   = 'y'
)

// rolePrefix is the token prefix of a role.
func rolePrefix(role int) byte {
	switch role {
	case roleActor:
		return tokActor
	case roleTarget:
		return tokTarget
	}
	return tokOther
}

// refToken is the reference-index token of a normalised value mentioned
// elsewhere (role other): "r" and a stable 64-bit FNV-1a hash in base 36.
// Hashing makes every value one exact, case-sensitive token whatever
// characters it holds.
func refToken(norm string) string { return token(tokOther, norm) }

// token is the reference-index token of a normalised value with a prefix.
func token(prefix byte, norm string) string {
	var buf [16]byte
	return string(appendToken(buf[:0], prefix, norm))
}

func appendToken(dst []byte, prefix byte, norm string) []byte {
	dst = append(dst, prefix)
	return strconv.AppendUint(dst, fnv64(norm), 36)
}
