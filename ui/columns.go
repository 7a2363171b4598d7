package ui

import (
	"fmt"
	"slices"
	"strings"
)

// The table's columns: which there are, the names the config file uses
// for them, and how a width is shared out among them.

type colKind int

const (
	colFlags colKind = iota
	colTime
	colType
	colActor
	colTarget
	colOrg
	colIP
)

type column struct {
	kind  colKind
	title string
	width int
}

// columnSpec says how much a column wants: min to be shown at all, pref
// for most values, full for nearly all (the longest common types, a long
// e-mail with its "admin key" prefix, a UUID).
type columnSpec struct {
	kind            colKind
	title           string
	min, pref, full int
}

// columnSpecs lists the columns in priority order: they are admitted while
// their minimum fits, then grow toward pref, then toward full.
func columnSpecs() []columnSpec {
	return []columnSpec{
		{colFlags, "", 4, 4, 4},
		{colTime, "TIME", 21, 21, 21},
		{colType, "TYPE", 16, 30, 40},
		{colActor, "ACTOR", 14, 30, 44},
		{colTarget, "TARGET", 12, 34, 40},
		{colIP, "IP", 13, 15, 15},
		{colOrg, "ORG", 24, 30, 36},
	}
}

// namedColumn is a choosable column (Deps.Columns) and its name.
type namedColumn struct {
	name string
	kind colKind
}

// columnNames lists the choosable columns in the default display order.
func columnNames() []namedColumn {
	return []namedColumn{
		{"time", colTime}, {"type", colType}, {"actor", colActor},
		{"target", colTarget}, {"org", colOrg}, {"ip", colIP},
	}
}

// ColumnNames lists the table columns Deps.Columns may name, in the
// default display order. The flags column (marked, tripwire, self, late)
// is not among them: it is always shown first.
func ColumnNames() []string {
	cols := columnNames()
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// CheckColumns reports whether names is a valid Deps.Columns: at least one
// column, each a ColumnNames name, none twice.
func CheckColumns(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("no columns listed; choose from %s", strings.Join(ColumnNames(), ", "))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if _, ok := columnKind(n); !ok {
			hint := ""
			if n == "flags" {
				hint = " (the flags column is always shown)"
			}
			return fmt.Errorf("unknown column %q%s; choose from %s", n, hint, strings.Join(ColumnNames(), ", "))
		}
		if seen[n] {
			return fmt.Errorf("column %q is listed twice", n)
		}
		seen[n] = true
	}
	return nil
}

func columnKind(name string) (colKind, bool) {
	for _, c := range columnNames() {
		if c.name == name {
			return c.kind, true
		}
	}
	return 0, false
}

// columnOrder turns Deps.Columns into column kinds, flags first; unknown
// and repeated names are skipped (main checked them with CheckColumns).
// nil or no valid name means the default set and order.
func columnOrder(names []string) []colKind {
	var out []colKind
	for _, n := range names {
		if k, ok := columnKind(n); ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return append([]colKind{colFlags}, out...)
}

// growthRank orders the columns' claims on extra width: type and actor
// first (platform_api_key_updated, a full e-mail), then target (ids,
// often named by the directory), then the rest.
func growthRank(k colKind) int {
	switch k {
	case colType, colActor:
		return 0
	case colTarget:
		return 1
	}
	return 2
}

// columnsWant is the table width at which every column of order (nil: the
// default set) has its full width: past it the table gains nothing.
func columnsWant(order []colKind) int {
	want := 0
	for i, s := range columnSpecs() {
		if order != nil && !slices.Contains(order, s.kind) {
			continue
		}
		if i > 0 && want > 0 {
			want++ // separator
		}
		want += s.full
	}
	return want
}

// layoutColumns chooses the columns for a table width, in display order.
// order (flags first) is the analyst's choice of columns: then they are
// admitted and shown in that order; nil is the default set, admitted by
// columnSpecs' priority and shown flags, time, type, actor, target, org,
// ip.
func layoutColumns(width int, order []colKind) []column {
	specs := columnSpecs()
	if order != nil {
		byKind := map[colKind]columnSpec{}
		for _, s := range specs {
			byKind[s.kind] = s
		}
		specs = specs[:0]
		for _, k := range order {
			specs = append(specs, byKind[k])
		}
	}
	var chosen []column
	var specOf []columnSpec
	used := 0
	for _, s := range specs {
		need := s.min
		if len(chosen) > 0 {
			need++ // separator
		}
		if used+need > width {
			continue
		}
		used += need
		chosen = append(chosen, column{kind: s.kind, title: s.title, width: s.min})
		specOf = append(specOf, s)
	}
	// Grow columns one cell at a time toward their preference, then
	// toward their full width, the ones most often cut first (growthRank:
	// type and actor, then target, then the rest); then give what is left
	// to the target column (or, without it, to the first free-text column
	// shown).
	extra := width - used
	for _, level := range []func(columnSpec) int{
		func(s columnSpec) int { return s.pref },
		func(s columnSpec) int { return s.full },
	} {
		for rank := range 3 {
			for grew := true; extra > 0 && grew; {
				grew = false
				for i := range chosen {
					if extra > 0 && chosen[i].width < level(specOf[i]) && growthRank(chosen[i].kind) == rank {
						chosen[i].width++
						extra--
						grew = true
					}
				}
			}
		}
	}
	takers := []colKind{colTarget}
	if order != nil {
		takers = append(takers, colActor, colType, colOrg, colIP)
	}
	for _, k := range takers {
		if i := slices.IndexFunc(chosen, func(c column) bool { return c.kind == k }); i >= 0 && extra > 0 {
			chosen[i].width += extra
			extra = 0
		}
	}
	if order != nil {
		return chosen
	}
	// Display order: flags, time, type, actor, target, org, ip.
	rank := map[colKind]int{colFlags: 0, colTime: 1, colType: 2, colActor: 3, colTarget: 4, colOrg: 5, colIP: 6}
	out := make([]column, len(chosen))
	copy(out, chosen)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && rank[out[j].kind] < rank[out[j-1].kind]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
