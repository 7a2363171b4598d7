package main

import (
	"strings"
	"testing"
	"time"
)

// demoRSSTarget is the demo's peak resident memory budget (issue 16).
const demoRSSTarget = 400 // MB

// BenchmarkTmuxDemoRSS runs `claudit demo` in a real 160×48 terminal until
// the header says the 300,000-event backfill has synced, and reports the
// time to that and the process's peak resident memory (VmHWM) by then:
// simulator, sync, cache and explorer in one process. It fails when the
// peak passes demoRSSTarget. Not run by the test suite (go test -bench
// TmuxDemoRSS -run '^$').
func BenchmarkTmuxDemoRSS(b *testing.B) {
	if testing.Short() {
		b.Skip("runs the demo's 300,000-event sync")
	}
	bin := buildBinary(b)
	var synced, peak float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tm := startTmux(b, 160, 48, bin+" demo", "TERM=xterm-256color", "NO_COLOR=1", "XDG_CONFIG_HOME="+b.TempDir())
		tm.waitFor("the header to say synced", 5*time.Minute, func(s string) bool {
			header, _, _ := strings.Cut(s, "\n")
			return strings.HasSuffix(strings.TrimSpace(header), "synced")
		})
		synced += time.Since(start).Seconds()
		b.StopTimer()
		peak = max(peak, float64(procStatusKB(b, childPID(b, tm), "VmHWM"))/1024)
		tm.keys("q")
		tm.waitText("EXIT:0", 30*time.Second)
		b.StartTimer()
	}
	b.ReportMetric(synced/float64(b.N), "s-to-synced")
	b.ReportMetric(peak, "peak-RSS-MB")
	if peak > demoRSSTarget {
		b.Errorf("the demo peaked at %.0f MB resident, over its %d MB budget", peak, demoRSSTarget)
	}
}
