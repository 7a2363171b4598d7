package feed

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"strings"
	"sync"
)

// Redactor masks personal data for screen sharing and for exports made
// while sharing: e-mail addresses (u-3f9a@…), IP addresses (ip-7c1e), user
// agents (ua-0b12) and ids, which keep their prefix (apikey_⟨a1b2c3⟩). The
// same value always gets the same mask from one Redactor, so an analyst
// can still follow "the same key did this and that" on a masked screen;
// two different values never share a mask (a collision lengthens the
// newer one). Masks are keyed HMACs: without the salt, a list of the
// organisation's e-mails cannot be hashed to unmask them.
//
// Activity ids (activity_…) are kept: they name the event, not a person,
// and evidence must stay referable. A nil *Redactor masks nothing. A
// Redactor is safe for concurrent use.
type Redactor struct {
	key  []byte
	scan *regexp.Regexp
	ua   *regexp.Regexp

	mu    sync.Mutex
	masks map[string]string // kind + "\x00" + normalised value → mask
	owner map[string]string // mask → the key it was given to
	// real is the reverse map, mask → the value first seen with it, so a
	// masked token the analyst types or pastes back can be queried. It
	// lives only in memory, like the salt.
	real map[string]string
}

// NewRedactor returns a Redactor whose masks derive from salt. An empty
// salt is replaced by 32 random bytes, so masks differ between sessions
// and cannot be reversed by guessing.
func NewRedactor(salt []byte) *Redactor {
	if len(salt) == 0 {
		salt = make([]byte, 32)
		_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	}
	return &Redactor{
		key: bytes.Clone(salt),
		// Leftmost-first alternation: e-mails before ids (a local part may
		// look like an id), UUIDs before ids, IPv6 before IPv4 (an
		// IPv4-mapped address ends like one).
		scan: regexp.MustCompile(
			`([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)` +
				`|\b([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\b` +
				`|((?:[0-9A-Fa-f]{1,4})?(?::(?:[0-9A-Fa-f]{1,4})?){2,7}(?:\.[0-9]{1,3}){0,3})` +
				`|\b([0-9]{1,3}(?:\.[0-9]{1,3}){3})\b` +
				`|\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*_[0-9A-Za-z]{6,})\b`),
		// A user agent starts with a product token: name/version.
		ua:    regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._+\-]*/[0-9][^\s]*(?:\s|$)`),
		masks: map[string]string{},
		owner: map[string]string{},
		real:  map[string]string{},
	}
}

// maskKind is what a value is, which decides its mask's shape.
type maskKind byte

const (
	kindEmail maskKind = 'e'
	kindIP    maskKind = 'i'
	kindUA    maskKind = 'u'
	kindID    maskKind = 'd'
)

// hexLen is the initial mask length per kind: short enough to read aloud,
// lengthened on collision.
func hexLen(k maskKind) int {
	if k == kindID {
		return 6
	}
	return 4
}

// mask returns the mask of v as a value of kind k, allocating it on first
// sight.
func (r *Redactor) mask(k maskKind, v string) string {
	if v == "" {
		return ""
	}
	norm := v
	switch k {
	case kindEmail:
		norm = strings.ToLower(v)
	case kindIP:
		if a, err := netip.ParseAddr(v); err == nil {
			norm = a.String()
		}
	case kindID:
		if strings.HasPrefix(v, "activity_") {
			return v
		}
	}
	key := string(rune(k)) + "\x00" + norm
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.masks[key]; ok {
		return m
	}
	h := hmac.New(sha256.New, r.key)
	io.WriteString(h, key)
	sum := hex.EncodeToString(h.Sum(nil))
	var m string
	for n := hexLen(k); n <= len(sum); n += 2 {
		m = shape(k, v, sum[:n])
		if o, taken := r.owner[m]; !taken || o == key {
			break
		}
	}
	r.masks[key], r.owner[m], r.real[m] = m, key, v
	return m
}

// maskToken matches what shape produces, so Unmask finds masks in text.
var maskToken = regexp.MustCompile(`u-[0-9a-f]{4,64}@…|\b(?:ip|ua)-[0-9a-f]{4,64}\b|(?:[a-z0-9_]+_|\bid)⟨[0-9a-f]{6,64}⟩`)

// Unmask replaces every mask in s that this Redactor gave out with the
// value it stands for; other text, and masks it does not know, are kept.
// It is how a masked pivot or a pasted mask still queries the real value.
// A nil Redactor returns s.
func (r *Redactor) Unmask(s string) string {
	if r == nil || !strings.ContainsAny(s, "-⟨") {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return maskToken.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := r.real[m]; ok {
			return v
		}
		return m
	})
}

// shape formats a mask for its kind.
func shape(k maskKind, v, h string) string {
	switch k {
	case kindEmail:
		return "u-" + h + "@…"
	case kindIP:
		return "ip-" + h
	case kindUA:
		return "ua-" + h
	}
	return idPrefix(v) + "⟨" + h + "⟩"
}

// idPrefix is the type prefix of an id ("apikey_", "claude_chat_"), or
// "id" when the value has none worth keeping.
func idPrefix(v string) string {
	i := strings.LastIndexByte(v, '_')
	if i <= 0 || i > 40 {
		return "id"
	}
	for j := 0; j < i; j++ {
		c := v[j]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "id"
		}
	}
	return v[:i+1]
}

// String masks the personal data inside free text: every e-mail address,
// IPv4/IPv6 address, UUID and prefixed id (apikey_01…, user_01…) it
// contains, or the whole string when it is a user agent.
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	if r.ua.MatchString(s) {
		return r.mask(kindUA, s)
	}
	idx := r.scan.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		var repl string
		switch {
		case m[2] >= 0:
			repl = r.mask(kindEmail, s[m[2]:m[3]])
		case m[4] >= 0:
			repl = r.mask(kindID, s[m[4]:m[5]])
		case m[6] >= 0:
			if a, err := netip.ParseAddr(s[m[6]:m[7]]); err == nil && a.Is6() && !wordBefore(s, m[6]) {
				repl = r.mask(kindIP, s[m[6]:m[7]])
			}
		case m[8] >= 0:
			if a, err := netip.ParseAddr(s[m[8]:m[9]]); err == nil && a.Is4() && !wordBefore(s, m[8]) {
				repl = r.mask(kindIP, s[m[8]:m[9]])
			}
		case m[10] >= 0:
			// A prefixed word is an id only when its tail has a digit:
			// type names (scoped_api_key_updated) stay readable.
			id := s[m[10]:m[11]]
			if strings.ContainsAny(id[strings.LastIndexByte(id, '_')+1:], "0123456789") {
				repl = r.mask(kindID, id)
			}
		}
		if repl == "" {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(repl)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// wordBefore reports whether the match at i continues a word (the "d::" of
// "std::vector" is not an address).
func wordBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	c := s[i-1]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// fieldKind says how a JSON member's string value is masked, from its
// name: e-mail, IP, user agent and id fields are masked whole (whatever
// they hold: a hostile value must not leak around a partial match), any
// other string is scanned as free text. A signed principal (an AWS role
// ARN) is an id: it holds the account id, masked in account_id.
func fieldKind(name string) (maskKind, bool) {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "email"):
		return kindEmail, true
	case n == "ip" || n == "ip_address" || strings.HasSuffix(n, "_ip") || strings.HasSuffix(n, "_ip_address"):
		return kindIP, true
	case n == "user_agent" || strings.HasSuffix(n, "_user_agent"):
		return kindUA, true
	case n == "id" || n == "subject" || n == "kid_hash" || n == "signed_principal" || strings.HasSuffix(n, "_id") ||
		strings.HasSuffix(n, "_ids") || strings.HasSuffix(n, "_uuid"):
		return kindID, true
	}
	return 0, false
}

// Field masks v as the string value of a JSON member called name would be
// masked by JSON: e-mail, IP, user agent and id members whole, anything
// else as free text (String). The UI uses it for values it knows the kind
// of ("ip_address", "api_key_id"), so they match the masked raw JSON.
func (r *Redactor) Field(name, v string) string {
	if r == nil {
		return v
	}
	if k, ok := fieldKind(name); ok {
		return r.mask(k, v)
	}
	return r.String(v)
}

// invalidJSON replaces raw JSON that does not parse: it cannot be masked
// by field, and a partial mask could leak.
const invalidJSON = `"⟨not valid JSON: hidden while redacting⟩"`

// maxJSONDepth bounds the walk; activities are a few levels deep.
const maxJSONDepth = 64

// JSON returns raw with every string value masked by its member name or,
// for other members, as free text (String). Object keys, numbers, order
// and structure are kept, so the result is valid JSON (compact). Input that
// is not valid JSON comes back as one JSON string saying it was hidden.
func (r *Redactor) JSON(raw []byte) []byte {
	if r == nil {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := r.walk(dec, &out, "", 0); err != nil {
		return []byte(invalidJSON)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return []byte(invalidJSON) // trailing data
	}
	return out.Bytes()
}

// walk copies one JSON value from dec to out, masking strings as values of
// the member name.
func (r *Redactor) walk(dec *json.Decoder, out *bytes.Buffer, name string, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for first := true; dec.More(); first = false {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				if !first {
					out.WriteByte(',')
				}
				writeJSONString(out, k)
				out.WriteByte(':')
				if err := r.walk(dec, out, k, depth+1); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for first := true; dec.More(); first = false {
				if !first {
					out.WriteByte(',')
				}
				// Elements are values of the array's member (member_ids).
				if err := r.walk(dec, out, name, depth+1); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		default:
			return errors.New("unexpected delimiter")
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		writeJSONString(out, r.Field(name, t))
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	}
	return nil
}

// writeJSONString writes s as a JSON string without HTML escaping (the
// output is data, not markup).
func writeJSONString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // encoding a string cannot fail
	out.Truncate(out.Len() - 1) // Encode appends a newline
}

// Activity returns a copy of a with its personal data masked: the actor's
// e-mails, ids, IP and user agent, the organisation ids and the raw JSON
// (JSON). The typed fields are masked exactly as the same members of the
// raw JSON, so a view built from either shows the same masks.
func (r *Redactor) Activity(a Activity) Activity {
	if r == nil {
		return a
	}
	out := a
	out.OrganizationID = r.Field("organization_id", a.OrganizationID)
	out.OrganizationUUID = r.Field("organization_uuid", a.OrganizationUUID)
	out.Actor = r.actor(a.Actor)
	out.Raw = r.JSON(a.Raw)
	return out
}

// actor masks every field of an actor as its JSON member would be.
func (r *Redactor) actor(a Actor) Actor {
	out := a
	out.EmailAddress = r.Field("email_address", a.EmailAddress)
	out.UserID = r.Field("user_id", a.UserID)
	out.UnauthenticatedEmailAddress = r.Field("unauthenticated_email_address", a.UnauthenticatedEmailAddress)
	out.APIKeyID = r.Field("api_key_id", a.APIKeyID)
	out.AdminAPIKeyID = r.Field("admin_api_key_id", a.AdminAPIKeyID)
	out.ServiceAccountID = r.Field("service_account_id", a.ServiceAccountID)
	out.IPAddress = r.Field("ip_address", a.IPAddress)
	out.UserAgent = r.Field("user_agent", a.UserAgent)
	out.DirectoryID = r.Field("directory_id", a.DirectoryID)
	out.WorkOSEventID = r.Field("workos_event_id", a.WorkOSEventID)
	out.IDPConnectionType = r.Field("idp_connection_type", a.IDPConnectionType)
	out.Service = r.Field("service", a.Service)
	out.Issuer = r.Field("issuer", a.Issuer)
	out.Subject = r.Field("subject", a.Subject)
	if a.Audience != nil {
		out.Audience = make([]string, len(a.Audience))
		for i, v := range a.Audience {
			out.Audience[i] = r.Field("audience", v)
		}
	}
	if a.Provider != nil {
		p := *a.Provider
		p.AccountID = r.Field("account_id", p.AccountID)
		p.SignedPrincipal = r.Field("signed_principal", p.SignedPrincipal)
		p.SubscriptionID = r.Field("subscription_id", p.SubscriptionID)
		p.ProjectNumber = r.Field("project_number", p.ProjectNumber)
		p.Issuer = r.Field("issuer", p.Issuer)
		out.Provider = &p
	}
	out.ExternalClientID = r.Field("external_client_id", a.ExternalClientID)
	out.KidHash = r.Field("kid_hash", a.KidHash)
	out.Raw = r.JSON(a.Raw)
	return out
}
