package build

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/license"
	"github.com/lambda-layers/lambda-layers/internal/outfile"
	"github.com/lambda-layers/lambda-layers/internal/pep508"
	"github.com/lambda-layers/lambda-layers/internal/prune"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/sbom"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/version"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// prune leaves out what exclude-packages names, and what only those need, recording why in l.
func (b *layerBuild) prune(res resolved, t target.Target, l *report.Layer) (resolved, error) {
	if len(b.excludePkgs) == 0 {
		return res, nil
	}
	var deps map[string][]string
	if res.pinned {
		deps = metadataDeps(res.Result, t)
	}
	out, err := prune.Apply(prune.Graph(res.Result, deps), b.excludePkgs)
	if err != nil {
		return resolved{}, err
	}
	keep := map[string]bool{}
	for _, n := range out.Keep {
		keep[n] = true
	}
	kept := *res.Result
	kept.Packages = nil
	for _, p := range res.Packages {
		if keep[p.Name] {
			kept.Packages = append(kept.Packages, p)
		}
	}
	byName := map[string]*resolve.Package{}
	for _, p := range res.Packages {
		byName[p.Name] = p
	}
	for _, d := range out.Dropped {
		e := report.ExcludedPackage{Name: d.Name, Version: d.Version, Reason: d.Reason,
			NeededBy: d.NeededBy, KeptDependents: d.KeptDependents, WheelBytes: d.WheelBytes}
		// A wheel already in the cache tells what leaving it out saves, unzipped too; no download
		// is made for it otherwise.
		if p := byName[d.Name]; p != nil && b.cache != nil {
			if sha := p.File.Hashes["sha256"]; sha != "" && b.cache.HasWheel(sha) {
				if size, unzipped, err := wheelSizes(b.cache.WheelPath(sha)); err == nil {
					e.WheelBytes, e.UnzippedBytes = size, unzipped
				}
			}
		}
		l.ExcludedPackages = append(l.ExcludedPackages, e)
	}
	l.Warnings = append(l.Warnings, out.Warnings...)
	return resolved{&kept, res.pinned}, nil
}

// metadataDeps reads a lock's edges from its wheels' Requires-Dist (verifyPinned has read them), with
// markers evaluated for the target and the extras the lock asked for.
func metadataDeps(res *resolve.Result, t target.Target) map[string][]string {
	env := t.Env()
	deps := map[string][]string{}
	for _, p := range res.Packages {
		if p.Metadata == nil {
			continue
		}
		for _, line := range p.Metadata.RequiresDist {
			r, err := pep508.ParseRequirement(line)
			if err != nil {
				continue // verifyPinned already held the lock to its metadata
			}
			if r.Marker != nil {
				if ok, err := r.Marker.EvaluateExtras(env, p.Extras); err != nil || !ok {
					continue
				}
			}
			deps[p.Name] = append(deps[p.Name], r.Key())
		}
	}
	return deps
}

// sharedPlan is one zip under python/ for several runtimes of one architecture: the agreed
// resolution, and the report entry begun for it (what exclude-packages left out).
type sharedPlan struct {
	targets []target.Target
	res     resolved
	layer   report.Layer
}

// planShared finds, for each architecture whose targets span two or more runtimes, whether one zip
// under python/ can serve them: every wheel pure Python (py3-none-any) and the same resolution for
// each runtime. The plans map holds, by index in ts, the plan at a group's first target and nil at the
// others (served by it); notes say, by index, why a target that asked for the shared layout gets its
// own zip.
func (b *layerBuild) planShared(ctx context.Context, ts []target.Target) (map[int]*sharedPlan, map[int][]string) {
	plans, notes := map[int]*sharedPlan{}, map[int][]string{}
	groups := map[string][]int{}
	var arches []string
	for i, t := range ts {
		if groups[t.Arch] == nil {
			arches = append(arches, t.Arch)
		}
		groups[t.Arch] = append(groups[t.Arch], i)
	}
	for _, arch := range arches {
		idx := groups[arch]
		if len(idx) < 2 {
			continue // one runtime keeps the per-runtime layout
		}
		group := make([]target.Target, len(idx))
		for k, i := range idx {
			group[k] = ts[i]
		}
		sp, why := b.sharedPlan(ctx, group)
		if why != "" {
			for _, i := range idx {
				notes[i] = append(notes[i], "layout shared: built per runtime because "+why)
			}
			continue
		}
		plans[idx[0]] = sp
		for _, i := range idx[1:] {
			plans[i] = nil
		}
	}
	return plans, notes
}

// sharedPlan resolves for every target of one architecture and returns the plan when they agree on
// pure-Python wheels, or why not.
func (b *layerBuild) sharedPlan(ctx context.Context, ts []target.Target) (*sharedPlan, string) {
	sp := &sharedPlan{targets: ts, layer: b.base(ts[0])}
	for k, t := range ts {
		res, err := b.resolveFor(ctx, t)
		if err != nil {
			return nil, fmt.Sprintf("resolving for %s failed", t)
		}
		if !res.pinned {
			probe := b.base(t)
			if res, err = b.prune(res, t, &probe); err != nil {
				return nil, err.Error()
			}
			if k == 0 {
				sp.layer = probe
			}
		}
		for _, p := range res.Packages {
			if !pure(p.Wheel) {
				return nil, fmt.Sprintf("%s is not pure Python (%s)", p.Name, p.File.Filename)
			}
		}
		if k == 0 {
			sp.res = res
		} else if d := differ(sp.res.Result, res.Result); d != "" {
			return nil, fmt.Sprintf("the resolutions for %s and %s differ (%s)", ts[0].Name, t.Name, d)
		}
	}
	return sp, ""
}

// buildShared writes the one zip of a shared plan.
func (b *layerBuild) buildShared(ctx context.Context, sp *sharedPlan) report.Layer {
	var runtimes []string
	for _, t := range sp.targets {
		runtimes = append(runtimes, t.Name)
	}
	l := sp.layer
	l.Layout = "shared"
	l.Runtimes = runtimes
	// Said by Layout and Runtimes (the table's python3.11+3.12, the comment's details), not as a warning:
	// a layout the user asked for and got must not turn the check neutral or annotate every pull request.
	log := b.verbose(b.name + " " + strings.Join(runtimes, "+") + " " + sp.targets[0].Arch)
	log.phase("one shared zip: every wheel is pure Python and the resolutions agree")
	if err := b.install(ctx, sp.targets, &l, sp.res, output{prefix: "python/", runtime: "python3", runtimes: runtimes}, log); err != nil {
		f := b.failed(sp.targets[0], err)
		f.Layout, f.Runtimes = "shared", runtimes
		return f
	}
	return l
}

// pure reports whether every tag of a wheel is py3 (or py2.py3), ABI none, platform any.
func pure(f wheel.Filename) bool {
	py3 := false
	for _, t := range f.Tags {
		if t.ABI != "none" || t.Platform != "any" {
			return false
		}
		py3 = py3 || t.Python == "py3"
	}
	return py3
}

// differ says how two resolutions differ (package, version or wheel), or "".
func differ(a, b *resolve.Result) string {
	if len(a.Packages) != len(b.Packages) {
		return fmt.Sprintf("%d packages against %d", len(a.Packages), len(b.Packages))
	}
	for i, p := range a.Packages {
		q := b.Packages[i]
		if p.Name != q.Name || p.Version.String() != q.Version.String() || p.File.Filename != q.File.Filename {
			return fmt.Sprintf("%s %s against %s %s", p.Name, p.Version, q.Name, q.Version)
		}
	}
	return ""
}

// readLicenses reads each package's declared licence from its wheel's METADATA.
func readLicenses(inputs []layer.Input) (map[string]license.Info, error) {
	out := make(map[string]license.Info, len(inputs))
	for _, in := range inputs {
		data, err := in.Archive.Metadata()
		if err != nil {
			return nil, fmt.Errorf("reading the licence of %s: %w", in.Wheel, err)
		}
		md, err := wheel.ParseMetadata(data)
		if err != nil {
			return nil, fmt.Errorf("reading the licence of %s: %w", in.Wheel, err)
		}
		out[in.Name] = license.FromMetadata(md)
	}
	return out, nil
}

// writeSBOM writes NAME-RUNTIME-ARCH.cdx.json beside the zip, atomically, and returns its path.
func (b *layerBuild) writeSBOM(t target.Target, l *report.Layer, res resolved, paths []string, licenses map[string]license.Info, out output) (string, error) {
	children := map[string][]string{}
	for _, p := range res.Packages {
		for _, parent := range p.Via {
			children[parent] = append(children[parent], p.Name)
		}
	}
	if res.pinned {
		for name, ds := range metadataDeps(res.Result, t) {
			children[name] = append(children[name], ds...)
		}
	}
	depended := map[string]bool{}
	for _, ds := range children {
		for _, d := range ds {
			depended[d] = true
		}
	}
	pkgs := make([]sbom.Package, 0, len(res.Packages))
	for i, p := range res.Packages {
		sha := p.File.Hashes["sha256"]
		if sha == "" {
			var err error
			if sha, err = fileSHA256(paths[i]); err != nil {
				return "", err
			}
		}
		requested := len(p.ViaReq) > 0 && (!res.pinned || !depended[p.Name])
		pkgs = append(pkgs, sbom.Package{Name: p.Name, Version: p.Version.String(), Wheel: p.File.Filename, SHA256: sha,
			URL: p.URL, License: licenses[p.Name], Requested: requested, Deps: children[p.Name]})
	}
	name := sbom.Filename(b.name, out.runtime, t.Arch)
	path := filepath.Join(b.plan.Out, name)
	tmp, err := outfile.CreateTemp(b.plan.Out, ".sbom-*") // 0644: the next workflow step reads it
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = sbom.Write(tmp, sbom.Layer{Name: b.name, Runtime: t.Name, Architecture: t.Arch, Runtimes: out.runtimes,
		Zip: filepath.Base(l.Zip), SHA256: l.SHA256, CodeSHA256: l.CodeSHA256, Tool: version.Version}, pkgs)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// wheelSizes is a wheel file's size and the sum of its entries' uncompressed sizes.
func wheelSizes(path string) (size, unzipped int64, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, 0, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		unzipped += int64(f.UncompressedSize64)
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	return st.Size(), unzipped, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
