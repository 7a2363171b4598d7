package store

import (
	"time"
)

const (
	// ridShift leaves 2^20 slots per millisecond (see ridOf).
	ridShift = 20
	ridSlots = 1 << ridShift
	// maxBucket keeps rid positive and inside int64 (ms before 2248).
	maxBucket = 1<<(63-ridShift) - 1
)

// bucket is the millisecond bucket of a unix-nanosecond time, clamped so
// that every time maps to a valid rid range; it never decreases as t grows.
func bucket(t int64) int64 {
	ms := t / int64(time.Millisecond)
	if t < 0 && t%int64(time.Millisecond) != 0 {
		ms-- // floor, not truncation
	}
	return min(max(ms, 0), maxBucket)
}

// ridOf is the rid of an activity of millisecond bucket b in slot slot:
// rids order activities newest first, (maxBucket-b) << ridShift | slot, so
// the pages of a backfill (which walks back in time) append at the end of
// every B-tree keyed by rid instead of splitting its first pages.
func ridOf(b int64, slot uint64) int64 {
	return (maxBucket-b)<<ridShift | int64(slot&(ridSlots-1))
}

// ridBucket is the millisecond bucket of a rid.
func ridBucket(rid int64) int64 { return maxBucket - rid>>ridShift }

// ridRange is the rid range [lo, hi] (inclusive) of the millisecond
// buckets [b0, b1); b0 < b1.
func ridRange(b0, b1 int64) (lo, hi int64) {
	return ridOf(b1-1, 0), ridOf(b0, ridSlots-1)
}

// timeBuckets is the bucket range [b0, b1) of the times [lo, hi) (open
// bounds minNanos and maxNanos).
func timeBuckets(lo, hi int64) (b0, b1 int64) {
	b0, b1 = bucket(lo), maxBucket+1
	if hi != maxNanos {
		b1 = bucket(hi-1) + 1
	}
	return b0, b1
}

// fnv64 is the 64-bit FNV-1a hash of s (hash/fnv's New64a, inlined: no
// allocation or interface call per id and value on the ingest path). It is
// stored (rid slots, idhashes, reference tokens): it must never change.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
