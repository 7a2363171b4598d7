// Package store is claudit's local cache of the Activity Feed: one SQLite file
// per profile holding every fetched activity verbatim, a full-text index of
// every id the activities mention, the distinct string values of the
// activities with an index of which activity has which (free text is a
// case-insensitive substring search of the values; see substr.go), event
// counts by hour for histograms and counts, the time ranges known to be
// complete, and the sync-run log. Every screen and headless command is
// answered from it.
package store
