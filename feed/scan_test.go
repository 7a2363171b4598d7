package feed

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzUnquote checks the one string unquoter against encoding/json: the
// same strings are accepted and decode to the same value.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`,
		"\"\xff\xc3\"", `"\/\b\f\n\r\t\"\\"`, `"\x"`, `"a`, `"a"b`, "\"\x01\"", `"\u12"`, ` "a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, ok := Unquote(in)
		var want string
		err := json.Unmarshal(in, &want)
		// json.Unmarshal allows whitespace around the string; Unquote does not.
		if strings.TrimLeft(string(in), " \t\r\n") != string(in) || strings.TrimRight(string(in), " \t\r\n") != string(in) {
			return
		}
		if ok != (err == nil) {
			t.Fatalf("Unquote(%q) ok=%v, encoding/json error %v", in, ok, err)
		}
		if ok && got != want {
			t.Fatalf("Unquote(%q) = %q, want %q", in, got, want)
		}
	})
}

func TestScannerNext(t *testing.T) {
	in := `{"a" : ["x", -1.5e3, true, false, null], "b\"":{}}`
	var got []string
	s := NewScanner([]byte(in))
	for {
		tok, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string("?pksn+-0"[tok.Kind])+in[tok.Start:tok.End])
	}
	want := `p{ k"a" p: p[ s"x" p, n-1.5e3 p, +true p, -false p, 0null p] p, k"b\"" p: p{ p} p}`
	if strings.Join(got, " ") != want {
		t.Fatalf("tokens\n %s\nwant\n %s", strings.Join(got, " "), want)
	}
	for _, bad := range []string{`tru`, `"a`, `-`, `@`, `"\q"`} {
		s := NewScanner([]byte(bad))
		if _, err := s.Next(); err == nil || errors.Is(err, io.EOF) {
			t.Errorf("Next(%q) = %v, want a syntax error", bad, err)
		}
	}
}

func TestPlainStringByteTable(t *testing.T) {
	if len(plainStringByte) != 256 {
		t.Fatalf("table has %d entries", len(plainStringByte))
	}
	for c := range 256 {
		want := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		if got := plainStringByte[c] == 1; got != want {
			t.Errorf("byte %#x: plain %v, want %v", c, got, want)
		}
	}
}
