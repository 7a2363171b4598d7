// Package ocsf normalises Activity Feed records to OCSF 1.6.0 events (the
// Open Cybersecurity Schema Framework), one event per activity, following
// ../shared/api/OCSF.md: Anthropic's published mapping for the Security
// posture activity, the project's class per catalogue group for every other
// type, and the generic Base Event (class 0) with the whole activity under
// unmapped for types the catalogue does not know. Nothing is dropped: every
// field without an OCSF home goes to unmapped under its feed name.
//
// It reads only the activity's raw JSON (and its parsed time), so a
// redacted activity (feed.Redactor.Activity) maps to a redacted event, and
// it writes by appending to a byte slice: values are copied from the raw
// JSON as they are, so the output is valid JSON whenever the input is.
package ocsf
