-- claudit cache schema v4: the Compliance directory (issue 14,
-- ACTIVITY_FEED.md §13), so ids can be shown and queried as names. Each
-- refresh is one dir_refresh row; every directory row records the last
-- refresh that listed it (seen, fetched_at) and, once a later refresh of
-- its part no longer lists it, the time of that refresh (removed_at; 0
-- while listed): people leave, their name stays. A part the key's scopes
-- did not reach is named in denied and its rows are left as they were.
-- Times are Unix nanoseconds, 0 when unknown.
CREATE TABLE dir_refresh (
	id       INTEGER PRIMARY KEY,
	fetched  INTEGER NOT NULL,
	requests INTEGER NOT NULL,
	denied   TEXT    NOT NULL  -- JSON [{"part": …, "scope": …}]
);
CREATE TABLE dir_orgs (
	uuid       TEXT PRIMARY KEY,  -- lower-cased
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	seen       INTEGER NOT NULL,  -- dir_refresh.id
	fetched_at INTEGER NOT NULL,
	removed_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- The org_… form of an organization's id, learnt from activities that
-- carry both organization_id and organization_uuid (the list returns only
-- the UUID).
CREATE TABLE dir_org_aliases (
	org_id TEXT PRIMARY KEY,
	uuid   TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE dir_users (
	org_uuid   TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	email      TEXT    NOT NULL,
	full_name  TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	seen       INTEGER NOT NULL,
	fetched_at INTEGER NOT NULL,
	removed_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (org_uuid, id)
) WITHOUT ROWID;
CREATE TABLE dir_roles (
	id          TEXT PRIMARY KEY,
	org_uuid    TEXT    NOT NULL,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	seen        INTEGER NOT NULL,
	fetched_at  INTEGER NOT NULL,
	removed_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE dir_groups (
	id          TEXT PRIMARY KEY,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	roles       TEXT    NOT NULL,  -- JSON array of role ids
	source_type TEXT    NOT NULL,
	seen        INTEGER NOT NULL,
	fetched_at  INTEGER NOT NULL,
	removed_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE dir_group_members (
	group_id   TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	email      TEXT    NOT NULL,
	seen       INTEGER NOT NULL,
	fetched_at INTEGER NOT NULL,
	removed_at INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE TABLE dir_keys (
	id            TEXT PRIMARY KEY,
	name          TEXT    NOT NULL,
	scopes        TEXT    NOT NULL,  -- JSON array
	active        INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	created_by_id TEXT    NOT NULL,
	expires_at    INTEGER NOT NULL,
	seen          INTEGER NOT NULL,
	fetched_at    INTEGER NOT NULL,
	removed_at    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
