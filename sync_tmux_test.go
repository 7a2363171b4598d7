package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"claudit/feed/sim"
)

// TestSyncSummaryInTmux runs claudit sync in a real terminal: the progress
// bar is erased and the summary line is what the terminal shows at the end.
func TestSyncSummaryInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs it in tmux")
	}
	bin := buildBinary(t)
	_, url := startSim(t, sim.Config{Seed: 7, Events: 3000})
	tm := startTmux(t, 200, 10, bin+" sync since:10d --page-size 200", "TERM=xterm-256color",
		envBaseURL+"="+url, envCache+"="+filepath.Join(t.TempDir(), "c.db"), envKeyVar+"="+sim.AdminKey,
		"XDG_CONFIG_HOME="+t.TempDir())
	screen := tm.waitText("EXIT:", time.Minute)
	var lines []string
	for l := range strings.SplitSeq(screen, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	// The summary, then the directory's one line (an Admin key cannot read
	// it), then the exit status; no bar left behind.
	if n := len(lines); n < 3 || !strings.HasPrefix(lines[n-3], "claudit: synced ") || !strings.Contains(lines[n-2], "names need a Compliance Access Key") ||
		lines[n-1] != "EXIT:0" || strings.Contains(screen, "█") || strings.Contains(screen, "%") {
		t.Fatalf("screen at the end of sync:\n%s", screen)
	}
}
