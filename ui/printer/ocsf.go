package printer

import (
	"io"

	"claudit/feed/ocsf"
	"claudit/store"
)

// FormatOCSF prints one OCSF 1.6.0 event per line (package feed/ocsf).
const FormatOCSF = "ocsf"

// ocsfWriter prints each row as an OCSF event on one line, with
// metadata.logged_time from when the cache stored it. Unlike ndjson the
// line is derived, not the server's bytes, so it is also made terminal-safe
// (TerminalSafeJSON: same JSON, invisible and control characters escaped).
// While redacting, rows arrive masked (redactingWriter), so the events are.
type ocsfWriter struct {
	w   io.Writer
	enc ocsf.Encoder
	buf []byte
}

func (o *ocsfWriter) WriteRows(rows []store.Row) error {
	o.buf = o.buf[:0]
	for _, r := range rows {
		start := len(o.buf)
		o.buf = o.enc.Append(o.buf, r.Activity, r.Ingested)
		if line := TerminalSafeJSON(o.buf[start:]); len(line) != len(o.buf)-start {
			o.buf = append(o.buf[:start], line...) // line is a new slice when it differs
		}
		o.buf = append(o.buf, '\n')
	}
	_, err := o.w.Write(o.buf)
	return err
}

func (o *ocsfWriter) Close() error { return nil }
