package sim

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The generator writes JSON by appending to byte slices: encoding/json with
// reflection would make the 1,000,000-event dataset several times slower.

const hexDigits = "0123456789abcdef"

// plainJSON[c] is '1' for the bytes a JSON string holds as they are:
// printable ASCII except '"' and '\\'. A table beats four comparisons in
// the generator's hottest loop.
const plainJSON = "0000000000000000000000000000000011011111111111111111111111111111" +
	"1111111111111111111111111111011111111111111111111111111111111111" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000"

// appendString appends s as a JSON string literal. Control characters are
// \u-escaped (so ESC arrives as \u001b); everything else, including C1
// controls and bidi marks, is kept as UTF-8 — exactly what a hostile value
// looks like on the wire.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainJSON[c] == '1' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				// Valid JSON either way; escaped like encoding/json does.
				b = append(b, s[start:i]...)
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
			default:
				i += size
				continue
			}
			i += size
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendKey appends `,"k":` (or `"k":` when first); keys are catalogue
// names, plain ASCII, so they need no escaping.
func appendKey(b []byte, k string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

// appendStrField appends `,"k":"v"`.
func appendStrField(b []byte, k, v string) []byte {
	return appendString(appendKey(b, k, false), v)
}

// appendNullableField appends `,"k":"v"`, or `,"k":null` when v is "".
func appendNullableField(b []byte, k, v string) []byte {
	b = appendKey(b, k, false)
	if v == "" {
		return append(b, "null"...)
	}
	return appendString(b, v)
}

// appendIntField appends `,"k":n`.
func appendIntField(b []byte, k string, n int) []byte {
	return strconv.AppendInt(appendKey(b, k, false), int64(n), 10)
}

// appendBoolField appends `,"k":true|false`.
func appendBoolField(b []byte, k string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, k, false), v)
}

// appendStrings appends a JSON array of strings.
func appendStrings(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// appendTime appends t (unix ns, UTC) in the feed's format: whole seconds
// as 2006-01-02T15:04:05Z, anything finer with exactly three fractional
// digits.
func appendTime(b []byte, ns int64) []byte {
	t := time.Unix(0, ns).UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		if ns%int64(time.Second) == 0 {
			return t.AppendFormat(b, "2006-01-02T15:04:05Z")
		}
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	}
	// By hand: pages re-encode every row's created_at (see event), and
	// AppendFormat's layout parsing was most of that.
	h, mi, sec := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+sec/10), byte('0'+sec%10))
	if ns%int64(time.Second) != 0 {
		ms := t.Nanosecond() / int(time.Millisecond)
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	return append(b, 'Z')
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// appendBase62 appends exactly 11 base-62 digits of x (62^11 > 2^64, so the
// encoding is injective).
func appendBase62(b []byte, x uint64) []byte {
	var d [11]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = base62[x%62]
		x /= 62
	}
	return append(b, d[:]...)
}

// taggedID builds an id in the API's style: prefix + "01" + 22 base-62
// characters (activity_01XyDMpzjS89pFZXqSFUBDr6).
func taggedID(prefix string, hi, lo uint64) string {
	b := make([]byte, 0, len(prefix)+24)
	b = append(b, prefix...)
	b = append(b, '0', '1')
	b = appendBase62(b, hi)
	b = appendBase62(b, lo)
	return string(b)
}

// mix64 is the splitmix64 finaliser: a bijection on uint64 that scrambles
// counters into unique, random-looking ids.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hashString is FNV-1a, used to derive stable ids from names.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// uuidFrom formats two 64-bit values as a version-4 UUID.
func uuidFrom(hi, lo uint64) string {
	var u [16]byte
	for i := range 8 {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(b)
}
