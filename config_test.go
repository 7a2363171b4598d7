package main

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"claudit/feed"
	"claudit/ui"
)

// writeConfig writes a config file for e and points CLAUDIT_CONFIG at it.
func writeConfig(t *testing.T, e *testEnv, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars[envConfig] = path
	return path
}

// resolve runs the global-settings resolution of one command line (args
// are flags of `claudit status`) and returns the resolved app.
func resolve(t *testing.T, e *testEnv, args ...string) (*app, error) {
	t.Helper()
	a := &app{env: e.environment}
	cmd, _, err := a.rootCommand().Find([]string{"status"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return a, a.settings(cmd)
}

// Every setting resolves as flag > environment > config file > default.
func TestConfigPrecedence(t *testing.T) {
	fileCache := filepath.Join(t.TempDir(), "file.db")
	cases := []struct {
		setting                          string
		file                             string // the config line
		env                              string // the variable, "" when the setting has none
		envVal                           string
		flag                             []string
		get                              func(*app) any
		def, fromFile, fromEnv, fromFlag any
	}{
		{"profile", `profile = "fileprof"`, envProfile, "envprof", []string{"--profile", "flagprof"},
			func(a *app) any { return a.profile }, "default", "fileprof", "envprof", "flagprof"},
		{"base_url", `base_url = "https://file.example.com"`, envBaseURL, "https://env.example.com", []string{"--base-url", "https://flag.example.com"},
			func(a *app) any { return a.baseURL }, feed.DefaultBaseURL, "https://file.example.com", "https://env.example.com", "https://flag.example.com"},
		{"cache", `cache = "` + filepath.ToSlash(fileCache) + `"`, envCache, "/env/c.db", []string{"--cache", "/flag/c.db"},
			func(a *app) any { return a.cache }, nil, fileCache, "/env/c.db", "/flag/c.db"},
		// A flag set to false on the command line still wins.
		{"no_color", `no_color = false`, envNoColor, "1", []string{"--no-color=false"},
			func(a *app) any { return a.noColor }, false, false, true, false},
		{"no_color true", `no_color = true`, "", "", []string{"--no-color=false"},
			func(a *app) any { return a.noColor }, false, true, nil, false},
		{"utc", `utc = true`, "", "", []string{"--utc=false"},
			func(a *app) any { return a.utc }, false, true, nil, false},
		{"redact", `redact = true`, "", "", []string{"--redact=false"},
			func(a *app) any { return a.redact }, false, true, nil, false},
	}
	for _, c := range cases {
		t.Run(c.setting, func(t *testing.T) {
			e := newTestEnv(t)
			e.vars[envConfig] = filepath.Join(t.TempDir(), "absent.toml")
			check := func(layer string, want any, args ...string) {
				t.Helper()
				a, err := resolve(t, e, args...)
				if err != nil {
					t.Fatalf("%s: %v", layer, err)
				}
				if got := c.get(a); want != nil && got != want {
					t.Fatalf("%s: %s = %v, want %v", layer, c.setting, got, want)
				}
			}
			check("default", c.def)
			writeConfig(t, e, c.file+"\n")
			check("file", c.fromFile)
			if c.env != "" {
				e.vars[c.env] = c.envVal
				check("env over file", c.fromEnv)
			}
			check("flag over env and file", c.fromFlag, c.flag...)
		})
	}
}

// A relative cache path is relative to the config file; ~/ is the home
// directory; {profile} keeps profiles apart.
func TestConfigCachePath(t *testing.T) {
	e := newTestEnv(t)
	path := writeConfig(t, e, `cache = "caches/{profile}.db"`+"\n")
	a, err := resolve(t, e, "--profile", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "caches", "prod.db"); a.cache != want {
		t.Fatalf("cache %q, want %q", a.cache, want)
	}
	e.vars["HOME"] = "/home/analyst"
	writeConfig(t, e, `cache = "~/claudit/{profile}.db"`+"\n")
	if a, _ = resolve(t, e); a.cache != filepath.Join("/home/analyst", "claudit", "default.db") {
		t.Fatalf("cache %q", a.cache)
	}
}

// The default path is <user config dir>/claudit/config.toml; without a
// home there is nowhere to look, which is not an error.
func TestConfigDefaultPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG layout is Linux's")
	}
	e := newTestEnv(t)
	dir := t.TempDir()
	e.vars["XDG_CONFIG_HOME"] = dir
	if err := os.MkdirAll(filepath.Join(dir, "claudit"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "claudit", "config.toml")
	if err := os.WriteFile(path, []byte(`profile = "xdg"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if a, err := resolve(t, e); err != nil || a.profile != "xdg" || a.cfg.path != path {
		t.Fatalf("profile %q path %q err %v", a.profile, a.cfg.path, err)
	}
	delete(e.vars, "XDG_CONFIG_HOME")
	e.vars["HOME"] = t.TempDir()
	if a, err := resolve(t, e); err != nil || a.cfg.path != filepath.Join(e.vars["HOME"], ".config", "claudit", "config.toml") || a.cfg.found {
		t.Fatalf("HOME: path %q found %v err %v", a.cfg.path, a.cfg.found, err)
	}
	delete(e.vars, "HOME")
	if a, err := resolve(t, e); err != nil || a.cfg.path != "" {
		t.Fatalf("no home: path %q err %v", a.cfg.path, err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []string
	}{
		{"syntax", "profile = \"a\"\nutc = true\nredact = \n", []string{"TOML syntax error at line 3"}},
		{"unterminated string", "profile = \"a\n", []string{"TOML syntax error at line 1"}},
		{"unknown key", "profile = \"a\"\ncolour = true\n", []string{`unknown setting "colour"`, "no_color"}},
		{"unknown table", "[view]\nx = \"since:1h\"\n", []string{`unknown setting "view"`}},
		{"wrong type bool", "utc = \"yes\"\n", []string{"utc must be true or false, not a string"}},
		{"wrong type string", "profile = 3\n", []string{"profile must be a string in quotes, not an integer"}},
		{"wrong type columns", "columns = \"time\"\n", []string{"columns must be a list of strings"}},
		{"setting after a table", "[views]\nx = \"since:1h\"\nutc = true\n", []string{"[views] utc must be a query in quotes", "put top-level settings first"}},
		{"keys not a list", "[keys]\nfollow = \"f\"\n", []string{`[keys] follow must be a list of keys, e.g. follow = ["f", "L"]`}},
		{"bad profile", "profile = \"a/b\"\n", []string{`profile "a/b"`}},
		{"bad view query", "[views]\nok = \"since:1h\"\nincident = \"type:@keys since:banana\"\n",
			[]string{`view "incident" does not parse`, "since:banana", "column 12"}},
		{"bad view field", "[views]\nx = \"colour:red\"\n", []string{`view "x" does not parse`, `unknown field "colour"`, "column 1"}},
		{"bad view name", "[views]\n\"two words\" = \"since:1h\"\n", []string{`view name "two words"`}},
		{"unknown action", "[keys]\nfly = [\"x\"]\n", []string{`[keys] unknown action "fly"`, "follow"}},
		{"empty key list", "[keys]\nfollow = []\n", []string{"[keys] follow: the list of keys is empty"}},
		{"key conflict", "[keys]\nfollow = [\"j\"]\n", []string{`key "j" is also bound to down`}},
		{"bad column", "columns = [\"time\", \"when\"]\n", []string{`columns: unknown column "when"`, "time, type, actor, target, org, ip"}},
		{"no columns", "columns = []\n", []string{"columns: no columns listed"}},
		{"empty base_url", "base_url = \"\"\n", []string{"base_url is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEnv(t)
			path := writeConfig(t, e, c.text)
			code, stdout, stderr := e.run("status")
			if code != exitUsage || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			for _, w := range append([]string{"claudit: config file " + path + ": "}, c.want...) {
				if !strings.Contains(stderr, w) {
					t.Fatalf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 1 {
				t.Fatalf("%d lines of error:\n%s", n+1, stderr)
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		e := newTestEnv(t)
		dir := t.TempDir()
		e.vars[envConfig] = dir
		code, _, stderr := e.run("status")
		if code != exitUsage || !strings.Contains(stderr, "config file "+dir+": cannot be read: it is a directory") ||
			!strings.Contains(stderr, envConfig) {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

// claudit status names the config file and says whether it was found.
func TestStatusShowsConfig(t *testing.T) {
	e := newTestEnv(t)
	e.vars[envCache] = filepath.Join(t.TempDir(), "c.db")
	missing := filepath.Join(t.TempDir(), "none.toml")
	e.vars[envConfig] = missing
	if code, stdout, stderr := e.run("status"); code != 0 || !strings.Contains(stdout, "config       "+missing+" (not found: built-in defaults)") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	path := writeConfig(t, e, "profile = \"prod\"\n[views]\na = \"since:1h\"\nb = \"type:@keys\"\n")
	code, stdout, stderr := e.run("status")
	if code != 0 || !strings.Contains(stdout, "config       "+path+" (found, 2 saved views)") || !strings.Contains(stdout, "profile      prod") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// The config reaches the explorer: views in file order, columns, keys.
func TestConfigReachesTheExplorer(t *testing.T) {
	e := newTestEnv(t)
	writeConfig(t, e, `columns = ["actor", "time"]
[keys]
follow = ["f", "L"]
[views]
zeta = "since:1h"
incident = "since:24h type:@keys -is:self"
alpha = "actor:alice@example.com"
`)
	a, err := resolve(t, e)
	if err != nil {
		t.Fatal(err)
	}
	d := a.tuiDeps(nil, feed.Query{}, "", nil)
	var names []string
	for _, v := range d.Views {
		names = append(names, v.Name)
	}
	if !slices.Equal(names, []string{"zeta", "incident", "alpha"}) || d.Views[1].Query != "since:24h type:@keys -is:self" {
		t.Fatalf("views %+v", d.Views)
	}
	if !slices.Equal(d.Columns, []string{"actor", "time"}) || !slices.Equal(d.KeyOverrides["follow"], []string{"f", "L"}) {
		t.Fatalf("columns %v keys %v", d.Columns, d.KeyOverrides)
	}
	if _, err := ui.DefaultKeyMap().Rebind(d.KeyOverrides); err != nil {
		t.Fatal(err)
	}
}

func TestExpandViews(t *testing.T) {
	e := newTestEnv(t)
	writeConfig(t, e, "[views]\nincident = \"since:24h type:@keys\"\n")
	a, err := resolve(t, e)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"@view:incident":                       "since:24h type:@keys",
		"@view:incident actor:bob@example.com": "since:24h type:@keys actor:bob@example.com",
		`"@view:incident" @view:incident`:      `"@view:incident" since:24h type:@keys`,
		`actor:"a @view:incident" x`:           `actor:"a @view:incident" x`,
		`"say \"@view:incident\""`:             `"say \"@view:incident\""`,
		"type:@keys":                           "type:@keys",
	} {
		if got, err := a.expandViews(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"@view:nope":      `no view "nope" in `,
		"-@view:incident": "a view cannot be excluded",
	} {
		if _, err := a.expandViews(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// @view:NAME works on the command line: alone, narrowed by more terms,
// and an unknown name is a usage error that lists the views.
func TestViewsOnTheCommandLine(t *testing.T) {
	e, _, _ := syncedEnv(t)
	writeConfig(t, e, "[views]\nkeys = \"since:2d type:@keys\"\n")
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := e.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}
	want := run("query", "--offline", "-o", "ndjson", "since:2d", "type:@keys")
	if strings.Count(want, "\n") < 2 {
		t.Fatalf("too few key events to compare: %q", want)
	}
	if got := run("query", "--offline", "-o", "ndjson", "@view:keys"); got != want {
		t.Fatalf("@view:keys differs from its query:\n%s\nvs\n%s", got, want)
	}
	narrowed := run("query", "--offline", "-o", "ndjson", "@view:keys", "-type:api_key_created")
	if strings.Count(narrowed, "\n") > strings.Count(want, "\n") || strings.Contains(narrowed, `"type":"api_key_created"`) {
		t.Fatal("more terms do not narrow the view")
	}
	code, _, stderr := e.run("query", "--offline", "@view:nope")
	if code != exitUsage || !strings.Contains(stderr, `no view "nope"`) || !strings.Contains(stderr, "its views: keys") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
