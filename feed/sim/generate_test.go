package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"claudit/feed"
)

// checkValue validates a decoded JSON value (numbers as json.Number)
// against a catalogue type. It is written independently of the generator.
func checkValue(v any, sp *spec) error {
	if v == nil {
		if sp.nullable || sp.kind == kindAny {
			return nil
		}
		return fmt.Errorf("null for a non-nullable value")
	}
	switch sp.kind {
	case kindAny:
		return nil
	case kindString:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%v is not a string", v)
		}
	case kindNumber:
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%v is not a number", v)
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%v is not a boolean", v)
		}
	case kindEnum:
		s, ok := v.(string)
		if !ok || !sp.openEnum && !slices.Contains(sp.enum, s) {
			return fmt.Errorf("%v is not one of %v", v, sp.enum)
		}
	case kindArray:
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%v is not an array", v)
		}
		for i, e := range arr {
			if err := checkValue(e, sp.elem); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case kindObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%v is not an object", v)
		}
		if sp.fields == nil {
			return nil
		}
		return checkFields(obj, sp.fields, sp.variants > 0)
	}
	return nil
}

// checkFields checks required fields, field types and, unless open, that
// no unknown field is present.
func checkFields(obj map[string]any, fields []field, open bool) error {
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
		v, ok := obj[f.name]
		if !ok {
			if !f.optional && !open {
				return fmt.Errorf("required field %q missing", f.name)
			}
			continue
		}
		if err := checkValue(v, f.spec); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if !open {
		for k := range obj {
			if !known[k] {
				return fmt.Errorf("unexpected field %q", k)
			}
		}
	}
	return nil
}

// actorFields are the documented actor fields (§8): name → nullable.
func actorFields(kind string) (required, nullable []string) {
	switch kind {
	case feed.ActorUser:
		return []string{"email_address", "user_id", "ip_address", "user_agent"}, nil
	case feed.ActorAPI:
		return []string{"api_key_id", "ip_address", "user_agent"}, nil
	case feed.ActorAdminAPIKey:
		return []string{"admin_api_key_id", "ip_address", "user_agent"}, nil
	case feed.ActorUnauthenticatedUser:
		return []string{"ip_address", "user_agent"}, []string{"unauthenticated_email_address"}
	case feed.ActorAnthropic:
		return nil, []string{"email_address"}
	case feed.ActorSCIM:
		return []string{"directory_id", "workos_event_id"}, []string{"idp_connection_type"}
	case feed.ActorSystem:
		return nil, []string{"service"}
	case feed.ActorServiceAccount:
		return []string{"service_account_id", "ip_address", "user_agent"}, nil
	case feed.ActorFederatedIdentity:
		return []string{"issuer", "subject"}, []string{"audience", "ip_address", "user_agent"}
	case feed.ActorFederated:
		return nil, []string{"subject", "ip_address", "user_agent"}
	case feed.ActorAttestedDevice:
		return []string{"external_client_id", "kid_hash"}, []string{"ip_address", "user_agent"}
	}
	return nil, nil
}

func checkActor(a map[string]any) error {
	kind, _ := a["type"].(string)
	req, opt := actorFields(kind)
	known := map[string]bool{"type": true}
	for _, f := range req {
		known[f] = true
		if _, ok := a[f].(string); !ok {
			return fmt.Errorf("%s: %s is %v, want a string", kind, f, a[f])
		}
	}
	for _, f := range opt {
		known[f] = true
	}
	if kind == feed.ActorFederated {
		known["provider"] = true
		p, ok := a["provider"].(map[string]any)
		if !ok {
			return fmt.Errorf("federated_actor without provider")
		}
		want := map[string][]string{"aws": {"account_id", "signed_principal"}, "azure": {"subscription_id"}, "gcp": {"project_number"}, "oidc": {"issuer"}}[p["type"].(string)]
		if want == nil {
			return fmt.Errorf("provider type %v", p["type"])
		}
		for _, f := range want {
			if _, ok := p[f]; !ok {
				return fmt.Errorf("provider %v lacks %s", p["type"], f)
			}
		}
	}
	if kind == feed.ActorAnthropic && a["email_address"] != nil {
		return fmt.Errorf("anthropic_actor email_address %v, want null", a["email_address"])
	}
	for k := range a {
		if !known[k] && kind != robotActor {
			return fmt.Errorf("%s: unexpected field %q", kind, k)
		}
	}
	return nil
}

var createdAtRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$`)

// TestEveryActivityMatchesTheCatalogue decodes every generated activity
// with feed.Activity and validates it against the catalogue and §7–§8.
func TestEveryActivityMatchesTheCatalogue(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Events = 10000; c.Orgs = 3 })
	sc := s.Scenario()
	orgs := map[string]bool{sc.Org1ID: true, sc.Org2ID: true}
	types, variants := map[string]int{}, map[string]int{}
	precision := map[bool]int{}
	for _, e := range s.evs {
		raw := s.gen.raw(&e)
		var a feed.Activity
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("%s (%s): %s", a.ID, a.Type, fmt.Sprintf(format, args...))
		}
		types[a.Type]++
		variants[a.Actor.Type]++
		if !strings.HasPrefix(a.ID, "activity_01") || len(a.ID) != len("activity_")+24 || a.ID != e.id() {
			fail("bad id")
		}
		ca := m["created_at"].(string)
		if !createdAtRE.MatchString(ca) || !a.CreatedAt.Equal(time.Unix(0, e.at)) {
			fail("created_at %q", ca)
		}
		precision[strings.Contains(ca, ".")]++
		if (m["organization_id"] == nil) != (m["organization_uuid"] == nil) {
			fail("organization_id and organization_uuid disagree")
		}
		if a.OrganizationID != "" && !orgs[a.OrganizationID] && !strings.HasPrefix(a.OrganizationID, "org_") {
			fail("organization %q", a.OrganizationID)
		}
		if noOrgType(a.Type) && a.OrganizationID != "" {
			fail("has an organization")
		}
		if a.Actor.Type == feed.ActorUser && e.user != a.Actor.UserID {
			fail("indexed user %q != actor.user_id %q", e.user, a.Actor.UserID)
		}
		if err := checkActor(m["actor"].(map[string]any)); err != nil {
			fail("%v", err)
		}
		ti, ok := feed.Catalogue().Lookup(a.Type)
		if !ok {
			if a.Type != futureType {
				fail("type not in the catalogue")
			}
			continue
		}
		if ti.ActorVariants != nil && !slices.Contains(ti.ActorVariants, a.Actor.Type) {
			fail("actor %s not allowed (%v)", a.Actor.Type, ti.ActorVariants)
		}
		specific := map[string]any{}
		for k, v := range m {
			switch k {
			case "id", "created_at", "organization_id", "organization_uuid", "actor", "type":
			default:
				specific[k] = v
			}
		}
		var fields []field
		for _, f := range ti.Fields {
			sp, err := parseSpec(f.Type)
			if err != nil {
				t.Fatal(err)
			}
			fields = append(fields, field{name: f.Name, optional: f.Optional, spec: sp})
		}
		if err := checkFields(specific, fields, false); err != nil {
			fail("%v", err)
		}
	}
	for _, v := range append(slices.Clone(feed.ActorTypes), robotActor) {
		if variants[v] == 0 {
			t.Errorf("no %s in the dataset", v)
		}
	}
	if len(types) < 400 {
		t.Errorf("only %d activity types used in 10000 events", len(types))
	}
	if precision[true] == 0 || precision[false] == 0 {
		t.Errorf("precision mix %v: want both whole seconds and milliseconds", precision)
	}
	if types["claude_chat_viewed"] < types["scoped_api_key_deleted"]*20 {
		t.Errorf("views are not the common case: %d chat views", types["claude_chat_viewed"])
	}
	t.Logf("%d types, variants %v", len(types), variants)
}

func TestCatalogueNotationParses(t *testing.T) {
	cat := feed.Catalogue()
	for _, name := range cat.Names() {
		ti, _ := cat.Lookup(name)
		for _, f := range ti.Fields {
			if _, err := parseSpec(f.Type); err != nil {
				t.Errorf("%s.%s: %v", name, f.Name, err)
			}
		}
	}
	for _, bad := range []string{"strin", "enum(a|b", "array<string", "object{a:string", "object{a}[x variants by type]", "string|nil"} {
		if _, err := parseSpec(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	sp, err := parseSpec("array<object{current_value:string|null;previous_value:string;type:enum(a|b|...)}>|null")
	if err != nil || !sp.nullable || sp.elem.kind != kindObject || len(sp.elem.fields) != 3 ||
		!sp.elem.fields[0].spec.nullable || !sp.elem.fields[2].spec.openEnum || !slices.Equal(sp.elem.fields[2].spec.enum, []string{"a", "b"}) {
		t.Errorf("parsed %+v, %v", sp, err)
	}
}

func TestDeterminism(t *testing.T) {
	mk := func(seed int64) *Server {
		s, _ := newTestServer(t, func(c *Config) { c.Seed = seed; c.Events = 3000 })
		return s
	}
	a, b, c := mk(9), mk(9), mk(10)
	if len(a.evs) != len(b.evs) {
		t.Fatal("different sizes")
	}
	for i := range a.evs {
		if !bytes.Equal(a.gen.raw(&a.evs[i]), b.gen.raw(&b.evs[i])) || a.evs[i].vis != b.evs[i].vis {
			t.Fatalf("event %d differs", i)
		}
	}
	if bytes.Equal(a.gen.raw(&a.evs[len(a.evs)-2]), c.gen.raw(&c.evs[len(c.evs)-2])) {
		t.Error("a different seed gave the same data")
	}
	// The same requests give the same bytes, request ids and cursors included.
	for _, query := range []string{"limit=50", "limit=10&order=asc", "limit=0"} {
		wa, wb := get(t, a, ComplianceKey, query), get(t, b, ComplianceKey, query)
		if !bytes.Equal(wa.Body.Bytes(), wb.Body.Bytes()) || wa.Header().Get("request-id") != wb.Header().Get("request-id") {
			t.Errorf("?%s: responses differ", query)
		}
	}
	if !slices.Equal(activityIDs(a.Activities()), activityIDs(b.Activities())) {
		t.Error("self events differ")
	}
}

func TestHostileStrings(t *testing.T) {
	s, _ := newTestServer(t, nil)
	var strs []string
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case string:
			strs = append(strs, x)
		case map[string]any:
			for _, e := range x {
				collect(e)
			}
		case []any:
			for _, e := range x {
				collect(e)
			}
		}
	}
	for _, a := range s.Activities() {
		var m any
		if err := json.Unmarshal(a.Raw, &m); err != nil {
			t.Fatal(err)
		}
		collect(m)
	}
	for name, pred := range map[string]func(string) bool{
		"CSI colour":    func(s string) bool { return strings.Contains(s, "\x1b[31m") },
		"clear screen":  func(s string) bool { return strings.Contains(s, "\x1b[2J") },
		"OSC 52":        func(s string) bool { return strings.Contains(s, "\x1b]52;") },
		"OSC 8":         func(s string) bool { return strings.Contains(s, "\x1b]8;;") },
		"C1 CSI":        func(s string) bool { return strings.ContainsRune(s, '\u009b') },
		"bidi override": func(s string) bool { return strings.ContainsRune(s, '\u202e') },
		"zero width":    func(s string) bool { return strings.ContainsRune(s, '\u200b') },
		"64 KiB":        func(s string) bool { return len(s) >= 64*1024 },
	} {
		if !slices.ContainsFunc(strs, pred) {
			t.Errorf("no %s string in the dataset", name)
		}
	}
	// On the wire the ESC is escaped, as JSON requires.
	for _, e := range s.evs {
		if raw := s.gen.raw(&e); bytes.IndexByte(raw, 0x1b) >= 0 {
			t.Fatalf("raw ESC in %s", raw)
		}
	}
}

// TestScenario checks the story in datasets of several sizes and spans.
func TestScenario(t *testing.T) {
	for _, tc := range []struct {
		events int
		span   time.Duration
	}{{1000, 0}, {5000, 0}, {2000, 6 * time.Hour}, {1000, 90 * 24 * time.Hour}} {
		t.Run(fmt.Sprintf("%d/%v", tc.events, tc.span), func(t *testing.T) {
			s, _ := newTestServer(t, func(c *Config) { c.Events = tc.events; c.Span = tc.span; c.Seed = int64(tc.events) })
			checkScenario(t, s, tc.events, tc.span)
		})
	}
}

func checkScenario(t *testing.T, s *Server, n int, span time.Duration) {
	sc := s.Scenario()
	end := testEnd()
	if span == 0 {
		span = 30 * 24 * time.Hour
	}
	all := s.Activities()
	if len(all) != n {
		t.Fatalf("%d events, want %d", len(all), n)
	}
	if !all[0].CreatedAt.Equal(end) {
		t.Errorf("newest event at %s, want End %s", all[0].CreatedAt, end)
	}
	if !all[len(all)-1].CreatedAt.After(end.Add(-span - time.Second)) {
		t.Errorf("oldest event %s is before End-Span", all[len(all)-1].CreatedAt)
	}
	if d := end.Sub(sc.IncidentStart); d <= 0 || d > 6*time.Hour {
		t.Errorf("IncidentStart %s is not in the last hours before End", sc.IncidentStart)
	}
	if len(sc.Users) < 20 || len(sc.Users) > 60 || len(sc.UserIDs) != len(sc.Users) {
		t.Errorf("%d users", len(sc.Users))
	}
	for i, u := range sc.Users {
		if !strings.HasSuffix(u, "@example.com") || !strings.HasPrefix(sc.UserIDs[i], "user_") {
			t.Errorf("user %s %s", u, sc.UserIDs[i])
		}
	}
	type fields struct {
		APIKeyID      string `json:"api_key_id"`
		AdminAPIKeyID string `json:"admin_api_key_id"`
		ServiceKeyID  string `json:"service_key_id"`
		Updates       []feed.Update
	}
	found := map[string]bool{}
	lifecycleSince := end.Add(-24 * time.Hour)
	for _, a := range all {
		var f fields
		if err := json.Unmarshal(a.Raw, &f); err != nil {
			t.Fatal(err)
		}
		upd := func(typ, prev, cur string) bool {
			return len(f.Updates) == 1 && f.Updates[0].Type == typ &&
				string(f.Updates[0].Previous) == `"`+prev+`"` && string(f.Updates[0].Current) == `"`+cur+`"`
		}
		lifecycle := ""
		switch {
		case a.Actor.Type == feed.ActorAPI && a.Actor.APIKeyID == sc.LeakedKeyID && a.Actor.IPAddress == sc.AttackerIP:
			if a.CreatedAt.Before(sc.IncidentStart) {
				t.Errorf("leaked key used from the attacker before the incident")
			}
			found["leaked use"] = true
		case a.Type == "scoped_api_key_updated" && f.APIKeyID == sc.DeactivatedKeyID && upd("activation_state", "active", "inactive"):
			if a.Actor.EmailAddress != sc.DeactivatedBy {
				t.Errorf("deactivated by %s, want %s", a.Actor.EmailAddress, sc.DeactivatedBy)
			}
			lifecycle = "deactivated"
		case a.Type == "scoped_api_key_deleted" && f.APIKeyID == sc.DeletedScopedKeyID:
			lifecycle = "deleted"
		case a.Type == "platform_api_key_updated" && f.APIKeyID == sc.RevokedConsoleKeyID && upd("status", "active", "inactive"):
			if a.Actor.Type != feed.ActorAdminAPIKey || a.Actor.AdminAPIKeyID != sc.AdminKeyID {
				t.Errorf("console key revoked by %+v", a.Actor)
			}
			lifecycle = "console revoked"
		case a.Type == "admin_api_key_created" && f.AdminAPIKeyID == sc.AdminKeyID:
			lifecycle = "admin created"
		case a.Type == "admin_api_key_deleted" && f.AdminAPIKeyID == sc.AdminKeyID:
			lifecycle = "admin deleted"
		case a.Type == "service_key_created" && f.ServiceKeyID == sc.ServiceKeyID:
			lifecycle = "service created"
		case a.Type == "service_key_revoked" && f.ServiceKeyID == sc.ServiceKeyID:
			lifecycle = "service revoked"
		case a.Type == "sso_login_failed" && a.Actor.IPAddress == sc.AttackerIP:
			found["failed logins"] = true
		case a.Type == futureType && a.Actor.Type == robotActor:
			found["future type"] = true
		}
		if lifecycle != "" {
			found[lifecycle] = true
			if a.CreatedAt.Before(lifecycleSince) {
				t.Errorf("%s at %s: not in the last 24 h", lifecycle, a.CreatedAt)
			}
		}
	}
	for _, k := range []string{"leaked use", "deactivated", "deleted", "console revoked", "admin created", "admin deleted",
		"service created", "service revoked", "failed logins", "future type"} {
		if !found[k] {
			t.Errorf("story element %q missing", k)
		}
	}
}

func TestSmallDatasets(t *testing.T) {
	for _, n := range []int{-1, -100, 1, 10, 999} {
		s, _ := newTestServer(t, func(c *Config) { c.Events = n })
		want := max(n, 0)
		if got := len(s.Activities()); got != want {
			t.Errorf("Events %d: %d activities", n, got)
		}
		if n > 0 && !s.Activities()[0].CreatedAt.Equal(testEnd()) {
			t.Errorf("Events %d: newest not at End", n)
		}
	}
	// The default: 5000 events ending two minutes before Now.
	clk := newClock(testEnd())
	s := New(Config{Seed: 1, Now: clk.Now})
	all := s.Activities()
	if len(all) != 5000 || !all[0].CreatedAt.Equal(testEnd().Add(-2*time.Minute)) {
		t.Errorf("defaults: %d events, newest %s", len(all), all[0].CreatedAt)
	}
	if d := all[0].CreatedAt.Sub(all[len(all)-1].CreatedAt); d > 30*24*time.Hour || d < 29*24*time.Hour {
		t.Errorf("defaults: span %v", d)
	}
}

func TestLiveEvents(t *testing.T) {
	mk := func() (*Server, *fakeClock) {
		clk := newClock(testEnd())
		return New(Config{Seed: 5, Events: 100, End: testEnd(), Now: clk.Now, LiveRate: 30, RateLimit: -1}), clk
	}
	a, clkA := mk()
	if n := len(a.Activities()); n != 100 {
		t.Fatalf("%d events before the clock moves", n)
	}
	clkA.Advance(10 * time.Minute)
	liveA := a.Truth(testEnd().Add(time.Nanosecond), time.Time{})
	if len(liveA) < 200 || len(liveA) > 400 {
		t.Errorf("%d live events in 10 min at 30/min", len(liveA))
	}
	for _, ev := range liveA {
		if ev.CreatedAt.After(clkA.Now()) {
			t.Errorf("live event in the future: %s", ev.CreatedAt)
		}
	}
	// The same clock in small steps, with requests between: the same events.
	b, clkB := mk()
	for range 20 {
		clkB.Advance(30 * time.Second)
		b.Activities()
	}
	liveB := b.Truth(testEnd().Add(time.Nanosecond), time.Time{})
	if !slices.Equal(activityIDs(liveA), activityIDs(liveB)) {
		t.Errorf("live events depend on when they were asked for: %d vs %d", len(liveA), len(liveB))
	}
	// And they are served.
	p := mustPage(t, a, q("created_at.gt", testEnd().Format(time.RFC3339), "limit", "5000"))
	if len(p.Data) != len(liveA) {
		t.Errorf("served %d live events, want %d", len(p.Data), len(liveA))
	}
}
