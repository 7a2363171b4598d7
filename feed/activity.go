package feed

import (
	"encoding/json"
	"fmt"
	"time"
)

// Actor types documented by the Activity Feed (§8 of the contract). Any other
// value is kept verbatim in Actor.Type.
const (
	ActorUser                = "user_actor"
	ActorAPI                 = "api_actor"
	ActorAdminAPIKey         = "admin_api_key_actor"
	ActorUnauthenticatedUser = "unauthenticated_user_actor"
	ActorAnthropic           = "anthropic_actor"
	ActorSCIM                = "scim_directory_sync_actor"
	ActorSystem              = "system_actor"
	ActorServiceAccount      = "service_account_actor"
	ActorFederatedIdentity   = "federated_identity_actor"
	ActorFederated           = "federated_actor"
	ActorAttestedDevice      = "attested_device_actor"
)

// ActorTypes lists the eleven documented actor variants in contract order.
var ActorTypes = []string{
	ActorUser, ActorAPI, ActorAdminAPIKey, ActorUnauthenticatedUser, ActorAnthropic,
	ActorSCIM, ActorSystem, ActorServiceAccount, ActorFederatedIdentity, ActorFederated,
	ActorAttestedDevice,
}

// Activity is one record of the feed. The common fields are typed; everything
// else stays in Raw, which holds the activity exactly as the server sent it.
type Activity struct {
	ID        string
	CreatedAt time.Time
	// OrganizationID and OrganizationUUID are "" when the server sent null
	// (logins, logouts, Compliance API calls belong to no organization).
	OrganizationID   string
	OrganizationUUID string
	Type             string
	Actor            Actor
	// Raw is the activity object byte for byte as received. It is never
	// re-encoded, so exports and `--format ndjson` stay exact.
	Raw json.RawMessage
}

// Actor is the union of the actor variants, discriminated by Type. Fields that
// a variant does not have stay empty; an unknown variant keeps its Type and,
// like every variant, its object verbatim in Raw.
type Actor struct {
	Type string

	EmailAddress                string // user_actor (anthropic_actor: always empty today)
	UserID                      string // user_actor
	UnauthenticatedEmailAddress string // unauthenticated_user_actor
	APIKeyID                    string // api_actor
	AdminAPIKeyID               string // admin_api_key_actor
	ServiceAccountID            string // service_account_actor
	IPAddress                   string
	UserAgent                   string

	DirectoryID       string // scim_directory_sync_actor
	WorkOSEventID     string // scim_directory_sync_actor
	IDPConnectionType string // scim_directory_sync_actor
	Service           string // system_actor

	Issuer   string   // federated_identity_actor
	Subject  string   // federated_identity_actor, federated_actor
	Audience []string // federated_identity_actor
	Provider *FederatedProvider

	ExternalClientID string // attested_device_actor
	KidHash          string // attested_device_actor

	Raw json.RawMessage
}

// FederatedProvider is federated_actor.provider, discriminated by Type
// (aws, azure, gcp, oidc).
type FederatedProvider struct {
	Type            string `json:"type"`
	AccountID       string `json:"account_id,omitempty"`
	SignedPrincipal string `json:"signed_principal,omitempty"`
	SubscriptionID  string `json:"subscription_id,omitempty"`
	ProjectNumber   string `json:"project_number,omitempty"`
	Issuer          string `json:"issuer,omitempty"`
}

// Update is one element of an `updates[]` array: a field that changed, with
// its value before and after, kept as raw JSON because the value types vary.
type Update struct {
	Type     string          `json:"type"`
	Previous json.RawMessage `json:"previous_value"`
	Current  json.RawMessage `json:"current_value"`
}

// ParseTime parses an RFC 3339 timestamp with optional fractional seconds.
func ParseTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// MarshalJSON returns Raw unchanged, so an Activity round-trips byte for byte.
func (a Activity) MarshalJSON() ([]byte, error) {
	if len(a.Raw) == 0 {
		return nil, fmt.Errorf("activity %q has no raw JSON", a.ID)
	}
	return a.Raw, nil
}
