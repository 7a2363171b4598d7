package feed

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// KeyKind is the kind of an Anthropic API key, told apart by its prefix
// (ACTIVITY_FEED.md §2.1, §17.2). It is a local guess: only the server
// knows scopes.
type KeyKind int

// The key kinds claudit recognises.
const (
	// KeyUnknown is any key without a known prefix.
	KeyUnknown KeyKind = iota
	// KeyAdmin is a Claude Console Admin API key (sk-ant-admin01-): it has
	// no selectable scopes and reaches the Activity Feed only, and only if
	// the Compliance API was on when the key was created.
	KeyAdmin
	// KeyCompliance is a Claude Enterprise key (sk-ant-api01-), which the
	// Compliance guides call a Compliance Access Key and the admin-keys
	// guide the organization's Admin API key: it reaches what its scopes
	// allow, fixed at creation.
	KeyCompliance
	// KeyModel is a Claude API key (sk-ant-api03-), which the feed rejects.
	KeyModel
)

// Scopes that grant the Activity Feed (§2.1, §17.2): either one suffices.
const (
	// ScopeActivities is the feed's own scope.
	ScopeActivities = "read:compliance_activities"
	// ScopeOrgAudit is the read-only security-audit scope: every Compliance
	// API read endpoint, the feed included.
	ScopeOrgAudit = "read:org_audit"
)

// Key prefixes by kind.
const (
	prefixAdmin      = "sk-ant-admin01-"
	prefixCompliance = "sk-ant-api01-"
	prefixModel      = "sk-ant-api03-"
)

// String returns the kind's short name: "admin", "compliance", "model" or
// "unknown".
func (k KeyKind) String() string {
	switch k {
	case KeyAdmin:
		return "admin"
	case KeyCompliance:
		return "compliance"
	case KeyModel:
		return "model"
	default:
		return "unknown"
	}
}

// Describe names the kind as the documentation does, with its prefix.
func (k KeyKind) Describe() string {
	switch k {
	case KeyAdmin:
		return "Admin API key (Claude Console, sk-ant-admin01-…)"
	case KeyCompliance:
		return "Compliance Access Key (Claude Enterprise admin key, sk-ant-api01-…)"
	case KeyModel:
		return "Claude API key (sk-ant-api03-…)"
	default:
		return "key of an unknown kind"
	}
}

// Reach says what a key of this kind can read of the Compliance API.
func (k KeyKind) Reach() string {
	switch k {
	case KeyAdmin:
		return "the Activity Feed only, if the Compliance API was on when the key was created"
	case KeyCompliance:
		return "what its scopes allow; the Activity Feed needs " + ScopeActivities + " or " + ScopeOrgAudit
	case KeyModel:
		return "nothing: the Compliance API rejects it"
	default:
		return "unknown"
	}
}

// Secret holds an API key. Every way of printing or encoding it (String,
// GoString, fmt with any verb, JSON, text, slog) yields only Masked(), so a
// Secret can sit in structs that get logged without leaking the key.
//
// The key lives inside a closure because fmt prints unexported struct
// fields by reflection, bypassing Format (and dereferences pointers when it
// reports a bad verb): a func value only ever prints as an address.
type Secret struct {
	key func() string
}

// NewSecret wraps key, trimming surrounding whitespace (keys pasted from a
// terminal or read from a file often carry a newline).
func NewSecret(key string) Secret {
	key = strings.TrimSpace(key)
	if key == "" {
		return Secret{}
	}
	return Secret{key: func() string { return key }}
}

// Reveal returns the key itself. Only the x-api-key header and the keychain
// may use it.
func (s Secret) Reveal() string {
	if s.key == nil {
		return ""
	}
	return s.key()
}

// IsZero reports whether s holds no key.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// Kind guesses the key kind from its prefix.
func (s Secret) Kind() KeyKind {
	k := s.Reveal()
	switch {
	case strings.HasPrefix(k, prefixAdmin):
		return KeyAdmin
	case strings.HasPrefix(k, prefixCompliance):
		return KeyCompliance
	case strings.HasPrefix(k, prefixModel):
		return KeyModel
	default:
		return KeyUnknown
	}
}

// minKeyForSuffix is the shortest key whose last four characters are shown:
// below it, four characters would give away too large a share of the key.
const minKeyForSuffix = 16

// Masked describes the key without revealing it: its kind and last four
// characters, e.g. "admin key …x9Qa"; "no key" when empty.
func (s Secret) Masked() string {
	k := s.Reveal()
	if k == "" {
		return "no key"
	}
	m := s.Kind().String() + " key …"
	if len(k) >= minKeyForSuffix {
		m += k[len(k)-4:]
	}
	return m
}

// String returns Masked().
func (s Secret) String() string { return s.Masked() }

// GoString returns Masked(), so %#v does not reveal the key either.
func (s Secret) GoString() string { return s.Masked() }

// Format prints Masked() for every verb (%x and %q included).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(s.Masked())))
		return
	}
	_, _ = f.Write([]byte(s.Masked()))
}

// MarshalJSON encodes Masked() as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(s.Masked())), nil
}

// MarshalText returns Masked().
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.Masked()), nil }

// LogValue makes log/slog print Masked().
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Masked()) }

// scrub replaces every occurrence of the key in text with its masked form.
// Errors from lower layers should never contain the key, but the cost of
// being wrong is a leaked credential, so every error string is checked.
func (s Secret) scrub(text string) string {
	k := s.Reveal()
	if k == "" || !strings.Contains(text, k) {
		return text
	}
	return strings.ReplaceAll(text, k, "["+s.Masked()+"]")
}
