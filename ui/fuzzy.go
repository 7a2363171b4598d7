package ui

import (
	"sort"
	"unicode"
)

// Scores of the fuzzy matcher. A match earns scoreMatch per character,
// bonuses for starting a word or continuing a run, and loses points for
// every skipped character, so "cj" ranks "copy JSON" above "clear journal".
const (
	scoreMatch       = 16
	bonusBoundary    = 10
	bonusFirstChar   = 8
	bonusConsecutive = 6
	penaltyGapStart  = 3
	penaltyGapExtend = 1
)

// fuzzyScore matches pattern against target as a case-insensitive
// subsequence. It returns ok=false when some pattern character is missing;
// otherwise a score (higher is better) and the rune positions in target
// that matched, for highlighting. It finds the shortest window ending at the
// first complete match (fzf's v1 strategy), which is linear in len(target).
func fuzzyScore(pattern, target string) (score int, pos []int, ok bool) {
	p := []rune(pattern)
	t := []rune(target)
	if len(p) == 0 {
		return 0, nil, true
	}
	lower := func(r rune) rune { return unicode.ToLower(r) }
	// Forward pass: the first index where the whole pattern has matched.
	pi, end := 0, -1
	for ti := 0; ti < len(t); ti++ {
		if lower(t[ti]) == lower(p[pi]) {
			pi++
			if pi == len(p) {
				end = ti
				break
			}
		}
	}
	if end < 0 {
		return 0, nil, false
	}
	// Backward pass from end: the latest start, i.e. the tightest window.
	pi = len(p) - 1
	pos = make([]int, len(p))
	for ti := end; ti >= 0 && pi >= 0; ti-- {
		if lower(t[ti]) == lower(p[pi]) {
			pos[pi] = ti
			pi--
		}
	}
	for i, ti := range pos {
		score += scoreMatch
		if isBoundary(t, ti) {
			score += bonusBoundary
			if i == 0 {
				score += bonusFirstChar
			}
		}
		if i > 0 {
			if gap := ti - pos[i-1] - 1; gap == 0 {
				score += bonusConsecutive
			} else {
				score -= penaltyGapStart + penaltyGapExtend*(gap-1)
			}
		}
	}
	// Prefer matches nearer the start, then shorter targets.
	score -= min(pos[0], 3)
	score -= len(t) / 8
	return score, pos, true
}

// isBoundary reports whether t[i] starts a word: the first rune, a rune
// after a separator, or an upper-case rune after a lower-case one.
func isBoundary(t []rune, i int) bool {
	if i == 0 {
		return true
	}
	prev, cur := t[i-1], t[i]
	switch prev {
	case ' ', '_', '-', ':', '.', '/', '@', '(':
		return true
	}
	return unicode.IsUpper(cur) && unicode.IsLower(prev)
}

// fuzzyHit is one ranked candidate.
type fuzzyHit struct {
	Index int   // into the candidates slice
	Score int   // fuzzyScore
	Pos   []int // matched rune positions
}

// fuzzyRank returns the candidates matching pattern, best first; ties keep
// the candidates' original order so the list does not jump around.
func fuzzyRank(pattern string, candidates []string) []fuzzyHit {
	var hits []fuzzyHit
	for i, c := range candidates {
		if s, pos, ok := fuzzyScore(pattern, c); ok {
			hits = append(hits, fuzzyHit{Index: i, Score: s, Pos: pos})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].Score > hits[b].Score })
	return hits
}
