package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
)

// The tail process tests run the built binary against a simulator on the
// real clock in live mode (new events every quarter of a second), so they
// are skipped with -short.

// liveSim serves a simulator on the real clock producing rate events per
// minute, a share late of them indexed up to lateBy late.
func liveSim(t testing.TB, rate, late float64, lateBy time.Duration) (*sim.Server, string) {
	t.Helper()
	srv := sim.New(sim.Config{Seed: 15, Events: 300, LiveRate: rate, Now: time.Now,
		Faults: sim.Faults{LateFraction: late, LateBy: lateBy}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

// liveTail skips the test with -short, else returns the binary and the
// environment of a tail against a busy simulator (4 events a second, none
// late).
func liveTail(t *testing.T) (string, []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the binary against a live simulator")
	}
	bin := buildBinary(t)
	_, url := liveSim(t, 240, 0, 0)
	env, _ := tailEnv(t, url)
	return bin, env
}

// tailLine is one line tail wrote and when the test read it.
type tailLine struct {
	text string
	at   time.Time
}

// tailProc is a running claudit tail whose stdout the test reads line by
// line.
type tailProc struct {
	cmd    *exec.Cmd
	lines  chan tailLine // closed at EOF
	stderr string        // file
}

func startTail(t *testing.T, bin string, env []string, args ...string) *tailProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"tail"}, args...)...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &tailProc{cmd: cmd, lines: make(chan tailLine, 1<<16), stderr: filepath.Join(t.TempDir(), "stderr")}
	ef, err := os.Create(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	cmd.Stderr = ef
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.lines <- tailLine{sc.Text(), time.Now()}
		}
		close(p.lines)
	}()
	return p
}

// next returns the next line, failing the test past the deadline; ok is
// false at EOF.
func (p *tailProc) next(t *testing.T, deadline time.Time) (tailLine, bool) {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		return l, ok
	case <-time.After(time.Until(deadline)):
		b, _ := os.ReadFile(p.stderr)
		t.Fatalf("no line from tail before the deadline; stderr:\n%s", b)
	}
	return tailLine{}, false
}

// nextActivity returns the activity of the next line, failing the test
// past the deadline or at EOF.
func (p *tailProc) nextActivity(t *testing.T, deadline time.Time) feed.Activity {
	t.Helper()
	l, ok := p.next(t, deadline)
	if !ok {
		b, _ := os.ReadFile(p.stderr)
		t.Fatalf("tail ended early: %s", b)
	}
	return activityOf(t, l.text)
}

// wait ends the process's stdout and returns its exit code (-1: killed
// by a signal).
func (p *tailProc) wait(t *testing.T) int {
	t.Helper()
	for range p.lines {
	}
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return 0
}

// tailEnv is the environment of a tail process: the simulator's URL and
// key, a cache file, nothing from the user's home.
func tailEnv(t *testing.T, url string) ([]string, string) {
	home := t.TempDir()
	cache := filepath.Join(home, "tail.db")
	return append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home, "XDG_CONFIG_HOME="+home, "NO_COLOR=1",
		envBaseURL+"="+url, envCache+"="+cache, envKeyVar+"="+sim.AdminKey), cache
}

// activityOf decodes one ndjson line.
func activityOf(t *testing.T, line string) feed.Activity {
	t.Helper()
	var a feed.Activity
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		t.Fatalf("not an activity: %q: %v", line, err)
	}
	return a
}

// ownCall reports whether a is the compliance_api_accessed event of a
// request with the simulator's admin key: tail's own.
func ownCall(a feed.Activity) bool {
	return a.Type == "compliance_api_accessed" && a.Actor.ID() == sim.DefaultKeys()[sim.AdminKey].KeyID
}

// TestTailCheckpointSurvivesKills pipes `claudit tail --checkpoint` into a
// reader, SIGKILLs the tail after a few lines, restarts it, four times,
// while the simulator produces events (a fifth of them indexed late, which
// only the reconciliation pass finds), and proves the union of everything
// written (deduplicated by id) is the feed of the window, without a gap,
// without claudit's own calls, and with nothing the feed does not have.
func TestTailCheckpointSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary against a live simulator")
	}
	bin := buildBinary(t)
	srv, url := liveSim(t, 240, 0.2, 6*time.Second)
	env, _ := tailEnv(t, url)
	args := []string{"--checkpoint", "siem", "--format", "ndjson", "--tail-poll", "1s", "--tail-reconcile", "2s"}
	from := time.Now()
	seen := map[string]int{}
	add := func(l tailLine) {
		a := activityOf(t, l.text)
		if ownCall(a) {
			t.Fatalf("tail wrote its own call %s", a.ID)
		}
		seen[a.ID]++
	}
	deadline := time.Now().Add(2 * time.Minute)
	for round := range 4 {
		p := startTail(t, bin, env, args...)
		for range 10 + 5*round { // the handshake: the tail is running and writing
			l, ok := p.next(t, deadline)
			if !ok {
				b, _ := os.ReadFile(p.stderr)
				t.Fatalf("round %d: tail ended early: %s", round, b)
			}
			add(l)
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for l := range p.lines { // what it wrote before it died
			add(l)
		}
		if code := p.wait(t); code != -1 {
			t.Fatalf("round %d: exit %d, want death by SIGKILL", round, code)
		}
		t.Logf("round %d done after %s", round, time.Since(from).Round(time.Millisecond))
	}
	// The last run: until everything the feed holds for [from, to) is
	// written, events indexed late included.
	to := time.Now()
	var want []string
	for _, a := range srv.Truth(from, to) {
		if !ownCall(a) {
			want = append(want, a.ID)
		}
	}
	missing := func() []string {
		var m []string
		for _, a := range srv.Truth(from, to) {
			if !ownCall(a) && seen[a.ID] == 0 {
				m = append(m, a.ID)
			}
		}
		return m
	}
	p := startTail(t, bin, env, args...)
	t.Logf("final run: %d missing", len(missing()))
	for len(missing()) > 0 {
		l, ok := p.next(t, deadline)
		if !ok {
			b, _ := os.ReadFile(p.stderr)
			t.Fatalf("tail ended early: %s", b)
		}
		add(l)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for l := range p.lines {
		add(l)
	}
	p.wait(t)

	all := map[string]bool{}
	for _, a := range srv.Activities() {
		all[a.ID] = true
	}
	repeats := 0
	for id, n := range seen {
		if !all[id] {
			t.Fatalf("tail wrote %s, which the feed never had", id)
		}
		repeats += n - 1
	}
	if len(want) < 50 {
		t.Fatalf("only %d events in the window: the test proves little", len(want))
	}
	t.Logf("window %s: %d events, all written across 5 runs (4 SIGKILLs); %d written in all, %d repeated",
		to.Sub(from).Round(time.Second), len(want), len(seen), repeats)
}

// TestTailSinceWritesTheWindow: tail --since 2m writes the window's
// activities and then the new ones, never the older ones its first poll
// stores into a fresh cache (the newest page, 30 days of history here).
func TestTailSinceWritesTheWindow(t *testing.T) {
	bin, env := liveTail(t)
	from := time.Now().Add(-2 * time.Minute)
	p := startTail(t, bin, env, "--since", "2m", "--format", "ndjson", "--tail-poll", "1s")
	deadline := time.Now().Add(time.Minute)
	for live := 0; live < 20; {
		a := p.nextActivity(t, deadline)
		if a.CreatedAt.Before(from) {
			t.Fatalf("tail --since 2m wrote %s created %s, before the window (%s)", a.ID, a.CreatedAt.Format(time.RFC3339Nano), from.Format(time.RFC3339))
		}
		if a.CreatedAt.After(from.Add(2 * time.Minute)) {
			live++
		}
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d", code, exitInterrupted)
	}
}

// TestTailFailedFirstPollWritesNoPast: when tail's first poll fails
// (every second request answers 500 with x-should-retry: false), the
// newest page the next poll stores is still the past, not written: only
// activities from the start less the indexing lag on.
func TestTailFailedFirstPollWritesNoPast(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary against a live simulator")
	}
	bin := buildBinary(t)
	srv := sim.New(sim.Config{Seed: 15, Events: 300, LiveRate: 240, Now: time.Now,
		Faults: sim.Faults{ServerErrorEvery: 2, ServerErrorCodes: []int{500}, NoRetry: true}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	env, _ := tailEnv(t, hs.URL)
	start := time.Now()
	p := startTail(t, bin, env, "--format", "ndjson", "--tail-poll", "1s")
	deadline := time.Now().Add(2 * time.Minute) // a failed poll waits a minute for the next
	for live := 0; live < 10; {
		a := p.nextActivity(t, deadline)
		if a.CreatedAt.Before(start.Add(-feed.SettledLag)) {
			t.Fatalf("tail wrote %s, created %s, before its start less the indexing lag", a.ID, a.CreatedAt.Format(time.RFC3339Nano))
		}
		if a.CreatedAt.After(start) {
			live++
		}
	}
	if b, _ := os.ReadFile(p.stderr); !strings.Contains(string(b), "500") {
		t.Fatalf("no failed poll on stderr: the test proves little: %s", b)
	}
}

// TestTailClosedPipeExitsZero: when the reader goes away (tail | head -1),
// the next write fails and tail ends with exit 0, not by SIGPIPE.
func TestTailClosedPipeExitsZero(t *testing.T) {
	bin, env := liveTail(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "tail", "--tail-poll", "1s")
	cmd.Env, cmd.Stdout = env, w
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	w.Close()
	if _, err := bufio.NewReader(r).ReadString('\n'); err != nil { // head -1
		t.Fatalf("first line: %v", err)
	}
	r.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("tail after its reader left: %v (stderr %q), want exit 0", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("tail did not end within a minute of its reader leaving")
	}
}

// TestTailInterruptExits130: SIGINT ends tail with exit 130 ("interrupted"
// on stderr), stdout holding only whole activities.
func TestTailInterruptExits130(t *testing.T) {
	bin, env := liveTail(t)
	p := startTail(t, bin, env, "--format", "csv", "--tail-poll", "1s")
	header, _ := p.next(t, time.Now().Add(time.Minute))
	if !strings.HasPrefix(header.text, "id,created_at,") || !strings.HasSuffix(header.text, ",late") {
		t.Fatalf("csv header %q: want the query columns and a late column", header.text)
	}
	p.next(t, time.Now().Add(time.Minute))
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitInterrupted {
		b, _ := os.ReadFile(p.stderr)
		t.Fatalf("exit %d after SIGINT, want %d; stderr %s", code, exitInterrupted, b)
	}
	if b, _ := os.ReadFile(p.stderr); !strings.Contains(string(b), "interrupted") {
		t.Fatalf("stderr %q", b)
	}
}

// TestTailUsage: the flags and queries tail refuses, in-process.
func TestTailUsage(t *testing.T) {
	e := newTestEnv(t)
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	e.key = sim.AdminKey
	for _, args := range [][]string{
		{"tail", "since:1h"},
		{"tail", "--format", "json"},
		{"tail", "--checkpoint", "a b"},
		{"tail", "--since", "yesterday-ish"},
	} {
		if code, out, stderr := e.run(args...); code != exitUsage || out != "" || stderr == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error", args, code, out, stderr)
		}
	}
}

// BenchmarkTailLag measures what tail adds to the feed's own indexing lag
// on a busy feed (the simulator indexes its live events at once, 4 a
// second): from an event's created_at to its line read from tail's stdout,
// over 60 live events stamped to the millisecond. It reports the median, 95th percentile and worst
// in milliseconds.
func BenchmarkTailLag(b *testing.B) {
	bin := buildBinary(b)
	_, url := liveSim(b, 240, 0, 0)
	for b.Loop() {
		lags := tailLags(b, bin, url, 60)
		slices.Sort(lags)
		b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-p50-ms")
		b.ReportMetric(float64(lags[len(lags)*95/100].Milliseconds()), "lag-p95-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Milliseconds()), "lag-max-ms")
	}
}

// tailLags runs tail and returns the lag of n live events created after
// it started.
func tailLags(b *testing.B, bin, url string, n int) []time.Duration {
	home := b.TempDir()
	cmd := exec.Command(bin, "tail", "--tail-poll", "1s", "--cache", filepath.Join(home, "c.db"))
	cmd.Env = append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home, "XDG_CONFIG_HOME="+home,
		envBaseURL+"="+url, envKeyVar+"="+sim.AdminKey)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	start := time.Now()
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	var lags []time.Duration
	for len(lags) < n && sc.Scan() {
		at := time.Now()
		var a feed.Activity
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			b.Fatal(err)
		}
		// Only the events stamped to the millisecond: the simulator cuts
		// three in five to the second, which would add up to a second
		// that is not tail's.
		if a.CreatedAt.After(start) && a.CreatedAt.Nanosecond() != 0 && !ownCall(a) {
			lags = append(lags, at.Sub(a.CreatedAt))
		}
	}
	if len(lags) < n {
		b.Fatal(fmt.Errorf("tail ended after %d events: %v", len(lags), sc.Err()))
	}
	return lags
}

// writeCalls records each Write.
type writeCalls struct{ calls [][]byte }

func (w *writeCalls) Write(p []byte) (int, error) {
	w.calls = append(w.calls, bytes.Clone(p))
	return len(p), nil
}

// TestWholeLines: tail's stdout takes a batch in writes that end at a
// line's end and hold at most PIPE_BUF bytes (atomic on a pipe), a longer
// line alone, and nothing lost or reordered.
func TestWholeLines(t *testing.T) {
	var in bytes.Buffer
	for i := range 300 {
		n := 100 + i*7
		if i%97 == 0 {
			n = 9000 // longer than PIPE_BUF
		}
		in.WriteString(strings.Repeat("x", n) + "\n")
	}
	in.WriteString("no newline at the end")
	var rec writeCalls
	if n, err := (wholeLines{&rec}).Write(in.Bytes()); err != nil || n != in.Len() {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, in.Len())
	}
	if got := bytes.Join(rec.calls, nil); !bytes.Equal(got, in.Bytes()) {
		t.Fatal("the writes do not add up to the input")
	}
	for i, c := range rec.calls[:len(rec.calls)-1] {
		if c[len(c)-1] != '\n' {
			t.Fatalf("write %d ends inside a line", i)
		}
		if len(c) > pipeBuf && bytes.Count(c, []byte{'\n'}) > 1 {
			t.Fatalf("write %d: %d bytes of %d lines, over PIPE_BUF", i, len(c), bytes.Count(c, []byte{'\n'}))
		}
	}
	if len(rec.calls) < in.Len()/pipeBuf {
		t.Fatalf("%d writes for %d bytes", len(rec.calls), in.Len())
	}
}
