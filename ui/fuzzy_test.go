package ui

import (
	"slices"
	"testing"
)

func TestFuzzyScoreMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, target string
		ok              bool
		pos             []int
	}{
		{"", "anything", true, nil},
		{"cj", "copy JSON", true, []int{0, 5}},
		{"CJ", "copy json", true, []int{0, 5}},
		{"utc", "toggle UTC / local time", true, []int{7, 8, 9}},
		{"xyz", "copy JSON", false, nil},
		{"jc", "copy JSON", false, nil}, // order matters
		{"copyy", "copy", false, nil},
		{"dé", "dossier clé", true, []int{0, 10}},
		// The tightest window: "ab" in "a_xx_ab" matches the later pair.
		{"ab", "a_xx_ab", true, []int{5, 6}},
	} {
		_, pos, ok := fuzzyScore(c.pattern, c.target)
		if ok != c.ok || !slices.Equal(pos, c.pos) {
			t.Errorf("fuzzyScore(%q, %q) = %v %v, want %v %v", c.pattern, c.target, pos, ok, c.ok, c.pos)
		}
	}
}

func TestFuzzyScoreRanking(t *testing.T) {
	better := func(p, a, b string) {
		t.Helper()
		sa, _, oka := fuzzyScore(p, a)
		sb, _, okb := fuzzyScore(p, b)
		if !oka || !okb || sa <= sb {
			t.Errorf("%q: %q (%d, %v) should beat %q (%d, %v)", p, a, sa, oka, b, sb, okb)
		}
	}
	better("cj", "copy JSON", "clear journal jobs")      // shorter
	better("kd", "key dossier", "mark done")             // both boundaries vs one
	better("quit", "quit", "query instant time")         // consecutive run
	better("win", "window: last hour", "follow new in…") // prefix
	better("copy", "copy value", "focus copy")           // match at the start
}

func TestFuzzyRank(t *testing.T) {
	items := []string{"toggle UTC / local time", "copy raw JSON", "copy selected value", "quit", "key dossier"}
	hits := fuzzyRank("copy", items)
	if len(hits) != 2 || items[hits[0].Index] != "copy raw JSON" || items[hits[1].Index] != "copy selected value" {
		t.Fatalf("copy: %+v", hits)
	}
	if all := fuzzyRank("", items); len(all) != len(items) || all[0].Index != 0 || all[4].Index != 4 {
		t.Fatalf("empty pattern keeps every item in order: %+v", all)
	}
	if none := fuzzyRank("zzz", items); len(none) != 0 {
		t.Fatalf("zzz: %+v", none)
	}
}
