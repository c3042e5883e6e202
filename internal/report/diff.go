package report

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/pep440"
)

// Layer statuses in a Diff.
const (
	LayerNew        = "new"         // no such layer and target at the base
	LayerRemoved    = "removed"     // at the base, not any more
	LayerChanged    = "changed"     // built at both, with different packages or sizes
	LayerUnchanged  = "unchanged"   // built at both, same packages and sizes
	LayerFailed     = "failed"      // the head did not build: no comparison
	LayerBaseFailed = "base-failed" // the base did not build: no comparison
)

// Package change kinds.
const (
	ChangeAdded      = "added"
	ChangeRemoved    = "removed"
	ChangeUpgraded   = "upgraded"
	ChangeDowngraded = "downgraded"
	ChangeRebuilt    = "rebuilt" // same version, another wheel or size
)

// Diff compares a report with the one of its base revision.
type Diff struct {
	BaseRef string `json:"base_ref,omitempty"`
	BaseSHA string `json:"base_sha,omitempty"`
	// Unavailable says why there is no comparison (the base commit is not in a shallow clone, …);
	// Layers is then empty. Renderers show it instead of deltas.
	Unavailable string      `json:"unavailable,omitempty"`
	Layers      []LayerDiff `json:"layers"`
}

// LayerDiff is one layer and target, head against base.
type LayerDiff struct {
	Name              string `json:"name"`
	Runtime           string `json:"runtime"`
	Architecture      string `json:"architecture"`
	Status            string `json:"status"`
	BaseZippedBytes   int64  `json:"base_zipped_bytes"`
	BaseUnzippedBytes int64  `json:"base_unzipped_bytes"`
	ZippedDelta       int64  `json:"zipped_delta"`
	UnzippedDelta     int64  `json:"unzipped_delta"`
	BasePackages      int    `json:"base_packages"`
	// Changes are the packages that differ, biggest unzipped change first.
	Changes []PackageChange `json:"changes,omitempty"`
	// Causes group the changes by the package that brought them: an added package with the
	// dependencies that came with it, biggest first.
	Causes    []Cause  `json:"causes,omitempty"`
	BaseError *Failure `json:"base_error,omitempty"`
}

// PackageChange is one package that differs between base and head.
type PackageChange struct {
	Name              string `json:"name"`
	Kind              string `json:"kind"`
	BaseVersion       string `json:"base_version,omitempty"`
	HeadVersion       string `json:"head_version,omitempty"`
	BaseUnzippedBytes int64  `json:"base_unzipped_bytes"`
	HeadUnzippedBytes int64  `json:"head_unzipped_bytes"`
	ZippedDelta       int64  `json:"zipped_delta"`
	UnzippedDelta     int64  `json:"unzipped_delta"`
	// Cause is the changed package this one came or went with; "" when it is a cause itself.
	Cause string `json:"cause,omitempty"`
	// BaseLicense and HeadLicense are the declared licences (SPDX); DeniedLicense are the ids of the
	// head's licence that the policy denies (Evaluate with a deny list, then Compare).
	BaseLicense   string   `json:"base_license,omitempty"`
	HeadLicense   string   `json:"head_license,omitempty"`
	DeniedLicense []string `json:"denied_license,omitempty"`
}

// Cause is a change that explains others: "boto3 was added, with botocore, s3transfer and jmespath".
type Cause struct {
	Package     string   `json:"package"`
	Kind        string   `json:"kind"`
	BaseVersion string   `json:"base_version,omitempty"`
	HeadVersion string   `json:"head_version,omitempty"`
	With        []string `json:"with,omitempty"`
	// RequiredBy names the unchanged packages that pulled an added package in ("hello-lambda 1.0.0"),
	// from the head's required_by (a lock's chain): empty when the user's own file asks for it.
	RequiredBy []string `json:"required_by,omitempty"`
	// UnzippedDelta is the package's own change and that of the packages With it.
	UnzippedDelta int64 `json:"unzipped_delta"`
}

func key(name, runtime, arch string) string { return name + "\x00" + runtime + "\x00" + arch }

// Layer returns the comparison of one layer and target, or nil.
func (d *Diff) Layer(name, runtime, arch string) *LayerDiff {
	if d == nil {
		return nil
	}
	for i := range d.Layers {
		l := &d.Layers[i]
		if l.Name == name && l.Runtime == runtime && l.Architecture == arch {
			return l
		}
	}
	return nil
}

// Compare compares cur with base, layer by layer and target by target (the head's order, then
// layers only the base has). A nil base gives a nil Diff.
func Compare(cur, base *Report) *Diff {
	if base == nil {
		return nil
	}
	d := &Diff{BaseSHA: base.Revision, Layers: []LayerDiff{}}
	baseBy := map[string]*Layer{}
	for i := range base.Layers {
		l := &base.Layers[i]
		baseBy[key(l.Name, l.Runtime, l.Architecture)] = l
	}
	seen := map[string]bool{}
	for i := range cur.Layers {
		h := &cur.Layers[i]
		k := key(h.Name, h.Runtime, h.Architecture)
		seen[k] = true
		d.Layers = append(d.Layers, compareLayer(h, baseBy[k]))
	}
	for i := range base.Layers {
		b := &base.Layers[i]
		if seen[key(b.Name, b.Runtime, b.Architecture)] {
			continue
		}
		ld := LayerDiff{Name: b.Name, Runtime: b.Runtime, Architecture: b.Architecture, Status: LayerRemoved,
			BaseZippedBytes: b.ZippedBytes, BaseUnzippedBytes: b.UnzippedBytes, BasePackages: len(b.Packages),
			ZippedDelta: -b.ZippedBytes, UnzippedDelta: -b.UnzippedBytes, BaseError: b.Error}
		d.Layers = append(d.Layers, ld)
	}
	return d
}

func compareLayer(h, b *Layer) LayerDiff {
	ld := LayerDiff{Name: h.Name, Runtime: h.Runtime, Architecture: h.Architecture}
	switch {
	case b == nil:
		ld.Status = LayerNew
		ld.ZippedDelta, ld.UnzippedDelta = h.ZippedBytes, h.UnzippedBytes
		if h.Error != nil {
			ld.ZippedDelta, ld.UnzippedDelta = 0, 0
		}
		return ld
	case h.Error != nil:
		ld.Status = LayerFailed
		ld.BaseZippedBytes, ld.BaseUnzippedBytes, ld.BasePackages = b.ZippedBytes, b.UnzippedBytes, len(b.Packages)
		ld.BaseError = b.Error
		return ld
	case b.Error != nil:
		ld.Status = LayerBaseFailed
		ld.BaseError = b.Error
		return ld
	}
	ld.BaseZippedBytes, ld.BaseUnzippedBytes, ld.BasePackages = b.ZippedBytes, b.UnzippedBytes, len(b.Packages)
	ld.ZippedDelta, ld.UnzippedDelta = h.ZippedBytes-b.ZippedBytes, h.UnzippedBytes-b.UnzippedBytes
	ld.Changes = packageChanges(h.Packages, b.Packages)
	markDenied(ld.Changes, h.DeniedLicenses)
	ld.Status = LayerUnchanged
	if len(ld.Changes) > 0 || ld.ZippedDelta != 0 || ld.UnzippedDelta != 0 {
		ld.Status = LayerChanged
	}
	ld.Causes = causes(ld.Changes, h.Packages, b.Packages)
	return ld
}

func packageChanges(head, base []Package) []PackageChange {
	baseBy := map[string]Package{}
	for _, p := range base {
		baseBy[p.Name] = p
	}
	var out []PackageChange
	inHead := map[string]bool{}
	for _, h := range head {
		inHead[h.Name] = true
		b, ok := baseBy[h.Name]
		c := PackageChange{Name: h.Name, HeadVersion: h.Version, HeadUnzippedBytes: h.UnzippedBytes,
			ZippedDelta: h.ZippedBytes, UnzippedDelta: h.UnzippedBytes, Kind: ChangeAdded, HeadLicense: h.License}
		if ok {
			c.BaseVersion, c.BaseUnzippedBytes, c.BaseLicense = b.Version, b.UnzippedBytes, b.License
			c.ZippedDelta -= b.ZippedBytes
			c.UnzippedDelta -= b.UnzippedBytes
			switch v := compareVersions(h.Version, b.Version); {
			case v > 0:
				c.Kind = ChangeUpgraded
			case v < 0:
				c.Kind = ChangeDowngraded
			case h.Wheel != b.Wheel || c.ZippedDelta != 0 || c.UnzippedDelta != 0 || h.License != b.License:
				c.Kind = ChangeRebuilt
			default:
				continue
			}
		}
		out = append(out, c)
	}
	for _, b := range base {
		if !inHead[b.Name] {
			out = append(out, PackageChange{Name: b.Name, Kind: ChangeRemoved, BaseVersion: b.Version, BaseLicense: b.License,
				BaseUnzippedBytes: b.UnzippedBytes, ZippedDelta: -b.ZippedBytes, UnzippedDelta: -b.UnzippedBytes})
		}
	}
	slices.SortStableFunc(out, func(x, y PackageChange) int {
		if c := cmp.Compare(abs(y.UnzippedDelta), abs(x.UnzippedDelta)); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	})
	return out
}

func compareVersions(a, b string) int {
	if a == b {
		return 0
	}
	va, errA := pep440.Parse(a)
	vb, errB := pep440.Parse(b)
	if errA != nil || errB != nil {
		return strings.Compare(a, b)
	}
	return va.Compare(vb)
}

// dependencyOrigin is a resolver origin naming a package ("boto3 1.35.0"), not a requirements file
// line ("requirements.txt:3"): versions and normalized names hold neither ':' nor '/'.
var dependencyOrigin = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*) [^\s:/\\]+$`)

// parents are the packages that required p; direct is whether a requirements file did.
func parents(p Package) (names []string, direct bool) {
	for _, o := range p.RequiredBy {
		if m := dependencyOrigin.FindStringSubmatch(o); m != nil {
			names = append(names, normalize(m[1]))
		} else {
			direct = true
		}
	}
	slices.Sort(names)
	return names, direct
}

var sepRE = regexp.MustCompile(`[-_.]+`)

func normalize(name string) string { return strings.ToLower(sepRE.ReplaceAllString(name, "-")) }

// causes attributes each change to the change that brought it: an added package required only by
// other changed packages came with them; a removed one went with the packages that required it at
// the base. Everything else is a cause of its own.
func causes(changes []PackageChange, head, base []Package) []Cause {
	if len(changes) == 0 {
		return nil
	}
	byName := map[string]int{}
	for i, c := range changes {
		byName[normalize(c.Name)] = i
	}
	headBy, baseBy := map[string]Package{}, map[string]Package{}
	for _, p := range head {
		headBy[normalize(p.Name)] = p
	}
	for _, p := range base {
		baseBy[normalize(p.Name)] = p
	}
	// parentOf is the changed package a change came or went with, or -1.
	parentOf := func(i int) int {
		c := changes[i]
		var ps []string
		var direct bool
		switch c.Kind {
		case ChangeAdded:
			ps, direct = parents(headBy[normalize(c.Name)])
		case ChangeRemoved:
			ps, direct = parents(baseBy[normalize(c.Name)])
		default:
			return -1
		}
		if direct {
			return -1
		}
		for _, p := range ps {
			j, ok := byName[p]
			if !ok || j == i {
				continue
			}
			k := changes[j].Kind
			if c.Kind == ChangeAdded && k != ChangeRemoved || c.Kind == ChangeRemoved && k != ChangeAdded {
				return j
			}
		}
		return -1
	}
	root := make([]int, len(changes))
	for i := range changes {
		path, pos, r := []int{i}, map[int]int{i: 0}, i
		for {
			p := parentOf(r)
			if p < 0 {
				break
			}
			if k, ok := pos[p]; ok { // a cycle: its smallest member is the root, whoever walks in
				r = slices.Min(path[k:])
				break
			}
			pos[p] = len(path)
			path = append(path, p)
			r = p
		}
		root[i] = r
	}
	var out []Cause
	at := map[int]int{}
	for i, c := range changes {
		if root[i] == i {
			at[i] = len(out)
			cause := Cause{Package: c.Name, Kind: c.Kind, BaseVersion: c.BaseVersion, HeadVersion: c.HeadVersion}
			if c.Kind == ChangeAdded {
				if hp := headBy[normalize(c.Name)]; len(hp.RequiredBy) > 0 {
					if _, direct := parents(hp); !direct {
						cause.RequiredBy = hp.RequiredBy
					}
				}
			}
			out = append(out, cause)
		}
	}
	for i, c := range changes {
		ci := at[root[i]]
		out[ci].UnzippedDelta += c.UnzippedDelta
		if root[i] != i {
			out[ci].With = append(out[ci].With, c.Name)
			changes[i].Cause = changes[root[i]].Name
		}
	}
	slices.SortStableFunc(out, func(x, y Cause) int {
		if c := cmp.Compare(abs(y.UnzippedDelta), abs(x.UnzippedDelta)); c != 0 {
			return c
		}
		return strings.Compare(x.Package, y.Package)
	})
	return out
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
