package wheel

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Metadata is the part of a distribution's core metadata that resolving and reporting need.
type Metadata struct {
	MetadataVersion string
	Name, Version   string
	RequiresPython  string   // raw specifier text, "" if none
	RequiresDist    []string // raw PEP 508 lines, in order
	ProvidesExtra   []string // raw, in order
	// LicenseExpression is PEP 639's License-Expression (an SPDX expression, as written), "" if none.
	LicenseExpression string
	// License is the free-text License field, unfolded and trimmed, "" if none.
	License string
	// Classifiers are the Classifier fields, in order (licences are read from "License :: …" ones).
	Classifiers []string
}

// MetadataError reports core metadata that cannot be used.
type MetadataError struct {
	Line   int // 1-based; 0 when the problem is not tied to a line
	Reason string
}

func (e *MetadataError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("parsing metadata: line %d: %s", e.Line, e.Reason)
	}
	return "parsing metadata: " + e.Reason
}

// ParseMetadata parses RFC 822-style core metadata (METADATA, PKG-INFO or a PEP 658 file). Header lines are
// unfolded (a line starting with a space or tab continues the previous one); everything after the first
// blank line is the description body and is ignored, so it may be in any encoding. The header must be
// UTF-8. A line that is neither a header nor a continuation is an error rather than the start of the body,
// as Python's email parser would take it: silently losing the Requires-Dist lines after it is worse.
func ParseMetadata(data []byte) (Metadata, error) {
	var m Metadata
	type field struct {
		key   string
		parts []string // the value and its continuation lines, joined when unfolding
		line  int
	}
	var fields []field
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a BOM from a Windows editor is not part of a key
	lineNo := 0
	inHeader := false // a header line was seen, so continuation lines are legal
	cur := -1         // index in fields of the field continuation lines extend; -1 for ignored fields
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		lineNo++
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // start of the body
		}
		if !utf8.Valid(line) {
			return Metadata{}, &MetadataError{lineNo, "header is not valid UTF-8"}
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !inHeader {
				return Metadata{}, &MetadataError{lineNo, "continuation line before any header"}
			}
			// RFC 5322 unfolding: drop the line break, keep the whitespace. Only kept fields collect
			// their continuations, so a long folded Description costs nothing.
			if cur >= 0 {
				fields[cur].parts = append(fields[cur].parts, string(line))
			}
			continue
		}
		key, value, ok := strings.Cut(string(line), ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return Metadata{}, &MetadataError{lineNo, fmt.Sprintf("not a header line: %q", truncate(string(line), 60))}
		}
		inHeader, cur = true, -1
		switch key = strings.ToLower(key); key {
		case "metadata-version", "name", "version", "requires-python", "requires-dist", "provides-extra",
			"license-expression", "license", "classifier":
			cur = len(fields)
			fields = append(fields, field{key, []string{value}, lineNo})
		}
	}
	seen := map[string]int{}
	for _, f := range fields {
		v := strings.TrimSpace(strings.Join(f.parts, ""))
		key := f.key
		single := func(dst *string) error {
			if prev, dup := seen[key]; dup {
				return &MetadataError{f.line, fmt.Sprintf("second %s field (first on line %d)", key, prev)}
			}
			seen[key] = f.line
			*dst = v
			return nil
		}
		var err error
		switch key {
		case "metadata-version":
			err = single(&m.MetadataVersion)
		case "name":
			err = single(&m.Name)
		case "version":
			err = single(&m.Version)
		case "requires-python":
			err = single(&m.RequiresPython)
		case "requires-dist":
			if v != "" { // an empty line would only fail later, in the requirement parser
				m.RequiresDist = append(m.RequiresDist, v)
			}
		case "provides-extra":
			if v != "" {
				m.ProvidesExtra = append(m.ProvidesExtra, v)
			}
		case "license-expression":
			err = single(&m.LicenseExpression)
		case "license":
			// Some build backends write License twice (setup.cfg and classifiers); the first is kept
			// rather than failing a whole build over a field we only report.
			if m.License == "" {
				m.License = v
			}
		case "classifier":
			if v != "" {
				m.Classifiers = append(m.Classifiers, v)
			}
		}
		if err != nil {
			return Metadata{}, err
		}
	}
	if m.Name == "" {
		return Metadata{}, &MetadataError{Reason: "missing Name"}
	}
	if m.Version == "" {
		return Metadata{}, &MetadataError{Reason: "missing Version"}
	}
	return m, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the message stays valid UTF-8.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
