package store

import (
	"slices"
	"testing"
)

func TestNamesFindAndLabel(t *testing.T) {
	n := NewNames([]Entity{
		{Kind: KindUser, ID: "user_1", Name: "Alice Chen", Email: "alice@example.com"},
		{Kind: KindUser, ID: "user_2", Email: "bob@example.com"},
		{Kind: KindOrg, ID: "0b2c", Aliases: []string{"org_01X"}, Name: "Research"},
		{Kind: KindOrg, ID: "1c3d", Name: "Research Labs"},
	})
	if got := n.Label("user_1"); got != "Alice Chen" {
		t.Errorf("Label(user_1) = %q", got)
	}
	if got := n.Label("user_2"); got != "bob@example.com" {
		t.Errorf("Label(user_2) = %q, want the e-mail when there is no name", got)
	}
	if got := n.Label("org_01X"); got != "Research" {
		t.Errorf("Label(alias) = %q", got)
	}
	if got := n.Label("user_9"); got != "" {
		t.Errorf("Label(unknown) = %q", got)
	}
	ids := func(es []Entity) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids(n.Find("alice chen")); !slices.Equal(got, []string{"user_1"}) {
		t.Errorf("Find(name) = %v", got)
	}
	if got := ids(n.Find("ALICE@example.com")); !slices.Equal(got, []string{"user_1"}) {
		t.Errorf("Find(email) = %v", got)
	}
	if got := ids(n.Find("Research*")); !slices.Equal(got, []string{"0b2c", "1c3d"}) {
		t.Errorf("Find(glob) = %v", got)
	}
	if got := ids(n.Find("Research*", KindUser)); len(got) != 0 {
		t.Errorf("Find(glob, users) = %v", got)
	}
	if got := n.Complete("res", 10, KindOrg); !slices.Equal(got, []string{"Research", "Research Labs"}) {
		t.Errorf("Complete = %v", got)
	}
	var none *Names
	if none.Label("user_1") != "" || none.Find("x") != nil || none.Len() != 0 {
		t.Error("a nil *Names must know nothing")
	}
}
