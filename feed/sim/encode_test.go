package sim

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "\x00\x1f\x7f", "\x1b[31mred\x1b[0m",
		"\u009b\u202e\u200b", "line\u2028sep\u2029", "bad \xff utf8", "tab\tnl\ncr\r", strings.Repeat("é", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, b, err)
		}
		want := s
		if !utf8.ValidString(s) {
			// appendString writes one U+FFFD per invalid byte.
			var w strings.Builder
			for i := 0; i < len(s); {
				r, n := utf8.DecodeRuneInString(s[i:])
				w.WriteRune(r)
				i += n
			}
			want = w.String()
		}
		if got != want {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
		for _, c := range b {
			if c < 0x20 {
				t.Fatalf("raw control byte %#x in %s", c, b)
			}
		}
	})
}

func TestAppendTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := string(appendTime(nil, at.UnixNano())); got != "2026-01-02T03:04:05Z" {
		t.Errorf("whole second: %s", got)
	}
	if got := string(appendTime(nil, at.Add(7*time.Millisecond).UnixNano())); got != "2026-01-02T03:04:05.007Z" {
		t.Errorf("milliseconds: %s", got)
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for i := range uint64(1000) {
		id := taggedID("req_", 42, mix64(i))
		if seen[id] || len(id) != len("req_01")+22 {
			t.Fatalf("id %q repeated or malformed", id)
		}
		seen[id] = true
	}
	if u := uuidFrom(0, 0); u != "00000000-0000-4000-8000-000000000000" {
		t.Errorf("uuid %s", u)
	}
}

// TestAppendTimeMatchesFormat: the hand-written created_at formatting is
// AppendFormat's, whole seconds and milliseconds, across years and edges.
func TestAppendTimeMatchesFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := []int64{0, -1, 1, int64(time.Second), -int64(time.Millisecond), testEnd().UnixNano(),
		time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC).UnixNano(),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano() / 2}
	for range 10_000 {
		cases = append(cases, rng.Int64()-rng.Int64(), testEnd().UnixNano()-rng.Int64N(int64(60*24*time.Hour)))
	}
	for _, ns := range cases {
		ns -= ns % int64(time.Millisecond)
		layout := "2006-01-02T15:04:05.000Z"
		if ns%int64(time.Second) == 0 {
			layout = "2006-01-02T15:04:05Z"
		}
		if got, want := string(appendTime(nil, ns)), time.Unix(0, ns).UTC().Format(layout); got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", ns, got, want)
		}
	}
}
