package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"claudit/feed/sim"
)

// TestRedactIsTotal runs the built binary against a simulator with
// redaction on and scans everything it puts out for the personal data in
// the cache: the explorer's screens in a real terminal (table, detail,
// pivot, query bar, completion, history, a parse error, breadcrumbs,
// facets, dossier, help, palette with a saved view, status), the timeline
// and evidence files it writes, every `query` format, `key` as table and
// JSON, `export --redact`, and an error message echoing a typed e-mail.
// Nothing may be found, and redaction must not change how many rows come
// out.
func TestRedactIsTotal(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the binary and runs it in tmux")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	work := filepath.Join(home, "work") // the explorer's current directory
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	baseEnv := append(withoutKeyEnv(os.Environ()), "HOME="+home, "XDG_CACHE_HOME="+home, "XDG_CONFIG_HOME="+home,
		"XDG_DATA_HOME="+home, "NO_COLOR=1")
	url, leaked := startSimProcess(t, bin, baseEnv, "--seed", "5", "--events", "1500")
	cache := filepath.Join(home, "redact.db")
	// A saved view naming a person, read from the config file, which also
	// turns redaction on for the commands run without --redact.
	config := filepath.Join(home, "config.toml")
	redactConfig := filepath.Join(home, "redact.toml")
	scenario := sim.New(sim.Config{Seed: 5, Events: 1500}).Scenario()
	viewMail := scenario.DeactivatedBy
	for path, body := range map[string]string{
		config:       fmt.Sprintf("[views]\nwho = \"actor:%s\"\n", viewMail),
		redactConfig: "redact = true\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(cfg string, args ...string) (int, string, string) {
		t.Helper()
		c := exec.Command(bin, append(args, "--base-url", url, "--cache", cache)...)
		c.Env = append(baseEnv, envKeyVar+"="+sim.AdminKey, envConfig+"="+cfg)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return ee.ExitCode(), out.String(), errb.String()
		case err != nil:
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	}
	if code, _, stderr := run(config, "sync"); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	code, raw, stderr := run(config, "query", "--offline", "--format", "ndjson")
	if code != 0 {
		t.Fatalf("query: exit %d: %s", code, stderr)
	}
	secrets := sensitiveValues(t, raw)
	for _, v := range []string{viewMail, leaked, scenario.AttackerIP} {
		if !slices.Contains(secrets, v) {
			t.Fatalf("the scan list lacks %q: the data set is not what the test expects", v)
		}
	}
	t.Logf("scanning for %d sensitive values", len(secrets))

	var outputs []scanned
	keep := func(what, text string) { outputs = append(outputs, scanned{what, text}) }

	// Every query format: masked, and the same number of rows.
	for _, format := range []string{"table", "csv", "json", "ndjson", "ocsf"} {
		_, plain, _ := run(config, "query", "--offline", "--format", format)
		code, out, stderr := run(config, "query", "--offline", "--redact", "--format", format)
		if code != 0 {
			t.Fatalf("query --redact --format %s: exit %d: %s", format, code, stderr)
		}
		if a, b := rowCount(t, format, plain), rowCount(t, format, out); a != b || a < 1000 {
			t.Fatalf("query --format %s: %d rows unredacted, %d redacted", format, a, b)
		}
		keep("query --format "+format, out)
		keep("query --format "+format+" (stderr)", stderr)
	}
	// A query for a real value still finds it (the value is typed by the
	// analyst on the command line), printed masked.
	_, plain, _ := run(config, "query", "--offline", "actor:"+viewMail, "--format", "ndjson")
	_, out, stderr := run(config, "query", "--offline", "--redact", "actor:"+viewMail, "--format", "ndjson")
	if a, b := strings.Count(plain, "\n"), strings.Count(out, "\n"); a != b || a == 0 {
		t.Fatalf("query actor:…: %d rows unredacted, %d redacted", a, b)
	}
	keep("query actor:", out+stderr)
	// key, table and JSON: once by flag, once by the config's redact.
	for _, format := range []string{"table", "json"} {
		code, out, stderr := run(config, "key", leaked, "--offline", "--redact", "--format", format)
		if code != 0 || !strings.Contains(out, "deactivated") {
			t.Fatalf("key --format %s: exit %d: %s%s", format, code, out, stderr)
		}
		keep("key --format "+format, out+stderr)
		code, out, stderr = run(redactConfig, "key", leaked, "--offline", "--format", format)
		if code != 0 || !strings.Contains(out, "deactivated") {
			t.Fatalf("key (redact = true) --format %s: exit %d: %s%s", format, code, out, stderr)
		}
		keep("key (config) --format "+format, out+stderr)
	}
	// An error echoing what the analyst typed.
	code, out, stderr = run(config, "query", "--offline", "--redact", "actor:"+viewMail, "ip:"+viewMail)
	if code != exitUsage || !strings.Contains(stderr, "^") {
		t.Fatalf("bad query: exit %d: %s%s", code, out, stderr)
	}
	keep("query error", out+stderr)
	// export --redact.
	bundle := filepath.Join(home, "bundle")
	code, out, stderr = run(config, "export", "--offline", "--redact", "--format", "ocsf", "actor:"+viewMail, "--out", bundle)
	if code != 0 {
		t.Fatalf("export: exit %d: %s%s", code, out, stderr)
	}
	keep("export", out+stderr)

	// The explorer in a real terminal, started with --redact.
	tm := startTmux(t, 200, 50, "cd "+work+" && "+bin+" --redact --base-url "+url+" --cache "+cache,
		"TERM=xterm-256color", "NO_COLOR=1", "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home,
		envKeyVar+"="+sim.AdminKey, envConfig+"="+config)
	shot := func(what string, ok func(string) bool) string {
		t.Helper()
		s := tm.waitFor(what, 60*time.Second, ok)
		keep("explorer: "+what, s)
		return s
	}
	has := func(parts ...string) func(string) bool {
		return func(s string) bool {
			for _, p := range parts {
				if !strings.Contains(s, p) {
					return false
				}
			}
			return true
		}
	}
	// Escape alone: followed at once by another key, a terminal reads it
	// as alt+<key>; so wait for what it closes to go.
	escape := func(gone func(string) bool) {
		t.Helper()
		tm.keys("Escape")
		tm.waitFor("escape to close", 15*time.Second, gone)
	}
	noBar := func(s string) bool { return queryBarLine(s) == "" }
	lacks := func(text string) func(string) bool {
		return func(s string) bool { return !strings.Contains(s, text) }
	}
	shot("the first rows", func(s string) bool { return strings.Contains(s, "REDACT") && len(rowTime.FindAllString(s, -1)) > 5 })
	shot("the sync", has("synced"))
	tm.keys("j", "j", "Enter") // a person's event, the detail pane focused
	shot("the detail pane", has("RAW JSON", "enter narrow to value"))
	tm.keys("Enter") // pivot on its first value, the actor
	events := regexp.MustCompile(`(?m)^› .* ([0-9,]+ events?)\s*$`)
	count := func(s string) string {
		if m := events.FindStringSubmatch(s); m != nil {
			return m[1]
		}
		return ""
	}
	s := shot("the pivot's breadcrumbs and count", func(s string) bool {
		return strings.Contains(s, "esc ← ") && count(s) != "" && count(s) != "1,500 events"
	})
	total := count(s)
	tm.keys("/")
	s = shot("the query bar on the pivot", has("/ "))
	pivotQuery := strings.TrimSpace(strings.TrimPrefix(queryBarLine(s), "/ "))
	tm.keys("Enter")
	shot("the pivot re-applied", func(s string) bool { return noBar(s) && count(s) == total })
	tm.keys("/", "C-u", "literal:actor:", "Tab")
	shot("completion from the cache", has("u-"))
	escape(noBar)
	tm.keys("/", "C-u", "Up")
	shot("history", has("/ "+pivotQuery))
	tm.keys("C-u", "literal:ip:"+viewMail)
	shot("a parse error", has("^"))
	escape(noBar)
	tm.keys("s")
	shot("facets", has("TOP VALUES"))
	escape(lacks("TOP VALUES"))
	tm.keys("/", "C-u", "literal:key:"+leaked, "Enter") // typed, shown masked
	shot("the key's events", has("scoped_api_key_updat"))
	tm.keys("K")
	shot("the dossier", has("KEY DOSSIER", "LIFECYCLE"))
	escape(lacks("KEY DOSSIER"))
	tm.keys("?")
	shot("help", has("help · "))
	escape(lacks("help · "))
	tm.keys(":", "literal:view who")
	shot("a saved view in the palette", has("view who"))
	tm.keys("Enter")
	shot("the view applied", func(s string) bool {
		return strings.Contains(s, "› view who") && rowTime.MatchString(s) && count(s) != ""
	})
	tm.keys("m")
	shot("a mark", has("marked"))
	tm.keys(":", "literal:timeline Markdown", "Enter")
	shot("the Markdown timeline", has("timeline of"))
	tm.keys(":", "literal:timeline CSV", "Enter")
	shot("the CSV timeline", has(".csv"))
	tm.keys("C-s")
	shot("the evidence bundle", has("evidence bundle"))
	tm.keys("q")
	shot("the exit", has("EXIT:0"))

	// Every file written, except the cache itself, which holds the data.
	files := 0
	err := filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(p, cache) || p == config || p == redactConfig {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		keep("file "+strings.TrimPrefix(p, home), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 { // the export's two, the explorer's timelines and bundle
		t.Fatalf("only %d files were written", files)
	}

	// A screen cuts long values ("alice.admin@exa…"): there the start of
	// a value is a leak too.
	var starts []string
	for _, v := range secrets {
		if p := valueStart(v); p != "" {
			starts = append(starts, p)
		}
	}
	for _, o := range outputs {
		look := secrets
		if strings.HasPrefix(o.what, "explorer: ") {
			look = append(slices.Clone(secrets), starts...)
		}
		for _, v := range look {
			if i := strings.Index(o.text, v); i >= 0 {
				t.Errorf("%s shows %q while redacting: …%s…", o.what, v, o.text[max(0, i-80):min(len(o.text), i+len(v)+40)])
			}
		}
	}
	t.Logf("scanned %d outputs", len(outputs))
}

// scanned is one output of the redaction test.
type scanned struct{ what, text string }

// valueStart is the part of a sensitive value that identifies it even
// when a narrow cell cuts the rest: an e-mail's local part with its @, an
// id's type prefix with four characters of its tail; "" for short values.
func valueStart(v string) string {
	if i := strings.IndexByte(v, '@'); i >= 4 {
		return v[:i+1]
	}
	if i := strings.LastIndexByte(v, '_'); i > 0 && len(v)-i > 8 {
		return v[:i+5]
	}
	return ""
}

// queryBarLine is the line of the screen the query bar is edited on.
func queryBarLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, "/ ") {
			return l
		}
	}
	return ""
}

// rowCount counts the activities in a query output of format.
func rowCount(t *testing.T, format, out string) int {
	t.Helper()
	switch format {
	case "ndjson", "ocsf":
		return strings.Count(out, "\n")
	case "json":
		var all []json.RawMessage
		if err := json.Unmarshal([]byte(out), &all); err != nil {
			t.Fatalf("json output: %v", err)
		}
		return len(all)
	case "csv":
		return strings.Count(out, "\n") - 1 // minus the header; cells are one line (sanitised)
	}
	return len(regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).FindAllString(out, -1))
}

// piiText finds e-mail and IPv4 addresses in free text.
var piiText = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+|\b\d{1,3}(?:\.\d{1,3}){3}\b`)

// sensitiveValues lists what the redactor must mask in the activities of
// an ndjson output: every e-mail, ip, user agent and id member's value
// (activity ids excepted: they name the event) and every e-mail and IPv4
// address in any other text.
func sensitiveValues(t *testing.T, ndjson string) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(name string, v any)
	walk = func(name string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(k, x)
			}
		case []any:
			for _, x := range v {
				walk(name, x)
			}
		case string:
			n := strings.ToLower(name)
			personal := strings.Contains(n, "email") || n == "ip_address" || strings.HasSuffix(n, "_ip") ||
				n == "user_agent" || n == "id" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_ids")
			isID := n == "id" || strings.HasSuffix(n, "_id") || strings.HasSuffix(n, "_ids")
			if isID && !strings.ContainsAny(v, "0123456789") {
				personal = false // a word in an id member ("enabled") is no one's id
			}
			if personal && len(v) >= 7 && !strings.HasPrefix(v, "activity_") && !strings.ContainsAny(v, "\x1b\u009b\u200b\u202e") {
				seen[v] = true
			}
			for _, m := range piiText.FindAllString(v, -1) {
				seen[m] = true
			}
		}
	}
	sc := bufio.NewScanner(strings.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a any
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		walk("", a)
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
