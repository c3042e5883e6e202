// Package prune leaves packages out of a resolution: the ones the user names in exclude-packages (or the
// preset "runtime-provided"), and every dependency that only they needed. It never drops a package that
// a kept package, or one of the user's requirements, still needs. It is a pure function over the
// dependency graph: it reads no file and fetches nothing.
package prune

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// RuntimeProvided is the preset name for what every Lambda Python runtime ships.
const RuntimeProvided = "runtime-provided"

// runtimeNamed are dropped outright by the preset; runtimeDeps are what the runtime also ships, dropped
// only where nothing kept needs them, which is exactly what the dependency rule does for them.
var (
	runtimeNamed = []string{"boto3", "botocore"}
	runtimeDeps  = []string{"jmespath", "python-dateutil", "s3transfer", "six", "urllib3"}
)

var validName = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

// Node is one resolved package and its edges.
type Node struct {
	Name    string // normalized
	Version string
	// Requested is true when one of the user's requirements names it (a root of the graph).
	Requested bool
	// Deps are the names of the packages in the graph it depends on.
	Deps []string
	// WheelBytes is the size of its wheel file, 0 when unknown: what leaving it out saves, zipped.
	WheelBytes int64
}

// Dropped is a package left out, and why.
type Dropped struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Reason is "excluded" for a package the user named (or the preset stands for), "only needed by
	// excluded packages" for one that only dropped packages needed.
	Reason string `json:"reason"`
	// NeededBy are the dropped packages that needed it (for the second reason), sorted.
	NeededBy []string `json:"needed_by,omitempty"`
	// KeptDependents are kept packages that still need an excluded package: they will import the
	// runtime's copy, if it ships one. Sorted.
	KeptDependents []string `json:"kept_dependents,omitempty"`
	WheelBytes     int64    `json:"wheel_bytes,omitempty"`
}

// Result is the outcome of Apply.
type Result struct {
	Keep     []string  `json:"-"` // names kept, sorted
	Dropped  []Dropped `json:"dropped"`
	Warnings []string  `json:"warnings,omitempty"`
}

// Expand turns exclude-packages entries into normalized package names, replacing the preset by its
// members. An empty entry is an error.
func Expand(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "":
			return nil, fmt.Errorf("exclude-packages: empty name")
		case strings.EqualFold(n, RuntimeProvided):
			out = append(out, runtimeNamed...)
		default:
			if !validName.MatchString(n) {
				return nil, fmt.Errorf("exclude-packages: %q is not a package name (letters, digits, '.', '-', '_') or %q", n, RuntimeProvided)
			}
			out = append(out, wheel.NormalizeName(n))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Apply drops the packages named by exclude (entries as for Expand) from the graph and every package
// that only dropped packages need. A name the graph lacks is a warning, not an error: the requirements
// may simply not pull it in for this target.
func Apply(nodes []Node, exclude []string) (Result, error) {
	named, err := Expand(exclude)
	if err != nil {
		return Result{}, err
	}
	preset := slices.ContainsFunc(exclude, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), RuntimeProvided) })
	byName := make(map[string]*Node, len(nodes))
	for i := range nodes {
		byName[nodes[i].Name] = &nodes[i]
	}
	excluded := map[string]bool{}
	var res Result
	for _, n := range named {
		if byName[n] == nil {
			if !preset || !slices.Contains(runtimeNamed, n) {
				res.Warnings = append(res.Warnings, fmt.Sprintf("exclude-packages: %s is not in the resolution", n))
			}
			continue
		}
		excluded[n] = true
	}
	// Keep what the user's requirements reach without passing through an excluded package.
	kept := map[string]bool{}
	var stack []string
	for _, n := range nodes {
		if n.Requested && !excluded[n.Name] {
			stack = append(stack, n.Name)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if kept[n] || excluded[n] || byName[n] == nil {
			continue
		}
		kept[n] = true
		stack = append(stack, byName[n].Deps...)
	}
	// Drop what the excluded packages reach and nothing kept needs; a package neither kept nor reached
	// from an excluded one (only possible in a graph without roots, such as a cycle in a lock file)
	// stays: leaving out what nobody asked to leave out is never safe.
	doomed := map[string]bool{}
	for n := range excluded {
		stack = append(stack, n)
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if doomed[n] || kept[n] || byName[n] == nil {
			continue
		}
		doomed[n] = true
		stack = append(stack, byName[n].Deps...)
	}
	parents := map[string][]string{}
	for _, n := range nodes {
		for _, d := range n.Deps {
			parents[d] = append(parents[d], n.Name)
		}
	}
	var runtimeGone []string
	for _, n := range nodes {
		if !doomed[n.Name] {
			res.Keep = append(res.Keep, n.Name)
			continue
		}
		d := Dropped{Name: n.Name, Version: n.Version, WheelBytes: n.WheelBytes}
		for _, p := range parents[n.Name] {
			if kept[p] {
				d.KeptDependents = append(d.KeptDependents, p)
			} else {
				d.NeededBy = append(d.NeededBy, p)
			}
		}
		slices.Sort(d.NeededBy)
		slices.Sort(d.KeptDependents)
		d.NeededBy = slices.Compact(d.NeededBy)
		d.KeptDependents = slices.Compact(d.KeptDependents)
		if excluded[n.Name] {
			d.Reason = "excluded"
			if len(d.KeptDependents) > 0 {
				res.Warnings = append(res.Warnings, fmt.Sprintf("exclude-packages: %s is still needed by %s, which will import the copy the Lambda runtime ships, if it ships one",
					n.Name, strings.Join(d.KeptDependents, ", ")))
			}
		} else {
			d.Reason = "only needed by excluded packages"
			d.KeptDependents = nil
		}
		if slices.Contains(runtimeNamed, n.Name) || slices.Contains(runtimeDeps, n.Name) {
			runtimeGone = append(runtimeGone, n.Name)
		}
		res.Dropped = append(res.Dropped, d)
	}
	slices.Sort(res.Keep)
	slices.SortFunc(res.Dropped, func(a, b Dropped) int { return strings.Compare(a.Name, b.Name) })
	if len(res.Keep) == 0 && len(res.Dropped) > 0 {
		res.Warnings = append(res.Warnings, "exclude-packages leaves no package in the layer: the zip is empty")
	}
	if len(runtimeGone) > 0 {
		slices.Sort(runtimeGone)
		if len(runtimeGone) == 1 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the Lambda runtime's own %s now applies: its version varies by runtime and region", runtimeGone[0]))
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the Lambda runtime's own %s now apply: their versions vary by runtime and region", strings.Join(runtimeGone, ", ")))
		}
	}
	return res, nil
}

// Graph returns the nodes of a resolution: a package is requested when a user requirement selected
// it, and depends on the packages whose Via names it. A resolution of fully pinned requirements (a lock
// file) knows no edges; deps, when not nil, supplies them (name → dependency names, e.g. read from each
// wheel's Requires-Dist), and then a pinned package that another one depends on is taken as a
// dependency, not a root, as a lock file lists both.
func Graph(res *resolve.Result, deps map[string][]string) []Node {
	nodes := make([]Node, 0, len(res.Packages))
	idx := map[string]int{}
	for _, p := range res.Packages {
		idx[p.Name] = len(nodes)
		nodes = append(nodes, Node{Name: p.Name, Version: p.Version.String(), Requested: len(p.ViaReq) > 0, WheelBytes: p.File.Size})
	}
	for _, p := range res.Packages {
		for _, parent := range p.Via {
			if i, ok := idx[parent]; ok {
				nodes[i].Deps = append(nodes[i].Deps, p.Name)
			}
		}
	}
	if deps != nil {
		depended := map[string]bool{}
		for name, ds := range deps {
			i, ok := idx[name]
			if !ok {
				continue
			}
			for _, d := range ds {
				if _, ok := idx[d]; ok && d != name && !slices.Contains(nodes[i].Deps, d) {
					nodes[i].Deps = append(nodes[i].Deps, d)
					depended[d] = true
				}
			}
		}
		for i := range nodes {
			if depended[nodes[i].Name] && len(res.Packages[i].Via) == 0 {
				nodes[i].Requested = false
			}
		}
	}
	for i := range nodes {
		slices.Sort(nodes[i].Deps)
	}
	return nodes
}
