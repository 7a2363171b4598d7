package main

import (
	"strings"
	"testing"
)

// typos are three ways to mistype name: two letters swapped, a letter
// dropped, a letter doubled.
func typos(name string) []string {
	swapped := name[1:2] + name[:1] + name[2:]
	return []string{swapped, name[:len(name)-1], name + name[len(name)-1:]}
}

func TestMistypedCommandIsAnError(t *testing.T) {
	e := newTestEnv(t)
	root := (&app{env: e.environment}).rootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	names := 0
	for _, c := range root.Commands() {
		if c.Hidden {
			continue
		}
		names++
		for _, typo := range append(typos(c.Name()), strings.ToUpper(c.Name())) {
			code, stdout, stderr := e.run(typo, "since:1h")
			want := `claudit: unknown command "` + typo + `"; did you mean "` + c.Name() + `"?` + "\n"
			if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, `"claudit help" lists the commands`) ||
				!strings.Contains(stderr, `quote it: claudit '"`+typo+`"'`) {
				t.Errorf("claudit %s since:1h: exit %d, stderr %q; want it to start %q", typo, code, stderr, want)
			}
		}
	}
	if names < 15 { // login … man, help, completion
		t.Fatalf("only %d commands checked", names)
	}
}

func TestRealQueryWordsStayQueries(t *testing.T) {
	e := newTestEnv(t)
	for _, args := range [][]string{
		{"since:1h"},
		{`"quoted text"`},
		{`"qeury"`}, // the hint's way to search for a typo's text
		{"type:@keys", "since:24h"},
		{"mozilla", "since:1h"},
		{"apikey_01HxYzAbCdEf"},
		{"alice@example.com"},
		{"198.51.100.7"},
		{"-type:claude_chat_viewed"},
		{"since:1h", "qeury"}, // only the first word can be a command
	} {
		code, _, stderr := e.run(args...)
		// Off a terminal the explorer refuses to start: the query was taken.
		if code != exitUsage || !strings.Contains(stderr, "the explorer needs a terminal") || strings.Contains(stderr, "did you mean") {
			t.Errorf("claudit %s: exit %d, stderr %q; want the explorer", strings.Join(args, " "), code, stderr)
		}
	}
}
