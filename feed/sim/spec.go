package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// kind is the JSON shape of a catalogue field type (ACTIVITY_FEED.md §9.3).
type kind uint8

const (
	kindAny    kind = iota // "unknown", or a sub-field with no published type
	kindString             // string
	kindNumber             // number
	kindBool               // boolean
	kindEnum               // enum(a|b|…)
	kindArray              // array<T>
	kindObject             // object, object{…}, object{…}[N variants by type]
)

// spec is one parsed catalogue type such as
// "array<object{current_value:string;previous_value:string;type:enum(name|status)}>|null".
type spec struct {
	kind     kind
	nullable bool     // "|null"
	enum     []string // kindEnum: the listed values (without "...")
	openEnum bool     // kindEnum: the list ends in "..." (more values exist)
	elem     *spec    // kindArray
	fields   []field  // kindObject: nil = free-form object
	variants int      // kindObject: "[N variants by type]" (0 = one shape)
}

// field is one (sub-)field of a catalogue object.
type field struct {
	name     string
	optional bool
	spec     *spec // never nil: untyped sub-fields are kindAny
}

// parseSpec parses the catalogue's type notation. It is strict so that a
// notation it does not understand is found by the tests, not silently
// generated as strings.
func parseSpec(s string) (*spec, error) {
	p := &specParser{s: s}
	sp, err := p.typ()
	if err != nil {
		return nil, fmt.Errorf("type %q: %w", s, err)
	}
	if p.i != len(p.s) {
		return nil, fmt.Errorf("type %q: unexpected %q at %d", s, p.s[p.i:], p.i)
	}
	return sp, nil
}

type specParser struct {
	s string
	i int
}

func (p *specParser) eat(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

// typ := base ["~"] ["|null"] ["~"]
func (p *specParser) typ() (*spec, error) {
	sp, err := p.base()
	if err != nil {
		return nil, err
	}
	p.eat("~")
	if p.eat("|null") {
		sp.nullable = true
	}
	p.eat("~")
	return sp, nil
}

func (p *specParser) base() (*spec, error) {
	switch {
	case p.eat("string"):
		return &spec{kind: kindString}, nil
	case p.eat("number"):
		return &spec{kind: kindNumber}, nil
	case p.eat("boolean"):
		return &spec{kind: kindBool}, nil
	case p.eat("unknown"):
		return &spec{kind: kindAny}, nil
	case p.eat("enum("):
		end := strings.IndexByte(p.s[p.i:], ')')
		if end < 0 {
			return nil, fmt.Errorf("unterminated enum")
		}
		sp := &spec{kind: kindEnum}
		for v := range strings.SplitSeq(p.s[p.i:p.i+end], "|") {
			if v == "..." {
				sp.openEnum = true
				continue
			}
			sp.enum = append(sp.enum, v)
		}
		p.i += end + 1
		return sp, nil
	case p.eat("array<"):
		el, err := p.typ()
		if err != nil {
			return nil, err
		}
		if !p.eat(">") {
			return nil, fmt.Errorf("unterminated array at %d", p.i)
		}
		return &spec{kind: kindArray, elem: el}, nil
	case p.eat("object"):
		sp := &spec{kind: kindObject}
		if !p.eat("{") {
			return sp, nil
		}
		for {
			f, err := p.field()
			if err != nil {
				return nil, err
			}
			sp.fields = append(sp.fields, f)
			if p.eat(";") {
				continue
			}
			if p.eat("}") {
				break
			}
			return nil, fmt.Errorf("expected ; or } at %d", p.i)
		}
		if p.eat("[") {
			end := strings.Index(p.s[p.i:], " variants by type]")
			if end < 0 {
				return nil, fmt.Errorf("bad variants suffix at %d", p.i)
			}
			n, err := strconv.Atoi(p.s[p.i : p.i+end])
			if err != nil {
				return nil, fmt.Errorf("bad variant count at %d", p.i)
			}
			sp.variants = n
			p.i += end + len(" variants by type]")
		}
		return sp, nil
	}
	return nil, fmt.Errorf("unknown type at %d", p.i)
}

// field := name ["?"] [":" typ]
func (p *specParser) field() (field, error) {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == '_' || p.s[p.i] >= 'a' && p.s[p.i] <= 'z' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
		p.i++
	}
	if p.i == start {
		return field{}, fmt.Errorf("expected field name at %d", p.i)
	}
	f := field{name: p.s[start:p.i]}
	f.optional = p.eat("?")
	if !p.eat(":") {
		f.spec = &spec{kind: kindAny}
		return f, nil
	}
	sp, err := p.typ()
	if err != nil {
		return field{}, err
	}
	f.spec = sp
	return f, nil
}
