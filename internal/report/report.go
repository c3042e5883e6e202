// Package report turns build results into what people and tools read: the JSON report (the contract
// other tools rely on), Lambda quota and budget checks, the comparison with a base revision, the
// Markdown for a pull request comment and a job summary, and the terminal table.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/outfile"
)

// Lambda's limits (MB = MiB; AWS's own error text says 262144000 bytes for 250 MB).
const (
	LimitZippedDirect int64 = 50 << 20    // PublishLayerVersion Content.ZipFile
	LimitUnzipped     int64 = 262_144_000 // function code + all its layers
	DefaultWarnRatio        = 0.8         // a quota at or above this share of its limit warns
)

// Quota states.
const (
	StateOK       = "ok"
	StateWarn     = "warn"
	StateExceeded = "exceeded"
)

// Report is report.json. Fields after Layers are filled by Evaluate and the report command; they are
// omitted when empty, so a build's report.json keeps its shape.
type Report struct {
	Layers []Layer `json:"layers"`
	// Revision is the git commit the requirements were read at, when they were read from git (the
	// base of a comparison).
	Revision string `json:"revision,omitempty"`
	// Functions are the checks of the policy's functions (Evaluate).
	Functions []FunctionUsage `json:"functions,omitempty"`
	// Policy is the policy the quotas were evaluated with (Evaluate).
	Policy *Policy `json:"policy,omitempty"`
	// Diff is the comparison with the base revision, when the report command made one.
	Diff *Diff `json:"diff,omitempty"`
	// Cache is what the build took from the cache and what it downloaded (cache.go).
	Cache *CacheUse `json:"cache,omitempty"`
}

// Layer is one built (or failed) layer for one target.
type Layer struct {
	Name          string    `json:"name"`
	Runtime       string    `json:"runtime"`
	Architecture  string    `json:"architecture"`
	Zip           string    `json:"zip,omitempty"`
	SHA256        string    `json:"sha256,omitempty"`
	CodeSHA256    string    `json:"code_sha256,omitempty"`
	ZippedBytes   int64     `json:"zipped_bytes"`
	UnzippedBytes int64     `json:"unzipped_bytes"`
	Files         int       `json:"files"`
	Packages      []Package `json:"packages"`
	Quotas        []Quota   `json:"quotas"`
	// Requirements are the requirements files read, in order (for change detection and annotations).
	Requirements []string   `json:"requirements,omitempty"`
	Dropped      []Dropped  `json:"dropped,omitempty"`
	Conflicts    []Conflict `json:"conflicts,omitempty"`
	// Layout is "shared" when one zip under python/ serves every runtime in Runtimes; "" is the
	// per-runtime layout (python/lib/pythonX.Y/site-packages/).
	Layout   string   `json:"layout,omitempty"`
	Runtimes []string `json:"runtimes,omitempty"`
	// SBOM is the CycloneDX 1.6 JSON file written beside the zip (NAME-RUNTIME-ARCH.cdx.json).
	SBOM string `json:"sbom,omitempty"`
	// ExcludedPackages are the packages exclude-packages left out, and why.
	ExcludedPackages []ExcludedPackage `json:"excluded_packages,omitempty"`
	// Excluded is what each exclude glob removed, in config order.
	Excluded []ExcludeRule `json:"excluded,omitempty"`
	// DeniedLicenses are packages whose licence the policy's deny list forbids (Evaluate).
	DeniedLicenses []DeniedLicense `json:"denied_licenses,omitempty"`
	Warnings       []string        `json:"warnings,omitempty"`
	// Error is set when the layer could not be built; the other fields are then mostly empty.
	Error *Failure `json:"error,omitempty"`
}

// Package is one installed distribution.
type Package struct {
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Wheel         string   `json:"wheel"`
	ZippedBytes   int64    `json:"zipped_bytes"`
	UnzippedBytes int64    `json:"unzipped_bytes"`
	Files         int      `json:"files"`
	RequiredBy    []string `json:"required_by,omitempty"`
	// License is the SPDX expression the package's METADATA declares (License-Expression, License or
	// classifiers), a LicenseRef- for free text, or "" when it declares none.
	License string `json:"license,omitempty"`
}

// ExcludedPackage is a package exclude-packages left out of a layer.
type ExcludedPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Reason is "excluded" (named, or in the runtime-provided preset) or "only needed by excluded
	// packages".
	Reason         string   `json:"reason"`
	NeededBy       []string `json:"needed_by,omitempty"`
	KeptDependents []string `json:"kept_dependents,omitempty"`
	// WheelBytes is the size of the wheel not installed, and UnzippedBytes what it holds: what leaving
	// it out saves (0 when unknown: the index gave no size and the wheel is not in the cache).
	WheelBytes    int64 `json:"wheel_bytes,omitempty"`
	UnzippedBytes int64 `json:"unzipped_bytes,omitempty"`
}

// ExcludeRule is what one exclude glob removed.
type ExcludeRule struct {
	Pattern       string `json:"pattern"`
	Origin        string `json:"origin,omitempty"`
	Files         int    `json:"files"`
	UnzippedBytes int64  `json:"unzipped_bytes"`
	ZippedBytes   int64  `json:"zipped_bytes"`
	// Packages is the same per package, sorted by name.
	Packages []ExcludedFiles `json:"packages,omitempty"`
}

// ExcludedFiles is what one exclude glob removed from one package.
type ExcludedFiles struct {
	Name          string `json:"name"`
	Files         int    `json:"files"`
	UnzippedBytes int64  `json:"unzipped_bytes"`
	ZippedBytes   int64  `json:"zipped_bytes"`
}

// Quota is one limit checked.
type Quota struct {
	Name       string `json:"name"`
	LimitBytes int64  `json:"limit_bytes"`
	UsedBytes  int64  `json:"used_bytes"`
	State      string `json:"state"`
	// Blocking is false for limits that change how to publish rather than whether it can be:
	// a zip over 50 MB still publishes, through S3.
	Blocking bool   `json:"blocking"`
	Note     string `json:"note,omitempty"`
	// Unit is set for a limit that is not in bytes ("layers": the 5 layers of a function); Limit and
	// Used then hold the counts, and LimitBytes and UsedBytes are 0.
	Unit  string `json:"unit,omitempty"`
	Limit int64  `json:"limit,omitempty"`
	Used  int64  `json:"used,omitempty"`
	// Biggest names the layer's biggest packages, by the quota's measure (zipped or unzipped), when a
	// blocking quota is exceeded: what to move or leave out.
	Biggest []PackageSize `json:"biggest,omitempty"`
}

// PackageSize is one package's share of a layer.
type PackageSize struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Bytes   int64  `json:"bytes"`
}

// biggestCount is how many packages an exceeded quota names.
const biggestCount = 5

// CheckQuotas sets l.Quotas to Lambda's limits for its sizes (Quotas), naming the biggest packages in
// each exceeded blocking quota.
func (l *Layer) CheckQuotas(warnRatio float64) {
	l.Quotas = Quotas(l.ZippedBytes, l.UnzippedBytes, warnRatio)
	l.nameBiggest()
}

// nameBiggest fills Biggest in each exceeded blocking quota of l and clears it elsewhere.
func (l *Layer) nameBiggest() {
	for i := range l.Quotas {
		q := &l.Quotas[i]
		q.Biggest = nil
		if !q.Blocking || q.State != StateExceeded || q.Unit != "" {
			continue
		}
		zipped := strings.Contains(q.Name, "zipped") && !strings.Contains(q.Name, "unzipped")
		q.Biggest = biggestPackages(*l, biggestCount, zipped)
	}
}

// biggestPackages lists a layer's n biggest packages by zipped or unzipped size, biggest first.
func biggestPackages(l Layer, n int, zipped bool) []PackageSize {
	out := make([]PackageSize, 0, len(l.Packages))
	for _, p := range l.Packages {
		b := p.UnzippedBytes
		if zipped {
			b = p.ZippedBytes
		}
		out = append(out, PackageSize{Name: p.Name, Version: p.Version, Bytes: b})
	}
	slices.SortStableFunc(out, func(a, b PackageSize) int { return cmp.Compare(b.Bytes, a.Bytes) })
	return out[:min(n, len(out))]
}

// Dropped is a wheel file left out of the layer.
type Dropped struct {
	Package string `json:"package"`
	Path    string `json:"path"`
	Reason  string `json:"reason"`
	Bytes   int64  `json:"bytes"`
}

// Conflict is a path written by more than one package.
type Conflict struct {
	Path      string   `json:"path"`
	Packages  []string `json:"packages"`
	Identical bool     `json:"identical"`
}

// Failure says why a layer was not built, with the position at fault when there is one.
type Failure struct {
	Message string `json:"message"`
	Package string `json:"package,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// Quotas checks a layer's sizes against Lambda's limits.
func Quotas(zipped, unzipped int64, warnRatio float64) []Quota {
	if warnRatio <= 0 {
		warnRatio = DefaultWarnRatio
	}
	z := Quota{Name: "zipped-direct-upload", LimitBytes: LimitZippedDirect, UsedBytes: zipped}
	z.State = state(zipped, z.LimitBytes, warnRatio)
	if z.State == StateExceeded {
		z.Note = "needs S3 upload: over 50 MB zipped, publish through an S3 bucket"
	}
	u := Quota{Name: "unzipped", LimitBytes: LimitUnzipped, UsedBytes: unzipped, Blocking: true}
	u.State = state(unzipped, u.LimitBytes, warnRatio)
	if u.State == StateExceeded {
		u.Note = "over Lambda's 250 MB unzipped limit for a function and all its layers"
	}
	return []Quota{z, u}
}

func state(used, limit int64, warnRatio float64) string {
	switch {
	case used > limit:
		return StateExceeded
	case float64(used) >= warnRatio*float64(limit):
		return StateWarn
	}
	return StateOK
}

// Exceeded reports whether any layer or function breaks a blocking quota (a budget included).
func (r *Report) Exceeded() bool {
	for _, q := range r.allQuotas() {
		if q.Blocking && q.State == StateExceeded {
			return true
		}
	}
	return false
}

// Failed reports whether any layer failed to build.
func (r *Report) Failed() bool {
	for _, l := range r.Layers {
		if l.Error != nil {
			return true
		}
	}
	return false
}

// WriteFile writes the report as indented JSON, atomically, 0644 (the next workflow step reads it), making
// its folder (0755) when missing, as every other file the tool writes does.
func (r *Report) WriteFile(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	return outfile.WriteFile(path, append(b, '\n'))
}

// Table writes the terminal summary: one row per layer, then failures in full.
func (r *Report) Table(w io.Writer) { r.WriteTable(w, nil) }

// Bytes formats a size with binary units, as Lambda's limits are.
func Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
