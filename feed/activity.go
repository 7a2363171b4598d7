package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Actor types documented by the Activity Feed (§8 of the contract). Any other
// value is kept verbatim in Actor.Type.
const (
	ActorUser                = "user_actor"
	ActorAPI                 = "api_actor"
	ActorAdminAPIKey         = "admin_api_key_actor"
	ActorUnauthenticatedUser = "unauthenticated_user_actor"
	ActorAnthropic           = "anthropic_actor"
	ActorSCIM                = "scim_directory_sync_actor"
	ActorSystem              = "system_actor"
	ActorServiceAccount      = "service_account_actor"
	ActorFederatedIdentity   = "federated_identity_actor"
	ActorFederated           = "federated_actor"
	ActorAttestedDevice      = "attested_device_actor"
)

// ActorTypes lists the eleven documented actor variants in contract order.
var ActorTypes = []string{
	ActorUser, ActorAPI, ActorAdminAPIKey, ActorUnauthenticatedUser, ActorAnthropic,
	ActorSCIM, ActorSystem, ActorServiceAccount, ActorFederatedIdentity, ActorFederated,
	ActorAttestedDevice,
}

// Activity is one record of the feed. The common fields are typed; everything
// else stays in Raw, which holds the activity exactly as the server sent it.
type Activity struct {
	ID        string
	CreatedAt time.Time
	// OrganizationID and OrganizationUUID are "" when the server sent null
	// (logins, logouts, Compliance API calls belong to no organization).
	OrganizationID   string
	OrganizationUUID string
	Type             string
	Actor            Actor
	// Raw is the activity object byte for byte as received. It is never
	// re-encoded, so exports and `--format ndjson` stay exact.
	Raw json.RawMessage
}

// Actor is the union of the actor variants, discriminated by Type. Fields that
// a variant does not have stay empty; an unknown variant keeps its Type and,
// like every variant, its object verbatim in Raw.
type Actor struct {
	Type string

	EmailAddress                string // user_actor (anthropic_actor: always empty today)
	UserID                      string // user_actor
	UnauthenticatedEmailAddress string // unauthenticated_user_actor
	APIKeyID                    string // api_actor
	AdminAPIKeyID               string // admin_api_key_actor
	ServiceAccountID            string // service_account_actor
	IPAddress                   string
	UserAgent                   string

	DirectoryID       string // scim_directory_sync_actor
	WorkOSEventID     string // scim_directory_sync_actor
	IDPConnectionType string // scim_directory_sync_actor
	Service           string // system_actor

	Issuer   string   // federated_identity_actor
	Subject  string   // federated_identity_actor, federated_actor
	Audience []string // federated_identity_actor
	Provider *FederatedProvider

	ExternalClientID string // attested_device_actor
	KidHash          string // attested_device_actor

	Raw json.RawMessage
}

// FederatedProvider is federated_actor.provider, discriminated by Type
// (aws, azure, gcp, oidc).
type FederatedProvider struct {
	Type            string `json:"type"`
	AccountID       string `json:"account_id,omitempty"`
	SignedPrincipal string `json:"signed_principal,omitempty"`
	SubscriptionID  string `json:"subscription_id,omitempty"`
	ProjectNumber   string `json:"project_number,omitempty"`
	Issuer          string `json:"issuer,omitempty"`
}

// Update is one element of an `updates[]` array: a field that changed, with
// its value before and after, kept as raw JSON because the value types vary.
type Update struct {
	Type     string          `json:"type"`
	Previous json.RawMessage `json:"previous_value"`
	Current  json.RawMessage `json:"current_value"`
}

// ParseTime parses an RFC 3339 timestamp with optional fractional seconds.
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// UnmarshalJSON decodes the common fields and keeps a private copy of the
// input in Raw. Missing or null common fields decode to zero values rather
// than failing: the schema marks them optional and new types ship often.
//
// It is a single-pass scanner rather than encoding/json (which would scan
// every activity three times): pages hold up to 5000 activities and decoding
// must not be the bottleneck of a sync. Keys match exactly (encoding/json
// would also accept other letter cases; the server never sends them).
func (a *Activity) UnmarshalJSON(b []byte) error {
	d := scanner{b: b}
	d.ws()
	if d.literal("null") {
		if err := d.end(); err != nil {
			return err
		}
		*a = Activity{Raw: bytes.Clone(b)}
		return nil
	}
	var sp activitySpans
	if err := d.activity(&sp); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	return sp.build(bytes.Clone(b), 0, a)
}

// MarshalJSON returns Raw unchanged, so an Activity round-trips byte for byte.
func (a Activity) MarshalJSON() ([]byte, error) {
	if len(a.Raw) == 0 {
		return nil, fmt.Errorf("activity %q has no raw JSON", a.ID)
	}
	return a.Raw, nil
}

// UnmarshalJSON decodes any actor variant; unknown variants keep their type
// name and their fields in Raw.
func (ac *Actor) UnmarshalJSON(b []byte) error {
	d := scanner{b: b}
	d.ws()
	if d.literal("null") {
		if err := d.end(); err != nil {
			return err
		}
		*ac = Actor{Raw: bytes.Clone(b)}
		return nil
	}
	var sp actorSpans
	if err := d.actor(&sp); err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	raw := bytes.Clone(b)
	return sp.build(raw, 0, raw, ac)
}

// The decoder below is a validating single-pass JSON scanner specialised
// for activities. It records where the common fields are (spans into the
// scanned buffer) while it checks the syntax, then builds the Activity from
// those spans: plain strings are cut from one string per activity, escaped
// ones go through encoding/json so their semantics (including U+FFFD for
// invalid UTF-8) match the standard library exactly.

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

// scanner walks a JSON document in b from position i.
type scanner struct {
	b []byte
	i int
}

// syntaxError describes malformed JSON at the scanner's position.
func (d *scanner) syntaxError(what string) error {
	if d.i >= len(d.b) {
		return fmt.Errorf("invalid JSON: unexpected end of input (%s)", what)
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", d.i, what)
}

func (d *scanner) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (d *scanner) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// end checks that only whitespace follows.
func (d *scanner) end() error {
	d.ws()
	if d.i != len(d.b) {
		return d.syntaxError("data after the top-level value")
	}
	return nil
}

// literal consumes lit if it comes next.
func (d *scanner) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// expect consumes c after optional whitespace.
func (d *scanner) expect(c byte, what string) error {
	d.ws()
	if d.peek() != c {
		return d.syntaxError("expected " + what)
	}
	d.i++
	return nil
}

// Span states.
const (
	spanAbsent uint8 = iota // field not present
	spanNull                // JSON null
	spanPlain               // string without escapes, ASCII or valid UTF-8: use the bytes
	spanDecode              // string with escapes or invalid UTF-8: decode with encoding/json
	spanValue               // any other JSON value (audience, provider)
)

// strSpan locates a value in the scanned buffer: for strings the content
// between the quotes, for spanValue the whole value.
type strSpan struct {
	s, e  int
	state uint8
}

// str scans the string starting at d.b[d.i] == '"'.
func (d *scanner) str() (strSpan, error) {
	b := d.b
	start := d.i + 1
	state := spanPlain
	ascii := true
	for i := start; i < len(b); {
		c := b[i]
		if plainStringByte[c] == 1 {
			i++
			continue
		}
		switch {
		case c == '"':
			d.i = i + 1
			if state == spanPlain && !ascii && !utf8.Valid(b[start:i]) {
				state = spanDecode
			}
			return strSpan{s: start, e: i, state: state}, nil
		case c == '\\':
			state = spanDecode
			if i+1 >= len(b) {
				d.i = len(b)
				return strSpan{}, d.syntaxError("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					d.i = i
					return strSpan{}, d.syntaxError(`bad \u escape in string`)
				}
				i += 6
			default:
				d.i = i
				return strSpan{}, d.syntaxError("bad escape in string")
			}
		case c < 0x20:
			d.i = i
			return strSpan{}, d.syntaxError("control character in string")
		default: // non-ASCII byte
			ascii = false
			i++
		}
	}
	d.i = len(b)
	return strSpan{}, d.syntaxError("unterminated string")
}

// plainStringByte[c] is 1 for bytes that need no attention inside a JSON
// string: printable ASCII other than '"' and '\\'. A constant string
// rather than a table variable: read-only by construction.
const plainStringByte = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number scans a JSON number.
func (d *scanner) number() error {
	b, i := d.b, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		d.i = i
		return d.syntaxError("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			d.i = i
			return d.syntaxError("bad number")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			d.i = i
			return d.syntaxError("bad number")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	d.i = i
	return nil
}

// skip scans (and validates) one value of any kind.
func (d *scanner) skip(depth int) error {
	d.ws()
	switch c := d.peek(); {
	case c == '"':
		_, err := d.str()
		return err
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return d.syntaxError("nesting too deep")
		}
		d.i++
		d.ws()
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		if d.peek() == closer {
			d.i++
			return nil
		}
		for {
			if c == '{' {
				d.ws()
				if d.peek() != '"' {
					return d.syntaxError("expected object key")
				}
				if _, err := d.str(); err != nil {
					return err
				}
				if err := d.expect(':', "':' after object key"); err != nil {
					return err
				}
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
			case closer:
				d.i++
				return nil
			default:
				return d.syntaxError("expected ',' or '" + string(closer) + "'")
			}
		}
	case c == '-' || isDigit(c):
		return d.number()
	case d.literal("true"), d.literal("false"), d.literal("null"):
		return nil
	default:
		return d.syntaxError("expected a value")
	}
}

// valueSpan scans any value and returns its bounds (spanValue), or spanNull.
func (d *scanner) valueSpan() (strSpan, error) {
	d.ws()
	if d.literal("null") {
		return strSpan{state: spanNull}, nil
	}
	start := d.i
	if err := d.skip(1); err != nil {
		return strSpan{}, err
	}
	return strSpan{s: start, e: d.i, state: spanValue}, nil
}

// strOrNull scans a value that must be a string or null.
func (d *scanner) strOrNull(field []byte) (strSpan, error) {
	d.ws()
	switch d.peek() {
	case '"':
		return d.str()
	case 'n':
		if d.literal("null") {
			return strSpan{state: spanNull}, nil
		}
	}
	if err := d.skip(1); err != nil {
		return strSpan{}, err
	}
	return strSpan{}, fmt.Errorf("field %q: want a string or null", field)
}

// strNullKeeps scans a string-or-null into *dst, where null leaves an
// earlier value of a duplicate key in place. That is what encoding/json
// does for plain string fields (id, created_at, type), while for the
// nullable ones null resets the field (strOrNull).
func (d *scanner) strNullKeeps(dst *strSpan, field []byte) error {
	sp, err := d.strOrNull(field)
	if err != nil {
		return err
	}
	if sp.state != spanNull || dst.state == spanAbsent {
		*dst = sp
	}
	return nil
}

// object scans an object whose opening brace is next, calling field for
// each key with the scanner positioned at the value; field must consume
// the value.
func (d *scanner) object(field func(key []byte) error) error {
	if err := d.expect('{', "'{'"); err != nil {
		return err
	}
	d.ws()
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return d.syntaxError("expected object key")
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		key := d.b[k.s:k.e]
		if k.state == spanDecode {
			var s string
			if err := json.Unmarshal(d.b[k.s-1:k.e+1], &s); err != nil {
				return err
			}
			key = []byte(s)
		}
		if err := d.expect(':', "':' after object key"); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.syntaxError("expected ',' or '}'")
		}
	}
}

// activitySpans records where an activity's common fields are.
type activitySpans struct {
	id, createdAt, orgID, orgUUID, typ strSpan
	actor                              strSpan // whole actor object (spanValue) or null/absent
	actorFields                        actorSpans
}

// activity scans one activity object.
func (d *scanner) activity(sp *activitySpans) error {
	return d.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			err = d.strNullKeeps(&sp.id, key)
		case "created_at":
			err = d.strNullKeeps(&sp.createdAt, key)
		case "organization_id":
			sp.orgID, err = d.strOrNull(key)
		case "organization_uuid":
			sp.orgUUID, err = d.strOrNull(key)
		case "type":
			err = d.strNullKeeps(&sp.typ, key)
		case "actor":
			d.ws()
			if d.literal("null") {
				sp.actor = strSpan{state: spanNull}
				sp.actorFields = actorSpans{}
				return nil
			}
			start := d.i
			sp.actorFields = actorSpans{}
			if err := d.actor(&sp.actorFields); err != nil {
				return fmt.Errorf("actor: %w", err)
			}
			sp.actor = strSpan{s: start, e: d.i, state: spanValue}
		default:
			err = d.skip(1)
		}
		return err
	})
}

// Actor fields with string values, in the order of actorSpans.str.
const (
	afType = iota
	afEmail
	afUserID
	afUnauthEmail
	afAPIKeyID
	afAdminAPIKeyID
	afServiceAccountID
	afIP
	afUserAgent
	afDirectoryID
	afWorkOSEventID
	afIDPConnectionType
	afService
	afIssuer
	afSubject
	afExternalClientID
	afKidHash
	afCount
)

// actorSpans records where an actor's fields are.
type actorSpans struct {
	str                [afCount]strSpan
	audience, provider strSpan
}

func actorField(key []byte) int {
	switch string(key) {
	case "type":
		return afType
	case "email_address":
		return afEmail
	case "user_id":
		return afUserID
	case "unauthenticated_email_address":
		return afUnauthEmail
	case "api_key_id":
		return afAPIKeyID
	case "admin_api_key_id":
		return afAdminAPIKeyID
	case "service_account_id":
		return afServiceAccountID
	case "ip_address":
		return afIP
	case "user_agent":
		return afUserAgent
	case "directory_id":
		return afDirectoryID
	case "workos_event_id":
		return afWorkOSEventID
	case "idp_connection_type":
		return afIDPConnectionType
	case "service":
		return afService
	case "issuer":
		return afIssuer
	case "subject":
		return afSubject
	case "external_client_id":
		return afExternalClientID
	case "kid_hash":
		return afKidHash
	}
	return -1
}

// actor scans one actor object.
func (d *scanner) actor(sp *actorSpans) error {
	d.ws()
	if d.peek() != '{' {
		if err := d.skip(1); err != nil {
			return err
		}
		return errors.New("want an object")
	}
	return d.object(func(key []byte) error {
		var err error
		if f := actorField(key); f == afType {
			return d.strNullKeeps(&sp.str[f], key)
		} else if f >= 0 {
			sp.str[f], err = d.strOrNull(key)
			return err
		}
		switch string(key) {
		case "audience":
			sp.audience, err = d.valueSpan()
		case "provider":
			sp.provider, err = d.valueSpan()
		default:
			err = d.skip(1)
		}
		return err
	})
}

// stringCutter turns spans into strings. Plain spans are copied once into
// a single string per activity and cut from it, so an activity costs one
// allocation for all its plain strings.
type stringCutter struct {
	raw  []byte
	base int // buffer position of raw[0]
	sb   strings.Builder
	all  string
}

// add reserves sp's bytes (plain spans only) and returns their offset.
func (c *stringCutter) add(sp strSpan) int {
	if sp.state != spanPlain {
		return 0
	}
	off := c.sb.Len()
	c.sb.Write(c.raw[sp.s-c.base : sp.e-c.base])
	return off
}

// get returns the string for sp; off is what add returned. Call it only
// after every add.
func (c *stringCutter) get(sp strSpan, off int) (string, error) {
	switch sp.state {
	case spanPlain:
		return c.all[off : off+sp.e-sp.s], nil
	case spanDecode:
		return decodeString(c.raw[sp.s-1-c.base : sp.e+1-c.base])
	}
	return "", nil
}

// spanString returns the string sp locates in buf ("" for null/absent).
func spanString(buf []byte, sp strSpan) (string, error) {
	switch sp.state {
	case spanPlain:
		return string(buf[sp.s:sp.e]), nil
	case spanDecode:
		return decodeString(buf[sp.s-1 : sp.e+1])
	}
	return "", nil
}

// decodeString decodes a quoted JSON string with encoding/json, for the
// rare strings with escapes or invalid UTF-8.
func decodeString(quoted []byte) (string, error) {
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err
}

// build fills a from the spans. raw holds the activity's bytes; base is
// the buffer position of raw[0].
func (sp *activitySpans) build(raw []byte, base int, a *Activity) error {
	*a = Activity{Raw: raw}
	var sc [5 + afCount]strSpan
	sc[0], sc[1], sc[2], sc[3], sc[4] = sp.id, sp.typ, sp.orgID, sp.orgUUID, sp.createdAt
	n := 5
	if sp.actor.state == spanValue {
		copy(sc[5:], sp.actorFields.str[:])
		n += afCount
	}
	total := 0
	for _, s := range sc[:n] {
		if s.state == spanPlain {
			total += s.e - s.s
		}
	}
	c := stringCutter{raw: raw, base: base}
	c.sb.Grow(total)
	var off [5 + afCount]int
	for i, s := range sc[:n] {
		off[i] = c.add(s)
	}
	c.all = c.sb.String()
	strs := [...]*string{&a.ID, &a.Type, &a.OrganizationID, &a.OrganizationUUID}
	for i, dst := range strs {
		v, err := c.get(sc[i], off[i])
		if err != nil {
			return err
		}
		*dst = v
	}
	if ct := sp.createdAt; ct.state == spanPlain || ct.state == spanDecode {
		t, ok := parseRFC3339UTC(raw[ct.s-base : ct.e-base])
		if !ok {
			s, err := c.get(ct, off[4])
			if err != nil {
				return err
			}
			if s != "" {
				if t, err = ParseTime(s); err != nil {
					return fmt.Errorf("activity %q: created_at: %w", a.ID, err)
				}
			}
		}
		a.CreatedAt = t
	}
	if sp.actor.state == spanValue {
		actorRaw := raw[sp.actor.s-base : sp.actor.e-base : sp.actor.e-base]
		if err := sp.actorFields.fill(&c, off[5:], actorRaw, &a.Actor); err != nil {
			return fmt.Errorf("activity %q: actor: %w", a.ID, err)
		}
	}
	return nil
}

// build fills ac from spans over a standalone actor buffer.
func (sp *actorSpans) build(raw []byte, base int, actorRaw []byte, ac *Actor) error {
	total := 0
	for _, s := range sp.str {
		if s.state == spanPlain {
			total += s.e - s.s
		}
	}
	c := stringCutter{raw: raw, base: base}
	c.sb.Grow(total)
	var off [afCount]int
	for i, s := range sp.str {
		off[i] = c.add(s)
	}
	c.all = c.sb.String()
	return sp.fill(&c, off[:], actorRaw, ac)
}

// fill sets ac from the spans, cutting strings with c (offsets in off).
func (sp *actorSpans) fill(c *stringCutter, off []int, actorRaw []byte, ac *Actor) error {
	*ac = Actor{Raw: actorRaw}
	dst := [afCount]*string{
		afType: &ac.Type, afEmail: &ac.EmailAddress, afUserID: &ac.UserID,
		afUnauthEmail: &ac.UnauthenticatedEmailAddress, afAPIKeyID: &ac.APIKeyID,
		afAdminAPIKeyID: &ac.AdminAPIKeyID, afServiceAccountID: &ac.ServiceAccountID,
		afIP: &ac.IPAddress, afUserAgent: &ac.UserAgent, afDirectoryID: &ac.DirectoryID,
		afWorkOSEventID: &ac.WorkOSEventID, afIDPConnectionType: &ac.IDPConnectionType,
		afService: &ac.Service, afIssuer: &ac.Issuer, afSubject: &ac.Subject,
		afExternalClientID: &ac.ExternalClientID, afKidHash: &ac.KidHash,
	}
	for i, p := range dst {
		v, err := c.get(sp.str[i], off[i])
		if err != nil {
			return err
		}
		*p = v
	}
	// audience and provider are rare (federated actors only): the standard
	// decoder keeps their semantics exact.
	if sp.audience.state == spanValue {
		if err := json.Unmarshal(c.raw[sp.audience.s-c.base:sp.audience.e-c.base], &ac.Audience); err != nil {
			return err
		}
	}
	if sp.provider.state == spanValue {
		if err := json.Unmarshal(c.raw[sp.provider.s-c.base:sp.provider.e-c.base], &ac.Provider); err != nil {
			return err
		}
	}
	return nil
}

// parseRFC3339UTC parses the common form YYYY-MM-DDTHH:MM:SS[.fraction]Z
// without allocating; anything else (offsets, out-of-range fields, more
// than nine fraction digits) reports !ok and goes to time.Parse, which
// gives the same result or the proper error.
func parseRFC3339UTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if !isDigit(c) {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int((m-1)%7%2)
}
