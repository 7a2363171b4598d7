// Package ui is the explorer TUI: a Bubble Tea v2 program that answers every
// question from the local cache (through Source) while a sync fills it in the
// background. The root Model is a small state machine and focus router; each
// screen area is a component with SetSize, Update-style handlers and a
// View() string. Untrusted event text reaches the terminal only through
// ui/safe, once, where each component renders it.
package ui
