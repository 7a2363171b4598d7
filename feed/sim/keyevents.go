package sim

// The key lifecycle events the background generates: one keyEvent per
// activity type of the key family, applied to the keyring as it is written.

import (
	"time"

	"claudit/feed"
)

// update is one element of an updates[] array.
type update struct{ typ, prev, cur string }

// keyEvent generates one lifecycle event at t (already stamped) and
// applies it to the keyring.
func (g *generator) keyEvent(t int64) event {
	t -= t % int64(time.Millisecond)
	r := g.rng
	c := keyClass(0)
	for n := r.IntN(16); ; c++ { // weights 4 6 2 2 1 1
		w := [classCount]int{4, 6, 2, 2, 1, 1}[c]
		if n < w {
			break
		}
		n -= w
	}
	admin := g.userActor(r.IntN(min(4, len(g.w.users))))
	kr := &g.keys
	op := r.IntN(10)
	switch c {
	case classScoped:
		k := g.target(c, t, nil)
		switch {
		case k == nil || op < 3:
			k = g.newScoped(scopedNames[r.IntN(len(scopedNames))])
			e := g.emit(t, "api_key_created", k.org, &admin, apiKeyCreated(k.id, k.scopes...))
			kr.add(k, e.at, false)
			return e
		case op < 8:
			var ups []update
			if op < 5 || r.IntN(5) == 0 {
				name := g.rename(k.name, scopedNames)
				ups = append(ups, update{"name", k.name, name})
				k.name = name
			}
			if op >= 5 {
				ups = append(ups, update{"activation_state", k.state, flip(k.state)})
			}
			e := g.emit(t, "scoped_api_key_updated", k.org, &admin, updatesFields("api_key_id", k.id, ups))
			if op >= 5 {
				k.setState(flip(k.state), e.at)
			}
			k.last = e.at
			return e
		default:
			e := g.emit(t, "scoped_api_key_deleted", k.org, &admin, func(b []byte) []byte {
				b = appendStrField(b, "api_key_id", k.id)
				b = appendStrField(b, "api_key_name", k.name)
				b = appendKey(b, "scopes", false)
				return appendStrings(b, k.scopes)
			})
			kr.retire(k, e.at)
			return e
		}
	case classConsole:
		k := g.target(c, t, nil)
		if k == nil || op < 3 {
			k = &simKey{class: c, id: g.keyID("apikey_"), name: consoleNames[r.IntN(len(consoleNames))], workspace: g.poolID("wrkspc_"), org: g.randomOrg()}
			a := g.platformActor(admin, t, k.org)
			e := g.emit(t, "platform_api_key_created", k.org, &a, func(b []byte) []byte { return appendStrField(b, "api_key_id", k.id) })
			kr.add(k, e.at, false)
			return e
		}
		a := g.platformActor(admin, t, k.org)
		if op == 9 {
			e := g.emit(t, "platform_api_key_updated", k.org, &a, updatesFields("api_key_id", k.id, []update{{"status", k.state, "archived"}}))
			kr.retire(k, e.at)
			return e
		}
		// One, sometimes two, distinct changes.
		first := r.IntN(3)
		kinds := []int{first}
		if r.IntN(5) == 0 {
			kinds = append(kinds, (first+1+r.IntN(2))%3)
		}
		var ups []update
		state := k.state
		for _, kind := range kinds {
			switch kind {
			case 0:
				name := g.rename(k.name, consoleNames)
				ups = append(ups, update{"name", k.name, name})
				k.name = name
			case 1:
				state = flip(k.state)
				ups = append(ups, update{"status", k.state, state})
			default:
				ws := g.poolID("wrkspc_")
				for ws == k.workspace {
					ws = g.poolID("wrkspc_")
				}
				ups = append(ups, update{"workspace", k.workspace, ws})
				k.workspace = ws
			}
		}
		e := g.emit(t, "platform_api_key_updated", k.org, &a, updatesFields("api_key_id", k.id, ups))
		k.setState(state, e.at)
		k.last = e.at
		return e
	case classAdmin:
		k := g.target(c, t, nil)
		switch {
		case k == nil || op < 3:
			k = &simKey{class: c, id: g.keyID("adminkey_"), name: adminNames[r.IntN(len(adminNames))], org: g.randomOrg()}
			e := g.emit(t, "admin_api_key_created", k.org, &admin, func(b []byte) []byte {
				b = appendStrField(b, "admin_api_key_id", k.id)
				return append(b, `,"scopes":[]`...)
			})
			kr.add(k, e.at, false)
			return e
		case op < 8:
			var ups []update
			state := k.state
			if op < 5 || r.IntN(5) == 0 {
				name := g.rename(k.name, adminNames)
				ups = append(ups, update{"name", k.name, name})
				k.name = name
			}
			if op >= 5 {
				state = flip(k.state)
				ups = append(ups, update{"status", k.state, state})
			}
			e := g.emit(t, "admin_api_key_updated", k.org, &admin, updatesFields("admin_api_key_id", k.id, ups))
			k.setState(state, e.at)
			k.last = e.at
			return e
		default:
			e := g.emit(t, "admin_api_key_deleted", k.org, &admin, func(b []byte) []byte { return appendStrField(b, "admin_api_key_id", k.id) })
			kr.retire(k, e.at)
			return e
		}
	case classService:
		k := g.target(c, t, nil)
		if k == nil || op < 6 {
			k = g.newService()
			byService := r.IntN(4) == 0
			a := admin
			if byService {
				a = g.actorFor(g.byName["service_key_created"], feed.ActorSystem, t)
			}
			e := g.emit(t, "service_key_created", k.org, &a, func(b []byte) []byte {
				b = appendBoolField(b, "is_service_created", byService)
				b = appendStrField(b, "key_name", k.name)
				b = appendStrField(b, "service_name", k.service)
				b = appendKey(b, "scopes", false)
				b = appendStrings(b, k.scopes)
				return appendStrField(b, "service_key_id", k.id)
			})
			kr.add(k, e.at, false)
			return e
		}
		e := g.emit(t, "service_key_revoked", k.org, &admin, func(b []byte) []byte {
			b = appendStrField(b, "service_key_id", k.id)
			return appendStrField(b, "service_name", k.service)
		})
		kr.retire(k, e.at)
		return e
	case classSigning:
		if op < 7 {
			// A rotation replaces a group's current key; deleting a key
			// rotated out is the clean-up.
			current := func(k *simKey) bool { return k.state == "active" }
			if op < 3 {
				if k := g.target(c, t, func(k *simKey) bool { return !current(k) }); k != nil {
					return g.deleteSigning(t, k, &admin)
				}
			}
			if old := g.target(c, t, current); old != nil {
				k := &simKey{class: c, id: g.keyID("sigkey_"), name: old.name, algorithm: old.algorithm, backing: old.backing, group: old.group, org: old.org}
				e := g.emit(t, "platform_signing_key_rotated", k.org, &admin, func(b []byte) []byte {
					b = appendStrField(b, "algorithm", k.algorithm)
					b = appendStrField(b, "key_group_identifier", k.group)
					b = appendStrField(b, "new_signing_key_id", k.id)
					return appendStrField(b, "old_signing_key_id", old.id)
				})
				old.setState("retired", e.at)
				old.last = e.at
				kr.add(k, e.at, false)
				return e
			}
		}
		if op == 9 {
			if k := g.target(c, t, nil); k != nil {
				return g.deleteSigning(t, k, &admin)
			}
		}
		k := g.newSigning()
		e := g.emit(t, "platform_signing_key_created", k.org, &admin, func(b []byte) []byte {
			b = appendStrField(b, "algorithm", k.algorithm)
			b = appendStrField(b, "key_backing_type", k.backing)
			b = appendStrField(b, "signing_key_id", k.id)
			return appendStrField(b, "status", "active")
		})
		kr.add(k, e.at, false)
		return e
	default: // classExternal
		k := g.target(c, t, nil)
		if k == nil || op < 2 {
			k = g.newExternal()
			a := g.platformActor(admin, t, k.org)
			e := g.emit(t, "org_external_key_created", k.org, &a, func(b []byte) []byte {
				b = appendStrField(b, "external_key_id", k.id)
				return appendStrField(b, "provider", k.provider)
			})
			kr.add(k, e.at, false)
			return e
		}
		a := g.platformActor(admin, t, k.org)
		switch {
		case op < 5:
			var ups []update
			switch r.IntN(3) {
			case 0:
				name := g.rename(k.name, externalNames)
				ups = append(ups, update{"display_name", k.name, name})
				k.name = name
			case 1:
				geo := []string{"us", "eu", "global"}[r.IntN(3)]
				for geo == k.geo {
					geo = []string{"us", "eu", "global"}[r.IntN(3)]
				}
				ups = append(ups, update{"geo", k.geo, geo})
				k.geo = geo
			default:
				cfg := g.kmsConfig(k.provider)
				ups = append(ups, update{"provider_config", k.config, cfg})
				k.config = cfg
			}
			e := g.emit(t, "org_external_key_updated", k.org, &a, updatesFields("external_key_id", k.id, ups))
			k.last = e.at
			return e
		case op < 9:
			e := g.emit(t, "org_external_key_validated", k.org, &a, func(b []byte) []byte {
				b = appendStrField(b, "external_key_id", k.id)
				return appendStrField(b, "validation_result", []string{"success", "success", "success", "failure"}[r.IntN(4)])
			})
			k.last = e.at
			return e
		}
		e := g.emit(t, "org_external_key_deleted", k.org, &a, func(b []byte) []byte { return appendStrField(b, "external_key_id", k.id) })
		kr.retire(k, e.at)
		return e
	}
}

// deleteSigning deletes signing key k at t.
func (g *generator) deleteSigning(t int64, k *simKey, a *actor) event {
	e := g.emit(t, "platform_signing_key_deleted", k.org, a, func(b []byte) []byte {
		b = appendStrField(b, "algorithm", k.algorithm)
		b = appendStrField(b, "key_backing_type", k.backing)
		b = appendStrField(b, "key_name", k.name)
		return appendStrField(b, "signing_key_id", k.id)
	})
	g.keys.retire(k, e.at)
	return e
}

// platformActor is who manages Console and encryption keys of
// organisation org: mostly an admin in the Console, sometimes automation
// holding an Admin API key of that organisation.
func (g *generator) platformActor(admin actor, t int64, org int) actor {
	switch g.rng.IntN(8) {
	case 0, 1:
		if a := g.randomActor(feed.ActorAdminAPIKey, t); a.org == org+1 {
			return a
		}
	case 2:
		return g.randomActor(feed.ActorServiceAccount, t)
	}
	return admin
}

// flip toggles an activation state or status.
func flip(state string) string {
	if state == "active" {
		return "inactive"
	}
	return "active"
}

// updatesFields are the fields of a *_updated event about one key: its id
// and the changes, each of a different type.
func updatesFields(idField, id string, ups []update) func([]byte) []byte {
	return func(b []byte) []byte {
		b = appendStrField(b, idField, id)
		b = append(b, `,"updates":[`...)
		for i, u := range ups {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":`...)
			b = appendString(b, u.typ)
			b = appendStrField(b, "previous_value", u.prev)
			b = appendStrField(b, "current_value", u.cur)
			b = append(b, '}')
		}
		return append(b, ']')
	}
}
