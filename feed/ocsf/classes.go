package ocsf

import (
	"slices"
	"strings"
	"sync"

	"claudit/feed"
)

// Version is the OCSF release the events follow (metadata.version).
const Version = "1.6.0"

// Product constants of metadata.product, as Anthropic's mapping sets them.
const (
	VendorName  = "Anthropic"
	ProductName = "Compliance API"
)

// class is one OCSF event class claudit emits.
type class uint8

// The classes of OCSF.md §2.1 that claudit uses, and the Base Event.
const (
	classBase class = iota
	classAccountChange
	classAuthentication
	classEntityManagement
	classUserAccess
	classGroupManagement
	classWebResources
	classAPIActivity
	classComplianceFinding
)

// classInfo is what the schema says about a class: its ids and captions,
// whether it has a native actor (otherwise the host profile adds one), and
// whether it has src_endpoint and http_request for the actor's ip and user
// agent.
type classInfo struct {
	uid, category        int
	name, categoryName   string
	activities           map[int]string // activity_id → caption (0 and 99 added by activityName)
	nativeActor, network bool
}

// classes is indexed by class. Captions are the schema's (OCSF 1.6.0).
var classes = [...]classInfo{
	classBase: {uid: 0, category: 0, name: "Base Event", categoryName: "Uncategorized"},
	classAccountChange: {uid: 3001, category: 3, name: "Account Change", categoryName: "Identity & Access Management",
		nativeActor: true, network: true, activities: map[int]string{1: "Create", 2: "Enable", 3: "Password Change",
			4: "Password Reset", 5: "Disable", 6: "Delete", 7: "Attach Policy", 8: "Detach Policy", 9: "Lock",
			10: "MFA Factor Enable", 11: "MFA Factor Disable", 12: "Unlock"}},
	classAuthentication: {uid: 3002, category: 3, name: "Authentication", categoryName: "Identity & Access Management",
		nativeActor: true, network: true, activities: map[int]string{1: "Logon", 2: "Logoff", 3: "Authentication Ticket",
			4: "Service Ticket Request", 5: "Service Ticket Renew", 6: "Preauth", 7: "Account Switch"}},
	classEntityManagement: {uid: 3004, category: 3, name: "Entity Management", categoryName: "Identity & Access Management",
		nativeActor: true, network: true, activities: map[int]string{1: "Create", 2: "Read", 3: "Update", 4: "Delete",
			5: "Move", 6: "Enroll", 7: "Unenroll", 8: "Enable", 9: "Disable", 10: "Activate", 11: "Deactivate",
			12: "Suspend", 13: "Resume"}},
	classUserAccess: {uid: 3005, category: 3, name: "User Access Management", categoryName: "Identity & Access Management",
		nativeActor: true, network: true, activities: map[int]string{1: "Assign Privileges", 2: "Revoke Privileges"}},
	classGroupManagement: {uid: 3006, category: 3, name: "Group Management", categoryName: "Identity & Access Management",
		nativeActor: true, network: true, activities: map[int]string{1: "Assign Privileges", 2: "Revoke Privileges",
			3: "Add User", 4: "Remove User", 5: "Delete", 6: "Create", 7: "Add Subgroup", 8: "Remove Subgroup"}},
	classWebResources: {uid: 6001, category: 6, name: "Web Resources Activity", categoryName: "Application Activity",
		network: true, activities: map[int]string{1: "Create", 2: "Read", 3: "Update", 4: "Delete", 5: "Search",
			6: "Import", 7: "Export", 8: "Share"}},
	classAPIActivity: {uid: 6003, category: 6, name: "API Activity", categoryName: "Application Activity",
		nativeActor: true, network: true, activities: map[int]string{1: "Create", 2: "Read", 3: "Update", 4: "Delete"}},
	classComplianceFinding: {uid: 2003, category: 2, name: "Compliance Finding", categoryName: "Findings",
		activities: map[int]string{1: "Create", 2: "Update", 3: "Close"}},
}

// Activity ids every class accepts.
const (
	activityUnknown = 0
	activityOther   = 99
)

// Status ids (dictionary.json).
const (
	statusUnknown = 0
	statusSuccess = 1
	statusFailure = 2
)

// statusNames are the captions of status_id.
var statusNames = [...]string{statusUnknown: "Unknown", statusSuccess: "Success", statusFailure: "Failure"}

// Dynamic rules: the activity or status comes from the event's fields.
const (
	dynNone        uint8 = iota
	dynAPICall           // compliance_api_accessed: activity from request_method, status from status_code
	dynAttestation       // org_security_control_attestation_updated: activity from action (§4.4)
	dynKeyStatus         // platform_api_key_updated: Enable/Disable from an updates[] status change
	dynAnthropic         // anthropic_access, cmek_preserve: resource_details, accessed_at
)

// rule is how one activity type maps: its class, activity and status, and
// the kind of object it acts on (entity.type, web_resources[].type).
type rule struct {
	class    class
	activity int
	status   int
	dynamic  uint8
	kind     string
}

// rules maps every catalogued type to its rule, computed once from the
// catalogue (read-only afterwards).
var rules = sync.OnceValue(func() map[string]rule {
	cat := feed.Catalogue()
	m := make(map[string]rule, cat.Len())
	for _, name := range cat.Names() {
		m[name] = classify(name, cat.Group(name))
	}
	return m
})

// ruleFor returns the rule of a type; a type the catalogue does not know
// becomes a Base Event with activity Other (OCSF.md §4.1).
func ruleFor(typ string) rule {
	if r, ok := rules()[typ]; ok {
		return r
	}
	return rule{class: classBase, activity: activityOther, status: nameStatus(typ)}
}

// lastWord is the part of a type name after its last underscore.
func lastWord(typ string) string {
	return typ[strings.LastIndexByte(typ, '_')+1:]
}

// objectKind is the object a type names: the name without its verb
// (claude_chat_viewed → claude_chat, claude_chat_access_failed →
// claude_chat).
func objectKind(typ string) string {
	for _, two := range []string{"_access_failed", "_deletion_failed", "_sharing_updated", "_addition_failed", "_removal_failed"} {
		if k, ok := strings.CutSuffix(typ, two); ok {
			return k
		}
	}
	if i := strings.LastIndexByte(typ, '_'); i > 0 {
		return typ[:i]
	}
	return typ
}

// nameStatus is status_id from the type name (OCSF.md §4.1): Failure for
// *_failed, *_denied, *_rejected and *_failed_*, Unknown for what has only
// started, Success otherwise.
func nameStatus(typ string) int {
	switch {
	case strings.HasSuffix(typ, "_failed"), strings.HasSuffix(typ, "_denied"), strings.HasSuffix(typ, "_rejected"),
		strings.Contains(typ, "_failed_"):
		return statusFailure
	case strings.HasSuffix(typ, "_initiated"), strings.HasSuffix(typ, "_started"), strings.HasSuffix(typ, "_attempted"):
		return statusUnknown
	}
	return statusSuccess
}

// verbRules is OCSF.md §4.5: the type's last word gives the activity, per
// class column.
var verbRules = []struct {
	verbs                []string
	entity, web, account int
}{
	{[]string{"created", "added", "uploaded", "generated", "minted", "installed"}, 1, 1, 1},
	{[]string{"viewed", "listed", "accessed", "exchanged"}, 2, 2, activityOther},
	{[]string{"updated", "replaced", "renamed", "rotated", "toggled", "configured", "restored"}, 3, 3, activityOther},
	{[]string{"deleted", "removed", "archived"}, 4, 4, 6},
	{[]string{"enabled", "activated"}, 8, 3, 2},
	{[]string{"disabled", "revoked", "blocked"}, 9, 4, 5},
}

// Columns of verbRules.
const (
	forEntity  = iota // 3004 Entity Management
	forWeb            // 6001 Web Resources Activity
	forAccount        // 3001 Account Change
)

// verbActivity is the activity of verb for one class column; Other when
// the verb has no rule.
func verbActivity(verb string, column int) int {
	for _, r := range verbRules {
		if slices.Contains(r.verbs, verb) {
			return [...]int{r.entity, r.web, r.account}[column]
		}
	}
	return activityOther
}

// classify is OCSF.md §4.3: the class per catalogue group, with its
// per-type exceptions, and the activity from the verb rule (§4.5).
func classify(typ, group string) rule {
	verb := lastWord(typ)
	r := rule{class: classEntityManagement, status: nameStatus(typ), kind: objectKind(typ)}
	set := func(c class, activity int) rule {
		r.class, r.activity = c, activity
		return r
	}
	switch group {
	case "auth":
		switch {
		case typ == "account_deleted":
			return set(classAccountChange, 6)
		case strings.HasPrefix(typ, "trusted_device_"), typ == "step_up_credential_enrolled",
			typ == "org_user_trusted_devices_revoked":
			switch verb {
			case "enrolled":
				return set(classAccountChange, 1)
			case "revoked":
				return set(classAccountChange, 6)
			}
			return set(classAccountChange, activityOther)
		case strings.HasPrefix(typ, "phone_code_"), typ == "age_verified", typ == "abuse_decision_received":
			return set(classAuthentication, 6)
		case typ == "user_logged_out", typ == "session_revoked":
			return set(classAuthentication, 2)
		}
		return set(classAuthentication, 1)
	case "members":
		switch {
		case verb == "viewed", verb == "listed":
			return set(classWebResources, 2)
		case typ == "claude_user_role_updated":
			return set(classUserAccess, 1)
		case typ == "org_user_deleted", typ == "org_user_left":
			return set(classAccountChange, 6)
		case (strings.Contains(typ, "invite") || strings.Contains(typ, "join")) &&
			slices.Contains([]string{"created", "sent", "generated", "requested", "accepted", "approved"}, verb):
			return set(classAccountChange, 1)
		}
		return set(classAccountChange, verbActivity(verb, forAccount))
	case "scim":
		if strings.HasPrefix(typ, "org_directory_") {
			r.kind = "organization"
			return set(classEntityManagement, verbActivity(verb, forEntity))
		}
		switch verb {
		case "created":
			return set(classAccountChange, 1)
		case "deleted":
			return set(classAccountChange, 6)
		}
		return set(classAccountChange, activityOther)
	case "roles":
		switch {
		case strings.HasPrefix(typ, "rbac_role_") && typ != "rbac_role_assigned" && typ != "rbac_role_unassigned",
			strings.HasPrefix(typ, "ccr_role_channel_assignment_"):
			return set(classEntityManagement, verbActivity(verb, forEntity))
		case typ == "role_assignment_granted", typ == "rbac_role_assigned", typ == "org_capability_grant_added":
			return set(classUserAccess, 1)
		case verb == "revoked", verb == "unassigned", verb == "removed":
			return set(classUserAccess, 2)
		}
		return set(classUserAccess, activityOther)
	case "groups":
		switch {
		case typ == "group_created":
			return set(classGroupManagement, 6)
		case typ == "group_deleted":
			return set(classGroupManagement, 5)
		case typ == "group_member_added", typ == "group_member_addition_failed":
			return set(classGroupManagement, 3)
		case typ == "group_member_removed", typ == "group_member_removal_failed":
			return set(classGroupManagement, 4)
		case verb == "viewed":
			return set(classWebResources, 2)
		}
		return set(classGroupManagement, activityOther)
	case "compliance":
		switch typ {
		case "compliance_api_accessed":
			r.dynamic = dynAPICall
			return set(classAPIActivity, activityOther)
		case "anthropic_access":
			r.dynamic = dynAnthropic
			return set(classWebResources, 2)
		case "cmek_preserve":
			r.dynamic = dynAnthropic
			return set(classWebResources, activityOther)
		case "org_security_control_attestation_updated":
			r.dynamic = dynAttestation
			return set(classComplianceFinding, activityOther)
		case "inference_hooks_request_denied":
			r.status = statusFailure
			return set(classWebResources, activityOther)
		case "inference_hooks_request_failed_open":
			r.status = statusSuccess
			return set(classWebResources, activityOther)
		}
		return set(classEntityManagement, verbActivity(verb, forEntity))
	case "chats", "files", "projects", "artifacts", "exports":
		switch {
		case strings.HasSuffix(typ, "_access_failed"):
			return set(classWebResources, 2)
		case strings.HasSuffix(typ, "_deletion_failed"):
			return set(classWebResources, 4)
		case verb == "shared", verb == "published", strings.HasSuffix(typ, "_sharing_updated"):
			return set(classWebResources, 8)
		case verb == "exported", verb == "downloaded", group == "exports" && (verb == "started" || verb == "completed"):
			return set(classWebResources, 7)
		}
		return set(classWebResources, verbActivity(verb, forWeb))
	}
	if typ == "platform_api_key_updated" {
		r.dynamic = dynKeyStatus
	}
	return set(classEntityManagement, verbActivity(verb, forEntity))
}
