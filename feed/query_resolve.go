package feed

import "strings"

// Names in queries: actor:"Alice Chen", key:"Nightly SIEM pull" and
// org:"Research*" name what the directory knows by id. ParseWith resolves
// them while parsing, so what follows (the server filter, the cache's
// search) sees only ids.

// NameResolver returns the ids a name in a term of field (actor, key or
// org) stands for: user ids for an actor, Compliance key ids for a key,
// organization UUIDs for an org (a glob may name several). An error says
// why the name stands for nothing (ParseWith reports it at the term); no
// ids and no error keep the value as written.
type NameResolver func(field, value string) ([]string, error)

// IsName reports whether value, in a term of field, is a name to resolve
// rather than an id or e-mail the query matches as written: an actor that
// is neither an e-mail nor an id, a key that is not an id, an org that is
// neither an org_… id nor a UUID. Other fields have no names.
func IsName(field, value string) bool {
	if value == "" {
		return false
	}
	switch strings.ToLower(field) {
	case "actor":
		return !strings.Contains(value, "@") && !looksLikeID(value)
	case "key":
		return !looksLikeID(value)
	case "org":
		_, ok := canonicalOrg(value)
		return !ok
	}
	return false
}

// ParseWith parses s as Parse does, with the names of its actor, key and
// org terms (IsName) replaced by the ids resolve returns; a term whose
// name stands for several ids matches any of them, and an excluded one
// excludes them all. A resolve error is a *ParseError at the term. It also
// returns the warnings Warnings would. A nil resolve is Parse.
func ParseWith(s string, resolve NameResolver) (Query, []Warning, error) {
	p := parser{src: s, resolve: resolve}
	if err := p.run(); err != nil {
		return Query{}, nil, err
	}
	return p.q, p.warnings, nil
}

// resolveName applies a name term as the terms of the ids it stands for.
// handled is false when the value is not a name or resolve keeps it.
func (p *parser) resolveName(field, value string, neg bool, pos int, tok string) (handled bool, err error) {
	if p.resolve == nil || !IsName(field, value) {
		return false, nil
	}
	ids, rerr := p.resolve(field, value)
	if rerr != nil {
		return true, p.errAt(pos, tok, "%v", rerr)
	}
	if len(ids) == 0 {
		return false, nil
	}
	resolve := p.resolve
	p.resolve = nil // ids are applied as written
	defer func() { p.resolve = resolve }()
	for _, id := range ids {
		if err := p.apply(field, id, neg, pos, tok); err != nil {
			return true, err
		}
	}
	return true, nil
}
