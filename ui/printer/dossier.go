package printer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"claudit/feed"
	"claudit/store"
	"claudit/ui/safe"

	"github.com/charmbracelet/x/ansi"
)

// RedactDossier returns d with everything personal masked by red (nil:
// unchanged): the key id and name, each lifecycle event and its changes,
// and the ips and user agents the key acted from.
func RedactDossier(d store.Dossier, red *feed.Redactor) store.Dossier {
	if red == nil {
		return d
	}
	d.KeyID = red.Field("api_key_id", d.KeyID)
	d.Name = red.String(d.Name)
	life := make([]store.LifecycleEvent, len(d.Lifecycle))
	for i, ev := range d.Lifecycle {
		ev.Row = RedactRow(ev.Row, red)
		change := make([]feed.Update, len(ev.Change))
		for j, u := range ev.Change {
			if len(u.Previous) > 0 {
				u.Previous = red.JSON(u.Previous)
			}
			if len(u.Current) > 0 {
				u.Current = red.JSON(u.Current)
			}
			change[j] = u
		}
		ev.Change = change
		life[i] = ev
	}
	d.Lifecycle = life
	mask := func(fs []store.FacetCount, member string) []store.FacetCount {
		out := make([]store.FacetCount, len(fs))
		for i, f := range fs {
			out[i] = store.FacetCount{Value: red.Field(member, f.Value), Count: f.Count}
		}
		return out
	}
	d.IPs = mask(d.IPs, "ip_address")
	d.UserAgents = mask(d.UserAgents, "user_agent")
	return d
}

// WriteDossier prints a key dossier for people: what the key is, its
// lifecycle (who created, renamed, switched, revoked and deleted it, with
// time, ip and user agent, each change as before → after) and what it did.
func WriteDossier(w io.Writer, d store.Dossier, opt PrintOptions) error {
	d = RedactDossier(d, opt.Redactor)
	var heading, dim, label, change Painter
	if th := opt.Theme; th != nil {
		heading, dim, label, change = NewPainter(th.Header), NewPainter(th.Dim), NewPainter(th.Label), NewPainter(th.Change)
	}
	loc := opt.loc()
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format(PrintTimeLayout)
	}
	cut := func(s string, indent int) string {
		if opt.Width <= 0 {
			return s
		}
		return truncateCell(s, max(8, opt.Width-indent))
	}
	var b bytes.Buffer
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }

	kind := d.KeyKind
	if kind == "" {
		kind = "unknown kind"
	}
	head := "KEY " + safe.Text(d.KeyID) + "  (" + safe.Text(kind) + ")"
	if d.Name != "" {
		head += "  name " + safe.Text(strconv.Quote(d.Name))
	}
	line(heading.Paint(head))
	line(fmt.Sprintf("%s %d %s", label.Paint("mentioned by"), d.Mentions, label.Paint("cached events")))
	if d.Mentions == 0 {
		line(dim.Paint("The cache holds no event that mentions this key: check the id, or sync a longer window (since:90d)."))
		_, err := w.Write(b.Bytes())
		return err
	}

	line("")
	line(heading.Paint("LIFECYCLE"))
	if len(d.Lifecycle) == 0 {
		line(dim.Paint("  no lifecycle events in the cache"))
	}
	type lc struct{ time, action, by, ip, ua, typ string }
	var evs []lc
	aw, bw, iw := 0, 0, 0
	for _, ev := range d.Lifecycle {
		r := ev.Row
		e := lc{
			time:   ts(r.CreatedAt),
			action: safe.Text(clipBytes(ev.Action, cellInputMax)),
			by:     safe.Text(clipBytes(r.Actor.Label(), cellInputMax)),
			ip:     safe.Text(clipBytes(r.Actor.IPAddress, cellInputMax)),
			ua:     safe.Text(clipBytes(r.Actor.UserAgent, cellInputMax)),
			typ:    safe.Text(clipBytes(r.Type, cellInputMax)),
		}
		if e.ip == "" {
			e.ip = "-"
		}
		e.by = truncateCell(e.by, 40)
		aw, bw, iw = max(aw, ansi.StringWidth(e.action)), max(bw, ansi.StringWidth(e.by)), max(iw, ansi.StringWidth(e.ip))
		evs = append(evs, e)
	}
	for i, e := range evs {
		s := "  " + e.time + "  " + padCell(e.action, aw) + "  by " + padCell(e.by, bw) + "  from " + padCell(e.ip, iw) + "  " + e.typ
		line(cut(s, 0))
		if e.ua != "" {
			line(dim.Paint(cut("      user agent: "+e.ua, 0)))
		}
		for _, u := range d.Lifecycle[i].Change {
			line("      " + change.Paint(cut(safe.Text(u.String()), 6)))
		}
	}

	line("")
	line(heading.Paint("WHAT IT DID"))
	if d.ActedCount == 0 {
		line(dim.Paint("  the key never acted in the cached events"))
	} else {
		line(fmt.Sprintf("  %s %d  %s %s  %s %s", label.Paint("events"), d.ActedCount,
			label.Paint("first seen"), ts(d.FirstSeen), label.Paint("last seen"), ts(d.LastSeen)))
	}
	facet := func(title string, fs []store.FacetCount) {
		if len(fs) == 0 {
			return
		}
		line("  " + label.Paint(title))
		for _, f := range fs {
			line(cut(fmt.Sprintf("    %8d  %s", f.Count, safe.Text(clipBytes(f.Value, cellInputMax))), 0))
		}
	}
	facet("by type", d.ByType)
	facet("ips", d.IPs)
	facet("user agents", d.UserAgents)
	_, err := w.Write(b.Bytes())
	return err
}

// padCell pads safe text with spaces to w cells.
func padCell(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// DossierJSON is the machine-readable key dossier of `claudit key --format
// json`. Times are UTC; before/after values of a change are the raw JSON.
type DossierJSON struct {
	KeyID     string             `json:"key_id"`
	Kind      string             `json:"kind"`
	Name      string             `json:"name"`
	Mentions  int                `json:"mentions"`
	Lifecycle []DossierEventJSON `json:"lifecycle"`
	Activity  DossierActedJSON   `json:"activity"`
}

// DossierEventJSON is one lifecycle step.
type DossierEventJSON struct {
	Time    time.Time           `json:"time"`
	Action  string              `json:"action"`
	Type    string              `json:"type"`
	ID      string              `json:"id"`
	Actor   DossierActorJSON    `json:"actor"`
	Changes []DossierChangeJSON `json:"changes"`
}

// DossierActorJSON says who performed a lifecycle step.
type DossierActorJSON struct {
	Type      string `json:"type"`
	Label     string `json:"label"`
	ID        string `json:"id"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// DossierChangeJSON is one updates[] transition.
type DossierChangeJSON struct {
	Field    string          `json:"field"`
	Previous json.RawMessage `json:"previous"`
	Current  json.RawMessage `json:"current"`
}

// DossierActedJSON summarises what the key did as an actor.
type DossierActedJSON struct {
	Count      int         `json:"count"`
	FirstSeen  *time.Time  `json:"first_seen"`
	LastSeen   *time.Time  `json:"last_seen"`
	ByType     []FacetJSON `json:"by_type"`
	IPs        []FacetJSON `json:"ips"`
	UserAgents []FacetJSON `json:"user_agents"`
}

// FacetJSON is one value with its number of events.
type FacetJSON struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// NewDossierJSON converts a dossier to its JSON shape.
func NewDossierJSON(d store.Dossier) DossierJSON {
	out := DossierJSON{KeyID: d.KeyID, Kind: d.KeyKind, Name: d.Name, Mentions: d.Mentions,
		Lifecycle: []DossierEventJSON{}}
	for _, ev := range d.Lifecycle {
		r := ev.Row
		e := DossierEventJSON{Time: r.CreatedAt.UTC(), Action: ev.Action, Type: r.Type, ID: r.ID,
			Actor: DossierActorJSON{Type: r.Actor.Type, Label: r.Actor.Label(), ID: r.Actor.ID(),
				IP: r.Actor.IPAddress, UserAgent: r.Actor.UserAgent},
			Changes: []DossierChangeJSON{}}
		for _, u := range ev.Change {
			e.Changes = append(e.Changes, DossierChangeJSON{Field: u.Type, Previous: jsonOrNull(u.Previous), Current: jsonOrNull(u.Current)})
		}
		out.Lifecycle = append(out.Lifecycle, e)
	}
	a := DossierActedJSON{Count: d.ActedCount, ByType: facetsJSON(d.ByType), IPs: facetsJSON(d.IPs), UserAgents: facetsJSON(d.UserAgents)}
	if !d.FirstSeen.IsZero() {
		f, l := d.FirstSeen.UTC(), d.LastSeen.UTC()
		a.FirstSeen, a.LastSeen = &f, &l
	}
	out.Activity = a
	return out
}

func jsonOrNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

func facetsJSON(fs []store.FacetCount) []FacetJSON {
	out := make([]FacetJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, FacetJSON{Value: f.Value, Count: f.Count})
	}
	return out
}

// WriteDossierJSON prints the dossier as indented JSON, masked by
// opt.Redactor when set (the other options do not apply).
func WriteDossierJSON(w io.Writer, d store.Dossier, opt PrintOptions) error {
	return WriteJSON(w, NewDossierJSON(RedactDossier(d, opt.Redactor)))
}
