package feed_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
)

// Environment of the child process of BenchmarkBackfillMemory.
const (
	memChildURL = "CLAUDIT_MEMBENCH_URL"
	memChildDir = "CLAUDIT_MEMBENCH_DIR"
	// memChildIngest makes the child write the same events with Store.Put
	// instead, with no network: the ingest rate the backfill is compared
	// with (of-ingest-%).
	memChildIngest = "CLAUDIT_MEMBENCH_INGEST"
)

// memSim is the data set of BenchmarkBackfillMemory.
var memSim = sim.Config{Seed: 21, Events: 1_000_000, RateLimit: -1}

// BenchmarkBackfillMemory backfills 1,000,000 events from the simulator
// into a fresh cache and reports the peak resident memory (VmHWM) of the
// process that did it. The simulator, which holds the whole data set,
// runs in this process; the backfill runs in a child process (this test
// binary, TestBackfillMemoryChild), so the peak is claudit's own. cpu-s is
// the child's CPU time (user + system). Each op also runs the ingest child
// first, so of-ingest-% compares rates measured minutes apart, not days.
func BenchmarkBackfillMemory(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-event dataset")
	}
	_, srv := loopbackSim(b, memSim)
	var peakMB, rate, ingest, cpu float64
	for b.Loop() {
		ingestRun := memChild(b, memChildIngest+"=1", memChildURL+"="+srv.URL, memChildDir+"="+b.TempDir())
		ingest = ingestRun.rate
		run := memChild(b, memChildURL+"="+srv.URL, memChildDir+"="+b.TempDir())
		peakMB, rate, cpu = run.peakMB, run.rate, run.cpu
	}
	b.ReportMetric(peakMB, "MB-peak")
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(ingest, "ingest-events/s")
	b.ReportMetric(100*rate/ingest, "of-ingest-%")
	b.ReportMetric(cpu, "cpu-s")
}

// memRun is what a child of BenchmarkBackfillMemory reported.
type memRun struct{ peakMB, rate, cpu float64 }

// memChild runs TestBackfillMemoryChild with env.
func memChild(b *testing.B, env ...string) memRun {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackfillMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child: %v\n%s", err, out)
	}
	var hwmKB, events int
	var secs float64
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if _, err := fmt.Sscanf(strings.TrimSpace(sc.Text()), "backfill-memory: events=%d seconds=%g vmhwm_kb=%d", &events, &secs, &hwmKB); err == nil {
			break
		}
	}
	if hwmKB == 0 || events != memSim.Events {
		b.Fatalf("child reported events=%d vmhwm_kb=%d:\n%s", events, hwmKB, out)
	}
	// CPU time is less at the mercy of a shared machine than events/s.
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return memRun{peakMB: float64(hwmKB) / 1024, rate: float64(events) / secs, cpu: cpu}
}

// TestBackfillMemoryChild is BenchmarkBackfillMemory's child: without its
// environment it does nothing.
func TestBackfillMemoryChild(t *testing.T) {
	url, dir := os.Getenv(memChildURL), os.Getenv(memChildDir)
	if url == "" || dir == "" {
		t.Skip("run by BenchmarkBackfillMemory")
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "bench.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if os.Getenv(memChildIngest) != "" {
		// The same events the simulator serves, newest first, as the
		// backfill's pages are.
		cfg := memSim
		cfg.End = simEnd
		cfg.Now = func() time.Time { return simEnd.Add(time.Hour) }
		acts := sim.New(cfg).Activities()
		start := time.Now()
		if err := putAll(context.Background(), st, acts); err != nil {
			t.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		// Not the backfill's peak (the child holds the whole data set):
		// the benchmark reports only this child's rate.
		hwm, err := vmHWMKB()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("backfill-memory: events=%d seconds=%g vmhwm_kb=%d\n", len(acts), secs, hwm)
		return
	}
	c, err := feed.New(feed.WithBaseURL(url), feed.WithKey(feed.NewSecret(sim.AdminKey)), feed.WithRetry(fastRetry))
	if err != nil {
		t.Fatal(err)
	}
	from, to := simEnd.Add(-31*24*time.Hour), simEnd.Add(time.Minute)
	start := time.Now()
	sum, err := feed.NewSyncer(c, st).Sync(context.Background(), absWindow(from, to), 0)
	if err != nil {
		t.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	hwm, err := vmHWMKB()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("backfill-memory: events=%d seconds=%g vmhwm_kb=%d\n", sum.Inserted, secs, hwm)
}

// vmHWMKB reads the process's peak resident set size from /proc.
func vmHWMKB() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
