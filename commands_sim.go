package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"claudit/feed"
	"claudit/feed/sim"
	"claudit/store"
	"claudit/ui"

	"github.com/spf13/cobra"
)

// Demo organisation: a month of a realistic org, an incident in its last
// hours, live events and a few late ones (feed/sim generates all of it).
const (
	demoSeed      = 42
	demoEvents    = 300_000
	demoLiveRate  = 20 // events per minute
	demoLateShare = 0.002
	// demoParallel is how many requests the demo's backfill keeps in
	// flight (claudit sync's default is 8). The simulator that encodes the
	// pages and the explorer that decodes them share one process: more
	// pages in flight hold more bodies and decoded activities at once
	// without syncing sooner.
	demoParallel = 2
	// demoPageSize is the demo's page (--page-size unless given): the
	// bodies and decoded activities of a page in flight are most of the
	// sync's memory, and a smaller page holds less of them at once.
	demoPageSize = 2000
	// demoMemoryLimit is the demo's soft limit on Go memory. While the
	// backfill runs, 100–150 MB are live (the simulated organisation's
	// 57 MB and the pages in the sync's pipeline), and without a limit the
	// collector lets the heap grow to twice that before it runs. A
	// GOMEMLIMIT in the environment wins.
	demoMemoryLimit = 160 << 20
	// demoWriterCache and demoWriterMmap size the cache writer's page cache
	// (KiB) and memory map (bytes), both resident: the store's defaults
	// (64 MiB, 256 MiB) are for a million-event backfill; the demo's cache
	// is under 300 MB and shares the process with the simulator.
	demoWriterCache = 16 << 10
	demoWriterMmap  = 64 << 20
)

func (a *app) simCommand() *cobra.Command {
	var (
		addr     string
		seed     int64
		events   int
		faults   string
		liveRate float64
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the built-in Activity Feed simulator on loopback",
		Long: `sim serves a deterministic simulation of GET /v1/compliance/activities (same
seed, same data) with the scripted story of a leaked key, for trying claudit
without a real organisation. Its keys are public constants, printed below.

Faults (--faults, comma-separated): 429every=N, retryafter=S, 5xxevery=N,
5xxcodes=C/C/…, noretry, truncate=N, reset=N, latency=D, late=F, lateby=D, dup=N,
dupchanged, emptymore=N.`,
		Example: `  claudit sim --events 50000 --live-rate 20
  claudit sim --addr 127.0.0.1:0 --faults 429every=7,5xxevery=5`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := sim.ParseFaults(faults)
			if err != nil {
				return &usageError{err: err}
			}
			if events < 0 || liveRate < 0 {
				return &usageError{err: errors.New("--events and --live-rate cannot be negative")}
			}
			if events == 0 {
				events = -1 // sim.Config: 0 means its default, < 0 none
			}
			return a.serveSim(cmd.Context(), addr, sim.Config{Seed: seed, Events: events, LiveRate: liveRate, Faults: f})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8787", "address to listen on (port 0 picks a free one)")
	fl.Int64Var(&seed, "seed", 1, "seed of the generated data")
	fl.IntVar(&events, "events", 5000, "historical events over the last 30 days")
	fl.StringVar(&faults, "faults", "", "faults to inject, e.g. 429every=7,5xxevery=5")
	fl.Float64Var(&liveRate, "live-rate", 0, "new events per minute after start")
	return cmd
}

// serveSim runs the simulator until ctx ends.
func (a *app) serveSim(ctx context.Context, addr string, cfg sim.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &usageError{err: fmt.Errorf("listen on %s: %w", addr, err)}
	}
	srv := sim.New(cfg)
	base := "http://" + ln.Addr().String()
	sc := srv.Scenario()
	fprintf(a.env.stdout, "claudit sim: serving the Activity Feed at %s (seed %d)\n", base, cfg.Seed)
	fprintf(a.env.stdout, "  export %s=%s\n  export %s=%s\n", envBaseURL, base, envKeyVar, sim.AdminKey)
	if sc.LeakedKeyID != "" {
		fprintf(a.env.stdout, "  then try: claudit key %s    (the leaked key; attacker ip %s)\n", sc.LeakedKeyID, sc.AttackerIP)
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			a.warn("note: %s is not a loopback address; claudit sends keys over plain http only to loopback", host)
		}
	}
	fprintf(a.env.stdout, "press ctrl+c to stop\n")
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return &apiRunError{err: fmt.Errorf("simulator: %w", err)}
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutCtx)
	return nil
}

func (a *app) demoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Open the explorer on a simulated organisation (no key, no setup)",
		Long: `demo starts the simulator on loopback with a realistic organisation (300,000
events over 30 days, an incident in the last hours, about 20 new events a minute,
a few indexed late), syncs it into a temporary cache that is removed on exit, and
opens the explorer. Try: key:<the leaked key> in the query bar, or K on a row.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.settings(cmd); err != nil {
				return err
			}
			if !cmd.Flags().Changed("page-size") {
				a.pageSize = demoPageSize
			}
			return a.demo(cmd.Context())
		},
	}
}

func (a *app) demo(ctx context.Context) error {
	if !a.env.isTerminal(a.env.stdout) || !a.env.isTerminal(a.env.stdin) {
		return &usageError{err: errors.New("the demo is a terminal UI: run it in a terminal (for scripts, use claudit sim)")}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return &usageError{err: fmt.Errorf("start the simulator: %w", err)}
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(demoMemoryLimit)
	}
	if a.parallel < 1 {
		a.parallel = demoParallel
	}
	srv := sim.New(demoSimConfig())
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	dir, err := os.MkdirTemp("", "claudit-demo-")
	if err != nil {
		return &cacheError{err: fmt.Errorf("create the demo cache: %w", err)}
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "demo.db"), store.WithWriterMemory(demoWriterCache, demoWriterMmap))
	if err != nil {
		return &cacheError{err: err}
	}
	defer st.Close()
	// The demo reads with a Compliance Access Key, so the directory gives
	// names (an Admin API key reaches only the feed).

	a.baseURL = "http://" + ln.Addr().String()
	key := feed.NewSecret(sim.ComplianceKey)
	deps := a.tuiDeps(st, feed.Query{}, key.Masked(), func(context.Context) (feed.Secret, error) { return key, nil })
	deps.Profile = "demo"
	return ui.Run(ctx, deps)
}

// demoSimConfig is the organisation the demo simulates.
func demoSimConfig() sim.Config {
	return sim.Config{Seed: demoSeed, Events: demoEvents, LiveRate: demoLiveRate,
		Faults: sim.Faults{LateFraction: demoLateShare}}
}
