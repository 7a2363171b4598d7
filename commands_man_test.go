package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestManPages(t *testing.T) {
	e := newTestEnv(t)
	dir := filepath.Join(t.TempDir(), "man", "man1")
	code, stdout, stderr := e.run("man", dir)
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "wrote ") {
		t.Fatalf("man: exit %d, %q, %q", code, stdout, stderr)
	}
	// A page for every visible command, none for cobra's hidden
	// __complete commands.
	root := (&app{env: e.environment}).rootCommand()
	want := []string{"claudit.1", "claudit-completion.1", "claudit-completion-bash.1"}
	for _, c := range root.Commands() {
		if !c.Hidden {
			want = append(want, "claudit-"+c.Name()+".1")
		}
	}
	for _, name := range want {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s: %v", name, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if strings.Contains(en.Name(), "__") || strings.Contains(en.Name(), "help") {
			t.Errorf("page for a hidden command: %s", en.Name())
		}
	}
	if !strings.Contains(stdout, fmt.Sprintf("wrote %d man pages", len(entries))) {
		t.Errorf("stdout %q, %d pages", stdout, len(entries))
	}
	page, err := os.ReadFile(filepath.Join(dir, "claudit-query.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(page, []byte(".nh\n.TH \"CLAUDIT-QUERY\" \"1\"")) || !bytes.Contains(page, []byte("claudit-query - Print the activities")) ||
		bytes.Contains(page, []byte("Auto generated")) {
		t.Fatalf("claudit-query.1:\n%s", page)
	}
	// Written twice, the pages are the same bytes (no clock in them beyond
	// the commit's date or, without one, the run's clock).
	if code, _, _ := e.run("man", dir); code != 0 {
		t.Fatal("second run failed")
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "claudit-query.1")); !bytes.Equal(again, page) {
		t.Error("a second run wrote different bytes")
	}
	if code, _, stderr := e.run("man"); code != exitUsage || !strings.Contains(stderr, "see \"claudit man --help\"") {
		t.Errorf("man without DIR: exit %d %q", code, stderr)
	}

	// What man shows: groff (which man runs) reads the pages without a
	// warning, and the text keeps what Markdown would have eaten.
	groff, err := exec.LookPath("groff")
	if err != nil {
		requireSystem(t, "groff", err.Error())
	}
	for _, name := range []string{"claudit.1", "claudit-query.1"} {
		var out, errs bytes.Buffer
		cmd := exec.Command(groff, "-k", "-man", "-Tutf8", "-ww", "-rLL=400n", "-P", "-c", filepath.Join(dir, name))
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Run(); err != nil || errs.Len() > 0 {
			t.Fatalf("groff %s: %v: %s", name, err, errs.String())
		}
		// Words joined by single spaces: justification and wrapping vary.
		text := strings.Join(strings.Fields(stripOverstrike(out.String())), " ")
		for _, s := range map[string][]string{
			"claudit.1":       {"claudit - Explore the Anthropic", "type:*api_key*", "<user config", "claudit-query(1)"},
			"claudit-query.1": {"claudit query [QUERY] [flags]", "0 events in <window>", "--format", "<profile>.db"},
		}[name] {
			if !strings.Contains(text, s) {
				t.Errorf("%s as man shows it lacks %q:\n%s", name, s, text)
			}
		}
	}
}

// stripOverstrike removes grotty's bold and underline (c\bc, _\bc).
func stripOverstrike(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		if i+1 < len(r) && r[i+1] == '\b' {
			i++
			continue
		}
		b.WriteRune(r[i])
	}
	return b.String()
}
