package store

import (
	"context"
	"encoding/binary"
	"slices"
	"strconv"
	"sync"
)

// Deduplication needs to know whether an activity id is cached, whatever
// its time. A unique index on the random ids would dirty thousands of
// pages per page of activities, so the store keeps a Bloom filter of the
// ids instead (idbloom, in blocks of 8 KiB), built from the 64-bit hashes
// of the ids (idhashes, sorted blobs: one per page until they are folded
// into the filter, then one per fold); the blobs not yet folded are
// searched exactly. A possible hit is confirmed on the activity's own rid
// (a repeat has the same created_at, so the same home rid, unless a slot
// collision moved it) or else through the reference index, which holds
// every activity's id as a role-other token.

const (
	bloomBlockBits = 1 << 16 // bits per block: 8 KiB
	bloomBitsPerID = 10      // with 7 probes: about 1% false positives
	bloomProbes    = 7
	bloomMinCap    = 1 << 17
	// recentMax new ids wait in blobs of their own before going into the
	// filter.
	recentMax = 1 << 15
	// verifyChunk bounds the tokens of one confirming FTS query.
	verifyChunk = 256
)

// idTuning sizes the id filter; tests shrink it to exercise every path.
type idTuning struct {
	recentMax int64 // new ids that wait in blobs before going into the filter
	minCap    int64 // the smallest filter, in ids
}

// idHash is the 64-bit hash of an activity id.
func idHash(id string) uint64 { return fnv64(id) }

// mix64 is the SplitMix64 finaliser: it spreads FNV's bits over the word.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// idFilter is the id filter as one write transaction sees it.
type idFilter struct {
	blocks  int64 // blocks of the Bloom filter (0: none yet)
	cap     int64 // ids the filter is sized for
	n       int64 // ids in the filter
	recentN int64 // ids in the idhashes blobs after folded
	folded  int64 // the last idhashes blob in the filter
	bits    map[int64][]byte
	// recentHits are the hashes asked about that recent blobs hold.
	recentHits map[uint64]bool
	// changed says bits were read or rewritten (and may be cached).
	changed bool
}

// loadIDFilter reads the filter's sizes, the recent hashes and the blocks
// the given hashes fall in.
func loadIDFilter(ctx context.Context, tx *wtx, hashes []uint64, cache *bloomCache) (*idFilter, error) {
	f := &idFilter{bits: map[int64][]byte{}}
	rs, err := tx.QueryContext(ctx, `SELECT k, v FROM meta WHERE k IN ('bloom_blocks', 'bloom_cap', 'bloom_n', 'recent_n', 'folded_seq')`)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var k string
		var v int64
		if err := rs.Scan(&k, &v); err != nil {
			rs.Close()
			return nil, err
		}
		switch k {
		case "bloom_blocks":
			f.blocks = v
		case "bloom_cap":
			f.cap = v
		case "bloom_n":
			f.n = v
		case "recent_n":
			f.recentN = v
		case "folded_seq":
			f.folded = v
		}
	}
	if err := rs.Close(); err != nil {
		return nil, err
	}
	if f.recentN > 0 && len(hashes) > 0 {
		if f.recentHits, err = recentHits(ctx, tx, hashes, f.folded); err != nil {
			return nil, err
		}
	}
	if f.blocks > 0 && len(hashes) > 0 {
		if bits := cache.get(f.folded, f.blocks); bits != nil {
			f.bits = bits
			return f, nil
		}
		// Read the whole filter once, for this page and the next ones.
		if err := f.loadBlocks(ctx, tx, allBlocks(f.blocks)); err != nil {
			return nil, err
		}
		f.changed = true
	}
	return f, nil
}

func allBlocks(n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// bloomCache keeps the id filter's blocks between pages (a million ids
// take 1.2 MiB to read again per page). It is keyed by the filter's last
// folded blob and size, which every change to the filter moves; it is
// only filled with committed blocks.
type bloomCache struct {
	mu             sync.Mutex
	folded, blocks int64
	bits           map[int64][]byte // read-only once cached
}

func (c *bloomCache) get(folded, blocks int64) map[int64][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bits == nil || c.folded != folded || c.blocks != blocks {
		return nil
	}
	return c.bits
}

// publish caches f's blocks once its transaction has committed.
func (c *bloomCache) publish(f *idFilter) {
	if f == nil || !f.changed || int64(len(f.bits)) != f.blocks {
		return
	}
	c.mu.Lock()
	c.folded, c.blocks, c.bits = f.folded, f.blocks, f.bits
	c.mu.Unlock()
}

// recentHits returns which of the hashes idrecent holds, walking each
// sorted blob alongside the sorted hashes.
func recentHits(ctx context.Context, tx *wtx, hashes []uint64, after int64) (map[uint64]bool, error) {
	want := slices.Clone(hashes)
	slices.Sort(want)
	hits := map[uint64]bool{}
	rs, err := tx.QueryContext(ctx, `SELECT hashes FROM idhashes WHERE seq > ?`, after)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var b []byte
		if err := rs.Scan(&b); err != nil {
			return nil, err
		}
		i := 0
		for j := 0; j+8 <= len(b) && i < len(want); j += 8 {
			h := binary.BigEndian.Uint64(b[j:])
			for i < len(want) && want[i] < h {
				i++
			}
			if i < len(want) && want[i] == h {
				hits[h] = true
			}
		}
	}
	return hits, rs.Err()
}

// loadHashes returns every hash of the idhashes blobs after seq after.
func loadHashes(ctx context.Context, tx *wtx, after int64) ([]uint64, error) {
	rs, err := tx.QueryContext(ctx, `SELECT hashes FROM idhashes WHERE seq > ?`, after)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []uint64
	for rs.Next() {
		var b []byte
		if err := rs.Scan(&b); err != nil {
			return nil, err
		}
		for i := 0; i+8 <= len(b); i += 8 {
			out = append(out, binary.BigEndian.Uint64(b[i:]))
		}
	}
	return out, rs.Err()
}

func (f *idFilter) loadBlocks(ctx context.Context, tx *wtx, ks []int64) error {
	slices.Sort(ks)
	rs, err := tx.QueryContext(ctx, `SELECT b.k, b.bits FROM json_each(?) j CROSS JOIN idbloom b ON b.k = j.value`, jsonInts(ks))
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var k int64
		var bits []byte
		if err := rs.Scan(&k, &bits); err != nil {
			return err
		}
		f.bits[k] = bits
	}
	return rs.Err()
}

// place is the block of a hash and the start and step of its probes.
func (f *idFilter) place(h uint64) (block int64, a, b uint32) {
	x := mix64(h)
	y := mix64(x)
	return int64(x % uint64(f.blocks)), uint32(y), uint32(y>>32) | 1
}

// mayHave reports whether the id of hash h may be cached (false: it is
// certainly not).
func (f *idFilter) mayHave(h uint64) bool {
	if f.recentHits[h] {
		return true
	}
	if f.blocks == 0 {
		return false
	}
	blk, a, b := f.place(h)
	bits := f.bits[blk]
	if len(bits) != bloomBlockBits/8 {
		return true // a missing block: be safe
	}
	for i := uint32(0); i < bloomProbes; i++ {
		pos := (a + i*b) & (bloomBlockBits - 1)
		if bits[pos>>3]&(1<<(pos&7)) == 0 {
			return false
		}
	}
	return true
}

func (f *idFilter) set(h uint64) {
	blk, a, b := f.place(h)
	bits := f.bits[blk]
	for i := uint32(0); i < bloomProbes; i++ {
		pos := (a + i*b) & (bloomBlockBits - 1)
		bits[pos>>3] |= 1 << (pos & 7)
	}
}

// add records the hashes of newly inserted ids: as a blob of idhashes,
// folded into the filter once enough have gathered (rebuilding the filter,
// bigger, from every blob when it would be too full).
func (f *idFilter) add(ctx context.Context, tx *wtx, hashes []uint64, tune idTuning) error {
	if len(hashes) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO idhashes(hashes) VALUES (?)`, hashBlob(hashes)); err != nil {
		return err
	}
	f.recentN += int64(len(hashes))
	if f.recentN < tune.recentMax {
		return setMeta(ctx, tx, "recent_n", f.recentN)
	}
	// The recent blobs become one (fewer rows to read for a rebuild).
	recent, err := loadHashes(ctx, tx, f.folded)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM idhashes WHERE seq > ?`, f.folded); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO idhashes(hashes) VALUES (?) RETURNING seq`, hashBlob(recent)).Scan(&f.folded); err != nil {
		return err
	}
	if f.blocks == 0 || f.n+f.recentN > f.cap {
		if err := f.rebuild(ctx, tx, tune.minCap); err != nil {
			return err
		}
	} else {
		// The cached blocks are shared: fold into copies.
		bits := make(map[int64][]byte, f.blocks)
		for k, b := range f.bits {
			bits[k] = slices.Clone(b)
		}
		f.bits = bits
		if int64(len(f.bits)) != f.blocks {
			if err := f.loadBlocks(ctx, tx, allBlocks(f.blocks)); err != nil {
				return err
			}
		}
		for _, h := range recent {
			f.set(h)
		}
		if err := f.store(ctx, tx); err != nil {
			return err
		}
		f.n += int64(len(recent))
	}
	f.recentN = 0
	f.changed = true
	for k, v := range map[string]int64{"bloom_blocks": f.blocks, "bloom_cap": f.cap, "bloom_n": f.n, "recent_n": 0, "folded_seq": f.folded} {
		if err := setMeta(ctx, tx, k, v); err != nil {
			return err
		}
	}
	return nil
}

// hashBlob is sorted hashes as a blob of big-endian words.
func hashBlob(hashes []uint64) []byte {
	sorted := slices.Clone(hashes)
	slices.Sort(sorted)
	blob := make([]byte, 8*len(sorted))
	for i, h := range sorted {
		binary.BigEndian.PutUint64(blob[8*i:], h)
	}
	return blob
}

// rebuild sizes the filter for twice the cached ids and fills it from
// every blob of idhashes.
func (f *idFilter) rebuild(ctx context.Context, tx *wtx, minCap int64) error {
	all, err := loadHashes(ctx, tx, 0)
	if err != nil {
		return err
	}
	count := int64(len(all))
	f.cap = minCap
	for f.cap < 2*count {
		f.cap *= 2
	}
	f.blocks = (f.cap*bloomBitsPerID + bloomBlockBits - 1) / bloomBlockBits
	f.bits = make(map[int64][]byte, f.blocks)
	for i := range f.blocks {
		f.bits[i] = make([]byte, bloomBlockBits/8)
	}
	for _, h := range all {
		f.set(h)
	}
	f.n = count
	if _, err := tx.ExecContext(ctx, `DELETE FROM idbloom`); err != nil {
		return err
	}
	return f.store(ctx, tx)
}

// store writes the loaded blocks back.
func (f *idFilter) store(ctx context.Context, tx *wtx) error {
	for k, bits := range f.bits {
		if _, err := tx.ExecContext(ctx, `INSERT INTO idbloom(k, bits) VALUES (?, ?)
			ON CONFLICT(k) DO UPDATE SET bits = excluded.bits`, k, bits); err != nil {
			return err
		}
	}
	return nil
}

func setMeta(ctx context.Context, tx *wtx, k string, v int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, k, v)
	return err
}

// jsonInts is a JSON array of integers, for json_each.
func jsonInts(vals []int64) string {
	b := make([]byte, 0, len(vals)*21+2)
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	return string(append(b, ']'))
}
