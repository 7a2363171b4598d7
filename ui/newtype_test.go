package ui

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// An activity whose type (and actor variant) is newer than the built-in
// catalogue, served by the simulator and synced into a real cache, is
// listed by the explorer like any other and its detail shows its fields.
func TestExplorerRendersATypeNewerThanTheCatalogue(t *testing.T) {
	const newType = "quantum_widget_created"
	if _, ok := feed.Catalogue().Lookup(newType); ok {
		t.Fatalf("%s is catalogued now; pick a type the catalogue does not know", newType)
	}
	srv := sim.New(sim.Config{Seed: 7, Events: 3000, End: testNow.Add(-time.Hour), Now: func() time.Time { return testNow }, RateLimit: -1})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	client, err := feed.New(feed.WithBaseURL(hs.URL), feed.WithKey(feed.NewSecret(sim.AdminKey)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	q := feed.Query{Window: feed.Window{From: testNow.Add(-31 * 24 * time.Hour), To: testNow}}
	if _, err := feed.NewSyncer(client, st, feed.WithClock(func() time.Time { return testNow })).Sync(context.Background(), q, 0); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, nil, 160, 40, withQuery("since:30d type:"+newType), withDeps(func(d *Deps) { d.Source = st }))
	screen := h.screen()
	if !strings.Contains(screen, newType) {
		t.Fatalf("the explorer does not list the %s event:\n%s", newType, screen)
	}
	h.key("enter")
	if screen := h.screen(); !strings.Contains(screen, "entanglement_level") {
		t.Fatalf("the detail of the %s event lacks its fields:\n%s", newType, screen)
	}
}
