package store

import (
	"context"
	"testing"
	"time"

	"claudit/feed"
)

func TestLeases(t *testing.T) {
	now := testNow
	s, err := Open(context.Background(), t.TempDir()+"/cache.db", WithNow(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	hour := func(h int) time.Time { return now.Add(time.Duration(h) * time.Hour) }
	take := func(owner string, from, to int, until time.Time) bool {
		t.Helper()
		ok, err := s.TakeLease(ctx, "", feed.Range{From: hour(from), To: hour(to)}, owner, until)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("a", -10, -5, now.Add(time.Minute)) {
		t.Fatal("a could not lease a free window")
	}
	if take("b", -6, -2, now.Add(time.Minute)) {
		t.Fatal("b leased a window overlapping a's")
	}
	if !take("b", -5, -2, now.Add(time.Minute)) || !take("a", -12, -10, now.Add(time.Minute)) {
		t.Fatal("adjacent windows could not be leased")
	}
	if ok, err := s.TakeLease(ctx, "type=x", feed.Range{From: hour(-10), To: hour(-5)}, "b", now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("another filter's window: %v %v", ok, err)
	}
	// a renews; b's lease expires and is taken over by a.
	now = now.Add(50 * time.Second)
	if err := s.RenewLeases(ctx, "a", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Second)
	if take("b", -11, -9, now.Add(time.Minute)) {
		t.Fatal("a's renewed lease was taken")
	}
	if !take("a", -4, -3, now.Add(time.Minute)) {
		t.Fatal("b's expired lease was not taken over")
	}
	if err := s.ReleaseLeases(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if !take("b", -12, 0, now.Add(time.Minute)) {
		t.Fatal("released windows could not be leased")
	}
}
