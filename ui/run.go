package ui

import (
	"context"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
)

// Run runs the explorer on the terminal until the user quits (q, ctrl+c)
// or ctx ends. Bubble Tea restores the terminal on every exit path,
// including errors and panics. Every read and the sync are cancelled before
// Run returns.
func Run(ctx context.Context, d Deps) error {
	return run(ctx, d)
}

// run is Run with extra program options, so tests can supply the input,
// output and size of a terminal.
func run(ctx context.Context, d Deps, opts ...tea.ProgramOption) error {
	if os.Getenv("NO_COLOR") != "" {
		d.NoColor = true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the sync and any read still running
	opts = append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)
	p := tea.NewProgram(newModel(ctx, d), opts...)
	if _, err := p.Run(); err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	return nil
}
