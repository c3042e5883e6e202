package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/license"
	"github.com/lambda-layers/lambda-layers/internal/mdtext"
)

// DeniedLicense is a package whose declared licence names an id of the policy's deny list.
type DeniedLicense struct {
	Package string   `json:"package"`
	Version string   `json:"version"`
	License string   `json:"license"`
	Denied  []string `json:"denied"`
	// Requirement is the user's requirement that brought the package in ("requirements.txt:3"), directly
	// or through its dependencies; "" when the report does not say.
	Requirement string `json:"requirement,omitempty"`
}

var originRE = regexp.MustCompile(`^.+:[0-9]+$`)

// deniedLicenses lists l's packages whose licence names a denied id.
func deniedLicenses(l Layer, deny []string) []DeniedLicense {
	if len(deny) == 0 {
		return nil
	}
	var out []DeniedLicense
	for _, p := range l.Packages {
		if ids := license.Denied(p.License, deny); len(ids) > 0 {
			out = append(out, DeniedLicense{Package: p.Name, Version: p.Version, License: p.License, Denied: ids, Requirement: requirementOf(l, p.Name)})
		}
	}
	return out
}

// requirementOf walks RequiredBy up from a package to the first user requirement ("file:line").
func requirementOf(l Layer, name string) string {
	by := map[string]Package{}
	for _, p := range l.Packages {
		by[p.Name] = p
	}
	seen := map[string]bool{}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		for _, r := range by[n].RequiredBy {
			if originRE.MatchString(r) && !strings.Contains(r, " ") {
				return r
			}
			parent, _, _ := strings.Cut(r, " ")
			queue = append(queue, normalize(parent))
		}
	}
	return ""
}

// DeniedWords is a denied licence as a check's finding.
func DeniedWords(d DeniedLicense) string {
	s := fmt.Sprintf("%s %s is licensed %s, which the deny list forbids (%s)", d.Package, d.Version, d.License, strings.Join(d.Denied, ", "))
	if d.Requirement != "" {
		s += "; it comes from " + d.Requirement
	}
	return s
}

// LicenseChanged reports whether any change in ds shows a licence worth a column: an existing
// package's licence changed, or a package arrived with a denied one.
func LicenseChanged(cs []PackageChange) bool {
	return slices.ContainsFunc(cs, func(c PackageChange) bool {
		return len(c.DeniedLicense) > 0 || (c.BaseVersion != "" && c.HeadVersion != "" && c.BaseLicense != c.HeadLicense)
	})
}

// markDenied sets DeniedLicense on the changes of packages the deny list forbids.
func markDenied(cs []PackageChange, denied []DeniedLicense) {
	for i := range cs {
		cs[i].DeniedLicense = nil
		for _, d := range denied {
			if d.Package == cs[i].Name && cs[i].Kind != ChangeRemoved {
				cs[i].DeniedLicense = d.Denied
			}
		}
	}
}

// LicenseCell is a change's licence in the dependency table: "MIT → GPL-3.0-only" when it changed,
// marked when the deny list forbids it.
func LicenseCell(c PackageChange) string {
	head := c.HeadLicense
	if c.Kind == ChangeRemoved {
		head = c.BaseLicense
	}
	s := mdtext.Text(cmpOr(head, "—"))
	if c.BaseVersion != "" && c.HeadVersion != "" && c.BaseLicense != c.HeadLicense {
		s = mdtext.Text(cmpOr(c.BaseLicense, "—")) + " → " + mdtext.Text(cmpOr(c.HeadLicense, "—"))
	}
	if len(c.DeniedLicense) > 0 {
		s = "⛔ " + s + " (denied)"
	}
	return s
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// RuntimeLabel names a layer's runtimes: "python3.12", or "python3.11+3.12" for one zip in the shared
// layout.
func RuntimeLabel(l Layer) string {
	if len(l.Runtimes) < 2 {
		return l.Runtime
	}
	parts := []string{l.Runtimes[0]}
	for _, r := range l.Runtimes[1:] {
		parts = append(parts, strings.TrimPrefix(r, "python"))
	}
	return strings.Join(parts, "+")
}
