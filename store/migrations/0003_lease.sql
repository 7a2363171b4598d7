-- claudit cache schema v3: leases of a parallel backfill (issue 13). A
-- process walking a window of a filter's gaps says so here, with an
-- expiry it keeps pushing forward while it commits pages; another process
-- syncing the same cache skips windows overlapping an unexpired lease of
-- someone else and takes over expired ones (a killed process). Times are
-- Unix nanoseconds; an open bound is the int64 minimum or maximum.
CREATE TABLE sync_leases (
	filter  TEXT    NOT NULL,
	win_lo  INTEGER NOT NULL,
	win_hi  INTEGER NOT NULL,
	owner   TEXT    NOT NULL,
	until   INTEGER NOT NULL,
	PRIMARY KEY (filter, win_lo, win_hi)
);
CREATE INDEX sync_leases_owner ON sync_leases(owner);
