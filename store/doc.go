// Package store is claudit's local cache of the Activity Feed: one SQLite file
// per profile holding every fetched activity verbatim, a full-text index of
// every id the activities mention and of their words, event counts by hour
// for histograms and counts, the time ranges known to be complete, and the
// sync-run log. Every screen and headless command is answered from it.
package store
