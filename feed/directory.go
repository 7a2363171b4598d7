package feed

import "time"

// Paths of the Compliance API's directory endpoints (ACTIVITY_FEED.md §13),
// relative to the base URL. {org} is an organization's bare UUID, {group} a
// group id.
const (
	OrganizationsPath = "/v1/compliance/organizations"
	GroupsPath        = "/v1/compliance/groups"
	// OrgUsersPath, OrgRolesPath and OrgSettingsPath take the org UUID.
	OrgUsersPath    = "/v1/compliance/organizations/{org}/users"
	OrgRolesPath    = "/v1/compliance/organizations/{org}/roles"
	OrgSettingsPath = "/v1/compliance/organizations/{org}/settings"
	// GroupMembersPath takes the group id.
	GroupMembersPath = "/v1/compliance/groups/{group}/members"
)

// Directory scopes: the users lists and group members need the user-data
// scope, everything else the org-data scope; read:org_audit satisfies both
// (§13, §17.2).
const (
	ScopeOrgData  = "read:compliance_org_data"
	ScopeUserData = "read:compliance_user_data"
)

// Organization is one record of the organizations list.
type Organization struct {
	UUID      string
	Name      string
	CreatedAt time.Time
}

// DirectoryUser is one current member of an organization.
type DirectoryUser struct {
	ID        string // user_…
	Email     string
	FullName  string
	Role      string // organization_role: owner, admin, user, …
	CreatedAt time.Time
	OrgUUID   string // the organization whose list returned it
}

// Role is one RBAC role of an organization.
type Role struct {
	ID          string // rbac_role_…
	Name        string
	Description string
	OrgUUID     string
}

// Group is one RBAC group with its members (MembersKnown is false when the
// key lacks the user-data scope, so Members could not be read).
type Group struct {
	ID           string // rbac_group_…
	Name         string
	Description  string
	Roles        []string
	SourceType   string // direct or scim
	Members      []GroupMember
	MembersKnown bool
}

// GroupMember is one member of a group.
type GroupMember struct {
	UserID string
	Email  string
}

// ComplianceKey is one entry of an organization's effective settings
// api_keys[]: every Compliance Access Key of the parent, inactive ones
// included.
type ComplianceKey struct {
	ID          string // apikey_…
	Name        string
	Scopes      []string
	Active      bool
	CreatedAt   time.Time
	CreatedByID string    // a user_… id
	ExpiresAt   time.Time // zero: never expires
}

// Directory is one complete refresh of the directory: what the key's scopes
// allowed to be read at Fetched. A part the key may not read is listed in
// Denied (with the scope it needs) and left empty; an empty part that is not
// denied really is empty.
type Directory struct {
	Fetched time.Time
	Orgs    []Organization
	Users   []DirectoryUser // every org's members; one user may appear once per org
	Roles   []Role
	Groups  []Group
	Keys    []ComplianceKey
	// Denied names the parts the key could not read: "organizations",
	// "users", "roles", "groups", "members", "keys", each with the scope the
	// server asked for.
	Denied []DeniedPart
	// Requests is how many requests the refresh made.
	Requests int
}

// DeniedPart is a part of the directory the key's scopes do not reach.
type DeniedPart struct {
	Part  string // organizations, users, roles, groups, members, keys
	Scope string // the scope it needs (ScopeOrgData or ScopeUserData)
}
