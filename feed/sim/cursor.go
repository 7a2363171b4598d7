package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
)

// Cursors are opaque on purpose (§4): "cur_" + base64url(created_at ns,
// id, MAC). A client that builds a cursor from an activity id, or edits
// one, gets the documented 400 instead of a silently wrong page. The MAC
// key comes from the seed, so cursors are as deterministic as the data.

const (
	cursorPrefix = "cur_"
	cursorMACLen = 8
)

// position is a place in the feed's order: (created_at, id).
type position struct {
	at int64
	id string
}

// edgePos is a sentinel position beyond the newest (or oldest) activity,
// for pages that must name a position but hold none (the EmptyHasMore
// fault on a request without cursor).
func edgePos(newest bool) position {
	if newest {
		return position{at: math.MaxInt64}
	}
	return position{at: math.MinInt64}
}

// comparePos orders an event against a position like compareEvents.
func comparePos(e *event, p position) int {
	switch {
	case e.at < p.at:
		return -1
	case e.at > p.at:
		return 1
	}
	return strings.Compare(e.id(), p.id)
}

func cursorKey(seed int64) []byte {
	k := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("claudit-sim-cursor/"), uint64(seed)))
	return k[:]
}

func (s *Server) cursorMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write(payload)
	return m.Sum(nil)[:cursorMACLen]
}

// encodeCursor returns the opaque cursor of a position.
func (s *Server) encodeCursor(p position) string {
	payload := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(p.id)+cursorMACLen), uint64(p.at))
	payload = append(payload, p.id...)
	payload = append(payload, s.cursorMAC(payload)...)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(payload)
}

// decodeCursor returns the position of a cursor this server issued; ok is
// false for anything else.
func (s *Server) decodeCursor(c string) (position, bool) {
	if len(c) <= len(cursorPrefix) || c[:len(cursorPrefix)] != cursorPrefix {
		return position{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c[len(cursorPrefix):])
	if err != nil || len(raw) < 8+cursorMACLen {
		return position{}, false
	}
	body, mac := raw[:len(raw)-cursorMACLen], raw[len(raw)-cursorMACLen:]
	if !hmac.Equal(mac, s.cursorMAC(body)) {
		return position{}, false
	}
	return position{at: int64(binary.BigEndian.Uint64(body)), id: string(body[8:])}, true
}
