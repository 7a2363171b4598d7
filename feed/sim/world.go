package sim

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"claudit/feed"
)

// world is the cast of the generated story: organisations, people, keys and
// machines. It is built once from the seed and never changes.
type world struct {
	orgs  []org
	users []person

	siemKeyID     string   // the SIEM's Compliance Access Key (reads the feed all day)
	apiKeys       []string // Console keys that exist before the dataset (the keyring's first ones)
	adminKeys     []string // Admin API keys that exist before the dataset
	serviceAccts  []string
	directoryID   string
	robotID       string
	hostileUA     string // the 64 KiB user agent
	browserUAs    []string
	toolUAs       []string
	scenario      Scenario
	reactivatedID string // a scoped key deactivated by mistake and reactivated
	deletedName   string // api_key_name of the deleted scoped key
}

type org struct {
	id, uuid, name string
}

type person struct {
	id, email string
	org       int
	ips, uas  []string
}

const (
	attackerIP = "203.0.113.66"
	siemIP     = "198.51.100.20"
	siemUA     = "siem-collector/2.3 (splunk; compliance-feed)"
	toolsIP    = "198.51.100.77"
)

// newWorld builds the cast from rng.
func newWorld(rng *rand.Rand, norgs int) *world {
	w := &world{}
	// Addresses come from the documentation ranges (192.0.2.0/24,
	// 198.51.100.0/24); 203.0.113.0/24 is kept for the attacker so that a
	// filter on it finds only the incident.
	firstNames := []string{"alice", "bob", "carol", "dana", "erin", "frank", "grace", "heidi", "ivan", "judy",
		"kai", "lena", "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent",
		"ursula", "victor", "wendy", "xavier", "yara", "zoe", "amir", "bea", "chen", "diego",
		"elif", "femi", "gus", "hana", "ines", "jonas", "kofi", "lars", "maya", "noor"}
	lastNames := []string{"admin", "nguyen", "smith", "garcia", "okafor", "kim", "novak", "rossi", "tanaka", "silva",
		"berg", "costa", "dubois", "evans", "fischer", "haddad", "ivanova", "jensen", "khan", "larsen"}
	w.browserUAs = []string{
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/130.0",
		"Claude/0.12.3 (Macintosh; Darwin 23.6.0) Electron/31.3.0",
		"Claude/1.0 (iPhone; iOS 18.0; Scale/3.00)",
		"claude-cli/1.0.98 (external, cli)",
	}
	w.toolUAs = []string{
		"python-requests/2.32.3",
		"anthropic-sdk-go/1.4.0",
		"terraform-provider-anthropic/0.4.1",
		"Go-http-client/2.0",
	}
	orgNames := []string{"Example Corp", "Example Research", "Example Labs", "Example Health", "Example Finance"}
	id := func(prefix string) string { return taggedID(prefix, rng.Uint64(), rng.Uint64()) }
	for i := range norgs {
		w.orgs = append(w.orgs, org{
			id:   id("org_"),
			uuid: uuidFrom(rng.Uint64(), rng.Uint64()),
			name: orgNames[i%len(orgNames)],
		})
	}
	n := 20 + rng.IntN(41)
	used := map[string]bool{}
	// The first few people are the admins (alice the primary owner, bob
	// from security); admin episodes pick among them.
	const admins = 4
	for len(w.users) < n {
		first := firstNames[rng.IntN(len(firstNames))]
		last := lastNames[rng.IntN(len(lastNames))]
		if len(w.users) == 0 {
			first, last = "alice", "admin"
		}
		if len(w.users) == 1 {
			first, last = "bob", "security"
		}
		name := first + "." + last
		if used[name] {
			continue
		}
		used[name] = true
		p := person{id: id("user_"), email: name + "@example.com"}
		if norgs > 1 && len(w.users) >= admins && rng.IntN(4) == 0 {
			p.org = 1 + rng.IntN(norgs-1)
		}
		p.ips = []string{"198.51.100." + strconv.Itoa(10+rng.IntN(30)), "192.0.2." + strconv.Itoa(1+rng.IntN(250))}
		p.uas = []string{w.browserUAs[rng.IntN(len(w.browserUAs))], w.browserUAs[rng.IntN(len(w.browserUAs))]}
		w.users = append(w.users, p)
	}
	w.siemKeyID = id("apikey_")
	for range 6 {
		w.apiKeys = append(w.apiKeys, id("apikey_"))
	}
	for range 2 {
		w.adminKeys = append(w.adminKeys, id("adminkey_"))
	}
	for range 3 {
		w.serviceAccts = append(w.serviceAccts, id("svac_"))
	}
	w.directoryID = id("directory_")
	w.robotID = id("robot_")
	w.reactivatedID = id("apikey_")
	w.deletedName = "SIEM export (old)"
	w.hostileUA = "Mozilla/5.0 (" + strings.Repeat("A", 64*1024-len("Mozilla/5.0 ()")) + ")"

	s := &w.scenario
	if len(w.orgs) > 0 {
		s.Org1ID, s.Org1UUID = w.orgs[0].id, w.orgs[0].uuid
	}
	if len(w.orgs) > 1 {
		s.Org2ID, s.Org2UUID = w.orgs[1].id, w.orgs[1].uuid
	}
	s.LeakedKeyID = id("apikey_")
	s.DeactivatedKeyID = s.LeakedKeyID // the story: the leaked key is the one that gets deactivated
	s.DeactivatedBy = w.users[1].email
	s.DeletedScopedKeyID = id("apikey_")
	s.RevokedConsoleKeyID = id("apikey_")
	s.AdminKeyID = id("adminkey_")
	s.ServiceKeyID = id("svckey_")
	s.AttackerIP = attackerIP
	for _, u := range w.users {
		s.Users = append(s.Users, u.email)
		s.UserIDs = append(s.UserIDs, u.id)
	}
	return w
}

// actor is an actor object before encoding. The slots a variant uses:
//
//	user_actor                 email, userID, ip, ua
//	api_actor                  id1=api_key_id, ip, ua
//	admin_api_key_actor        id1=admin_api_key_id, ip, ua
//	unauthenticated_user_actor email (""=null), ip, ua
//	anthropic_actor            —
//	scim_directory_sync_actor  id1=directory_id, id2=workos_event_id, id3=idp_connection_type (""=null)
//	system_actor               id1=service (""=null)
//	service_account_actor      id1=service_account_id, ip, ua
//	federated_identity_actor   id1=issuer, id2=subject, ip, ua (""=null)
//	federated_actor            id1=provider type, id2=provider id, id3=subject (""=null), ip, ua (""=null)
//	attested_device_actor      id1=external_client_id, id2=kid_hash, ip, ua (""=null)
//	robot_actor (not in the contract) id1=robot_id, id2=firmware
type actor struct {
	kind          string
	email, userID string
	id1, id2, id3 string
	ip, ua        string
	// org is 1 + the index of the organisation an acting key belongs to
	// (0 = none): its events happen there.
	org int
}

// appendActor appends a's JSON object.
func appendActor(b []byte, a *actor) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, a.kind)
	switch a.kind {
	case feed.ActorUser:
		b = appendStrField(b, "email_address", a.email)
		b = appendStrField(b, "user_id", a.userID)
		b = appendStrField(b, "ip_address", a.ip)
		b = appendStrField(b, "user_agent", a.ua)
	case feed.ActorAPI:
		b = appendStrField(b, "api_key_id", a.id1)
		b = appendStrField(b, "ip_address", a.ip)
		b = appendStrField(b, "user_agent", a.ua)
	case feed.ActorAdminAPIKey:
		b = appendStrField(b, "admin_api_key_id", a.id1)
		b = appendStrField(b, "ip_address", a.ip)
		b = appendStrField(b, "user_agent", a.ua)
	case feed.ActorUnauthenticatedUser:
		b = appendNullableField(b, "unauthenticated_email_address", a.email)
		b = appendStrField(b, "ip_address", a.ip)
		b = appendStrField(b, "user_agent", a.ua)
	case feed.ActorAnthropic:
		b = append(b, `,"email_address":null`...)
	case feed.ActorSCIM:
		b = appendStrField(b, "directory_id", a.id1)
		b = appendStrField(b, "workos_event_id", a.id2)
		b = appendNullableField(b, "idp_connection_type", a.id3)
	case feed.ActorSystem:
		b = appendNullableField(b, "service", a.id1)
	case feed.ActorServiceAccount:
		b = appendStrField(b, "service_account_id", a.id1)
		b = appendStrField(b, "ip_address", a.ip)
		b = appendStrField(b, "user_agent", a.ua)
	case feed.ActorFederatedIdentity:
		b = appendStrField(b, "issuer", a.id1)
		b = appendStrField(b, "subject", a.id2)
		b = appendKey(b, "audience", false)
		b = appendStrings(b, []string{"https://api.anthropic.com"})
		b = appendNullableField(b, "ip_address", a.ip)
		b = appendNullableField(b, "user_agent", a.ua)
	case feed.ActorFederated:
		b = append(b, `,"provider":{"type":`...)
		b = appendString(b, a.id1)
		switch a.id1 {
		case "aws":
			b = appendStrField(b, "account_id", a.id2)
			b = appendStrField(b, "signed_principal", "arn:aws:iam::"+a.id2+":role/claude-gateway")
		case "azure":
			b = appendStrField(b, "subscription_id", a.id2)
		case "gcp":
			b = appendStrField(b, "project_number", a.id2)
		default:
			b = appendNullableField(b, "issuer", a.id2)
		}
		b = append(b, '}')
		b = appendNullableField(b, "subject", a.id3)
		b = appendNullableField(b, "ip_address", a.ip)
		b = appendNullableField(b, "user_agent", a.ua)
	case feed.ActorAttestedDevice:
		b = appendStrField(b, "external_client_id", a.id1)
		b = appendStrField(b, "kid_hash", a.id2)
		b = appendNullableField(b, "ip_address", a.ip)
		b = appendNullableField(b, "user_agent", a.ua)
	default:
		b = appendStrField(b, "robot_id", a.id1)
		b = appendStrField(b, "firmware", a.id2)
	}
	return append(b, '}')
}

// userActor is person u acting from one of their usual places.
func (g *generator) userActor(u int) actor {
	p := &g.w.users[u]
	return actor{kind: feed.ActorUser, email: p.email, userID: p.id,
		ip: p.ips[g.rng.IntN(len(p.ips))], ua: p.uas[g.rng.IntN(len(p.uas))]}
}

// randomActor returns an actor of the given variant with plausible values
// for an event at t (planned: its created_at is t or up to a second
// earlier). An acting key is one that is active then.
func (g *generator) randomActor(kind string, t int64) actor {
	r := g.rng
	switch kind {
	case feed.ActorUser:
		return g.userActor(g.randomUser())
	case feed.ActorAPI:
		k := g.actingKey(classConsole, t)
		return actor{kind: kind, id1: k.id, org: k.org + 1, ip: "198.51.100." + strconv.Itoa(50+r.IntN(10)), ua: g.w.toolUAs[r.IntN(len(g.w.toolUAs))]}
	case feed.ActorAdminAPIKey:
		k := g.actingKey(classAdmin, t)
		return actor{kind: kind, id1: k.id, org: k.org + 1, ip: toolsIP, ua: "terraform-provider-anthropic/0.4.1"}
	case feed.ActorUnauthenticatedUser:
		a := actor{kind: kind, ip: "192.0.2." + strconv.Itoa(1+r.IntN(250)), ua: g.w.browserUAs[r.IntN(len(g.w.browserUAs))]}
		if r.IntN(4) > 0 {
			a.email = g.w.users[g.randomUser()].email
		}
		return a
	case feed.ActorAnthropic:
		return actor{kind: kind}
	case feed.ActorSCIM:
		return actor{kind: kind, id1: g.w.directoryID, id2: taggedID("event_", r.Uint64(), r.Uint64()), id3: "OktaSCIMV2"}
	case feed.ActorSystem:
		return actor{kind: kind, id1: []string{"retention-sweeper", "billing-sync", "seat-reconciler", ""}[r.IntN(4)]}
	case feed.ActorServiceAccount:
		return actor{kind: kind, id1: g.w.serviceAccts[r.IntN(len(g.w.serviceAccts))], ip: "198.51.100." + strconv.Itoa(60+r.IntN(5)), ua: "anthropic-sdk-python/0.39.0"}
	case feed.ActorFederatedIdentity:
		return actor{kind: kind, id1: "https://token.actions.githubusercontent.com",
			id2: "repo:example/infra:ref:refs/heads/main", ip: "198.51.100.90", ua: "github-actions/2.319"}
	case feed.ActorFederated:
		switch r.IntN(4) {
		case 0:
			return actor{kind: kind, id1: "aws", id2: "123456789012", id3: "claude-gateway-prod", ip: "198.51.100.91", ua: "aws-sdk-go-v2/1.30.3"}
		case 1:
			return actor{kind: kind, id1: "azure", id2: "00000000-1111-4222-8333-444444444444", ip: "198.51.100.92"}
		case 2:
			return actor{kind: kind, id1: "gcp", id2: "314159265358", id3: "svc-claude@example-prod.iam.gserviceaccount.com"}
		default:
			return actor{kind: kind, id1: "oidc", id2: "https://idp.example.com", id3: "workload-7"}
		}
	case feed.ActorAttestedDevice:
		return actor{kind: kind, id1: "com.example.claude-ios", id2: "sha256:9f2c4e1a7b3d", ip: "192.0.2." + strconv.Itoa(1+r.IntN(250)), ua: "Claude/1.0 (iPhone; iOS 18.0; Scale/3.00)"}
	}
	return actor{kind: kind}
}

// randomUser picks a person, the first few (admins) a little more often.
func (g *generator) randomUser() int {
	if g.rng.IntN(5) == 0 {
		return g.rng.IntN(min(4, len(g.w.users)))
	}
	return g.rng.IntN(len(g.w.users))
}
