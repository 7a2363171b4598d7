package ui

// reqKind is a kind of request whose result the model waits for.
type reqKind int

const (
	reqCount    reqKind = iota // events of the query
	reqHist                    // histogram
	reqCoverage                // what the cache covers of the window
	reqSync                    // the window sync
	reqTail                    // the live tail
	reqClock                   // the live mode's one-second tick
	reqSelf                    // own calls hidden
	reqNewer                   // rows newer than where following paused
	reqMark                    // a mark, unmark or note
	reqMarked                  // marked events of the whole cache
	reqExport                  // an evidence bundle or a timeline
	reqSuggest                 // completion values
	reqFind                    // the next match of the find (find.go)
	reqMatches                 // the find's matches
	reqFindRank                // the matches above the find's current one
	reqFindPos                 // the rows above a match the window moved to
	reqDossier                 // a key dossier
	reqFacets                  // top values
	reqNames                   // the directory's name index
	reqNearMiss                // values of an empty result the cache lacks
	reqJumpPos                 // the position of the row a histogram jump landed on
	numReqKinds
)

// req names one request: its kind and id. Every result message carries
// the req of the request that caused it.
type req struct {
	kind reqKind
	id   uint64
}

// inflight is the in-flight tracker: the last request of each kind. A
// result whose req is not the last of its kind is stale and dropped; a
// kind with no request (id 0) is not waited for.
type inflight struct {
	next uint64
	last [numReqKinds]uint64
}

// newID is a fresh id (the table's page requests use bare ids).
func (f *inflight) newID() uint64 {
	f.next++
	return f.next
}

// start makes a new request of kind k the one whose result is wanted.
func (f *inflight) start(k reqKind) req {
	f.last[k] = f.newID()
	return req{kind: k, id: f.last[k]}
}

// stop stops waiting for kind k: its results are stale from now on.
func (f *inflight) stop(k reqKind) { f.last[k] = 0 }

// get is the request of kind k in flight (id 0 when none).
func (f inflight) get(k reqKind) req { return req{kind: k, id: f.last[k]} }

// pending reports whether a request of kind k is in flight.
func (f inflight) pending(k reqKind) bool { return f.last[k] != 0 }

// is reports whether r is the request of its kind still wanted.
func (f inflight) is(r req) bool { return r.id != 0 && f.last[r.kind] == r.id }
