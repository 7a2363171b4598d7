package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// Hostile and broken servers, driven through the CLI. The servers are
// small hand-written handlers, not the simulator: the client has to follow
// the contract whatever the server does.

// hostileEnv returns an environment pointed at a server answering fn,
// with a fresh cache, and the server's request counter.
func hostileEnv(t *testing.T, fn func(w http.ResponseWriter, r *http.Request, n int)) (*testEnv, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's clock agrees with the test's fixed clock.
		w.Header().Set("date", testNow.UTC().Format(http.TimeFormat))
		fn(w, r, int(n.Add(1)))
	}))
	t.Cleanup(srv.Close)
	e := newTestEnv(t)
	e.vars[envBaseURL] = srv.URL
	e.vars[envCache] = filepath.Join(t.TempDir(), "cache", "test.db")
	e.key = sim.AdminKey
	return e, &n
}

func activityLine(id string, at time.Time) string {
	return fmt.Sprintf(`{"id":%q,"created_at":%q,"type":"claude_chat_viewed","organization_id":"org_1","actor":{"type":"user_actor","email_address":"a@example.com","user_id":"user_1"}}`,
		id, at.UTC().Format(time.RFC3339Nano))
}

// cycling answers has_more:true for ever with cursors A → B → A.
func cycling(w http.ResponseWriter, r *http.Request, n int) {
	next := map[string]string{"": "A", "A": "B", "B": "A"}[r.URL.Query().Get("after_id")]
	w.Header().Set("content-type", "application/json")
	w.Header().Set("request-id", fmt.Sprintf("req_%d", n))
	fmt.Fprintf(w, `{"data":[%s],"has_more":true,"first_id":%q,"last_id":%q}`,
		activityLine(fmt.Sprintf("activity_%03d", n), simEnd.Add(-time.Duration(n)*time.Minute)), next, next)
}

func TestCursorCycleExits3InEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"sync", "--parallel", "1"},
		{"sync"},
		{"query", "since:7d", "--format", "ndjson"},
		{"key", "apikey_01HxYzAbc"},
		{"export", "since:7d", "--out", "OUT"},
	} {
		name := args[0]
		if slices.Contains(args, "--parallel") {
			name += "-sequential"
		}
		t.Run(name, func(t *testing.T) {
			e, n := hostileEnv(t, cycling)
			for i, a := range args {
				if a == "OUT" {
					args[i] = filepath.Join(t.TempDir(), "bundle")
				}
			}
			code, _, stderr := e.run(args...)
			if code != exitAPI {
				t.Fatalf("exit %d, want %d: %s", code, exitAPI, stderr)
			}
			if !strings.Contains(stderr, "cursors go in a circle") || !strings.Contains(stderr, "came back after 2 pages") {
				t.Fatalf("stderr does not name the cycle:\n%s", stderr)
			}
			// One cursor sees the cycle on its third page. A parallel
			// backfill probes once, then each of its workers may walk a
			// window to that third page before the first failure stops
			// them all: 1 + 3 × feed.DefaultParallel at the most.
			limit := int64(4)
			if !slices.Contains(args, "--parallel") {
				limit = 1 + 3*feed.DefaultParallel
			}
			if got := n.Load(); got > limit {
				t.Fatalf("%d requests before the cycle was caught, want at most %d", got, limit)
			}
		})
	}
}

// A sync that fails still lets query and key answer from the cache, with
// a warning naming the gap, and exit 3.
func TestQueryAndKeyAnswerFromTheCacheWhenTheSyncFails(t *testing.T) {
	e, sc, url := syncedEnv(t)
	_ = url
	// An hour later the cache lacks the last hour, and the API is gone.
	later := testNow.Add(time.Hour)
	e.now = func() time.Time { return later }
	dead := httptest.NewServer(http.NotFoundHandler())
	e.vars[envBaseURL] = dead.URL
	dead.Close()

	code, out, stderr := e.run("query", "since:30d", "--format", "ndjson")
	if code != exitAPI {
		t.Fatalf("query: exit %d, want %d: %s", code, exitAPI, stderr)
	}
	if strings.Count(out, "\n") < 100 {
		t.Fatalf("query printed %d lines, want the cached answer", strings.Count(out, "\n"))
	}
	for _, want := range []string{"the sync failed, so this answer comes from the cache alone", "covers 99%", "it lacks 2026-11-25 12:0", "cannot be reached"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("query stderr lacks %q:\n%s", want, stderr)
		}
	}

	code, out, stderr = e.run("key", sc.LeakedKeyID)
	if code != exitAPI || !strings.Contains(out, sc.LeakedKeyID) {
		t.Fatalf("key: exit %d, out %q: %s", code, out, stderr)
	}
	if !strings.Contains(stderr, "the sync failed") || !strings.Contains(stderr, "the last 30 days") {
		t.Errorf("key stderr does not name the gap:\n%s", stderr)
	}

	// A refused key is not papered over with a cached answer.
	e.vars[envBaseURL] = url
	e.key = "sk-ant-admin01-wrong"
	if code, out, _ := e.run("query", "since:30d"); code != exitAuth || out != "" {
		t.Fatalf("bad key: exit %d, stdout %q; want exit 2 and no answer", code, out)
	}
}

func TestStalledServerFailsAHeadlessCommand(t *testing.T) {
	release := make(chan struct{})
	e, _ := hostileEnv(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n%2 == 1 {
			select { // no headers at all
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("content-type", "application/json")
		fmt.Fprint(w, `{"data":[`) // headers, then nothing
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	e.retry.IdleTimeout, e.retry.StalledAfter = 100*time.Millisecond, 400*time.Millisecond
	code, _, stderr := e.run("sync")
	if code != exitAPI || !strings.Contains(stderr, "no byte from the server for") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestHTMLPageIsNamed(t *testing.T) {
	e, n := hostileEnv(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("content-type", "text/html")
		fmt.Fprint(w, "<html><title>Hotel Wi-Fi</title></html>")
	})
	code, _, stderr := e.run("sync")
	if code != exitAPI || !strings.Contains(stderr, "the server answered text/html, not JSON") ||
		!strings.Contains(stderr, "captive portal?") || strings.Contains(stderr, "offset") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1", n.Load())
	}
}

func TestOutOfWindowRowsAreReportedOnce(t *testing.T) {
	e, _ := hostileEnv(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("content-type", "application/json")
		fmt.Fprintf(w, `{"data":[%s,%s,%s],"has_more":false,"first_id":null,"last_id":null}`,
			activityLine("activity_future", testNow.Add(24*time.Hour)),
			activityLine("activity_inside", simEnd.Add(-time.Hour)),
			activityLine("activity_ancient", testNow.Add(-400*24*time.Hour)))
	})
	code, _, stderr := e.run("sync")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(stderr, "outside the window") != 1 || !strings.Contains(stderr, "2 activities") {
		t.Fatalf("stderr should report the 2 rows once:\n%s", stderr)
	}
	code, out, _ := e.run("query", "--offline", "--format", "ndjson", "since:1000d")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "activity_inside") {
		t.Fatalf("cache holds %q, want activity_inside alone", out)
	}
}

// Headless commands give up as HeadlessRetryPolicy says; the explorer's
// client keeps the default policy and its countdown.
func TestHeadlessCommandsUseTheHeadlessPolicy(t *testing.T) {
	a := &app{env: newTestEnv(t).environment, baseURL: feed.DefaultBaseURL}
	a.env.retry = nil
	c, err := a.newClient(feed.NewSecret("sk-ant-admin01-x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.RetryPolicy(), feed.HeadlessRetryPolicy(); got != want {
		t.Fatalf("headless policy %+v, want %+v", got, want)
	}
	if got := c.RetryPolicy(); got.UnreachableAfter > 10*time.Second || got.StalledAfter > time.Minute || got.IdleTimeout != 30*time.Second {
		t.Fatalf("headless policy %+v breaks the documented bounds", got)
	}
	c, err = a.newClient(feed.NewSecret("sk-ant-admin01-x"), nil, feed.WithRetry(feed.DefaultRetryPolicy()))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.RetryPolicy(), feed.DefaultRetryPolicy(); got != want {
		t.Fatalf("explorer policy %+v, want %+v", got, want)
	}
}

// A type name newer than the catalogue comes from the server: status lists
// it escaped, never as terminal control sequences.
func TestStatusEscapesUncataloguedTypeNames(t *testing.T) {
	e, _ := hostileEnv(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("content-type", "application/json")
		line := strings.Replace(activityLine("activity_evil", simEnd.Add(-time.Hour)), `"claude_chat_viewed"`, `"evil\u001b]0;pwned\u0007_type"`, 1)
		fmt.Fprintf(w, `{"data":[%s],"has_more":false,"first_id":null,"last_id":null}`, line)
	})
	if code, _, stderr := e.run("sync"); code != 0 || strings.Contains(stderr, "\x1b") {
		t.Fatalf("sync: exit %d, stderr %q", code, stderr)
	}
	code, out, _ := e.run("status")
	if code != 0 || strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "newer than it") {
		t.Fatalf("status: exit %d:\n%q", code, out)
	}
}
