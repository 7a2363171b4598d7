package feed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFetchDirectoryBodyCap: a directory body over the client's cap fails
// at once, like an oversized feed page, without being asked again.
func TestFetchDirectoryBodyCap(t *testing.T) {
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"uuid":"` + strings.Repeat("x", 4096) + `"}],"has_more":false,"next_page":null}`))
	}))
	defer srv.Close()
	c, err := New(WithBaseURL(srv.URL), WithKey(NewSecret("sk-ant-api01-test")), WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	c.maxBody = 1 << 10
	_, err = c.FetchDirectory(context.Background())
	var tooLarge *bodyTooLargeError
	if !errors.As(err, &tooLarge) || requests != 1 || !strings.Contains(err.Error(), "directory: organizations") {
		t.Errorf("err %v after %d requests", err, requests)
	}
}

func TestUsersScope(t *testing.T) {
	for msg, want := range map[string]string{
		"Missing required scopes. Got: ['read:compliance_activities'] Needed: ['read:compliance_org_data']": ScopeUserData,
		"Missing required scopes. Got: ['read:compliance_user_data'] Needed: ['read:compliance_org_data']":  ScopeOrgData,
		"Missing required scopes. Got: [] Needed: ['read:compliance_user_data']":                            ScopeUserData,
		"Forbidden": ScopeOrgData, // reworded: assume only the scope asked for is missing
	} {
		if got := usersScope(msg); got != want {
			t.Errorf("%q: %s, want %s", msg, got, want)
		}
	}
}

func TestDirectoryURLEscapesIDs(t *testing.T) {
	c, err := New(WithBaseURL("https://proxy.example.com/anthropic/"), WithKey(NewSecret("k")))
	if err != nil {
		t.Fatal(err)
	}
	f := &dirFetch{c: c}
	u, err := f.url(OrgUsersPath, "a b?c", nil)
	if err != nil || u != "https://proxy.example.com/anthropic/v1/compliance/organizations/a%20b%3Fc/users" {
		t.Errorf("url %q, %v", u, err)
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`} {
		if _, err := f.url(GroupMembersPath, bad, nil); err == nil {
			t.Errorf("id %q accepted", bad)
		}
	}
}
