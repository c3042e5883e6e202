// Package license reads a Python distribution's licence from its core metadata as an SPDX expression:
// PEP 639's License-Expression first, then the License field when it is one, then the "License ::"
// trove classifiers mapped to SPDX ids. It joins the licences of a layer into one expression and checks
// them against a deny list. It reads only metadata already parsed: no file, network or licence-text
// guessing.
package license

import (
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"

	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// Sources of a licence.
const (
	SourceExpression = "License-Expression"
	SourceLicense    = "License"
	SourceClassifier = "classifier"
)

// Info is a package's licence as its metadata states it.
type Info struct {
	// Expression is a valid SPDX expression in normalized spelling, "" when the metadata gives none.
	Expression string `json:"expression,omitempty"`
	// Name is what the metadata says when it is no SPDX expression (a License field or a classifier
	// without an SPDX id), trimmed to its first line and 100 characters; "" when Expression is set.
	Name string `json:"name,omitempty"`
	// Source is where it was found: SourceExpression, SourceLicense, SourceClassifier, or "".
	Source string `json:"source,omitempty"`
}

// Known reports whether the metadata named a licence at all.
func (i Info) Known() bool { return i.Expression != "" || i.Name != "" }

// SPDX returns the licence as an SPDX expression: Expression, else a LicenseRef- made from Name, else
// "NOASSERTION".
func (i Info) SPDX() string {
	switch {
	case i.Expression != "":
		return i.Expression
	case i.Name != "":
		return "LicenseRef-" + refID(i.Name)
	}
	return "NOASSERTION"
}

// FromMetadata returns the licence m declares.
func FromMetadata(m wheel.Metadata) Info {
	if e, ok := normalize(m.LicenseExpression); ok {
		return Info{Expression: e, Source: SourceExpression}
	}
	if e, ok := normalize(m.License); ok {
		return Info{Expression: e, Source: SourceLicense}
	}
	if e, ok := normalize(aliases[strings.ToLower(strings.TrimSpace(m.License))]); ok {
		return Info{Expression: e, Source: SourceLicense}
	}
	var ids, names []string
	for _, c := range m.Classifiers {
		rest, ok := strings.CutPrefix(c, "License ::")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if id, ok := classifiers[rest]; ok {
			ids = append(ids, id)
		} else if rest != "OSI Approved" {
			if i := strings.LastIndex(rest, "::"); i >= 0 {
				rest = rest[i+2:]
			}
			names = append(names, rest)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch {
	case len(ids) > 0:
		// Several licence classifiers conventionally mean a choice (e.g. "Apache-2.0 OR BSD-3-Clause").
		return Info{Expression: strings.Join(ids, " OR "), Source: SourceClassifier}
	case strings.TrimSpace(m.License) != "" && !strings.EqualFold(strings.TrimSpace(m.License), "UNKNOWN"):
		return Info{Name: firstLine(m.License), Source: SourceLicense}
	case len(names) > 0:
		return Info{Name: strings.TrimSpace(names[0]), Source: SourceClassifier}
	}
	return Info{}
}

// normalize returns s as a valid SPDX expression in the list's spelling.
func normalize(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 512 || strings.ContainsAny(s, "\n\r") {
		return "", false
	}
	norm, invalid := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{s}, spdxexp.ValidateLicensesOptions{})
	if len(invalid) > 0 || len(norm) != 1 {
		return "", false
	}
	if _, err := spdxexp.ExtractLicenses(s); err != nil {
		return "", false
	}
	// A compound expression is kept as written (the normalizer returns only single ids re-spelled).
	if strings.ContainsAny(s, " ()") {
		return s, true
	}
	return norm[0], true
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100]) + "…"
	}
	return s
}

// refID makes an SPDX idstring ([A-Za-z0-9.-]+) from free text.
func refID(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.')
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if id == "" {
		return "unknown"
	}
	return id
}

// ValidID reports whether id is one SPDX licence id (a listed one, deprecated ones included, or a
// LicenseRef-).
func ValidID(id string) bool {
	if id == "" || strings.ContainsAny(id, " ()") {
		return false
	}
	if r, ok := strings.CutPrefix(id, "LicenseRef-"); ok {
		return r != "" && refID(r) == r
	}
	ok, _ := spdxexp.ValidateLicenses([]string{id})
	return ok
}

// IDs returns the licence ids an expression names (LicenseRef- ones included), sorted; nil when it does
// not parse.
func IDs(expr string) []string {
	ids, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return nil
	}
	slices.Sort(ids)
	return ids
}

// Denied returns the ids of expr found in deny (compared case-insensitively), sorted. It is deliberately
// conservative: an id named anywhere in the expression counts, even in one branch of an OR, because a
// deny list is a review trigger and the reviewer can judge the choice.
func Denied(expr string, deny []string) []string {
	if len(deny) == 0 {
		return nil
	}
	var out []string
	for _, id := range IDs(expr) {
		for _, d := range deny {
			if strings.EqualFold(id, strings.TrimSpace(d)) {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// Join returns one SPDX expression for a set of packages' licences: the distinct expressions, sorted,
// each compound one in parentheses, joined with " AND ".
func Join(exprs []string) string {
	var parts []string
	for _, e := range exprs {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, " ") && !(strings.HasPrefix(e, "(") && strings.HasSuffix(e, ")")) {
			e = "(" + e + ")"
		}
		parts = append(parts, e)
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), " AND ")
}

// Cut returns s when it is at most max characters (runes), else the longest prefix of whole " AND "
// terms that fits with "… " + more appended (more points at the full list, e.g. "see app.cdx.json").
func Cut(s string, max int, more string) string {
	if len([]rune(s)) <= max {
		return s
	}
	tail := " AND … " + more
	terms := strings.Split(s, " AND ")
	out := ""
	for _, t := range terms {
		next := t
		if out != "" {
			next = out + " AND " + t
		}
		if len([]rune(next))+len([]rune(tail)) > max {
			break
		}
		out = next
	}
	if out == "" {
		r := []rune("… " + more)
		if len(r) > max {
			r = r[:max]
		}
		return string(r)
	}
	return out + tail
}

// aliases maps License field values that are common but not SPDX ids (lower-cased) to SPDX ids.
var aliases = map[string]string{
	"mit license":                 "MIT",
	"the mit license":             "MIT",
	"apache 2.0":                  "Apache-2.0",
	"apache-2":                    "Apache-2.0",
	"apache 2":                    "Apache-2.0",
	"apache license 2.0":          "Apache-2.0",
	"apache license, version 2.0": "Apache-2.0",
	"apache software license":     "Apache-2.0",
	"apache software license 2.0": "Apache-2.0",
	"bsd-3":                       "BSD-3-Clause",
	"3-clause bsd":                "BSD-3-Clause",
	"bsd 3-clause":                "BSD-3-Clause",
	"new bsd":                     "BSD-3-Clause",
	"new bsd license":             "BSD-3-Clause",
	"modified bsd":                "BSD-3-Clause",
	"bsd-2":                       "BSD-2-Clause",
	"2-clause bsd":                "BSD-2-Clause",
	"simplified bsd":              "BSD-2-Clause",
	"mpl 2.0":                     "MPL-2.0",
	"mpl-2":                       "MPL-2.0",
	"psf":                         "PSF-2.0",
	"psf license":                 "PSF-2.0",
	"gplv3":                       "GPL-3.0-only",
	"gplv2":                       "GPL-2.0-only",
	"lgplv3":                      "LGPL-3.0-only",
	"agplv3":                      "AGPL-3.0-only",
}

// classifiers maps the trove classifiers after "License ::" that name one SPDX licence. Ambiguous ones
// ("OSI Approved :: BSD License", "… :: Artistic License") are left out: they become a Name instead.
var classifiers = map[string]string{
	"OSI Approved :: MIT License":                                             "MIT",
	"OSI Approved :: MIT No Attribution License (MIT-0)":                      "MIT-0",
	"OSI Approved :: Apache Software License":                                 "Apache-2.0",
	"OSI Approved :: ISC License (ISCL)":                                      "ISC",
	"OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":                    "MPL-2.0",
	"OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)":                    "MPL-1.1",
	"OSI Approved :: Mozilla Public License 1.0 (MPL)":                        "MPL-1.0",
	"OSI Approved :: GNU General Public License v2 (GPLv2)":                   "GPL-2.0-only",
	"OSI Approved :: GNU General Public License v2 or later (GPLv2+)":         "GPL-2.0-or-later",
	"OSI Approved :: GNU General Public License v3 (GPLv3)":                   "GPL-3.0-only",
	"OSI Approved :: GNU General Public License v3 or later (GPLv3+)":         "GPL-3.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)":           "LGPL-2.0-only",
	"OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)":           "LGPL-3.0-only",
	"OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
	"OSI Approved :: GNU Affero General Public License v3":                    "AGPL-3.0-only",
	"OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
	"OSI Approved :: Python Software Foundation License":                      "PSF-2.0",
	"OSI Approved :: The Unlicense (Unlicense)":                               "Unlicense",
	"OSI Approved :: zlib/libpng License":                                     "Zlib",
	"OSI Approved :: Boost Software License 1.0 (BSL-1.0)":                    "BSL-1.0",
	"OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)":                    "EPL-1.0",
	"OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)":                    "EPL-2.0",
	"OSI Approved :: Universal Permissive License (UPL)":                      "UPL-1.0",
	"OSI Approved :: Historical Permission Notice and Disclaimer (HPND)":      "HPND",
	"OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)":            "EUPL-1.2",
	"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication":                    "CC0-1.0",
}
