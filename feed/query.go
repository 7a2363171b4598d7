package feed

import "time"

// Query is one parsed query of the claudit query language (DESIGN.md, "Query
// language"). The same value drives the TUI, the CLI and saved views.
// Parse(q.String()) equals q.
type Query struct {
	Window Window
	Actor  Terms // e-mail or user_… id (or any actor id: api key, admin key, service account)
	Key    Terms // an API key id, as actor or as target
	Type   Terms // exact type names, globs (*api_key*) or presets (@keys), as written
	Org    Terms // org_… id or organization UUID
	IP     Terms
	Text   Terms // free text (quoted or bare words)
	ID     Terms // bare ids: any mention anywhere in the event
}

// Terms holds the values of one field: an event must match at least one
// Include value (when there are any) and none of the Exclude values.
type Terms struct {
	Include []string
	Exclude []string
}

// Window is the time range of a query: either relative (Since > 0, ending
// now) or absolute (From and/or To set; a zero bound is open). A zero Window
// means "no time term".
type Window struct {
	Since time.Duration
	From  time.Time
	To    time.Time
}
