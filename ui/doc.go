// Package ui is the explorer TUI: a Bubble Tea v2 program that answers every
// question from the local cache (through Source) while a sync fills it in the
// background.
//
// The house rules the code follows:
//
//   - The root Model is a state machine (loading, ready, error) and a
//     router (app.go). A key goes to the dialog on top of the dialog stack
//     (dialog.go), else through the command registry (commands.go) to the
//     focused pane. The query session (results.go: session) and the live
//     tail state (live.go: liveTail) are sub-models the root holds.
//   - Children are plain structs the root drives, crush-style: each has
//     SetSize and View() string and methods the root calls; none has an
//     Update of its own (lineInput, the text primitive, takes key messages
//     through the dialog that owns it). Only the root returns a tea.View.
//   - Every action is one row of the command registry: its default keys,
//     config name, palette entry, when it is enabled and what it does.
//     Dispatch, the palette, help and rebinding read that row; overlays
//     match keys through the KeyMap, never literal key strings (ctrl+c,
//     which always quits, is the one exception).
//   - No I/O in Init, Update or View. Reads and writes run in tea.Cmds whose
//     constructors take values (context, Source, query, cursor, req), never
//     *Model; the model changes only in Update.
//   - Every result carries the req (kind and id) of the request that caused
//     it, or the table's page seq; the in-flight tracker (inflight.go) keeps
//     the last request of each kind and stale results are dropped. A new
//     query cancels the previous one's context.
//   - Untrusted event text reaches the terminal only through ui/safe, once,
//     where each component renders it. Styles are shared by pointer and
//     never changed in place.
package ui
