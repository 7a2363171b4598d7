// Package ocsf normalises Activity Feed records to OCSF 1.6.0 events (the
// Open Cybersecurity Schema Framework), one event per activity, following
// OCSF.md (beside ACTIVITY_FEED.md): Anthropic's published mapping for the
// Security posture activity, applied to every type, and the project's class
// per catalogue group for the types Anthropic publishes none for. A type the
// catalogue does not know becomes the generic Base Event (class 0, activity
// Other, activity_name = the type) with its fields under unmapped. Nothing
// is dropped: every field without an OCSF home goes to unmapped under its
// feed name, and a row whose raw JSON is corrupt still gives a Base Event
// with the bytes in raw_data.
//
// It reads the activity's raw JSON (and its parsed time, type and actor
// type), so a redacted activity (feed.Redactor.Activity) maps to a
// redacted event, and it writes by appending to a byte slice, copying
// values from the raw JSON as they are: no reflection, no allocation per
// event once an Encoder's buffers have grown.
package ocsf
