package store

import (
	"context"
	"testing"

	"claudit/feed"
)

// BenchmarkCountExact measures the explorer's exact count (no cap) on the
// 1M cache: queries the rollups answer, and the rest it counts in the
// background row by row.
func BenchmarkCountExact(b *testing.B) {
	s, c := openShared(b)
	sc := c.scenario
	for name, qs := range map[string]string{
		"all":        "",
		"30d-noise":  "since:30d -type:@noise",
		"keys":       "type:@keys",
		"actor":      "actor:" + sc.Users[0],
		"not-late":   "-is:late",
		"not-actor":  "since:30d -actor:" + sc.Users[0],
		"text-every": `"example"`,
	} {
		b.Run(name, func(b *testing.B) {
			benchQuery(b, s, qs, func(q feed.Query) error {
				_, _, err := s.Count(context.Background(), q, testNow, 0)
				return err
			})
		})
	}
}
