package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// The activity decoder: a validating single pass over the page (Scanner)
// that records where the common fields are (spans into the buffer) while it
// checks the syntax, then builds each Activity from those spans. Strings are
// unquoted as encoding/json does it (including U+FFFD for invalid UTF-8);
// the rare audience and provider values go through encoding/json itself.

// UnmarshalJSON decodes the common fields and keeps a private copy of the
// input in Raw. Missing or null common fields decode to zero values rather
// than failing: the schema marks them optional and new types ship often.
//
// It is a single-pass scanner rather than encoding/json (which would scan
// every activity three times): pages hold up to 5000 activities and decoding
// must not be the bottleneck of a sync. Keys match exactly (encoding/json
// would also accept other letter cases; the server never sends them).
func (a *Activity) UnmarshalJSON(b []byte) error {
	d := Scanner{b: b}
	d.ws()
	if d.literal("null") {
		if err := d.End(); err != nil {
			return err
		}
		*a = Activity{Raw: bytes.Clone(b)}
		return nil
	}
	var sp activitySpans
	if err := d.activity(&sp); err != nil {
		return err
	}
	if err := d.End(); err != nil {
		return err
	}
	return sp.build(bytes.Clone(b), 0, a)
}

// UnmarshalJSON decodes any actor variant; unknown variants keep their type
// name and their fields in Raw.
func (ac *Actor) UnmarshalJSON(b []byte) error {
	d := Scanner{b: b}
	d.ws()
	if d.literal("null") {
		if err := d.End(); err != nil {
			return err
		}
		*ac = Actor{Raw: bytes.Clone(b)}
		return nil
	}
	var sp actorSpans
	if err := d.actor(&sp); err != nil {
		return err
	}
	if err := d.End(); err != nil {
		return err
	}
	raw := bytes.Clone(b)
	return sp.build(raw, 0, raw, ac)
}

// decodePage decodes a response envelope. The activities' Raw fields are
// sub-slices (capacity-capped) of body, which is this response's private
// buffer: no other code holds it, so they are private copies in effect,
// without a second copy of every page.
func decodePage(body []byte, hint int) (*Page, error) {
	d := Scanner{b: body}
	p := &Page{}
	err := d.Object(func(key []byte) error {
		switch string(key) {
		case "data":
			// Size the slice for the page without trusting the hint
			// blindly: a live-tail poll asks for 5000 and usually gets a
			// handful, and no activity is shorter than minActivityBytes.
			return d.data(&p.Data, min(hint, MaxLimit, len(body)/minActivityBytes+1))
		case "has_more":
			d.ws()
			switch {
			case d.literal("true"):
				p.HasMore = true
			case d.literal("false"), d.literal("null"):
				p.HasMore = false
			default:
				return d.syntaxError("has_more: want a boolean")
			}
			return nil
		case "first_id", "last_id":
			sp, err := d.strOrNull(key)
			if err != nil {
				return err
			}
			v := spanString(body, sp)
			if string(key) == "first_id" {
				p.FirstID = v
			} else {
				p.LastID = v
			}
			return nil
		}
		return d.Skip()
	})
	if err != nil {
		return nil, err
	}
	if err := d.End(); err != nil {
		return nil, err
	}
	if p.Data == nil {
		p.Data = []Activity{}
	}
	return p, nil
}

// data decodes the "data" array into *out.
func (d *Scanner) data(out *[]Activity, hint int) error {
	d.ws()
	if d.literal("null") {
		*out = nil
		return nil
	}
	if err := d.expect('[', "data: '['"); err != nil {
		return err
	}
	acts := make([]Activity, 0, hint)
	d.ws()
	if d.peek() == ']' {
		d.i++
		*out = acts
		return nil
	}
	for {
		d.ws()
		if d.peek() != '{' {
			if err := d.Skip(); err != nil {
				return err
			}
			return fmt.Errorf("data[%d]: want an object", len(acts))
		}
		start := d.i
		var sp activitySpans
		if err := d.activity(&sp); err != nil {
			return fmt.Errorf("data[%d]: %w", len(acts), err)
		}
		acts = append(acts, Activity{})
		if err := sp.build(d.b[start:d.i:d.i], start, &acts[len(acts)-1]); err != nil {
			return fmt.Errorf("data[%d]: %w", len(acts)-1, err)
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			*out = acts
			return nil
		default:
			return d.syntaxError("data: expected ',' or ']'")
		}
	}
}

// strOrNull scans a value that must be a string or null.
func (d *Scanner) strOrNull(field []byte) (Span, error) {
	d.ws()
	switch d.peek() {
	case '"':
		return d.str()
	case 'n':
		if d.literal("null") {
			return Span{state: spanNull}, nil
		}
	}
	if err := d.Skip(); err != nil {
		return Span{}, err
	}
	return Span{}, fmt.Errorf("field %q: want a string or null", field)
}

// strNullKeeps scans a string-or-null into *dst, where null leaves an
// earlier value of a duplicate key in place. That is what encoding/json
// does for plain string fields (id, created_at, type), while for the
// nullable ones null resets the field (strOrNull).
func (d *Scanner) strNullKeeps(dst *Span, field []byte) error {
	sp, err := d.strOrNull(field)
	if err != nil {
		return err
	}
	if sp.state != spanNull || dst.state == spanAbsent {
		*dst = sp
	}
	return nil
}

// activitySpans records where an activity's common fields are.
type activitySpans struct {
	id, createdAt, orgID, orgUUID, typ Span
	actor                              Span // whole actor object (spanValue) or null/absent
	actorFields                        actorSpans
}

// activity scans one activity object.
func (d *Scanner) activity(sp *activitySpans) error {
	return d.Object(func(key []byte) error {
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
				sp.actor = Span{state: spanNull}
				sp.actorFields = actorSpans{}
				return nil
			}
			start := d.i
			sp.actorFields = actorSpans{}
			if err := d.actor(&sp.actorFields); err != nil {
				return fmt.Errorf("actor: %w", err)
			}
			sp.actor = Span{s: start, e: d.i, state: spanValue}
		default:
			err = d.Skip()
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
	str                [afCount]Span
	audience, provider Span
	// earlier holds what the earlier occurrences of a repeated audience or
	// provider member decoded to: encoding/json applies each occurrence in
	// turn (a provider object merges into the one before). A pointer, set
	// only for repeated members, so the spans stay on the stack.
	earlier *actorEarlier
}

// actorEarlier is the value of a repeated audience or provider member
// before its last occurrence.
type actorEarlier struct {
	aud  []string
	prov *FederatedProvider
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

// stringFields points at ac's string fields, indexed like actorSpans.str.
func (ac *Actor) stringFields() [afCount]*string {
	return [afCount]*string{
		afType: &ac.Type, afEmail: &ac.EmailAddress, afUserID: &ac.UserID,
		afUnauthEmail: &ac.UnauthenticatedEmailAddress, afAPIKeyID: &ac.APIKeyID,
		afAdminAPIKeyID: &ac.AdminAPIKeyID, afServiceAccountID: &ac.ServiceAccountID,
		afIP: &ac.IPAddress, afUserAgent: &ac.UserAgent, afDirectoryID: &ac.DirectoryID,
		afWorkOSEventID: &ac.WorkOSEventID, afIDPConnectionType: &ac.IDPConnectionType,
		afService: &ac.Service, afIssuer: &ac.Issuer, afSubject: &ac.Subject,
		afExternalClientID: &ac.ExternalClientID, afKidHash: &ac.KidHash,
	}
}

// early returns sp.earlier, allocating it on first use.
func (sp *actorSpans) early() *actorEarlier {
	if sp.earlier == nil {
		sp.earlier = new(actorEarlier)
	}
	return sp.earlier
}

// actor scans one actor object.
func (d *Scanner) actor(sp *actorSpans) error {
	d.ws()
	if d.peek() != '{' {
		if err := d.Skip(); err != nil {
			return err
		}
		return errors.New("want an object")
	}
	return d.Object(func(key []byte) error {
		var err error
		if f := actorField(key); f == afType {
			return d.strNullKeeps(&sp.str[f], key)
		} else if f >= 0 {
			sp.str[f], err = d.strOrNull(key)
			return err
		}
		switch string(key) {
		case "audience":
			if sp.audience.state != spanAbsent {
				if err := applyJSON(d.b, 0, sp.audience, &sp.early().aud); err != nil {
					return err
				}
			}
			sp.audience, err = d.valueSpan()
		case "provider":
			if sp.provider.state != spanAbsent {
				if err := applyJSON(d.b, 0, sp.provider, &sp.early().prov); err != nil {
					return err
				}
			}
			sp.provider, err = d.valueSpan()
		default:
			err = d.Skip()
		}
		return err
	})
}

// stringCutter turns spans into strings. Every string span of an activity
// (unquoted when it has escapes) is copied into one buffer that becomes one
// string, and the fields are cut from it: an activity costs one allocation
// for all its strings.
type stringCutter struct {
	raw  []byte
	base int // buffer position of raw[0]
	buf  []byte
	all  string
}

// cut is where add put a span's value in the cutter's string.
type cut struct{ off, end int }

// grow reserves room for the string spans in sps.
func (c *stringCutter) grow(sps []Span) {
	total := 0
	for _, s := range sps {
		if s.state == spanPlain || s.state == spanDecode {
			total += s.e - s.s
		}
	}
	c.buf = make([]byte, 0, total)
}

// add appends sp's value (string spans only) and returns where it is.
func (c *stringCutter) add(sp Span) cut {
	off := len(c.buf)
	switch sp.state {
	case spanPlain:
		c.buf = append(c.buf, c.raw[sp.s-c.base:sp.e-c.base]...)
	case spanDecode:
		c.buf = appendUnquoted(c.buf, c.raw[sp.s-c.base:sp.e-c.base])
	}
	return cut{off, len(c.buf)}
}

// seal makes the cutter's string; call it after every add and before get.
func (c *stringCutter) seal() {
	// buf is never written again: the string may share its memory.
	c.all = unsafe.String(unsafe.SliceData(c.buf), len(c.buf))
}

// get returns the string add placed at k.
func (c *stringCutter) get(k cut) string { return c.all[k.off:k.end] }

// spanString returns the string sp locates in buf ("" for null/absent).
func spanString(buf []byte, sp Span) string {
	switch sp.state {
	case spanPlain:
		return string(buf[sp.s:sp.e])
	case spanDecode:
		return string(appendUnquoted(nil, buf[sp.s:sp.e]))
	}
	return ""
}

// build fills a from the spans. raw holds the activity's bytes; base is
// the buffer position of raw[0].
func (sp *activitySpans) build(raw []byte, base int, a *Activity) error {
	*a = Activity{Raw: raw}
	var sc [5 + afCount]Span
	sc[0], sc[1], sc[2], sc[3], sc[4] = sp.id, sp.typ, sp.orgID, sp.orgUUID, sp.createdAt
	n := 5
	if sp.actor.state == spanValue {
		copy(sc[5:], sp.actorFields.str[:])
		n += afCount
	}
	c := stringCutter{raw: raw, base: base}
	c.grow(sc[:n])
	var at [5 + afCount]cut
	for i, s := range sc[:n] {
		at[i] = c.add(s)
	}
	c.seal()
	strs := [...]*string{&a.ID, &a.Type, &a.OrganizationID, &a.OrganizationUUID}
	for i, dst := range strs {
		*dst = c.get(at[i])
	}
	if ct := sp.createdAt; ct.state == spanPlain || ct.state == spanDecode {
		t, ok := parseRFC3339UTC(raw[ct.s-base : ct.e-base])
		if !ok {
			if s := c.get(at[4]); s != "" {
				var err error
				if t, err = ParseTime(s); err != nil {
					return fmt.Errorf("activity %q: created_at: %w", a.ID, err)
				}
			}
		}
		a.CreatedAt = t
	}
	if sp.actor.state == spanValue {
		actorRaw := raw[sp.actor.s-base : sp.actor.e-base : sp.actor.e-base]
		if err := sp.actorFields.fill(&c, at[5:], actorRaw, &a.Actor); err != nil {
			return fmt.Errorf("activity %q: actor: %w", a.ID, err)
		}
	}
	return nil
}

// build fills ac from spans over a standalone actor buffer.
func (sp *actorSpans) build(raw []byte, base int, actorRaw []byte, ac *Actor) error {
	c := stringCutter{raw: raw, base: base}
	c.grow(sp.str[:])
	var at [afCount]cut
	for i, s := range sp.str {
		at[i] = c.add(s)
	}
	c.seal()
	return sp.fill(&c, at[:], actorRaw, ac)
}

// fill sets ac from the spans, cutting strings with c (placed at at).
func (sp *actorSpans) fill(c *stringCutter, at []cut, actorRaw []byte, ac *Actor) error {
	*ac = Actor{Raw: actorRaw}
	dst := ac.stringFields()
	for i, p := range dst {
		*p = c.get(at[i])
	}
	// audience and provider are rare (federated actors only): the standard
	// decoder keeps their semantics exact.
	if e := sp.earlier; e != nil {
		ac.Audience, ac.Provider = e.aud, e.prov
	}
	if err := applyJSON(c.raw, c.base, sp.audience, &ac.Audience); err != nil {
		return err
	}
	if err := applyJSON(c.raw, c.base, sp.provider, &ac.Provider); err != nil {
		return err
	}
	return nil
}

// applyJSON decodes one occurrence of a member, the value sp locates in
// raw (whose first byte is at buffer position base), into v the way
// encoding/json does: null resets v, a value is decoded into it, an absent
// member leaves it alone.
func applyJSON[T any](raw []byte, base int, sp Span, v *T) error {
	switch sp.state {
	case spanNull:
		var zero T
		*v = zero
	case spanValue:
		return json.Unmarshal(raw[sp.s-base:sp.e-base], v)
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
