package feed

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func testRedactor() *Redactor { return NewRedactor([]byte("test salt")) }

func TestRedactorString(t *testing.T) {
	r := testRedactor()
	email := regexp.MustCompile(`^u-[0-9a-f]{4}@…$`)
	ip := regexp.MustCompile(`^ip-[0-9a-f]{4}$`)
	ua := regexp.MustCompile(`^ua-[0-9a-f]{4}$`)
	for _, c := range []struct {
		in   string
		want *regexp.Regexp // the whole output
	}{
		{"alice.admin@example.com", email},
		{"192.0.2.10", ip},
		{"2001:db8::1", ip},
		{"::ffff:192.0.2.10", ip},
		{"Mozilla/5.0 (X11; Linux x86_64)", ua},
		{"terraform-provider-example/1.4.0", ua},
		{"apikey_01EXAMPLECONSOLE00000042", regexp.MustCompile(`^apikey_⟨[0-9a-f]{6}⟩$`)},
		{"claude_chat_01EXAMPLE0000000000001", regexp.MustCompile(`^claude_chat_⟨[0-9a-f]{6}⟩$`)},
		{"11111111-2222-4333-8444-000000000002", regexp.MustCompile(`^id⟨[0-9a-f]{6}⟩$`)},
		{"key apikey_01X2345678 from 198.51.100.7 by bob@example.com",
			regexp.MustCompile(`^key apikey_⟨[0-9a-f]{6}⟩ from ip-[0-9a-f]{4} by u-[0-9a-f]{4}@…$`)},
	} {
		got := r.String(c.in)
		if !c.want.MatchString(got) {
			t.Errorf("String(%q) = %q, want %v", c.in, got, c.want)
		}
	}
	// What is not personal data stays readable.
	for _, keep := range []string{
		"activity_01EXAMPLEFEED00000000116", // evidence must stay referable
		"scoped_api_key_updated",            // type names have no digit in their tail
		"admin_api_key_actor",
		"2026-09-15T14:02:31Z", // a time is not an IPv6 address
		"std::vector",
		"GET /v1/compliance/activities → 200",
		"status: active → inactive",
		"",
	} {
		if got := r.String(keep); got != keep {
			t.Errorf("String(%q) = %q, want it unchanged", keep, got)
		}
	}
}

func TestRedactorConsistent(t *testing.T) {
	r := testRedactor()
	a1, a2 := r.String("alice@example.com"), r.String("ALICE@Example.com")
	if a1 != a2 {
		t.Fatalf("e-mails differing in case got %q and %q", a1, a2)
	}
	if r.String("alice@example.com") != a1 {
		t.Fatal("the same value must get the same mask")
	}
	if b := r.String("bob@example.com"); b == a1 {
		t.Fatal("two e-mails share a mask")
	}
	// Two spellings of one IPv6 address are one address.
	if r.String("2001:db8:0:0:0:0:0:1") != r.String("2001:db8::1") {
		t.Fatal("IPv6 spellings masked differently")
	}
	// Another session (salt) masks differently; the same salt identically.
	other := NewRedactor([]byte("other salt"))
	if other.String("alice@example.com") == a1 {
		t.Fatal("masks do not depend on the salt")
	}
	if testRedactor().String("alice@example.com") != a1 {
		t.Fatal("the same salt must give the same masks")
	}
	random1, random2 := NewRedactor(nil), NewRedactor(nil)
	if random1.String("alice@example.com") == random2.String("alice@example.com") {
		t.Fatal("an empty salt must be replaced by a random one")
	}
	var nilR *Redactor
	if nilR.String("alice@example.com") != "alice@example.com" || string(nilR.JSON([]byte(`{"a":1}`))) != `{"a":1}` {
		t.Fatal("a nil Redactor masks nothing")
	}
}

// A collision lengthens the newer mask: two values never share one.
func TestRedactorCollision(t *testing.T) {
	r := testRedactor()
	first := r.mask(kindIP, "192.0.2.1")
	// Pretend 192.0.2.2's short mask is already taken by 192.0.2.1.
	probe := testRedactor().mask(kindIP, "192.0.2.2")
	r.mu.Lock()
	r.owner[probe] = string(rune(kindIP)) + "\x00192.0.2.1"
	r.mu.Unlock()
	second := r.mask(kindIP, "192.0.2.2")
	if second == probe || second == first || len(second) != len(probe)+2 {
		t.Fatalf("collision: first %q, probe %q, second %q", first, probe, second)
	}
	if r.mask(kindIP, "192.0.2.2") != second {
		t.Fatal("a lengthened mask must stay stable")
	}
}

func TestRedactorJSON(t *testing.T) {
	r := testRedactor()
	raw := []byte(`{"id":"activity_01EXAMPLEFEED00000000116","created_at":"2026-09-15T14:01:58Z",` +
		`"organization_id":"org_01EXAMPLEORG000000000002","organization_uuid":"11111111-2222-4333-8444-000000000002",` +
		`"actor":{"type":"user_actor","email_address":"Alice.Admin@example.com","user_id":"user_01ALICE0000000000000001",` +
		`"ip_address":"192.0.2.10","user_agent":"Mozilla/5.0 <b>&"},` +
		`"type":"group_member_addition_failed","member_ids":["user_01BOB00000000000000002","user_01CAROL000000000000003"],` +
		`"count":12.50,"ok":true,"none":null,"note":"ask bob@example.com about 198.51.100.7",` +
		`"nested":[{"deep":{"admin_email":"ops@example.com"}}],"api_key_name":"ci deploy"}`)
	out := r.JSON(raw)
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	for _, leak := range []string{"lice", "192.0.2.10", "Mozilla", "user_01", "bob@", "198.51.100.7", "ops@", "org_01EX", "11111111"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("%q leaks into %s", leak, out)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	actor := got["actor"].(map[string]any)
	// Field masks equal String masks of the same values.
	for _, c := range []struct{ got, want any }{
		{got["id"], "activity_01EXAMPLEFEED00000000116"},
		{got["created_at"], "2026-09-15T14:01:58Z"},
		{got["type"], "group_member_addition_failed"},
		{actor["type"], "user_actor"},
		{actor["email_address"], r.String("alice.admin@example.com")},
		{actor["ip_address"], r.String("192.0.2.10")},
		{actor["user_id"], r.String("user_01ALICE0000000000000001")},
		{got["member_ids"].([]any)[1], r.String("user_01CAROL000000000000003")},
		{got["note"], "ask " + r.String("bob@example.com") + " about " + r.String("198.51.100.7")},
		{got["api_key_name"], "ci deploy"},
		{got["ok"], true},
		{got["none"], nil},
	} {
		if c.got != c.want {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
	// Order, keys and numbers survive exactly.
	if !strings.HasPrefix(string(out), `{"id":"activity_01EXAMPLEFEED00000000116","created_at":`) ||
		!strings.Contains(string(out), `"count":12.50,"ok":true,"none":null`) {
		t.Fatalf("structure changed: %s", out)
	}
	// A hostile value in an e-mail field is masked whole: nothing of it
	// survives around a partial match.
	hostile := r.JSON([]byte(`{"actor":{"email_address":"mallory\u001b[31m@example.com","user_agent":"ua\u202e"}}`))
	if strings.Contains(string(hostile), "mallory") || strings.Contains(string(hostile), `\u202e`) || !json.Valid(hostile) {
		t.Fatalf("hostile: %s", hostile)
	}
	for _, bad := range []string{`{"a":`, `{"a":1} trailing`, `not json`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if got := string(r.JSON([]byte(bad))); got != invalidJSON {
			t.Errorf("JSON(%q) = %q", bad, got)
		}
	}
}

// The typed fields of a masked activity agree with its masked raw JSON, so
// a table cell and the raw JSON pane show the same masks.
func TestRedactorActivity(t *testing.T) {
	r := testRedactor()
	for id, a := range examplePages(t) {
		m := r.Activity(a)
		var again Activity
		if err := json.Unmarshal(m.Raw, &again); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if m.ID != a.ID || m.CreatedAt != a.CreatedAt || m.Type != a.Type {
			t.Fatalf("%s: identity changed", id)
		}
		ma, ra := m.Actor, again.Actor
		ma.Raw, ra.Raw = nil, nil
		if fmt.Sprint(ma) != fmt.Sprint(ra) || m.OrganizationID != again.OrganizationID || m.OrganizationUUID != again.OrganizationUUID {
			t.Fatalf("%s: typed %+v, from raw %+v", id, ma, ra)
		}
		if a.Actor.EmailAddress != "" && (m.Actor.EmailAddress == a.Actor.EmailAddress || strings.Contains(string(m.Raw), a.Actor.EmailAddress)) {
			t.Fatalf("%s: e-mail %s not masked", id, a.Actor.EmailAddress)
		}
		if a.Actor.IPAddress != "" && strings.Contains(string(m.Raw), a.Actor.IPAddress) {
			t.Fatalf("%s: ip %s not masked", id, a.Actor.IPAddress)
		}
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := testRedactor()
	values := make([]string, 200)
	for i := range values {
		values[i] = fmt.Sprintf("user%d@example.com 10.0.%d.%d apikey_01CONC%08d", i, i/250, i%250, i)
	}
	results := make([][]string, 8)
	var wg sync.WaitGroup
	for g := range results {
		wg.Go(func() {
			for i := range values {
				// Walk in different orders so first sightings race.
				v := values[(i*(g+1))%len(values)]
				results[g] = append(results[g], v+"="+r.String(v))
			}
		})
	}
	wg.Wait()
	masks := map[string]string{}
	for _, res := range results {
		for _, kv := range res {
			v, m, _ := strings.Cut(kv, "=")
			if prev, ok := masks[v]; ok && prev != m {
				t.Fatalf("%q masked as %q and %q", v, prev, m)
			}
			masks[v] = m
		}
	}
	seen := map[string]string{}
	for v, m := range masks {
		if o, ok := seen[m]; ok {
			t.Fatalf("%q and %q share the mask %q", v, o, m)
		}
		seen[m] = v
	}
}

func BenchmarkRedactorJSON(b *testing.B) {
	r := testRedactor()
	raw := []byte(`{"id":"activity_01EXAMPLEFEED00000000116","created_at":"2026-09-15T14:01:58Z","organization_id":"org_01EXAMPLEORG000000000002","organization_uuid":"11111111-2222-4333-8444-000000000002","actor":{"type":"user_actor","email_address":"alice.admin@example.com","user_id":"user_01ALICE0000000000000001","ip_address":"192.0.2.10","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15"},"type":"api_key_created","api_key_id":"apikey_01EXAMPLECONSOLE00000042","scopes":["user:read"]}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = r.JSON(raw)
	}
	b.ReportMetric(float64(len(raw)), "bytes/event")
}

func TestRedactorUnmask(t *testing.T) {
	r := NewRedactor([]byte("unmask"))
	mail := r.Field("email_address", "Alice.Admin@example.com")
	ip := r.Field("ip_address", "192.0.2.10")
	id := r.Field("api_key_id", "apikey_01EXAMPLE000000000001")
	ua := r.Field("user_agent", "curl/8.5.0")
	text := "actor:" + mail + " ip:" + ip + " key:" + id + ` "` + ua + `" ip-ffff u-0000@… apikey_⟨000000⟩`
	want := `actor:Alice.Admin@example.com ip:192.0.2.10 key:apikey_01EXAMPLE000000000001 "curl/8.5.0" ip-ffff u-0000@… apikey_⟨000000⟩`
	if got := r.Unmask(text); got != want {
		t.Fatalf("Unmask(%q) = %q, want %q", text, got, want)
	}
	// Masks of another session are not this one's.
	if other := NewRedactor([]byte("other")); other.Unmask(text) != text {
		t.Fatal("a Redactor unmasked masks it never gave out")
	}
	var none *Redactor
	if none.Unmask(text) != text {
		t.Fatal("nil Redactor changed the text")
	}
	// Masked text is stable under String, so a bar holding masks can be
	// drawn through the redactor again.
	if got := r.String(text); got != text {
		t.Fatalf("String of masked text changed it: %q", got)
	}
}

// TestRedactorSignedPrincipal: an AWS role ARN holds the account id that
// account_id masks, so the principal is masked whole.
func TestRedactorSignedPrincipal(t *testing.T) {
	r := NewRedactor([]byte("arn"))
	got := string(r.JSON([]byte(`{"provider":{"account_id":"123456789012","signed_principal":"arn:aws:iam::123456789012:role/x"}}`)))
	if strings.Contains(got, "123456789012") {
		t.Fatalf("the account id leaks: %s", got)
	}
}
