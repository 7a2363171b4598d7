package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestWithWriterMemory: the writer's page cache and memory map are the
// defaults unless WithWriterMemory sizes them; the readers keep theirs.
func TestWithWriterMemory(t *testing.T) {
	ctx := context.Background()
	pragma := func(t *testing.T, s *Store, name string) (w, r int64) {
		t.Helper()
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&w); err != nil {
			t.Fatalf("writer PRAGMA %s: %v", name, err)
		}
		if err := s.r.QueryRowContext(ctx, "PRAGMA "+name).Scan(&r); err != nil {
			t.Fatalf("reader PRAGMA %s: %v", name, err)
		}
		return w, r
	}
	for _, c := range []struct {
		name        string
		opts        []Option
		cache, mmap int64
		readerCache int64
	}{
		{name: "defaults", cache: -65536, mmap: 268435456, readerCache: -8192},
		{name: "sized", opts: []Option{WithWriterMemory(16<<10, 64<<20)}, cache: -16384, mmap: 67108864, readerCache: -8192},
		{name: "zero keeps the defaults", opts: []Option{WithWriterMemory(0, 0)}, cache: -65536, mmap: 268435456, readerCache: -8192},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if w, r := pragma(t, s, "cache_size"); w != c.cache || r != c.readerCache {
				t.Errorf("cache_size: writer %d, reader %d; want %d, %d", w, r, c.cache, c.readerCache)
			}
			if w, r := pragma(t, s, "mmap_size"); w != c.mmap || r != 0 {
				t.Errorf("mmap_size: writer %d, reader %d; want %d, 0", w, r, c.mmap)
			}
		})
	}
}
