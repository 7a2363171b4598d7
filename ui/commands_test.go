package ui

import (
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"
)

// The registry gives every KeyMap binding its defaults, once, and every
// config name and command id appears once.
func TestRegistryComplete(t *testing.T) {
	km := DefaultKeyMap()
	v := reflect.ValueOf(km)
	for i := range v.NumField() {
		b := v.Field(i).Interface().(key.Binding)
		if len(b.Keys()) == 0 || b.Help().Key == "" || b.Help().Desc == "" {
			t.Errorf("KeyMap.%s has no default keys or help in the registry", v.Type().Field(i).Name)
		}
	}
	ids, names, owners := map[action]bool{}, map[string]bool{}, map[*key.Binding]bool{}
	for _, c := range registry {
		if ids[c.id] {
			t.Errorf("command %d listed twice", c.id)
		}
		ids[c.id] = true
		if c.name != "" {
			if names[c.name] {
				t.Errorf("config name %q listed twice", c.name)
			}
			names[c.name] = true
		}
		if c.key == nil {
			if c.run == nil || c.title == "" {
				t.Errorf("command %d has neither a key nor a palette entry that runs it", c.id)
			}
			continue
		}
		if b := c.key(&km); c.keys != nil {
			if owners[b] {
				t.Errorf("command %d gives a binding its defaults a second time", c.id)
			}
			owners[b] = true
		}
	}
}

// A result of an earlier request of a kind, or of a kind no longer waited
// for, is stale.
func TestInflight(t *testing.T) {
	var f inflight
	a := f.start(reqCount)
	b := f.start(reqCount)
	h := f.start(reqHist)
	if f.is(a) || !f.is(b) || !f.is(h) {
		t.Fatalf("is(a)=%v is(b)=%v is(h)=%v", f.is(a), f.is(b), f.is(h))
	}
	if f.is(req{kind: reqHist, id: b.id}) {
		t.Fatal("an id of another kind matched")
	}
	f.stop(reqHist)
	if f.is(h) || f.pending(reqHist) || f.is(req{kind: reqHist}) {
		t.Fatal("a stopped kind still waits")
	}
}
