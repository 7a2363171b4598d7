package ui

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"claudit/feed"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// testNow is the deterministic clock of every model test.
var testNow = time.Date(2026, 9, 15, 15, 0, 0, 0, time.UTC)

// harness drives a Model synchronously: it runs every Cmd inline and feeds
// the resulting messages back, like the Bubble Tea loop minus goroutines.
// Status-expiry ticks are captured instead of waited for.
type harness struct {
	t         testing.TB
	m         Model
	src       *fakeSource
	ticks     []tea.Cmd
	clipboard []string
	quit      bool
	// holdSync stashes syncStartedMsg in held instead of delivering it,
	// so a test can arrange the screen before a sync's reports arrive.
	holdSync bool
	held     []tea.Msg
	// parkWaits keeps the Cmds that wait for the next sync or tail report
	// (they block until one arrives) in waits instead of running them; a
	// test runs them with releaseWaits once it made the fake report.
	parkWaits bool
	waits     []tea.Cmd
}

type harnessOpt func(*harness, *Deps)

func withQuery(s string) harnessOpt {
	return func(_ *harness, d *Deps) {
		q, err := feed.Parse(s)
		if err != nil {
			panic(err)
		}
		d.Query = q
	}
}

func withSync(f func(ctx context.Context, q feed.Query, report func(feed.Progress)) error) harnessOpt {
	return func(_ *harness, d *Deps) { d.Sync = f }
}

func holdSync() harnessOpt { return func(h *harness, _ *Deps) { h.holdSync = true } }

func parkWaits() harnessOpt { return func(h *harness, _ *Deps) { h.parkWaits = true } }

// isWait reports whether c is a waitSyncCmd closure (closures of one
// function literal share their code pointer).
func isWait(c tea.Cmd) bool {
	return reflect.ValueOf(c).Pointer() == reflect.ValueOf(waitSyncCmd(nil, req{})).Pointer()
}

func withDeps(f func(*Deps)) harnessOpt { return func(_ *harness, d *Deps) { f(d) } }

func newHarness(t testing.TB, src *fakeSource, w, h int, opts ...harnessOpt) *harness {
	t.Helper()
	d := Deps{
		Profile:      "prod",
		KeyLabel:     "admin key …x9Qa",
		Now:          func() time.Time { return testNow },
		DefaultSince: 30 * 24 * time.Hour,
		UTC:          true,
		// A zone of its own (t still switches) at UTC's offset: screens and
		// the tripwires' working hours do not depend on the machine's zone.
		Local: time.FixedZone("UTC", 0),
	}
	opts = append([]harnessOpt{withQuery("since:24h")}, opts...)
	hs := &harness{t: t, src: src}
	if src != nil {
		d.Source = src
	}
	for _, o := range opts {
		o(hs, &d)
	}
	m := New(d)
	m.tick = func(_ time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		c := func() tea.Msg { return fn(testNow) }
		hs.ticks = append(hs.ticks, c)
		return nil
	}
	hs.m = m
	// The first frame comes before any size is known.
	if got := m.View().Content; got == "" {
		t.Fatal("empty first frame")
	}
	if w > 0 {
		hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	}
	hs.run(m.Init())
	return hs
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	m, cmd := h.m.Update(msg)
	h.m = m.(Model)
	h.run(cmd)
}

// run executes cmd and everything it leads to.
func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			h.t.Fatal("command loop does not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		if h.parkWaits && isWait(c) {
			h.waits = append(h.waits, c)
			continue
		}
		queue = append(queue, h.deliver(c())...)
	}
}

// deliver applies one message and returns the Cmds it leads to.
func (h *harness) deliver(msg tea.Msg) []tea.Cmd {
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		return msg
	case tea.QuitMsg:
		h.quit = true
		return nil
	}
	if _, ok := msg.(syncStartedMsg); ok && h.holdSync {
		h.held = append(h.held, msg)
		return nil
	}
	if fmt.Sprintf("%T", msg) == "tea.setClipboardMsg" {
		h.clipboard = append(h.clipboard, reflect.ValueOf(msg).String())
		return nil
	}
	m, next := h.m.Update(msg)
	h.m = m.(Model)
	return []tea.Cmd{next}
}

// releaseWaits runs the parked waits: each reads the report the test made
// the fake send (or the end of its run) and the model applies it. A wait
// that gets nothing within the deadline fails the test instead of hanging.
func (h *harness) releaseWaits() {
	h.t.Helper()
	waits := h.waits
	h.waits = nil
	for _, c := range waits {
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			for _, next := range h.deliver(msg) {
				h.run(next)
			}
		case <-time.After(5 * time.Second):
			h.t.Fatal("no sync or tail report arrived")
		}
	}
}

// fireTicks delivers the captured status-expiry ticks.
func (h *harness) fireTicks() {
	ticks := h.ticks
	h.ticks = nil
	for _, c := range ticks {
		h.run(c)
	}
}

// key sends key presses written as tea names: "j", "ctrl+d", "enter", "G".
func (h *harness) key(names ...string) {
	h.t.Helper()
	for _, n := range names {
		h.send(keyMsg(n))
	}
}

// typeText sends one key press per rune.
func (h *harness) typeText(s string) {
	for _, r := range s {
		if r == ' ' {
			h.send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
			continue
		}
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(n string) tea.KeyPressMsg {
	special := map[string]tea.Key{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
		"up":        {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "pgup": {Code: tea.KeyPgUp},
		"pgdown": {Code: tea.KeyPgDown}, "home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd},
		"backspace": {Code: tea.KeyBackspace}, "space": {Code: tea.KeySpace, Text: " "},
	}
	if k, ok := special[n]; ok {
		return tea.KeyPressMsg(k)
	}
	if f, ok := strings.CutPrefix(n, "f"); ok && len(f) > 0 && f[0] >= '1' && f[0] <= '9' {
		i, _ := strconv.Atoi(f)
		return tea.KeyPressMsg{Code: tea.KeyF1 + rune(i-1)}
	}
	if c, ok := strings.CutPrefix(n, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(c)[0], Mod: tea.ModCtrl}
	}
	r := []rune(n)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + 'a' - 'A', ShiftedCode: r, Text: n, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: r, Text: n}
}

// overlayName names what covers the table: none, help, dossier, facets,
// palette, note, query, find.
func (h *harness) overlayName() string {
	d := h.m.dialogs.top()
	if d == nil {
		return "none"
	}
	return map[dialogID]string{dialogHelp: "help", dialogDossier: "dossier", dialogFacets: "facets",
		dialogPalette: "palette", dialogNote: "note", dialogQuery: "query", dialogFind: "find"}[d.id()]
}

// screen is the current frame without colour.
func (h *harness) screen() string { return ansi.Strip(h.m.View().Content) }

func (h *harness) selectedID() string {
	r, _ := h.m.table.selected()
	return r.ID
}

func (h *harness) mustContain(parts ...string) {
	h.t.Helper()
	s := h.screen()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			h.t.Fatalf("screen lacks %q:\n%s", p, s)
		}
	}
}
