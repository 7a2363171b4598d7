package store

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"claudit/feed"
)

// ingestRow is one activity prepared for insertion.
type ingestRow struct {
	a          *feed.Activity
	rid, t     int64
	terms      [9]string // see termCols
	self, late bool
	// trip is set when a tripwire rule fires on the activity alone
	// (feed.Trip, working hours in the machine's zone); the burst rule
	// needs many events and is applied by the explorer.
	trip bool
	refs string // reference-index tokens
	// subVals and subHashes are the searchable string values, folded, and
	// their hashes (see substr.go).
	subVals   []string
	subHashes []uint64
	subTokens string // the row's vref text, made here to spare the writer
	reqID     string
	actorKey  string   // api_key_id of an api_actor (compliance_api_accessed)
	ips       []string // every IP address mentioned, for CIDR terms
}

// ingestRow.terms holds, in order, the interned columns type, atype, actor,
// email, ip, ua, org, orgu and tkey.

const maxUA = 1024

// preparer turns activities into ingestRows, reusing its buffers.
type preparer struct {
	r   refs
	buf []byte
}

// row extracts everything Put stores for one activity. It runs before the
// write lock is taken.
func (p *preparer) row(a *feed.Activity) (ingestRow, error) {
	if a.ID == "" {
		return ingestRow{}, errors.New("activity without id")
	}
	if len(a.Raw) == 0 {
		return ingestRow{}, fmt.Errorf("activity %q has no raw JSON", a.ID)
	}
	r := &p.r
	if err := extractRefs(a.Raw, r); err != nil {
		return ingestRow{}, fmt.Errorf("activity %q: %w", a.ID, err)
	}
	t := nanos(a.CreatedAt, 0)
	h := fnv64(a.ID)
	row := ingestRow{a: a, t: t, reqID: r.requestID}
	row.rid = ridOf(bucket(t), h)
	email := a.Actor.EmailAddress
	if email == "" {
		email = a.Actor.UnauthenticatedEmailAddress
	}
	ua := a.Actor.UserAgent
	if len(ua) > maxUA {
		ua = ua[:maxUA]
	}
	row.terms = [9]string{a.Type, a.Actor.Type, a.Actor.ID(), strings.ToLower(email),
		normRef(a.Actor.IPAddress), ua, a.OrganizationID, strings.ToLower(a.OrganizationUUID), r.targetKey}
	if a.Type == typeCAC && a.Actor.Type == feed.ActorAPI {
		row.actorKey = a.Actor.APIKeyID
	}
	// Actor ids the walker may not see as id-like (e.g. a federated subject
	// in an unusual shape) are added explicitly, and so is the activity's
	// own id, which deduplication and Get find through the index.
	if id := a.Actor.ID(); id != "" {
		r.add(roleActor, id)
	}
	r.add(roleOther, a.ID)
	buf := p.buf[:0]
	for role := range r.byRole {
		for _, v := range r.byRole[role] {
			if (strings.IndexByte(v, '.') > 0 || strings.IndexByte(v, ':') > 0) && len(v) <= 45 {
				if _, err := netip.ParseAddr(v); err == nil && !slices.Contains(row.ips, v) {
					row.ips = append(row.ips, v)
				}
			}
			buf = appendToken(buf, rolePrefix(role), v)
			buf = append(buf, ' ')
		}
	}
	for _, v := range r.org {
		buf = appendToken(buf, tokOrg, v)
		buf = append(buf, ' ')
	}
	buf = appendToken(buf, tokType, a.Type)
	row.refs = string(buf)
	row.subVals, row.subHashes = slices.Clone(r.subVals), slices.Clone(r.subHashes)
	row.subTokens = subTokens(row.subHashes)
	p.buf = buf
	return row, nil
}

// parallelRows is the page size from which preparing is split over two
// goroutines.
const parallelRows = 1024

// prepareRows prepares the first copy of every id of a page; later copies
// in the same page are returned apart (dups), with first mapping an id to
// its first copy. With split, a big page is prepared on two goroutines.
func prepareRows(acts []feed.Activity, split bool) (rows []ingestRow, dups []*feed.Activity, first map[string]*feed.Activity, err error) {
	first = make(map[string]*feed.Activity, len(acts))
	uniq := make([]*feed.Activity, 0, len(acts))
	for i := range acts {
		a := &acts[i]
		if _, ok := first[a.ID]; ok {
			dups = append(dups, a)
			continue
		}
		first[a.ID] = a
		uniq = append(uniq, a)
	}
	rows = make([]ingestRow, len(uniq))
	prep := func(lo, hi int) error {
		var p preparer
		for i := lo; i < hi; i++ {
			row, err := p.row(uniq[i])
			if err != nil {
				return err
			}
			row.trip = len(feed.Trip(*uniq[i], time.Local)) > 0
			rows[i] = row
		}
		return nil
	}
	if !split || len(uniq) < parallelRows {
		err = prep(0, len(uniq))
	} else {
		// Extraction is pure Go: the second core does half of it.
		half := len(uniq) / 2
		var wg sync.WaitGroup
		var errHi error
		wg.Go(func() { errHi = prep(half, len(uniq)) })
		err = prep(0, half)
		wg.Wait()
		if err == nil {
			err = errHi
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return rows, dups, first, nil
}

// sortByRid returns rows in ascending rid order (sorting small keys, then
// moving each big row once).
func sortByRid(rows []ingestRow) []ingestRow {
	type key struct {
		rid int64
		i   int
	}
	keys := make([]key, len(rows))
	sorted := true
	for i := range rows {
		keys[i] = key{rows[i].rid, i}
		sorted = sorted && (i == 0 || rows[i-1].rid <= rows[i].rid)
	}
	if sorted {
		return rows
	}
	slices.SortFunc(keys, func(a, b key) int { return cmpInt(a.rid, b.rid) })
	out := make([]ingestRow, len(rows))
	for j, k := range keys {
		out[j] = rows[k.i]
	}
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
