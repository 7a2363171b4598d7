package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"claudit/feed"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// syncBuffer is an io.Writer safe to read while the program writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunProgram runs the real program loop: it draws the cache, starts
// the sync after the first screen, and quits on q with the sync cancelled.
func TestRunProgram(t *testing.T) {
	pr, pw := io.Pipe()
	out := &syncBuffer{}
	syncCtx := make(chan context.Context, 1)
	d := Deps{
		Source: newFakeRows(exampleRows(t)),
		Query:  feed.Query{Window: feed.Window{Since: 24 * time.Hour}},
		Now:    func() time.Time { return testNow },
		UTC:    true,
		Sync: func(ctx context.Context, q feed.Query, report func(feed.Progress)) error {
			syncCtx <- ctx
			<-ctx.Done() // a live tail runs until cancelled
			return ctx.Err()
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, d, tea.WithInput(pr), tea.WithOutput(out), tea.WithWindowSize(100, 30), tea.WithoutSignals())
	}()
	var sctx context.Context
	select {
	case sctx = <-syncCtx:
	case <-ctx.Done():
		t.Fatal("the sync never started")
	}
	// Poll the output until the first screen shows, then quit.
	for !strings.Contains(ansi.Strip(out.String()), "scoped_api_key_delet") {
		if ctx.Err() != nil {
			t.Fatalf("no table on screen:\n%q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := pw.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("q did not quit")
	}
	if !errors.Is(sctx.Err(), context.Canceled) {
		t.Fatal("the sync outlived the program")
	}
	if !strings.Contains(out.String(), "\x1b[?1049h") {
		t.Fatal("the program did not use the alternate screen")
	}
}
