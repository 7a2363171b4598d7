package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"claudit/feed"
	"claudit/ui"

	"github.com/BurntSushi/toml"
)

// The config file holds the analyst's defaults, key bindings and saved
// views. Every setting resolves as: a flag given on the command line, else
// the environment variable, else the config file, else the built-in
// default.
const (
	// envConfig overrides the config file's path.
	envConfig = "CLAUDIT_CONFIG"
	// envProfile selects the profile when --profile is not given.
	envProfile = "CLAUDIT_PROFILE"
	// configMaxSize bounds what is read: a config is a few hundred bytes,
	// and a path pointed at something huge must not be slurped.
	configMaxSize = 1 << 20
	// viewPrefix is how a query names a saved view: @view:NAME.
	viewPrefix = "@view:"
)

// config is what the config file sets. A nil pointer or slice is a
// setting the file leaves alone.
type config struct {
	// path is where the file was looked for ("" when there is no user
	// config directory); found says whether a file was there.
	path  string
	found bool

	profile, baseURL, cache *string
	utc, noColor, redact    *bool
	columns                 []string
	keys                    map[string][]string
	// views are the saved queries in the file's order; each parses.
	views []ui.View

	// evidenceDir is where evidence bundles and timelines go.
	evidenceDir *string
	// apiVersion is the anthropic-version header (api_version).
	apiVersion *string
	// budgetReserve is the share of the org's rate budget a backfill
	// leaves to others.
	budgetReserve *float64
	// directoryTTL is how old the directory may get before sync refreshes
	// it (directory_ttl; 0 = never automatically).
	directoryTTL *time.Duration
}

// fileConfig is the TOML layout of the config file.
type fileConfig struct {
	Profile string              `toml:"profile"`
	UTC     bool                `toml:"utc"`
	NoColor bool                `toml:"no_color"`
	Redact  bool                `toml:"redact"`
	Cache   string              `toml:"cache"`
	BaseURL string              `toml:"base_url"`
	Columns []string            `toml:"columns"`
	Keys    map[string][]string `toml:"keys"`
	Views   map[string]string   `toml:"views"`

	// EvidenceDir is the evidence_dir setting.
	EvidenceDir string `toml:"evidence_dir"`
	// APIVersion is the api_version setting.
	APIVersion string `toml:"api_version"`
	// BudgetReserve is the budget_reserve setting.
	BudgetReserve float64 `toml:"budget_reserve"`
	// DirectoryTTL is the directory_ttl setting, a Go duration ("1h").
	DirectoryTTL string `toml:"directory_ttl"`
}

// settingKind is the TOML type a setting wants.
type settingKind int

const (
	kindString settingKind = iota
	kindBool
	kindStrings
	kindKeyTable  // [keys]: action = ["key", …]
	kindViewTable // [views]: name = "query"
	kindFraction  // a number from 0 to 1
)

// configSetting is a top-level key of the config file and its type.
type configSetting struct {
	name string
	kind settingKind
}

// configSettings are the top-level keys of the config file, in the order
// the documentation lists them.
func configSettings() []configSetting {
	return []configSetting{
		{"profile", kindString}, {"utc", kindBool}, {"no_color", kindBool}, {"redact", kindBool},
		{"cache", kindString}, {"evidence_dir", kindString}, {"base_url", kindString}, {"api_version", kindString}, {"columns", kindStrings},
		{"budget_reserve", kindFraction}, {"directory_ttl", kindString}, {"keys", kindKeyTable}, {"views", kindViewTable},
	}
}

// configError is a config file claudit cannot use (exit 1). Its text names
// the file.
type configError struct {
	path string
	msg  string
}

func (e *configError) Error() string { return "config file " + e.path + ": " + e.msg }

// configPath is where the config file is looked for: CLAUDIT_CONFIG, else
// <user config dir>/claudit/config.toml. "" means there is nowhere to
// look (no home directory).
func configPath(getenv func(string) string) string {
	if p := getenv(envConfig); p != "" {
		return p
	}
	dir, err := userConfigDir(getenv)
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "claudit", "config.toml")
}

// userConfigDir is os.UserConfigDir reading the environment through
// getenv, so an in-process run sees its own environment, not the test
// binary's.
func userConfigDir(getenv func(string) string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = getenv("AppData")
	case "darwin", "ios":
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	case "plan9":
		if home := getenv("home"); home != "" {
			dir = filepath.Join(home, "lib")
		}
	default:
		dir = getenv("XDG_CONFIG_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			dir = ""
			if home := getenv("HOME"); home != "" {
				dir = filepath.Join(home, ".config")
			}
		}
	}
	if dir == "" {
		return "", errors.New("no user config directory")
	}
	return dir, nil
}

// loadConfig reads the config file at path. A missing file (or an empty
// path) is an empty config; anything else that is wrong with the file is
// a *configError.
func loadConfig(path string) (*config, error) {
	cfg := &config{path: path}
	if path == "" {
		return cfg, nil
	}
	data, err := readConfigFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, &configError{path: path, msg: "cannot be read: " + unwrapPathError(err) +
			".\nFix it, or point " + envConfig + " at another file."}
	}
	cfg.found = true
	if err := parseConfig(cfg, string(data)); err != nil {
		return nil, err
	}
	return cfg, nil
}

func readConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, errors.New("it is a directory")
	}
	data, err := io.ReadAll(io.LimitReader(f, configMaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > configMaxSize {
		return nil, fmt.Errorf("it is larger than %d bytes", configMaxSize)
	}
	return data, nil
}

// unwrapPathError drops the path a *fs.PathError repeats.
func unwrapPathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseConfig fills cfg from the TOML text: syntax first, then the type of
// every known setting, then unknown settings, then what the values mean.
func parseConfig(cfg *config, text string) error {
	bad := func(format string, args ...any) error {
		return &configError{path: cfg.path, msg: fmt.Sprintf(format, args...)}
	}
	var raw map[string]any
	md, err := toml.Decode(text, &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := strings.TrimSuffix(pe.Message, ".")
			return bad("TOML syntax error at line %d, column %d: %s.", pe.Position.Line, pe.Position.Col, msg)
		}
		return bad("%v.", err)
	}
	for _, s := range configSettings() {
		v, ok := raw[s.name]
		if !ok {
			continue
		}
		if msg := checkSettingType(s.name, s.kind, v); msg != "" {
			return bad("%s.", msg)
		}
	}
	var fc fileConfig
	md, err = toml.Decode(text, &fc)
	if err != nil {
		return bad("%v.", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var names []string
		for _, s := range configSettings() {
			if s.kind == kindKeyTable || s.kind == kindViewTable {
				names = append(names, "["+s.name+"]")
				continue
			}
			names = append(names, s.name)
		}
		return bad("unknown setting %q; the settings are %s.", und[0].String(), strings.Join(names, ", "))
	}

	if md.IsDefined("profile") {
		if !validProfile(fc.Profile) {
			return bad("profile %q: use letters, digits, '.', '_' and '-' (at most 64).", fc.Profile)
		}
		cfg.profile = &fc.Profile
	}
	for _, s := range []struct {
		name string
		dst  **bool
		v    *bool
	}{{"utc", &cfg.utc, &fc.UTC}, {"no_color", &cfg.noColor, &fc.NoColor}, {"redact", &cfg.redact, &fc.Redact}} {
		if md.IsDefined(s.name) {
			*s.dst = s.v
		}
	}
	if md.IsDefined("evidence_dir") {
		if fc.EvidenceDir == "" {
			return bad("evidence_dir is empty; remove it to use the default (claudit-evidence in the data directory).")
		}
		cfg.evidenceDir = &fc.EvidenceDir
	}
	if md.IsDefined("budget_reserve") {
		cfg.budgetReserve = &fc.BudgetReserve
	}
	if md.IsDefined("directory_ttl") {
		ttl, err := parseDirectoryTTL(fc.DirectoryTTL)
		if err != nil {
			return bad("directory_ttl %q: %v.", fc.DirectoryTTL, err)
		}
		cfg.directoryTTL = &ttl
	}
	if md.IsDefined("base_url") {
		if fc.BaseURL == "" {
			return bad("base_url is empty; remove it to use %s.", feed.DefaultBaseURL)
		}
		cfg.baseURL = &fc.BaseURL
	}
	if md.IsDefined("api_version") {
		if err := feed.CheckAPIVersion(fc.APIVersion); err != nil {
			return bad("api_version: %v; remove it to send %s.", err, feed.APIVersion)
		}
		cfg.apiVersion = &fc.APIVersion
	}
	if md.IsDefined("cache") {
		if fc.Cache == "" {
			return bad("cache is empty; remove it to use the default cache file.")
		}
		cfg.cache = &fc.Cache
	}
	if md.IsDefined("columns") {
		if err := ui.CheckColumns(fc.Columns); err != nil {
			return bad("columns: %v.", err)
		}
		cfg.columns = fc.Columns
	}
	if len(fc.Keys) > 0 {
		if _, err := ui.DefaultKeyMap().Rebind(fc.Keys); err != nil {
			return bad("[keys] %v.", err)
		}
		cfg.keys = fc.Keys
	}
	// Views keep the file's order: the palette lists them as written.
	for _, k := range md.Keys() {
		if len(k) != 2 || k[0] != "views" {
			continue
		}
		name, text := k[1], fc.Views[k[1]]
		if !validProfile(name) {
			return bad("view name %q: use letters, digits, '.', '_' and '-' (at most 64), so that @view:%s can name it.", name, name)
		}
		if _, err := parseViewQuery(text); err != nil {
			return bad("view %q does not parse: %v.", name, err)
		}
		cfg.views = append(cfg.views, ui.View{Name: name, Query: text})
	}
	return nil
}

// parseViewQuery parses a view's query as a command-line query would be.
func parseViewQuery(text string) (feed.Query, error) {
	q, err := feed.Parse(text)
	if err != nil {
		return q, err
	}
	if _, err := q.ServerFilter(); err != nil {
		return q, err
	}
	return q, nil
}

// checkSettingType says what is wrong with the type of a known setting's
// value ("" when nothing).
func checkSettingType(name string, kind settingKind, v any) string {
	isStrings := func(v any) bool {
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	// A setting written after a [table] header belongs to that table.
	const tableHint = " (settings written after [keys] or [views] belong to that table: put top-level settings first)"
	switch kind {
	case kindString:
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("%s must be a string in quotes, not %s", name, tomlType(v))
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("%s must be true or false, not %s", name, tomlType(v))
		}
	case kindFraction:
		f, isFloat := v.(float64)
		i, isInt := v.(int64)
		if isInt {
			f = float64(i)
		}
		if (!isFloat && !isInt) || f < 0 || f >= 1 {
			return fmt.Sprintf("%s must be a number from 0 to below 1, e.g. %s = 0.2, not %v", name, name, v)
		}
	case kindStrings:
		if !isStrings(v) {
			return fmt.Sprintf("%s must be a list of strings, e.g. %s = [\"time\", \"type\", \"actor\"], not %s", name, name, tomlType(v))
		}
	case kindKeyTable, kindViewTable:
		table, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s must be a table ([%s]), not %s", name, name, tomlType(v))
		}
		for _, k := range slices.Sorted(maps.Keys(table)) {
			e := table[k]
			if kind == kindKeyTable && !isStrings(e) {
				return fmt.Sprintf("[keys] %s must be a list of keys, e.g. %s = [\"f\", \"L\"], not %s%s", k, k, tomlType(e), tableHint)
			}
			if _, isStr := e.(string); kind == kindViewTable && !isStr {
				return fmt.Sprintf("[views] %s must be a query in quotes, e.g. %s = \"since:24h type:@keys\", not %s%s", k, k, tomlType(e), tableHint)
			}
		}
	}
	return ""
}

// tomlType names the TOML type of a decoded value for messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64:
		return "an integer"
	case float64:
		return "a number"
	case []any, []map[string]any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// applyConfig resolves the global settings: a flag given on the command
// line wins, then the environment, then the config file; the flags'
// defaults are what remains. changed reports whether a flag was given.
func (a *app) applyConfig(changed func(string) bool) error {
	cfg, err := loadConfig(configPath(a.env.getenv))
	if err != nil {
		return &usageError{err: err}
	}
	a.cfg = cfg
	if !changed("profile") {
		switch {
		case a.env.getenv(envProfile) != "":
			a.profile = a.env.getenv(envProfile)
		case cfg.profile != nil:
			a.profile = *cfg.profile
		}
	}
	if !changed("base-url") {
		a.baseURL = a.env.getenv(envBaseURL)
		if a.baseURL == "" && cfg.baseURL != nil {
			a.baseURL = *cfg.baseURL
		}
	}
	if !changed("cache") {
		a.cache = a.env.getenv(envCache)
		if a.cache == "" && cfg.cache != nil {
			a.cache = a.configCachePath(*cfg.cache)
		}
	}
	a.budgetReserve = feed.DefaultBudgetReserve
	if cfg.budgetReserve != nil {
		a.budgetReserve = *cfg.budgetReserve
	}
	a.evidenceDir = ""
	if cfg.evidenceDir != nil {
		a.evidenceDir = a.configCachePath(*cfg.evidenceDir)
	}
	if !changed("no-color") {
		switch {
		case a.env.getenv(envNoColor) != "":
			a.noColor = true
		case cfg.noColor != nil:
			a.noColor = *cfg.noColor
		}
	}
	if !changed("utc") && cfg.utc != nil {
		a.utc = *cfg.utc
	}
	if !changed("redact") && cfg.redact != nil {
		a.redact = *cfg.redact
	}
	return nil
}

// configCachePath resolves the config file's cache (and evidence_dir) setting: {profile}
// becomes the profile (so profiles keep separate caches), a leading ~/
// the home directory, and a relative path is relative to the config
// file's directory.
func (a *app) configCachePath(p string) string {
	p = strings.ReplaceAll(p, "{profile}", a.profile)
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home := a.env.getenv("HOME"); home != "" {
			return filepath.Join(home, rest)
		}
	}
	if !filepath.IsAbs(p) {
		return filepath.Join(filepath.Dir(a.cfg.path), p)
	}
	return p
}

// apiVersion is the anthropic-version to send: the config file's
// api_version, else feed.APIVersion.
func (a *app) apiVersion() string {
	if a.cfg != nil && a.cfg.apiVersion != nil {
		return *a.cfg.apiVersion
	}
	return feed.APIVersion
}

// configStatus describes the config file for claudit status.
func (a *app) configStatus() string {
	c := a.cfg
	switch {
	case c == nil || c.path == "":
		return "none (no user config directory; set " + envConfig + ")"
	case !c.found:
		return c.path + " (not found: built-in defaults)"
	}
	s := c.path + " (found"
	if n := len(c.views); n > 0 {
		s += fmt.Sprintf(", %d saved view", n)
		if n > 1 {
			s += "s"
		}
	}
	return s + ")"
}

// expandViews replaces each @view:NAME word of a query (outside quotes)
// with the saved view's query, so views combine with other terms:
// claudit query @view:incident actor:bob@example.com.
func (a *app) expandViews(text string) (string, error) {
	if !strings.Contains(text, viewPrefix) {
		return text, nil
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] == ' ' || text[i] == '\t' || text[i] == '\n' {
			b.WriteByte(text[i])
			i++
			continue
		}
		end := queryWordEnd(text, i)
		word := text[i:end]
		switch {
		case strings.HasPrefix(word, viewPrefix):
			q, err := a.view(word[len(viewPrefix):])
			if err != nil {
				return "", err
			}
			b.WriteString(q)
		case strings.HasPrefix(word, "-"+viewPrefix):
			return "", &usageError{err: fmt.Errorf("%s: a view cannot be excluded; exclude its terms one by one", word)}
		default:
			b.WriteString(word)
		}
		i = end
	}
	return b.String(), nil
}

// queryWordEnd is the end of the query word starting at i: the next blank
// outside double quotes (where \" does not close).
func queryWordEnd(s string, i int) int {
	quoted := false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\' && i+1 < len(s):
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ' ' || c == '\t' || c == '\n'):
			return i
		}
	}
	return i
}

// view returns the query of the saved view called name.
func (a *app) view(name string) (string, error) {
	var names []string
	for _, v := range a.cfg.views {
		if v.Name == name {
			return v.Query, nil
		}
		names = append(names, v.Name)
	}
	where := "the config file"
	if a.cfg.path != "" {
		where = a.cfg.path
	}
	switch {
	case !a.cfg.found:
		return "", &usageError{err: fmt.Errorf("no view %q: there is no config file (%s)", name, where)}
	case len(names) == 0:
		return "", &usageError{err: fmt.Errorf("no view %q: %s has no [views]", name, where)}
	}
	return "", &usageError{err: fmt.Errorf("no view %q in %s; its views: %s", name, where, strings.Join(names, ", "))}
}
