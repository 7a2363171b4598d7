package store

import (
	"hash/fnv"
	"math/rand/v2"
	"testing"
)

// TestFNV64IsFNV1a: fnv64 is hash/fnv's 64-bit FNV-1a, byte for byte (its
// values are on disk, so it must stay that function).
func TestFNV64IsFNV1a(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		h := fnv.New64a()
		h.Write(b)
		if got, want := fnv64(string(b)), h.Sum64(); got != want {
			t.Fatalf("fnv64(%q) = %x, want %x", b, got, want)
		}
	}
}

// TestRidOrdersNewestFirst: a later millisecond has a smaller rid whatever
// the slots, and ridBucket inverts ridOf.
func TestRidOrdersNewestFirst(t *testing.T) {
	for _, b := range []int64{0, 1, 1 << 30, maxBucket - 1} {
		if ridOf(b+1, ridSlots-1) >= ridOf(b, 0) {
			t.Fatalf("bucket %d+1 does not sort before %d", b, b)
		}
		if ridBucket(ridOf(b, 12345)) != b {
			t.Fatalf("ridBucket(ridOf(%d)) = %d", b, ridBucket(ridOf(b, 12345)))
		}
	}
}
