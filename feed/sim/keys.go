package sim

// Built-in keys of the simulator (short on purpose: obviously not real keys).
const (
	// AdminKey is an Admin API key: it may read the feed and nothing else.
	AdminKey = "sk-ant-admin01-sim-admin"
	// ComplianceKey is a Compliance Access Key with all four scopes.
	ComplianceKey = "sk-ant-api01-sim-compliance"
	// UserDataOnlyKey is a Compliance Access Key with only
	// read:compliance_user_data, so the feed answers it with 403.
	UserDataOnlyKey = "sk-ant-api01-sim-userdata"
)

// Compliance API scopes (ACTIVITY_FEED.md §2.1).
const (
	// ScopeActivities grants the Activity Feed: the one scope the simulator checks.
	ScopeActivities = "read:compliance_activities"
	// ScopeUserData grants chats, files, projects and the user lists.
	ScopeUserData = "read:compliance_user_data"
	// ScopeDeleteUserData grants deleting chats, files and projects.
	ScopeDeleteUserData = "delete:compliance_user_data"
	// ScopeOrgData grants organisations, roles, groups and settings.
	ScopeOrgData = "read:compliance_org_data"
)

// KeySpec describes one key the simulator accepts.
type KeySpec struct {
	Kind   string // "admin" or "compliance"
	KeyID  string // public id: apikey_… or adminkey_…; the actor.api_key_id of its requests
	Scopes []string
}

// DefaultKeys returns the three built-in keys. The admin key's KeyID is what
// appears as actor.api_key_id of its compliance_api_accessed events.
func DefaultKeys() map[string]KeySpec {
	return map[string]KeySpec{
		AdminKey: {
			Kind:   "admin",
			KeyID:  "adminkey_01SimAdminKey00000000001",
			Scopes: []string{ScopeActivities},
		},
		ComplianceKey: {
			Kind:   "compliance",
			KeyID:  "apikey_01SimComplianceKey000001",
			Scopes: []string{ScopeActivities, ScopeUserData, ScopeDeleteUserData, ScopeOrgData},
		},
		UserDataOnlyKey: {
			Kind:   "compliance",
			KeyID:  "apikey_01SimUserDataKey00000001",
			Scopes: []string{ScopeUserData},
		},
	}
}
