package ocsf

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"claudit/feed"
)

// errNotObject is returned by read for raw JSON that is not an object.
var errNotObject = errors.New("not a JSON object")

// field is one member of a JSON object read from the activity: its name
// and its raw value (never null: null members produce no attribute).
type field struct {
	key  []byte
	val  []byte
	used bool // mapped to an OCSF attribute, so not repeated under unmapped
}

// Encoder writes OCSF events. It reuses its buffers from one activity to
// the next, so it allocates almost nothing per event; it is not safe for
// concurrent use. The zero value is ready to use.
type Encoder struct {
	fields  []field // the activity's members
	actor   []field // the actor's members
	compact bytes.Buffer
	w       writer
}

// Marshal returns the OCSF event of a (see Encoder.Append).
func Marshal(a feed.Activity, logged time.Time) []byte {
	var e Encoder
	return e.Append(nil, a, logged)
}

// Append appends the OCSF 1.6.0 event of a, compact JSON on one line
// without the newline, to dst, and returns the extended slice. logged is
// when claudit stored the activity (metadata.logged_time; zero omits it).
// Values are copied from the raw JSON as they are, except that invalid
// UTF-8 becomes the escape \ufffd. Raw JSON that is not an object (a
// corrupt cache row) still gives an event: a Base Event with the bytes in
// raw_data.
func (e *Encoder) Append(dst []byte, a feed.Activity, logged time.Time) []byte {
	raw := a.Raw
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') >= 0 {
		// Values are copied as they are: drop the whitespace between
		// tokens first (strings cannot hold a raw newline).
		e.compact.Reset()
		if err := json.Compact(&e.compact, raw); err != nil {
			return e.appendCorrupt(dst, a, logged)
		}
		raw = e.compact.Bytes()
	}
	if err := e.read(raw); err != nil {
		return e.appendCorrupt(dst, a, logged)
	}
	e.w = writer{b: dst}
	ev := event{e: e, a: &a, rule: ruleFor(a.Type)}
	ev.write(logged)
	if out := e.w.b[len(dst):]; !utf8.Valid(out) {
		// encoding/json accepts invalid UTF-8 inside strings; OCSF
		// consumers need not. Such bytes can only be inside strings.
		return appendValidUTF8(dst, bytes.Clone(out))
	}
	return e.w.b
}

// appendValidUTF8 appends the JSON b with each byte of invalid UTF-8 (only
// ever inside a string) replaced by the escape \ufffd, which decodes as
// encoding/json decodes the byte.
func appendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// appendCorrupt writes the Base Event of an activity whose raw JSON cannot
// be read: its typed id, type and time, and the bytes as a string in
// raw_data, so nothing is dropped and the line is still valid JSON.
func (e *Encoder) appendCorrupt(dst []byte, a feed.Activity, logged time.Time) []byte {
	w := &e.w
	*w = writer{b: dst}
	quoted := func(k, v string) {
		q, _ := json.Marshal(v) // a string always encodes (invalid UTF-8 becomes U+FFFD)
		w.raw(k, q)
	}
	w.open('{')
	var typ jv
	if a.Type != "" {
		typ.raw, _ = json.Marshal(a.Type)
	}
	w.classification(&classes[classBase], activityOther, statusUnknown, typ)
	var ms int64
	if !a.CreatedAt.IsZero() {
		ms = a.CreatedAt.UnixMilli()
	}
	w.int("time", ms)
	w.lit("message", "the stored activity is not a valid JSON object: raw_data holds its bytes")
	quoted("raw_data", string(a.Raw))
	w.metadataStart()
	if a.ID != "" {
		quoted("uid", a.ID)
	}
	if a.Type != "" {
		quoted("event_code", a.Type)
	}
	if !logged.IsZero() {
		w.int("logged_time", logged.UnixMilli())
	}
	w.close('}')
	w.close('}')
	return w.b
}

// read splits raw into e.fields and the actor's members into e.actor,
// dropping null members, in one pass.
func (e *Encoder) read(raw []byte) error {
	e.fields, e.actor = e.fields[:0], e.actor[:0]
	s := feed.NewScanner(raw)
	if s.Peek() != '{' {
		return errNotObject
	}
	err := s.Object(func(key []byte) error {
		if string(key) == "actor" && s.Peek() == '{' {
			// The actor's members are read on the way (the last actor
			// wins, as in encoding/json).
			start := s.Offset()
			e.actor = e.actor[:0]
			err := s.Object(func(k []byte) error {
				v, err := value(&s, raw)
				if err == nil && v != nil {
					e.actor = append(e.actor, field{key: k, val: v})
				}
				return err
			})
			e.fields = append(e.fields, field{key: key, val: raw[start:s.Offset()], used: true})
			return err
		}
		v, err := value(&s, raw)
		if err != nil || v == nil {
			return err
		}
		e.fields = append(e.fields, field{key: key, val: v})
		return nil
	})
	if err != nil {
		return err
	}
	return s.End()
}

// value reads the next value of s (over buf) and returns its raw bytes, nil
// for null.
func value(s *feed.Scanner, buf []byte) ([]byte, error) {
	s.Peek()
	start := s.Offset()
	if err := s.Skip(); err != nil {
		return nil, err
	}
	v := buf[start:s.Offset()]
	if string(v) == "null" {
		return nil, nil
	}
	return v, nil
}

// members appends the non-null members of the JSON object obj to dst.
func members(dst []field, obj []byte) ([]field, error) {
	s := feed.NewScanner(obj)
	err := s.Object(func(key []byte) error {
		v, err := value(&s, obj)
		if err != nil || v == nil {
			return err
		}
		dst = append(dst, field{key: key, val: v})
		return nil
	})
	return dst, err
}

// find returns the index of the last member called name (encoding/json's
// rule for duplicates), -1 when absent.
func (e *Encoder) find(name string) int { return findIn(e.fields, name) }

func findIn(fs []field, name string) int {
	for i := len(fs) - 1; i >= 0; i-- {
		if string(fs[i].key) == name {
			return i
		}
	}
	return -1
}

// str returns the raw value (quotes included) of the string member name of
// fs and marks it used; nil when absent or not a string.
func str(fs []field, name string) []byte {
	i := findIn(fs, name)
	if i < 0 || fs[i].val[0] != '"' {
		return nil
	}
	fs[i].used = true
	return fs[i].val
}

// content is a raw JSON string without its quotes (still escaped).
func content(v []byte) []byte {
	if len(v) < 2 {
		return nil
	}
	return v[1 : len(v)-1]
}

// jv is a JSON value to write: raw bytes from the activity, or plain text
// from this package (written as a string); the zero jv is absent.
type jv struct {
	raw  []byte
	text string
}

func (v jv) ok() bool { return v.raw != nil || v.text != "" }

// text is a jv of plain text (no characters that need escaping).
func text(s string) jv { return jv{text: s} }

// user is an OCSF user object under construction.
type user struct {
	uid, name, email, typ jv
	typeID                int // -1: none
}

func (u user) ok() bool { return u.uid.ok() || u.name.ok() }

// unknownUser fills a required user nobody is named for.
func unknownUser() user { return user{name: text("Unknown"), typeID: 0} }

// actor is the OCSF actor object under construction (OCSF.md §4.2).
type actor struct {
	user           user
	appUID         jv
	idpName, idpID jv
	ip, userAgent  jv
}

func (a actor) ok() bool { return a.user.ok() || a.appUID.ok() }

// event is one activity being written.
type event struct {
	e        *Encoder
	a        *feed.Activity
	rule     rule
	activity int
	status   int
	actor    actor
}

func (ev *event) write(logged time.Time) {
	e, w, r, cl := ev.e, &ev.e.w, ev.rule, &classes[ev.rule.class]
	ev.activity, ev.status = r.activity, r.status
	ev.actor = ev.mapActor()
	switch r.dynamic {
	case dynAPICall:
		ev.apiCall()
	case dynAttestation:
		ev.attestation()
	case dynKeyStatus:
		ev.keyStatus()
	}

	w.open('{')
	typeField := str(e.fields, "type")
	w.classification(cl, ev.activity, ev.status, jv{raw: typeField})
	w.int("time", ev.a.CreatedAt.UnixMilli())

	hostProfile := !cl.nativeActor && ev.actor.ok()
	w.metadataStart()
	if v := str(e.fields, "id"); v != nil {
		w.raw("uid", v)
	}
	if typeField != nil {
		w.raw("event_code", typeField)
	}
	if v := str(e.fields, "created_at"); v != nil {
		w.raw("original_time", v)
	}
	if !logged.IsZero() {
		w.int("logged_time", logged.UnixMilli())
	}
	if v := str(e.fields, "organization_uuid"); v != nil {
		w.raw("tenant_uid", v)
	}
	if hostProfile {
		w.key("profiles")
		w.b = append(w.b, `["host"]`...)
	}
	w.close('}')

	ev.classAttributes()
	if ev.actor.ok() || r.class == classAPIActivity {
		ev.writeActor()
	}
	if cl.network {
		ev.writeNetwork()
	}
	ev.writeUnmapped()
	w.close('}')
}

// activityCaption is the schema's caption of an activity id of cl.
func activityCaption(cl *classInfo, id int) string {
	switch id {
	case activityUnknown:
		return "Unknown"
	case activityOther:
		return "Other"
	}
	return cl.activities[id]
}

// classification writes the ids and captions every event starts with:
// class, category, activity (activity_name is the caption, or for Other
// the feed type typ), type_uid = class_uid*100 + activity_id, severity
// (always Informational, OCSF.md §1.2) and status.
func (w *writer) classification(cl *classInfo, activity, status int, typ jv) {
	caption := activityCaption(cl, activity)
	w.int("activity_id", int64(activity))
	if activity == activityOther {
		w.val("activity_name", typ)
	} else {
		w.lit("activity_name", caption)
	}
	w.lit("category_name", cl.categoryName)
	w.int("category_uid", int64(cl.category))
	w.lit("class_name", cl.name)
	w.int("class_uid", int64(cl.uid))
	w.int("type_uid", int64(cl.uid)*100+int64(activity))
	w.key("type_name")
	w.b = append(w.b, '"')
	w.b = append(w.b, cl.name...)
	w.b = append(w.b, ": "...)
	w.b = append(w.b, caption...)
	w.b = append(w.b, '"')
	w.int("severity_id", 1)
	w.lit("severity", "Informational")
	w.int("status_id", int64(status))
	w.lit("status", statusNames[status])
}

// metadataStart opens metadata with its constant members; the caller adds
// the rest and closes it.
func (w *writer) metadataStart() {
	w.obj("metadata")
	w.lit("version", Version)
	w.obj("product")
	w.lit("name", ProductName)
	w.lit("vendor_name", VendorName)
	w.close('}')
}

// mapActor builds the actor object from the actor's members (§4.2),
// marking the members it uses.
func (ev *event) mapActor() actor {
	fs := ev.e.actor
	var out actor
	out.user.typeID = -1
	if t := str(fs, "type"); t == nil {
		return out
	}
	raw := func(name string) jv { return jv{raw: str(fs, name)} }
	switch ev.a.Actor.Type {
	case feed.ActorUser:
		out.user = user{uid: raw("user_id"), email: raw("email_address"), typeID: 1}
	case feed.ActorAPI:
		out.appUID = raw("api_key_id")
	case feed.ActorAdminAPIKey:
		out.appUID = raw("admin_api_key_id")
	case feed.ActorServiceAccount:
		out.user = user{uid: raw("service_account_id"), typeID: 4}
	case feed.ActorUnauthenticatedUser:
		if e := raw("unauthenticated_email_address"); e.ok() {
			out.user = user{name: e, email: e, typeID: -1}
		}
	case feed.ActorAnthropic:
		out.user = user{name: text("Anthropic"), typ: text(feed.ActorAnthropic), typeID: 99}
	case feed.ActorSCIM:
		out.appUID = raw("directory_id")
		out.idpName = raw("idp_connection_type")
	case feed.ActorSystem:
		if out.appUID = raw("service"); !out.appUID.ok() {
			out.appUID = text("system")
		}
	case feed.ActorFederatedIdentity:
		out.user = user{uid: raw("subject"), typeID: -1}
		out.idpID = raw("issuer")
	case feed.ActorFederated:
		out.user = user{uid: raw("subject"), typeID: -1}
	case feed.ActorAttestedDevice:
		out.appUID = raw("external_client_id")
	}
	if classes[ev.rule.class].network {
		out.ip, out.userAgent = raw("ip_address"), raw("user_agent")
	}
	if !out.user.ok() {
		out.user = user{typeID: -1}
	}
	return out
}

// subject is the user an Account Change or User Access event is about:
// the first id or e-mail member naming one, else the actor's user, else
// Unknown.
func (ev *event) subject() user {
	fs := ev.e.fields
	var u user
	u.typeID = -1
	for _, n := range []string{"user_id", "deleted_user_id", "target_id", "principal_id", "new_owner_id"} {
		if v := str(fs, n); v != nil {
			u.uid = jv{raw: v}
			break
		}
	}
	for _, n := range []string{"user_email", "invited_email", "deleted_user_email", "invitee_email"} {
		if v := str(fs, n); v != nil {
			u.email = jv{raw: v}
			if !u.uid.ok() {
				u.name = u.email // an e-mail alone does not satisfy the user constraint
			}
			break
		}
	}
	if u.ok() {
		return u
	}
	if ev.actor.user.ok() {
		return ev.actor.user
	}
	return unknownUser()
}

// classAttributes writes the attributes the class requires (and the ones
// it has for this event's fields).
func (ev *event) classAttributes() {
	e, w, r := ev.e, &ev.e.w, ev.rule
	switch r.class {
	case classAccountChange:
		w.user("user", ev.subject())
	case classAuthentication:
		u := ev.actor.user
		if !u.ok() {
			u = ev.subject()
		}
		w.user("user", u)
		w.obj("service")
		w.lit("name", "Claude")
		w.close('}')
	case classUserAccess:
		w.user("user", ev.subject())
		w.key("privileges")
		w.open('[')
		var p []byte
		for _, n := range []string{"role", "current_role", "role_name", "role_id", "grant_type", "invited_role"} {
			if p = str(e.fields, n); p != nil {
				break
			}
		}
		if p == nil {
			p = str(e.fields, "type")
		}
		w.sep()
		w.b = append(w.b, p...)
		w.close(']')
	case classGroupManagement:
		uid, name := jv{raw: str(e.fields, "group_id")}, jv{raw: str(e.fields, "group_name")}
		if !uid.ok() && !name.ok() {
			name = text(r.kind)
		}
		w.obj("group")
		w.val("name", name)
		w.val("uid", uid)
		w.close('}')
	case classEntityManagement:
		uid, name := ev.resource()
		w.obj("entity")
		w.val("name", name)
		w.val("uid", uid)
		w.lit("type", r.kind)
		w.close('}')
	case classWebResources:
		ev.webResources()
	case classAPIActivity:
		w.obj("api")
		op := jv{raw: str(e.fields, "request_method")}
		if !op.ok() {
			op = text("unknown")
		}
		w.val("operation", op)
		if v := str(e.fields, "request_id"); v != nil {
			w.obj("request")
			w.raw("uid", v)
			w.close('}')
		}
		if i := e.find("status_code"); i >= 0 && isInteger(e.fields[i].val) {
			e.fields[i].used = true
			w.obj("response")
			w.raw("code", e.fields[i].val)
			w.close('}')
		}
		w.close('}')
	case classComplianceFinding:
		ctl, st := str(e.fields, "control"), str(e.fields, "status")
		w.obj("compliance")
		w.val("control", jv{raw: ctl})
		w.val("status", jv{raw: st})
		switch string(content(st)) {
		case "completed":
			w.int("status_id", 1)
		case "control_failed":
			w.int("status_id", 3)
		}
		w.close('}')
		w.obj("finding_info")
		// uid = organization_uuid/control; escaped contents joined by a
		// slash stay one valid JSON string.
		w.key("uid")
		org := str(e.fields, "organization_uuid")
		switch {
		case ctl != nil && org != nil:
			w.b = append(w.b, '"')
			w.b = append(w.b, content(org)...)
			w.b = append(w.b, '/')
			w.b = append(w.b, content(ctl)...)
			w.b = append(w.b, '"')
		case ctl != nil:
			w.b = append(w.b, ctl...)
		case str(e.fields, "id") != nil:
			w.b = append(w.b, str(e.fields, "id")...)
		default:
			w.b = append(w.b, `"unknown"`...)
		}
		w.lit("title", "Security control attestation")
		w.close('}')
	}
}

// resource returns the id and name of the object an event acts on
// (§4.3): the *_id member named after the object kind, else the first
// target id; the first *_name, name, title or filename member. With neither, the
// name is the object kind.
func (ev *event) resource() (uid, name jv) {
	fs, kind := ev.e.fields, ev.rule.kind
	tail := lastWord(kind)
	best, rank := -1, 0
	for i := range fs {
		k := string(fs[i].key)
		if fs[i].val[0] != '"' || !isTarget(k) {
			continue
		}
		stem := k[:len(k)-len("_id")]
		rk := 1
		switch {
		case stem == kind:
			rk = 4
		case stem == tail:
			rk = 3
		case len(stem) > len(tail) && stem[len(stem)-len(tail)-1] == '_' && stem[len(stem)-len(tail):] == tail:
			rk = 2
		}
		if rk > rank {
			best, rank = i, rk
		}
	}
	if best >= 0 {
		fs[best].used = true
		uid = jv{raw: fs[best].val}
	}
	for i := range fs {
		k := string(fs[i].key)
		if fs[i].val[0] == '"' && (k == "name" || k == "title" || k == "filename" || len(k) > 5 && k[len(k)-5:] == "_name") {
			fs[i].used = true
			name = jv{raw: fs[i].val}
			break
		}
	}
	if !uid.ok() && !name.ok() {
		name = text(kind)
	}
	return uid, name
}

// isTarget reports whether a member name is an id of what the event acted
// on: *_id except the common ids and request_id.
func isTarget(k string) bool {
	switch k {
	case "id", "organization_id", "organization_uuid", "request_id":
		return false
	}
	return len(k) > 3 && k[len(k)-3:] == "_id"
}

// webResources writes web_resources (and, for Anthropic's own access,
// start_time from accessed_at).
func (ev *event) webResources() {
	e, w := ev.e, &ev.e.w
	if ev.rule.dynamic == dynAnthropic {
		// accessed_at stays under unmapped too, as created_at stays in
		// metadata.original_time: the string is what the feed sent.
		if i := e.find("accessed_at"); i >= 0 && e.fields[i].val[0] == '"' {
			if t, err := feed.ParseTime(string(content(e.fields[i].val))); err == nil {
				w.int("start_time", t.UnixMilli())
			}
		}
		if i := e.find("resource_details"); i >= 0 && e.fields[i].val[0] == '{' {
			var det []field
			det, err := members(det, e.fields[i].val)
			if err == nil {
				uid, typ := jv{raw: str(det, "id")}, jv{raw: str(det, "type")}
				e.fields[i].used = true
				w.key("web_resources")
				w.open('[')
				w.sep()
				w.open('{')
				if !uid.ok() {
					w.lit("name", ev.rule.kind)
				}
				w.val("uid", uid)
				w.val("type", typ)
				w.raw("data", e.fields[i].val)
				w.close('}')
				w.close(']')
				return
			}
		}
	}
	uid, name := ev.resource()
	w.key("web_resources")
	w.open('[')
	w.sep()
	w.open('{')
	w.val("name", name)
	w.val("uid", uid)
	w.lit("type", ev.rule.kind)
	w.close('}')
	w.close(']')
}

// apiCall sets the activity from request_method and the status from
// status_code (compliance_api_accessed).
func (ev *event) apiCall() {
	fs := ev.e.fields
	if i := findIn(fs, "request_method"); i >= 0 {
		switch string(fs[i].val) {
		case `"POST"`:
			ev.activity = 1
		case `"GET"`:
			ev.activity = 2
		case `"PUT"`:
			ev.activity = 3
		case `"DELETE"`:
			ev.activity = 4
		}
	}
	ev.status = statusUnknown
	if i := findIn(fs, "status_code"); i >= 0 && isInteger(fs[i].val) {
		switch fs[i].val[0] {
		case '2':
			ev.status = statusSuccess
		case '4', '5':
			ev.status = statusFailure
		}
	}
}

// attestation sets the activity from action (§4.4).
func (ev *event) attestation() {
	i := findIn(ev.e.fields, "action")
	if i < 0 {
		return
	}
	switch string(ev.e.fields[i].val) {
	case `"attested"`:
		ev.activity = 1
	case `"changed"`, `"renewed"`:
		ev.activity = 2
	case `"cleared"`, `"lapsed"`:
		ev.activity = 3
	}
	// action stays under unmapped too: activity_id alone loses the
	// difference between changed and renewed, cleared and lapsed.
}

// keyStatus sets Enable or Disable when platform_api_key_updated changes
// the key's status (§4.3); other updates stay Update.
func (ev *event) keyStatus() {
	i := findIn(ev.e.fields, "updates")
	if i < 0 || ev.e.fields[i].val[0] != '[' {
		return
	}
	arr := ev.e.fields[i].val
	s := feed.NewScanner(arr)
	_ = s.Array(func() error {
		v, err := value(&s, arr)
		if err != nil || v == nil || v[0] != '{' {
			return err
		}
		var up [4]field
		fs, err := members(up[:0], v)
		if err != nil {
			return err
		}
		if t := findIn(fs, "type"); t < 0 || string(fs[t].val) != `"status"` {
			return nil
		}
		if j := findIn(fs, "current_value"); j >= 0 {
			switch string(fs[j].val) {
			case `"active"`:
				ev.activity = 8
			case `"archived"`, `"inactive"`:
				ev.activity = 9
			}
		}
		return nil
	})
}

// isInteger reports whether a raw JSON value is an integer.
func isInteger(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for i, c := range v {
		if c == '-' && i == 0 && len(v) > 1 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// writeActor writes the actor object; API Activity requires one, so it
// gets the Unknown user when the activity names nobody.
func (ev *event) writeActor() {
	w, a := &ev.e.w, ev.actor
	if !a.ok() {
		a.user = unknownUser()
	}
	w.obj("actor")
	w.val("app_uid", a.appUID)
	if a.idpName.ok() || a.idpID.ok() {
		w.obj("idp")
		w.val("name", a.idpName)
		w.val("uid", a.idpID)
		w.close('}')
	}
	if a.user.ok() {
		w.user("user", a.user)
	}
	w.close('}')
}

// writeNetwork writes src_endpoint and http_request from the actor's ip and
// user agent (and, for a Compliance API call, its request). API Activity
// requires src_endpoint: without an ip its name is "unknown".
func (ev *event) writeNetwork() {
	e, w, a := ev.e, &ev.e.w, ev.actor
	api := ev.rule.class == classAPIActivity
	if a.ip.ok() || api {
		w.obj("src_endpoint")
		if a.ip.ok() {
			w.val("ip", a.ip)
		} else {
			w.lit("name", "unknown")
		}
		w.close('}')
	}
	var method, uid, url []byte
	if api {
		method, uid, url = str(e.fields, "request_method"), str(e.fields, "request_id"), str(e.fields, "url")
	}
	if !a.userAgent.ok() && method == nil && uid == nil && url == nil {
		return
	}
	w.obj("http_request")
	w.val("http_method", jv{raw: method})
	w.val("uid", jv{raw: uid})
	if url != nil {
		w.obj("url")
		w.raw("url_string", url)
		w.close('}')
	}
	w.val("user_agent", a.userAgent)
	w.close('}')
}

// writeUnmapped writes every member without an OCSF home under unmapped,
// by its feed name, and the actor's type and unmapped members under
// unmapped.actor.
func (ev *event) writeUnmapped() {
	e, w := ev.e, &ev.e.w
	w.obj("unmapped")
	for i := range e.fields {
		f := &e.fields[i]
		switch string(f.key) {
		case "id", "created_at", "type", "organization_uuid":
			continue
		}
		if !f.used {
			w.rawKey(f.key)
			w.b = append(w.b, f.val...)
		}
	}
	if len(e.actor) > 0 {
		w.obj("actor")
		for i := range e.actor {
			f := &e.actor[i]
			if !f.used || string(f.key) == "type" {
				w.rawKey(f.key)
				w.b = append(w.b, f.val...)
			}
		}
		w.close('}')
	}
	w.close('}')
}

// writer appends JSON objects, keeping per level whether a member has been
// written (for the commas).
type writer struct {
	b     []byte
	first [8]bool
	depth int
}

func (w *writer) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first[w.depth] = true
}

func (w *writer) close(c byte) {
	w.b = append(w.b, c)
	w.depth--
}

// sep writes the comma before every member or element but the first.
func (w *writer) sep() {
	if w.first[w.depth] {
		w.first[w.depth] = false
		return
	}
	w.b = append(w.b, ',')
}

// key writes a member name from this package (plain ASCII).
func (w *writer) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// rawKey writes a member name read from the activity (unescaped by the
// scanner), escaping it again when it needs it.
func (w *writer) rawKey(k []byte) {
	w.sep()
	for _, c := range k {
		if c < 0x20 || c == '"' || c == '\\' {
			q, _ := json.Marshal(string(k)) // rare: a name with escapes
			w.b = append(w.b, q...)
			w.b = append(w.b, ':')
			return
		}
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *writer) obj(k string) {
	w.key(k)
	w.open('{')
}

func (w *writer) int(k string, n int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, n, 10)
}

// lit writes a string member whose value is plain text from this package.
func (w *writer) lit(k, v string) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = append(w.b, v...)
	w.b = append(w.b, '"')
}

func (w *writer) raw(k string, v []byte) {
	w.key(k)
	w.b = append(w.b, v...)
}

// val writes v under k unless it is absent.
func (w *writer) val(k string, v jv) {
	if !v.ok() {
		return
	}
	w.key(k)
	if v.raw != nil {
		w.b = append(w.b, v.raw...)
		return
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, v.text...)
	w.b = append(w.b, '"')
}

func (w *writer) user(k string, u user) {
	w.obj(k)
	w.val("email_addr", u.email)
	w.val("name", u.name)
	w.val("type", u.typ)
	if u.typeID >= 0 {
		w.int("type_id", int64(u.typeID))
	}
	w.val("uid", u.uid)
	w.close('}')
}
