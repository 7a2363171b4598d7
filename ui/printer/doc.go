// Package printer is claudit's headless output: the query row formats
// (table, json, ndjson, csv, ocsf), the key dossier as text and JSON, the incident
// timeline, the sync progress line and summary, and terminal-safe JSON. The
// CLI prints through it; the explorer (package ui) uses only its timeline,
// redaction and number helpers. It never imports ui: colours come in a
// Theme the caller builds.
//
// Every string that came from an event passes safe.Text exactly once, here,
// before it is measured or written; the raw formats (json, ndjson) print the
// server's bytes and stay exact (ocsf is derived, by package feed/ocsf,
// and terminal-safe), except while redacting:
// PrintOptions.Redactor masks every row and dossier before any format sees
// it, so redacted JSON is valid but not byte-exact.
package printer
