// Command claudit is a terminal audit explorer for the Anthropic Compliance
// API Activity Feed: a TUI over a local cache, headless sync, query, key
// dossier and evidence export commands, and a built-in simulator.
//
// This file only wires the real process environment to run; the commands
// live in cli.go and commands_*.go, the logic in the feed, store and ui
// packages.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	harden()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], systemEnv())
	stop()
	os.Exit(code)
}
