package pep508

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
)

// Requirement is a parsed PEP 508 dependency specifier.
type Requirement struct {
	Name      string   // as written
	Extras    []string // as written, order kept, exact duplicates removed
	Specifier pep440.Specifiers
	URL       string  // the "name @ url" form; empty otherwise
	Marker    *Marker // nil when absent
}

// ParseRequirement parses one requirement as packaging's Requirement does. Comments, line
// continuations and options belong to the requirements-file reader, not here.
func ParseRequirement(s string) (Requirement, error) {
	p := parser{src: s}
	r, err := p.requirement()
	if err != nil {
		return Requirement{}, fmt.Errorf("parsing requirement %q: %w", s, err)
	}
	return r, nil
}

// requirement = WS? IDENTIFIER WS? extras WS? requirement_details END
func (p *parser) requirement() (Requirement, error) {
	var r Requirement
	p.ws()
	end := matchIdentifier(p.src, p.pos)
	if end < 0 {
		return r, p.fail("Expected package name at the start of dependency specifier")
	}
	r.Name = p.src[p.pos:end]
	p.pos = end
	p.ws()
	extras, err := p.extras()
	if err != nil {
		return r, err
	}
	r.Extras = extras
	p.ws()

	var specStart int
	var clauses []string
	hasMarker := false
	if p.at('@') {
		p.pos++
		p.ws()
		urlStart := p.pos
		// URL is [^ \t]+: anything up to a space or tab, ";" included, which is why a marker
		// after a URL needs whitespace before its semicolon.
		end := strings.IndexAny(p.src[p.pos:], " \t")
		if end < 0 {
			end = len(p.src)
		} else {
			end += p.pos
		}
		if end == p.pos {
			return r, p.fail("Expected URL after @")
		}
		r.URL = p.src[p.pos:end]
		p.pos = end
		p.ws()
		if p.pos < len(p.src) {
			if !p.at(';') {
				return r, p.failSpan("Expected semicolon (after URL and whitespace) or end", urlStart, p.pos)
			}
			hasMarker = true
		}
	} else {
		specStart = p.pos
		if clauses, err = p.specifier(); err != nil {
			return r, err
		}
		p.ws()
		if p.pos < len(p.src) {
			if !p.at(';') {
				expected := "semicolon (after name with no version specifier)"
				if len(clauses) > 0 {
					expected = "comma (within version specifier), semicolon (after version specifier)"
				}
				return r, p.failSpan("Expected "+expected+" or end", specStart, p.pos)
			}
			hasMarker = true
		}
	}
	if hasMarker {
		p.pos++
		g, err := p.marker(0)
		if err != nil {
			return r, err
		}
		p.ws()
		if p.pos != len(p.src) {
			return r, p.fail("Expected end of dependency specifier")
		}
		r.Marker = newMarker(g)
	}

	// packaging hands the joined text to SpecifierSet, which splits it on commas again; an
	// === clause may hold a comma ("===x,y"), which then fails there.
	text := strings.Join(clauses, ",")
	spec, err := pep440.ParseSpecifiers(text)
	if err != nil {
		return r, fmt.Errorf("invalid version specifier %q at column %d: %w",
			text, column(p.src, specStart), err)
	}
	r.Specifier = spec
	return r, nil
}

// extras = ("[" WS? (IDENTIFIER (WS? "," WS? IDENTIFIER)*)? WS? "]")?
func (p *parser) extras() ([]string, error) {
	if !p.at('[') {
		return nil, nil
	}
	open := p.pos
	p.pos++
	p.ws()
	var extras []string
	if end := matchIdentifier(p.src, p.pos); end >= 0 {
		extras = append(extras, p.src[p.pos:end])
		p.pos = end
		for {
			p.ws()
			if matchIdentifier(p.src, p.pos) >= 0 {
				return nil, p.fail("Expected comma between extra names")
			}
			if !p.at(',') {
				break
			}
			p.pos++
			p.ws()
			end := matchIdentifier(p.src, p.pos)
			if end < 0 {
				return nil, p.fail("Expected extra name after comma")
			}
			if x := p.src[p.pos:end]; !slices.Contains(extras, x) {
				extras = append(extras, x)
			}
			p.pos = end
		}
	}
	p.ws()
	if !p.at(']') {
		return nil, p.failSpan("Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras", open, p.pos)
	}
	p.pos++
	return extras, nil
}

// specifier = "(" WS? version_many WS? ")" | WS? version_many WS?
// version_many = (SPECIFIER (WS? "," WS? SPECIFIER)*)?
//
// Each clause comes back as operator+version with the whitespace between them removed.
func (p *parser) specifier() ([]string, error) {
	open := -1
	if p.at('(') {
		open = p.pos
		p.pos++
	}
	p.ws()
	var clauses []string
	for {
		start := p.pos
		end := matchSpecifier(p.src, p.pos)
		if end < 0 {
			// packaging reports a dangling operator as a missing semicolon; nothing can follow
			// an operator character legally here, so saying what is missing rejects no more.
			if op, j := matchOp(p.src, p.pos); j >= 0 {
				k := skipPySpace(p.src, j)
				reason := fmt.Sprintf("Expected version after %q", op)
				if op == "~=" && matchVersion(p.src, k, specOrdered) > k {
					reason = `Expected a version with two or more release segments after "~=" (such as ~=1.0)`
				}
				return nil, p.failSpan(reason, k, k)
			}
			break
		}
		text := p.src[start:end]
		p.pos = end
		if strings.HasPrefix(p.src[p.pos:], ".*") {
			if strings.HasPrefix(text, "==") || strings.HasPrefix(text, "!=") {
				return nil, p.failSpan(".* suffix cannot be used with pre-release, post-release, dev or local versions", start, p.pos+1)
			}
			return nil, p.failSpan(".* suffix can only be used with `==` or `!=` operators", start, p.pos+1)
		}
		if matchLocalTrail(p.src, p.pos) >= 0 {
			return nil, p.failSpan("Local version label can only be used with `==` or `!=` operators", start, p.pos)
		}
		op, ver := splitSpecifier(text)
		clauses = append(clauses, op+ver)
		p.ws()
		if !p.at(',') {
			break
		}
		p.pos++
		p.ws()
	}
	p.ws()
	if open >= 0 {
		if !p.at(')') {
			return nil, p.failSpan("Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier", open, p.pos)
		}
		p.pos++
	}
	return clauses, nil
}

// String is packaging's str(Requirement): extras sorted, the specifier set in its canonical
// order, and a space before the marker's semicolon after a URL so the URL does not swallow it.
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if len(r.Extras) > 0 {
		extras := slices.Clone(r.Extras)
		slices.Sort(extras)
		extras = slices.Compact(extras)
		b.WriteByte('[')
		b.WriteString(strings.Join(extras, ","))
		b.WriteByte(']')
	}
	b.WriteString(r.Specifier.String())
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
		if r.Marker != nil {
			b.WriteByte(' ')
		}
	}
	if r.Marker != nil {
		b.WriteString("; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}

// Key is the normalized project name, the identity a resolver works with.
func (r Requirement) Key() string { return NormalizeName(r.Name) }

// Equal is packaging's Requirement.__eq__: names and extras compare normalized, specifier sets
// as sets of clauses (==1.0 equals ==1.0.0), URL and marker as text.
func (r Requirement) Equal(o Requirement) bool {
	return r.Key() == o.Key() &&
		slices.Equal(normalizedSet(r.Extras), normalizedSet(o.Extras)) &&
		r.Specifier.Equal(o.Specifier) &&
		r.URL == o.URL &&
		r.Marker.Equal(o.Marker)
}

func normalizedSet(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = NormalizeName(n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
