package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"claudit/feed"
)

// dirPage is a decoded directory list body.
type dirPage struct {
	Data     []json.RawMessage `json:"data"`
	HasMore  bool              `json:"has_more"`
	NextPage *string           `json:"next_page"`
}

// dirGet sends GET path (with its query) to s with key.
func dirGet(t *testing.T, s http.Handler, key, path string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if key != "" {
		r.Header.Set("x-api-key", key)
	}
	r.Header.Set("User-Agent", "sim-test/1.0")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func mustDirOK(t *testing.T, s http.Handler, key, path string) []byte {
	t.Helper()
	w := dirGet(t, s, key, path)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, w.Code, w.Body.String())
	}
	return w.Body.Bytes()
}

func mustDirError(t *testing.T, s http.Handler, key, path string, status int, typ string) errBody {
	t.Helper()
	w := dirGet(t, s, key, path)
	var e errBody
	if w.Code != status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error.Type != typ || e.Type != "error" || e.RequestID != w.Header().Get("request-id") {
		t.Fatalf("GET %s: %d %s, want %d %s", path, w.Code, w.Body.String(), status, typ)
	}
	return e
}

// dirWalk follows next_page from path and returns every row.
func dirWalk(t *testing.T, s http.Handler, key, path string) (rows []json.RawMessage, pages int) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := ""
	for {
		p := path
		if next != "" {
			p += sep + "page=" + url.QueryEscape(next)
		}
		var pg dirPage
		if err := json.Unmarshal(mustDirOK(t, s, key, p), &pg); err != nil {
			t.Fatal(err)
		}
		pages++
		rows = append(rows, pg.Data...)
		if !pg.HasMore {
			if pg.NextPage != nil {
				t.Fatalf("%s: has_more false with next_page %q", p, *pg.NextPage)
			}
			return rows, pages
		}
		if pg.NextPage == nil || *pg.NextPage == "" {
			t.Fatalf("%s: has_more true without next_page", p)
		}
		next = *pg.NextPage
		if pages > 10000 {
			t.Fatal("walk does not end")
		}
	}
}

// rowField decodes one string field of each row.
func rowField(t *testing.T, rows []json.RawMessage, name string) []string {
	t.Helper()
	out := make([]string, len(rows))
	for i, r := range rows {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatal(err)
		}
		out[i], _ = m[name].(string)
	}
	return out
}

// dirPaths returns one path per directory endpoint, and which scope each needs.
func dirPaths(s *Server) map[string]string {
	d := s.Directory()
	org, group, role := d.Orgs[0].UUID, d.Groups[0].ID, d.Roles[0].ID
	return map[string]string{
		feed.OrganizationsPath:                                                    ScopeOrgData,
		"/v1/compliance/organizations/" + org + "/users":                          ScopeUserData,
		"/v1/compliance/organizations/" + org + "/roles":                          ScopeOrgData,
		"/v1/compliance/organizations/" + org + "/roles/" + role:                  ScopeOrgData,
		"/v1/compliance/organizations/" + org + "/roles/" + role + "/permissions": ScopeOrgData,
		"/v1/compliance/organizations/" + org + "/settings":                       ScopeOrgData,
		feed.GroupsPath:                            ScopeOrgData,
		feed.GroupsPath + "/" + group:              ScopeOrgData,
		feed.GroupsPath + "/" + group + "/members": ScopeUserData,
	}
}

// TestDirectoryWalkEveryRowOnce pages every list with small and default
// limits: each row comes once, in the same order, and matches Directory().
func TestDirectoryWalkEveryRowOnce(t *testing.T) {
	s, _ := newTestServer(t, nil)
	d := s.Directory()
	var lists []string
	lists = append(lists, feed.OrganizationsPath, feed.GroupsPath)
	for _, o := range d.Orgs {
		base := "/v1/compliance/organizations/" + o.UUID
		lists = append(lists, base+"/users", base+"/roles")
	}
	for _, g := range d.Groups {
		lists = append(lists, feed.GroupsPath+"/"+g.ID+"/members")
	}
	for _, r := range d.Roles {
		lists = append(lists, "/v1/compliance/organizations/"+r.OrgUUID+"/roles/"+r.ID+"/permissions")
	}
	for _, path := range lists {
		whole, pages := dirWalk(t, s, ComplianceKey, path)
		if pages != 1 {
			t.Errorf("%s: default limit took %d pages", path, pages)
		}
		for _, limit := range []int{1, 2, 3} {
			small, pages := dirWalk(t, s, ComplianceKey, path+"?limit="+strconv.Itoa(limit))
			if want := max(1, (len(whole)+limit-1)/limit); pages != want {
				t.Errorf("%s limit %d: %d pages, want %d", path, limit, pages, want)
			}
			if len(small) != len(whole) {
				t.Fatalf("%s limit %d: %d rows, want %d", path, limit, len(small), len(whole))
			}
			for i := range small {
				if string(small[i]) != string(whole[i]) {
					t.Fatalf("%s limit %d: row %d is %s, want %s", path, limit, i, small[i], whole[i])
				}
			}
		}
	}

	// The rows are the directory's.
	rows, _ := dirWalk(t, s, ComplianceKey, feed.OrganizationsPath+"?limit=1")
	if got, want := rowField(t, rows, "uuid"), []string{d.Orgs[0].UUID, d.Orgs[1].UUID}; !slices.Equal(got, want) {
		t.Errorf("organizations %v, want %v", got, want)
	}
	var users []string
	for _, o := range d.Orgs {
		rows, _ := dirWalk(t, s, ComplianceKey, "/v1/compliance/organizations/"+o.UUID+"/users?limit=7")
		users = append(users, rowField(t, rows, "id")...)
	}
	var want []string
	for _, u := range d.Users {
		want = append(want, u.ID)
	}
	if !slices.Equal(users, want) || len(users) < 20 {
		t.Errorf("users %d, want the %d of Directory()", len(users), len(want))
	}
	rows, _ = dirWalk(t, s, ComplianceKey, feed.GroupsPath+"?limit=2")
	if got := rowField(t, rows, "name"); !slices.Contains(got, "Security") || !slices.Contains(got, "Research") || len(got) != len(d.Groups) {
		t.Errorf("groups %q", got)
	}
}

// TestDirectoryRecords checks each record's documented fields and values.
func TestDirectoryRecords(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sc := s.Scenario()
	rows, _ := dirWalk(t, s, ComplianceKey, "/v1/compliance/organizations/"+sc.Org1UUID+"/users")
	var alice map[string]any
	if err := json.Unmarshal(rows[0], &alice); err != nil {
		t.Fatal(err)
	}
	// The primary owner joined first: the list is by join date.
	if alice["email"] != sc.Users[0] || alice["full_name"] != "Alice Admin" || alice["organization_role"] != "primary_owner" || alice["id"] != sc.UserIDs[0] {
		t.Errorf("first member %v, want alice the primary owner", alice)
	}
	for _, k := range []string{"id", "email", "full_name", "organization_role", "created_at"} {
		if _, ok := alice[k]; !ok {
			t.Errorf("user record lacks %s", k)
		}
	}
	roles := rowField(t, rows, "organization_role")
	if n := strings.Count(strings.Join(roles, ","), "primary_owner"); n != 1 || !slices.Contains(roles, "admin") || !slices.Contains(roles, "user") {
		t.Errorf("roles %v", roles)
	}
	// Alice is a member of the linked organisation too.
	rows2, _ := dirWalk(t, s, ComplianceKey, "/v1/compliance/organizations/"+sc.Org2UUID+"/users")
	if !slices.Contains(rowField(t, rows2, "id"), sc.UserIDs[0]) {
		t.Error("the primary owner is not a member of the linked organisation")
	}

	var role map[string]any
	d := s.Directory()
	if err := json.Unmarshal(mustDirOK(t, s, ComplianceKey, "/v1/compliance/organizations/"+d.Roles[1].OrgUUID+"/roles/"+d.Roles[1].ID), &role); err != nil {
		t.Fatal(err)
	}
	if role["id"] != d.Roles[1].ID || role["name"] != d.Roles[1].Name || role["updated_at"] != nil {
		t.Errorf("role %v", role)
	}
	// Role timestamps have no zone, as in the documented examples.
	if c, _ := role["created_at"].(string); c == "" || strings.HasSuffix(c, "Z") || strings.Contains(c, "+") {
		t.Errorf("role created_at %q", c)
	}
	var empty dirPage
	last := d.Roles[3]
	if err := json.Unmarshal(mustDirOK(t, s, ComplianceKey, "/v1/compliance/organizations/"+last.OrgUUID+"/roles/"+last.ID+"/permissions"), &empty); err != nil || len(empty.Data) != 0 || empty.Data == nil {
		t.Errorf("permissions of %s: %+v (want an empty list)", last.Name, empty)
	}

	var g map[string]any
	if err := json.Unmarshal(mustDirOK(t, s, ComplianceKey, feed.GroupsPath+"/"+d.Groups[0].ID), &g); err != nil {
		t.Fatal(err)
	}
	if g["name"] != "Security" || g["source_type"] != "direct" {
		t.Errorf("group %v", g)
	}
	members, _ := dirWalk(t, s, ComplianceKey, feed.GroupsPath+"/"+d.Groups[0].ID+"/members")
	if !slices.Contains(rowField(t, members, "user_id"), sc.UserIDs[1]) {
		t.Error("bob is not in Security")
	}

	// name_prefix filters the groups, and a page token still walks them.
	if rows, _ := dirWalk(t, s, ComplianceKey, feed.GroupsPath+"?name_prefix=Re&limit=1"); !slices.Equal(rowField(t, rows, "name"), []string{"Research"}) {
		t.Errorf("name_prefix=Re: %q", rowField(t, rows, "name"))
	}
	if rows, _ := dirWalk(t, s, ComplianceKey, feed.GroupsPath+"?name_prefix=nothing"); len(rows) != 0 {
		t.Errorf("name_prefix=nothing: %d rows", len(rows))
	}
	// The story's group, under the name the feed gave it.
	if !slices.ContainsFunc(d.Groups, func(g feed.Group) bool { return g.Name == hostileC1 }) {
		t.Error("the story's group_created group is not in the directory")
	}
}

// TestDirectorySettingsKeys: every Compliance Access Key of the parent,
// inactive ones included, under the names the feed's key events give.
func TestDirectorySettingsKeys(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sc := s.Scenario()
	var st struct {
		Type    string `json:"type"`
		OrgID   string `json:"organization_id"`
		APIKeys []struct {
			Type      string   `json:"type"`
			ID        string   `json:"id"`
			Name      string   `json:"name"`
			Scopes    []string `json:"scopes"`
			Active    bool     `json:"is_active"`
			CreatedAt string   `json:"created_at"`
			CreatedBy string   `json:"created_by_id"`
			ExpiresAt *string  `json:"expires_at"`
		} `json:"api_keys"`
	}
	body := mustDirOK(t, s, ComplianceKey, "/v1/compliance/organizations/"+sc.Org2UUID+"/settings")
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "effective_organization_settings" || st.OrgID != sc.Org2UUID {
		t.Errorf("settings %s / %s", st.Type, st.OrgID)
	}
	// The same list for every organisation.
	other := mustDirOK(t, s, ComplianceKey, "/v1/compliance/organizations/"+sc.Org1UUID+"/settings")
	if !strings.Contains(string(other), string(body[strings.Index(string(body), `"api_keys"`):])) {
		t.Error("the api_keys of the two organisations differ")
	}
	byID := map[string]int{}
	for i, k := range st.APIKeys {
		byID[k.ID] = i
		if k.Type != "compliance_api_key" || k.Name == "" || k.ExpiresAt != nil || !slices.Contains(sc.UserIDs, k.CreatedBy) {
			t.Errorf("key %+v", k)
		}
		if _, err := time.Parse(time.RFC3339, k.CreatedAt); err != nil {
			t.Errorf("key %s created_at %q: %v", k.ID, k.CreatedAt, err)
		}
	}
	leaked, ok := byID[sc.LeakedKeyID]
	if !ok {
		t.Fatal("the leaked key is not listed")
	}
	if k := st.APIKeys[leaked]; k.Active || k.Name != "SIEM export (prod)" || k.CreatedBy != sc.UserIDs[0] {
		t.Errorf("leaked key %+v: want inactive, renamed, created by alice", k)
	}
	if _, ok := byID[sc.DeletedScopedKeyID]; ok {
		t.Error("the deleted scoped key is listed")
	}
	for _, key := range []string{ComplianceKey, UserDataOnlyKey} {
		if _, ok := byID[DefaultKeys()[key].KeyID]; !ok {
			t.Errorf("built-in key %s is not listed", key)
		}
	}
	// The leaked key's name is the feed's: the last rename of it.
	var lastName string
	for _, a := range s.Truth(time.Time{}, time.Time{}) {
		if a.Type == "scoped_api_key_updated" && strings.Contains(string(a.Raw), sc.LeakedKeyID) && strings.Contains(string(a.Raw), `"type":"name"`) {
			var f struct {
				Updates []struct {
					Current string `json:"current_value"`
				} `json:"updates"`
			}
			_ = json.Unmarshal(a.Raw, &f)
			if lastName == "" {
				lastName = f.Updates[0].Current // newest first
			}
		}
	}
	if lastName != st.APIKeys[leaked].Name {
		t.Errorf("feed names the leaked key %q, the directory %q", lastName, st.APIKeys[leaked].Name)
	}
	// A revoked built-in key stays listed, inactive.
	s.Revoke(UserDataOnlyKey)
	for _, k := range s.Directory().Keys {
		if k.ID == DefaultKeys()[UserDataOnlyKey].KeyID && k.Active {
			t.Error("revoked key still active")
		}
	}
}

// TestDirectoryBackgroundKeysMatchFeed: each listed background key's name
// is the one its latest key event in the feed gives, for a dataset large
// enough to have many.
func TestDirectoryBackgroundKeysMatchFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("50k events")
	}
	s, _ := newTestServer(t, func(c *Config) { c.Events = 50000 })
	names := map[string]string{} // key id → newest name in the feed
	deleted := map[string]bool{}
	for _, a := range s.Truth(time.Time{}, time.Time{}) { // newest first
		var f struct {
			ID      string `json:"api_key_id"`
			Updates []struct {
				Type    string `json:"type"`
				Current string `json:"current_value"`
			} `json:"updates"`
		}
		switch a.Type {
		case "scoped_api_key_updated":
			_ = json.Unmarshal(a.Raw, &f)
			for _, u := range f.Updates {
				if _, seen := names[f.ID]; u.Type == "name" && !seen {
					names[f.ID] = u.Current
				}
			}
		case "scoped_api_key_deleted":
			_ = json.Unmarshal(a.Raw, &f)
			deleted[f.ID] = true
		}
	}
	checked := 0
	for _, k := range s.Directory().Keys {
		if deleted[k.ID] {
			t.Errorf("deleted key %s listed", k.ID)
		}
		if n, ok := names[k.ID]; ok {
			checked++
			if n != k.Name {
				t.Errorf("key %s: feed says %q, directory %q", k.ID, n, k.Name)
			}
		}
	}
	if checked < 3 {
		t.Errorf("only %d renamed keys checked", checked)
	}
}

func TestDirectoryBadTokenAndLimits(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sc := s.Scenario()
	users := "/v1/compliance/organizations/" + sc.Org1UUID + "/users"
	var pg dirPage
	if err := json.Unmarshal(mustDirOK(t, s, ComplianceKey, users+"?limit=2"), &pg); err != nil || pg.NextPage == nil {
		t.Fatalf("first page: %v %+v", err, pg)
	}
	tok := *pg.NextPage
	for _, bad := range []string{"garbage", "page_", "page_AAAA", tok[:len(tok)-1] + "x", tok + "A", strings.Replace(tok, "page_", "cur_", 1)} {
		e := mustDirError(t, s, ComplianceKey, users+"?page="+url.QueryEscape(bad), 400, "invalid_request_error")
		if !strings.Contains(e.Error.Message, "page") {
			t.Errorf("token %q: message %q", bad, e.Error.Message)
		}
	}
	// A token is bound to the list that issued it.
	mustDirError(t, s, ComplianceKey, "/v1/compliance/organizations/"+sc.Org2UUID+"/users?page="+url.QueryEscape(tok), 400, "invalid_request_error")
	mustDirError(t, s, ComplianceKey, feed.GroupsPath+"?page="+url.QueryEscape(tok), 400, "invalid_request_error")
	mustDirOK(t, s, ComplianceKey, users+"?page="+url.QueryEscape(tok))

	for _, c := range []struct{ limit, msg string }{
		{"0", "The limit parameter must be between 1 and 1000, inclusive. Got 0."},
		{"1001", "The limit parameter must be between 1 and 1000, inclusive. Got 1001."},
		{"-5", "The limit parameter must be between 1 and 1000, inclusive. Got -5."},
		{"ten", `The limit parameter must be an integer between 1 and 1000, inclusive. Got "ten".`},
	} {
		for _, path := range []string{feed.OrganizationsPath, users, feed.GroupsPath} {
			if e := mustDirError(t, s, ComplianceKey, path+"?limit="+c.limit, 400, "invalid_request_error"); e.Error.Message != c.msg {
				t.Errorf("%s limit=%s: %q", path, c.limit, e.Error.Message)
			}
		}
	}
	mustDirError(t, s, ComplianceKey, users+"?limit=1&limit=2", 400, "invalid_request_error")
	mustDirOK(t, s, ComplianceKey, users+"?limit=1000&unknown=1")

	// Default page sizes: 500 for users, 1000 for organizations (§13).
	s.GrowDirectory(1200, 0)
	var big dirPage
	if err := json.Unmarshal(mustDirOK(t, s, ComplianceKey, users), &big); err != nil || len(big.Data) != 500 || !big.HasMore {
		t.Errorf("default users page: %d rows, has_more %v", len(big.Data), big.HasMore)
	}
	if err := json.Unmarshal(mustDirOK(t, s, ComplianceKey, users+"?limit=1000"), &big); err != nil || len(big.Data) != 1000 || !big.HasMore {
		t.Errorf("users limit=1000: %d rows", len(big.Data))
	}
}

func TestDirectoryScopes(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) {
		c.Keys = DefaultKeys()
		c.Keys["sk-ant-api01-orgonly"] = KeySpec{Kind: "compliance", KeyID: "apikey_01OrgOnly", Scopes: []string{ScopeOrgData}}
		c.Keys["sk-ant-api01-audit"] = KeySpec{Kind: "compliance", KeyID: "apikey_01Audit", Scopes: []string{ScopeOrgAudit}}
		c.Keys["sk-ant-admin01-scoped"] = KeySpec{Kind: "admin", KeyID: "adminkey_01Scoped", Scopes: []string{ScopeActivities, ScopeOrgData, ScopeUserData}}
	})
	for path, scope := range dirPaths(s) {
		mustDirOK(t, s, ComplianceKey, path)
		mustDirOK(t, s, "sk-ant-api01-audit", path)
		// Admin API keys reach only the feed, whatever their scopes.
		for _, admin := range []string{AdminKey, "sk-ant-admin01-scoped"} {
			e := mustDirError(t, s, admin, path, 403, "permission_error")
			if !strings.HasPrefix(e.Error.Message, "Missing required scopes. Got: ['read:compliance_activities'") || !strings.HasSuffix(e.Error.Message, " Needed: ['"+scope+"']") {
				t.Errorf("%s %s: %q", admin, path, e.Error.Message)
			}
		}
		if got := mustDirError(t, s, AdminKey, path, 403, "permission_error").Error.Message; got != "Missing required scopes. Got: ['read:compliance_activities'] Needed: ['"+scope+"']" {
			t.Errorf("admin key on %s: %q", path, got)
		}
		for key, has := range map[string]string{UserDataOnlyKey: ScopeUserData, "sk-ant-api01-orgonly": ScopeOrgData} {
			if scope == has {
				mustDirOK(t, s, key, path)
			} else {
				mustDirError(t, s, key, path, 403, "permission_error")
			}
		}
	}
	mustDirError(t, s, "sk-ant-api01-wrong", feed.OrganizationsPath, 401, "authentication_error")
	mustDirError(t, s, "", feed.OrganizationsPath, 401, "authentication_error")
}

func TestDirectoryNotFound(t *testing.T) {
	s, _ := newTestServer(t, nil)
	sc := s.Scenario()
	d := s.Directory()
	for _, path := range []string{
		"/v1/compliance/organizations/00000000-0000-4000-8000-000000000000/users",
		"/v1/compliance/organizations/" + sc.Org1ID + "/users", // the org_… form is not a path uuid
		"/v1/compliance/organizations/nope/settings",
		"/v1/compliance/organizations/" + sc.Org1UUID + "/roles/rbac_role_01Nope",
		"/v1/compliance/organizations/" + sc.Org2UUID + "/roles/" + d.Roles[0].ID, // a role of the other org
		"/v1/compliance/organizations/" + sc.Org1UUID + "/roles/rbac_role_01Nope/permissions",
		feed.GroupsPath + "/rbac_group_01Nope",
		feed.GroupsPath + "/rbac_group_01Nope/members",
	} {
		mustDirError(t, s, ComplianceKey, path, 404, "not_found_error")
	}
	// Scope is checked before existence: nothing leaks to a key without it.
	mustDirError(t, s, UserDataOnlyKey, feed.GroupsPath+"/rbac_group_01Nope", 403, "permission_error")
	// Paths the simulator does not serve are 404 before authentication.
	for _, path := range []string{"/v1/compliance/organizations/" + sc.Org1UUID + "/users/x", "/v1/compliance/groups/a/b/c", "/v1/compliance/apps/chats"} {
		mustDirError(t, s, "", path, 404, "not_found_error")
	}
	r := httptest.NewRequest(http.MethodPost, feed.OrganizationsPath, nil)
	r.Header.Set("x-api-key", ComplianceKey)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 405 || w.Header().Get("Allow") != "GET" || !strings.Contains(w.Body.String(), feed.OrganizationsPath) {
		t.Errorf("POST: %d %s", w.Code, w.Body.String())
	}
}

// TestDirectorySharesTheBudget: directory and feed requests spend one
// per-minute budget and carry the same rate-limit headers.
func TestDirectorySharesTheBudget(t *testing.T) {
	s, clk := newTestServer(t, func(c *Config) { c.RateLimit = 3 })
	if w := get(t, s, ComplianceKey, ""); w.Code != 200 {
		t.Fatalf("feed: %d", w.Code)
	}
	w := dirGet(t, s, ComplianceKey, feed.OrganizationsPath)
	if w.Code != 200 || w.Header().Get("anthropic-ratelimit-requests-remaining") != "1" || w.Header().Get("anthropic-ratelimit-requests-limit") != "3" ||
		w.Header().Get("anthropic-ratelimit-requests-reset") == "" || w.Header().Get("request-id") == "" {
		t.Fatalf("directory: %d %v", w.Code, w.Header())
	}
	// A 403 spends a unit too, and says so.
	if w := dirGet(t, s, AdminKey, feed.GroupsPath); w.Code != 403 || w.Header().Get("anthropic-ratelimit-requests-remaining") != "0" {
		t.Errorf("admin key: %d %v", w.Code, w.Header())
	}
	w = dirGet(t, s, ComplianceKey, feed.GroupsPath)
	e := mustDirError(t, s, ComplianceKey, feed.GroupsPath, 429, "rate_limit_error")
	if w.Code != 429 || w.Header().Get("retry-after") == "" || !strings.Contains(e.Error.Message, "3 requests per minute") {
		t.Errorf("over budget: %d retry-after %q %q", w.Code, w.Header().Get("retry-after"), e.Error.Message)
	}
	if w := get(t, s, ComplianceKey, ""); w.Code != 429 {
		t.Errorf("the feed after the directory spent the budget: %d", w.Code)
	}
	clk.Advance(time.Minute)
	mustDirOK(t, s, ComplianceKey, feed.GroupsPath)
	if st := s.DirectoryStats(); st.Requests != 5 || s.Requests() != 2 {
		t.Errorf("directory requests %d, feed requests %d", st.Requests, s.Requests())
	}
}

// TestDirectoryFaults: request faults hit directory requests as they hit
// the feed's; the latency applies per request.
func TestDirectoryFaults(t *testing.T) {
	s, _ := newTestServer(t, nil)
	s.SetFaults(Faults{TruncateEvery: 2})
	if body := mustDirOK(t, s, ComplianceKey, feed.OrganizationsPath); !json.Valid(body) {
		t.Error("first body invalid")
	}
	if body := mustDirOK(t, s, ComplianceKey, feed.OrganizationsPath); json.Valid(body) {
		t.Error("second body not truncated")
	}
	s.SetFaults(Faults{ServerErrorEvery: 1, ServerErrorCodes: []int{503}})
	mustDirError(t, s, ComplianceKey, feed.GroupsPath, 503, "overloaded_error")
	s.SetFaults(Faults{RateLimitEvery: 1, RetryAfter: "7"})
	if w := dirGet(t, s, ComplianceKey, feed.GroupsPath); w.Code != 429 || w.Header().Get("retry-after") != "7" {
		t.Errorf("injected 429: %d %q", w.Code, w.Header().Get("retry-after"))
	}

	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Seed: 3, Events: 50, RateLimit: -1, Faults: Faults{Latency: 2 * time.Second}})
		start := time.Now()
		mustDirOK(t, s, ComplianceKey, feed.OrganizationsPath)
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("latency %s, want 2s", d)
		}
	})
}

// TestDirectoryRemovedUser: someone who acted in the history is no longer
// listed, nor in any group.
func TestDirectoryRemovedUser(t *testing.T) {
	s, _ := newTestServer(t, nil)
	gone := s.RemovedUsers()
	if len(gone) == 0 {
		t.Fatal("nobody has left")
	}
	d := s.Directory()
	acted := map[string]bool{}
	for _, a := range s.Truth(time.Time{}, time.Time{}) {
		if a.Actor.UserID != "" {
			acted[a.Actor.UserID] = true
		}
	}
	for _, u := range gone {
		if !acted[u.ID] {
			t.Errorf("%s never acted in the history", u.Email)
		}
		if slices.ContainsFunc(d.Users, func(m feed.DirectoryUser) bool { return m.ID == u.ID }) {
			t.Errorf("%s is still listed", u.Email)
		}
		for _, g := range d.Groups {
			if slices.ContainsFunc(g.Members, func(m feed.GroupMember) bool { return m.UserID == u.ID }) {
				t.Errorf("%s is still in %s", u.Email, g.Name)
			}
		}
		if slices.Contains(s.Scenario().UserIDs[:storyNonRemovable], u.ID) {
			t.Errorf("%s is one of the story's cast", u.Email)
		}
		if u.FullName == "" || u.Email == "" {
			t.Errorf("removed user %+v", u)
		}
	}
	rows, _ := dirWalk(t, s, ComplianceKey, "/v1/compliance/organizations/"+gone[0].OrgUUID+"/users")
	if slices.Contains(rowField(t, rows, "id"), gone[0].ID) {
		t.Error("removed user in the users list")
	}
}

// TestDirectoryLeavesTheFeedAlone: the feed is byte for byte the same
// whether or not the directory was built, grown and read, and the
// directory is the same for the same seed.
func TestDirectoryLeavesTheFeedAlone(t *testing.T) {
	a, _ := newTestServer(t, nil)
	b, _ := newTestServer(t, nil)
	da := a.Directory()
	a.GrowDirectory(10, 2)
	if dbody, ebody := mustDirOK(t, a, ComplianceKey, feed.GroupsPath), mustDirOK(t, b, ComplianceKey, feed.GroupsPath); string(dbody) == string(ebody) {
		t.Error("GrowDirectory added no group")
	}
	ta, tb := a.Truth(time.Time{}, time.Time{}), b.Truth(time.Time{}, time.Time{})
	if len(ta) != len(tb) || len(ta) != 5000 {
		t.Fatalf("%d and %d events", len(ta), len(tb))
	}
	for i := range ta {
		if string(ta[i].Raw) != string(tb[i].Raw) {
			t.Fatalf("event %d differs:\n%s\n%s", i, ta[i].Raw, tb[i].Raw)
		}
	}
	c, _ := newTestServer(t, nil)
	dc := c.Directory()
	if len(da.Users) != len(dc.Users) || da.Users[3] != dc.Users[3] || da.Groups[1].ID != dc.Groups[1].ID || len(da.Keys) != len(dc.Keys) {
		t.Error("the directory differs between two servers of one seed")
	}
}

// TestDirectorySelfEvents: every directory request is logged as a
// compliance_api_accessed event (§7: every Compliance API request).
func TestDirectorySelfEvents(t *testing.T) {
	s, clk := newTestServer(t, nil)
	w := dirGet(t, s, ComplianceKey, feed.GroupsPath+"?limit=2")
	clk.Advance(time.Second)
	mustDirError(t, s, AdminKey, feed.OrganizationsPath, 403, "permission_error")
	clk.Advance(time.Minute)
	var got []string
	for _, a := range s.Truth(time.Time{}, time.Time{})[:2] {
		var f struct {
			RequestID string `json:"request_id"`
			URL       string `json:"url"`
			Status    int    `json:"status_code"`
		}
		_ = json.Unmarshal(a.Raw, &f)
		if a.Type != "compliance_api_accessed" {
			t.Fatalf("newest event %s", a.Type)
		}
		got = append(got, f.URL+" "+strconv.Itoa(f.Status)+" "+a.Actor.APIKeyID)
		if f.URL == feed.GroupsPath+"?limit=2" && f.RequestID != w.Header().Get("request-id") {
			t.Errorf("request_id %s, header %s", f.RequestID, w.Header().Get("request-id"))
		}
	}
	want := []string{feed.OrganizationsPath + " 403 " + DefaultKeys()[AdminKey].KeyID, feed.GroupsPath + "?limit=2 200 " + DefaultKeys()[ComplianceKey].KeyID}
	if !slices.Equal(got, want) {
		t.Errorf("self events %q, want %q", got, want)
	}
}

// TestGrowDirectory builds the large directory of the request-count target.
func TestGrowDirectory(t *testing.T) {
	s, _ := newTestServer(t, nil)
	before := s.DirectoryStats()
	s.GrowDirectory(10000, 200)
	st := s.DirectoryStats()
	if st.Users != before.Users+10000 || st.Groups != before.Groups+200 || st.Members != before.Members+200*50 {
		t.Errorf("grown %+v from %+v", st, before)
	}
	rows, pages := dirWalk(t, s, ComplianceKey, "/v1/compliance/organizations/"+s.Scenario().Org1UUID+"/users?limit=1000")
	if want := (len(rows) + 999) / 1000; pages != want || len(rows) < 10000 {
		t.Errorf("%d users in %d pages, want %d", len(rows), pages, want)
	}
	seen := map[string]bool{}
	for _, id := range rowField(t, rows, "id") {
		if seen[id] {
			t.Fatalf("user %s twice", id)
		}
		seen[id] = true
	}
}
