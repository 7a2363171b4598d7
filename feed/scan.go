package feed

import (
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is claudit's one JSON tokenizer. The activity decoder
// (decode.go), the field walker behind Targets and Summary (inspect.go), the
// store's reference walker and the detail pane's highlighter all read JSON
// through Scanner, so there is one place that knows the syntax, and one
// string unescaper that gives exactly what encoding/json gives.

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

// Scanner reads one JSON document from a byte slice without allocating. It
// validates as it goes (the syntax encoding/json accepts, and its nesting
// limit) and reports where values are as offsets into the slice; strings
// are unescaped only when asked (Unquote, AppendUnquoted).
//
// Two ways to read: the grammar methods (Object, Array, ReadString, Skip)
// for a walker that wants values, or Next for a highlighter that wants the
// tokens in order.
type Scanner struct {
	b     []byte
	i     int
	depth int // containers open
}

// NewScanner returns a Scanner positioned at the start of b.
func NewScanner(b []byte) Scanner { return Scanner{b: b} }

// Offset returns the position of the next unread byte.
func (s *Scanner) Offset() int { return s.i }

// syntaxError describes malformed JSON at the scanner's position.
func (s *Scanner) syntaxError(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("invalid JSON: unexpected end of input (%s)", what)
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", s.i, what)
}

func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (s *Scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// Peek skips whitespace and returns the next byte without consuming it, 0
// at the end: '{', '[', '"' or the first byte of a number or literal.
func (s *Scanner) Peek() byte {
	s.ws()
	return s.peek()
}

// End checks that only whitespace follows.
func (s *Scanner) End() error {
	s.ws()
	if s.i != len(s.b) {
		return s.syntaxError("data after the top-level value")
	}
	return nil
}

// literal consumes lit if it comes next.
func (s *Scanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// expect consumes c after optional whitespace.
func (s *Scanner) expect(c byte, what string) error {
	s.ws()
	if s.peek() != c {
		return s.syntaxError("expected " + what)
	}
	s.i++
	return nil
}

// open counts a container about to be entered against maxDepth.
func (s *Scanner) open() error {
	if s.depth >= maxDepth {
		return s.syntaxError("nesting too deep")
	}
	s.depth++
	return nil
}

// Span states.
const (
	spanAbsent uint8 = iota // field not present
	spanNull                // JSON null
	spanPlain               // string without escapes, ASCII or valid UTF-8: use the bytes
	spanDecode              // string with escapes or invalid UTF-8: unquote it
	spanValue               // any other JSON value (audience, provider)
)

// Span locates a scanned value in the scanner's buffer: for a string the
// content between the quotes, otherwise the whole value.
type Span struct {
	s, e  int
	state uint8
}

// Plain reports whether the span is a string whose bytes are its value (no
// escapes, valid UTF-8), so it can be used without unquoting.
func (sp Span) Plain() bool { return sp.state == spanPlain }

// Raw returns the bytes the span covers (a string's content without its
// quotes), aliasing the scanned buffer.
func (s *Scanner) Raw(sp Span) []byte { return s.b[sp.s:sp.e] }

// AppendUnquoted appends the value of the string span sp to dst.
func (s *Scanner) AppendUnquoted(dst []byte, sp Span) []byte {
	if sp.state == spanPlain {
		return append(dst, s.b[sp.s:sp.e]...)
	}
	return appendUnquoted(dst, s.b[sp.s:sp.e])
}

// str scans the string starting at s.b[s.i] == '"'.
func (s *Scanner) str() (Span, error) {
	b := s.b
	start := s.i + 1
	state := spanPlain
	ascii := true
	for i := start; i < len(b); {
		c := b[i]
		if plainStringByte[c] == 1 {
			i++
			continue
		}
		switch {
		case c == '"':
			s.i = i + 1
			if state == spanPlain && !ascii && !utf8.Valid(b[start:i]) {
				state = spanDecode
			}
			return Span{s: start, e: i, state: state}, nil
		case c == '\\':
			state = spanDecode
			if i+1 >= len(b) {
				s.i = len(b)
				return Span{}, s.syntaxError("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					s.i = i
					return Span{}, s.syntaxError(`bad \u escape in string`)
				}
				i += 6
			default:
				s.i = i
				return Span{}, s.syntaxError("bad escape in string")
			}
		case c < 0x20:
			s.i = i
			return Span{}, s.syntaxError("control character in string")
		default: // non-ASCII byte
			ascii = false
			i++
		}
	}
	s.i = len(b)
	return Span{}, s.syntaxError("unterminated string")
}

// ReadString scans the string that comes next (after whitespace).
func (s *Scanner) ReadString() (Span, error) {
	s.ws()
	if s.peek() != '"' {
		return Span{}, s.syntaxError("expected a string")
	}
	return s.str()
}

// plainStringByte[c] is 1 for bytes that need no attention inside a JSON
// string: printable ASCII other than '"' and '\\'. A constant string
// rather than a table variable: read-only by construction.
const plainStringByte = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number scans a JSON number.
func (s *Scanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		s.i = i
		return s.syntaxError("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			s.i = i
			return s.syntaxError("bad number")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			s.i = i
			return s.syntaxError("bad number")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	s.i = i
	return nil
}

// Skip scans (and validates) the value that comes next, of any kind.
func (s *Scanner) Skip() error {
	s.ws()
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{' || c == '[':
		// A loop rather than Object/Array with a callback: most of an
		// activity is skipped, and this is the decoder's hot path.
		if err := s.open(); err != nil {
			return err
		}
		s.i++
		s.ws()
		closer := byte(']')
		if c == '{' {
			closer = '}'
		}
		if s.peek() == closer {
			s.i++
			s.depth--
			return nil
		}
		for {
			if c == '{' {
				s.ws()
				if s.peek() != '"' {
					return s.syntaxError("expected object key")
				}
				if _, err := s.str(); err != nil {
					return err
				}
				if err := s.expect(':', "':' after object key"); err != nil {
					return err
				}
			}
			if err := s.Skip(); err != nil {
				return err
			}
			s.ws()
			switch s.peek() {
			case ',':
				s.i++
			case closer:
				s.i++
				s.depth--
				return nil
			default:
				return s.syntaxError("expected ',' or '" + string(closer) + "'")
			}
		}
	case c == '-' || isDigit(c):
		return s.number()
	case s.literal("true"), s.literal("false"), s.literal("null"):
		return nil
	default:
		return s.syntaxError("expected a value")
	}
}

// valueSpan scans any value and returns its bounds (spanValue), or spanNull.
func (s *Scanner) valueSpan() (Span, error) {
	s.ws()
	if s.literal("null") {
		return Span{state: spanNull}, nil
	}
	start := s.i
	if err := s.Skip(); err != nil {
		return Span{}, err
	}
	return Span{s: start, e: s.i, state: spanValue}, nil
}

// Object scans the object that comes next, calling field for each member
// with its name (unquoted; it aliases the buffer unless the name had
// escapes) and the scanner positioned at the value, which field must
// consume.
func (s *Scanner) Object(field func(key []byte) error) error {
	if err := s.expect('{', "'{'"); err != nil {
		return err
	}
	if err := s.open(); err != nil {
		return err
	}
	s.ws()
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if s.peek() != '"' {
			return s.syntaxError("expected object key")
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		key := s.b[k.s:k.e]
		if k.state == spanDecode {
			key = appendUnquoted(nil, key)
		}
		if err := s.expect(':', "':' after object key"); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.syntaxError("expected ',' or '}'")
		}
	}
}

// Array scans the array that comes next, calling elem with the scanner
// positioned at each element, which elem must consume.
func (s *Scanner) Array(elem func() error) error {
	if err := s.expect('[', "'['"); err != nil {
		return err
	}
	if err := s.open(); err != nil {
		return err
	}
	s.ws()
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.syntaxError("expected ',' or ']'")
		}
	}
}

// TokenKind is the kind of a token Next returns.
type TokenKind uint8

// Token kinds. A string followed by ':' is a TokenKey.
const (
	TokenPunct  TokenKind = iota + 1 // one of { } [ ] , :
	TokenKey                         // an object member name, quotes included
	TokenString                      // a string value, quotes included
	TokenNumber
	TokenTrue
	TokenFalse
	TokenNull
)

// Token is one lexical token: its kind and its bounds in the buffer.
type Token struct {
	Kind       TokenKind
	Start, End int
}

// Next returns the next token, skipping whitespace, and io.EOF at the end.
// It checks each token's own syntax (strings, numbers, literals) but not
// how tokens combine: feed it JSON already known to be valid (json.Indent's
// output, for instance) when the structure matters.
func (s *Scanner) Next() (Token, error) {
	s.ws()
	if s.i >= len(s.b) {
		return Token{}, io.EOF
	}
	start := s.i
	kind := TokenNumber
	switch c := s.b[s.i]; {
	case c == '"':
		if _, err := s.str(); err != nil {
			return Token{}, err
		}
		end := s.i
		kind = TokenString
		if s.Peek() == ':' {
			kind = TokenKey
		}
		return Token{Kind: kind, Start: start, End: end}, nil
	case c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':':
		s.i++
		kind = TokenPunct
	case c == '-' || isDigit(c):
		if err := s.number(); err != nil {
			return Token{}, err
		}
	case s.literal("true"):
		kind = TokenTrue
	case s.literal("false"):
		kind = TokenFalse
	case s.literal("null"):
		kind = TokenNull
	default:
		return Token{}, s.syntaxError("expected a value")
	}
	return Token{Kind: kind, Start: start, End: s.i}, nil
}

// Unquote returns the value of the quoted JSON string q (quotes included),
// and false when q is not exactly one valid string. Strings without escapes
// are copied as they are; the result is what encoding/json decodes.
func Unquote(q []byte) (string, bool) {
	s := Scanner{b: q}
	if s.peek() != '"' {
		return "", false
	}
	sp, err := s.str()
	if err != nil || s.i != len(q) {
		return "", false
	}
	if sp.state == spanPlain {
		return string(q[sp.s:sp.e]), true
	}
	return string(appendUnquoted(nil, q[sp.s:sp.e])), true
}

// appendUnquoted appends the value of the string content c (between the
// quotes, already checked by Scanner.str) to dst, as encoding/json decodes
// it: escapes resolved, a surrogate pair joined, a lone surrogate and each
// byte of invalid UTF-8 replaced by U+FFFD.
func appendUnquoted(dst, c []byte) []byte {
	for i := 0; i < len(c); {
		b := c[i]
		switch {
		case b == '\\' && i+1 < len(c):
			e := c[i+1]
			i += 2
			switch e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(c[i-2:])
				if r < 0 {
					return utf8.AppendRune(dst, utf8.RuneError) // not reached: str checked the escapes
				}
				i += 4
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, hex4(c[i:])); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						break
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
			default: // " \ /
				dst = append(dst, e)
			}
		case b < utf8.RuneSelf:
			dst = append(dst, b)
			i++
		default:
			r, n := utf8.DecodeRune(c[i:])
			dst = utf8.AppendRune(dst, r)
			i += n
		}
	}
	return dst
}

// hex4 decodes a \uXXXX escape at the start of c, -1 when there is none.
func hex4(c []byte) rune {
	if len(c) < 6 || c[0] != '\\' || c[1] != 'u' {
		return -1
	}
	var r rune
	for _, h := range c[2:6] {
		switch {
		case '0' <= h && h <= '9':
			h -= '0'
		case 'a' <= h && h <= 'f':
			h -= 'a' - 10
		case 'A' <= h && h <= 'F':
			h -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(h)
	}
	return r
}
