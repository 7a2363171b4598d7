package main

import (
	"strings"
	"testing"
)

// budget_reserve (issue 13) is a number from 0 to below 1; integers are
// numbers too.
func TestConfigBudgetReserve(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
		want float64
	}{
		{"budget_reserve = 0.5\n", true, 0.5},
		{"budget_reserve = 0\n", true, 0},
		{"utc = true\n", true, 0.2},
		{"budget_reserve = 1.5\n", false, 0},
		{"budget_reserve = \"20%\"\n", false, 0},
	} {
		e := newTestEnv(t)
		writeConfig(t, e, c.text)
		code, _, stderr := e.run("status")
		if !c.ok {
			if code != exitUsage || !strings.Contains(stderr, "budget_reserve must be a number from 0 to below 1") {
				t.Fatalf("%q: exit %d, stderr %q", c.text, code, stderr)
			}
			continue
		}
		if code != 0 {
			t.Fatalf("%q: exit %d, stderr %q", c.text, code, stderr)
		}
		a := &app{env: e.environment}
		if err := a.applyConfig(func(string) bool { return false }); err != nil {
			t.Fatal(err)
		}
		if a.budgetReserve != c.want {
			t.Fatalf("%q: reserve %v, want %v", c.text, a.budgetReserve, c.want)
		}
	}
}
