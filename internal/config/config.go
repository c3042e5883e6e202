// Package config reads lambda-layers.yml and the action's inputs into one validated Config. Problems
// with the file are data with the file:line at fault, so the action can annotate them.
package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/awsarn"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// FileNames are where the config file is looked for, relative to the repository root, in order.
var FileNames = []string{"lambda-layers.yml", "lambda-layers.yaml", ".github/lambda-layers.yml", ".github/lambda-layers.yaml"}

// DefaultLayerName is the template for a published layer's name: data-py312-arm64.
const DefaultLayerName = "{name}-{py}-{arch}"

// Config is what to build, report and publish.
type Config struct {
	// File is the config file read, relative to the repository root; "" when made from inputs.
	File    string
	Version int
	// IndexURL overrides the requirements files' -i and PIP_INDEX_URL; "" means those, else PyPI.
	IndexURL string
	// CodeArtifact, when set, is the index instead (index: {codeartifact: …}); its token is fetched
	// with the AWS SDK at build time.
	CodeArtifact *CodeArtifact
	// Runtimes and Architectures are the defaults for layers that set none.
	Runtimes, Architectures []string
	Layers                  []Layer
	AWS                     AWS
	// OCI is the default image repository for layers that set none.
	OCI    OCI
	Report Report
	// Functions holds per-function settings, by the names the layers' functions lists use.
	Functions map[string]Function
	// ExcludePackages are left out of every layer, with what only they need (the layers' own lists
	// add to it); "runtime-provided" stands for what every Python runtime ships.
	ExcludePackages []string
	// Notes are things the loader did that a user may not expect (a layer left out by a filter).
	Notes []string
}

// Layer is one layer to build for each of its targets.
type Layer struct {
	Name string
	// Requirements are paths relative to the repository root, slash-separated.
	Requirements            []string
	Runtimes, Architectures []string // resolved: never empty after Load
	// LayerName is the template for the published name; placeholders {name}, {py} and {arch}.
	LayerName string
	Budget    Budget
	// Extras and Groups choose a pyproject.toml's or a lock file's optional dependencies and
	// dependency groups beyond the main ones.
	Extras, Groups []string
	// Functions are the Lambda functions (names or ARNs) that use this layer: the publish step rolls
	// the new version out to them and the report checks their 250 MB total.
	Functions []string
	// OCI is where the layer is pushed as an OCI image: its own oci key, else the file's.
	OCI OCI
	// Narrowed is true when the inputs left out some of the layer's architectures (a matrix leg): a
	// run that builds only some of them must not move the tags that name them all.
	Narrowed bool
	// ExcludePackages are packages to leave out, with every dependency only they need: the top-level
	// list followed by the layer's own, as written.
	ExcludePackages []string
	// Exclude are globs over site-packages paths of files to leave out ("**/tests/**").
	Exclude []ExcludeGlob
	// Layout is LayoutPerRuntime (the default) or LayoutShared: one zip under python/ for all the
	// layer's runtimes when every wheel is pure Python and the resolutions agree.
	Layout string
	// Line is where the layer starts in the config file; 0 when made from inputs.
	Line int
}

// Layouts of a layer's zip.
const (
	LayoutPerRuntime = "per-runtime" // python/lib/pythonX.Y/site-packages/, one zip per runtime
	LayoutShared     = "shared"      // python/, one zip for every runtime when possible
)

// ExcludeGlob is one exclude pattern and where it is written.
type ExcludeGlob struct {
	Pattern string
	Line    int // 0 when not from a file
}

// Origin is "file:line" for messages, or "" when the glob was not read from a file.
func (c *Config) Origin(line int) string {
	if c.File == "" || line == 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d", c.File, line)
}

// CodeArtifact names an AWS CodeArtifact repository to use as the index.
type CodeArtifact struct {
	Domain, Repository string
	Owner              string // the domain owner's account; "" means the caller's
	Region             string // "" means the AWS configuration's
}

// Budget is a size the team allows itself for one layer, below Lambda's own limits; 0 means none.
type Budget struct {
	ZippedBytes, UnzippedBytes int64
}

// AWS is where and how layers are published.
type AWS struct {
	Regions  []string
	S3Bucket string // "" uploads zips directly (up to 50 MB); {region} stands for the region
	// KeepVersions is how many layer versions to keep after publishing; 0 keeps them all.
	KeepVersions int
	Permissions  []Permission
	License      string
	// Configured is true when the file has an aws key or the aws-region input is set.
	Configured bool
}

// OCI is where layers are pushed as OCI images (for container-image functions).
type OCI struct {
	// Repository is REGISTRY/NAME, e.g. ghcr.io/acme/layers; "" pushes no image.
	Repository string
}

// PushesImages reports whether any layer is pushed as an OCI image.
func (c *Config) PushesImages() bool {
	for _, l := range c.Layers {
		if l.OCI.Repository != "" {
			return true
		}
	}
	return false
}

// PublishesToAWS reports whether the layers are published to Lambda: when the file has an aws key (or
// the aws-region input is set), or when no layer is pushed as an image (Lambda is then the only
// destination, and a missing region is an error to report).
func (c *Config) PublishesToAWS() bool { return c.AWS.Configured || !c.PushesImages() }

// Permission lets other accounts use the published layer versions (AddLayerVersionPermission).
type Permission struct {
	Principal      string // an account ID, or "*"
	OrganizationID string // with Principal "*": only accounts of this organization
}

// Report is how the report judges a build.
type Report struct {
	FailOn    string  // canonical (report.ParseFailOn); Load sets the default
	WarnRatio float64 // share of a limit at which it warns; 0 means the default
	// DenyLicenses are SPDX ids that fail the check when a package of a layer declares one.
	DenyLicenses []string
}

// Function is the per-function part of the config.
type Function struct {
	// ReserveBytes is room kept for the function's own code within the 250 MB unzipped limit.
	ReserveBytes int64
}

// FailOnValues are the fail-on values the config and the input take: the report package's, and
// the spellings it also accepts ("budget" for exceeded, "warning" for warn). A failed build fails the
// check whatever fail-on says.
var FailOnValues = []string{report.FailOnExceeded, report.FailOnQuota, report.FailOnWarn, report.FailOnError, report.FailOnNever, "budget", "warning"}

// DefaultFailOn fails when a blocking Lambda limit or a budget is exceeded.
const DefaultFailOn = report.FailOnExceeded

// Targets parses the layer's runtimes × architectures, in a stable order.
func (l Layer) Targets() ([]target.Target, error) {
	return target.ParseList(l.Runtimes, l.Architectures)
}

// MaxLayerName is Lambda's bound on a layer name, which also bounds the layer's ARN
// (arn:aws:lambda:REGION:ACCOUNT:layer:NAME).
const MaxLayerName = awsarn.MaxLayerARN

// ShortestRegion is an AWS region of the shortest name: the most room a layer name can have in an ARN.
const ShortestRegion = "us-east-1"

// LayerNameRoom is how long a layer name may be to publish in region: 140 less its ARN's prefix, with a
// 12-digit account.
func LayerNameRoom(region string) int {
	return MaxLayerName - len(awsarn.Layer(region, "000000000000", ""))
}

// MaxOCITag is the OCI distribution spec's bound on a tag.
const MaxOCITag = 128

// OCITagLength is the length of the longest tag an image of the layer gets for t (internal/oci's
// "NAME-RUNTIME-ARCH-<12 hex of the zip's sha256>").
func OCITagLength(name string, t target.Target) int {
	return len(name) + 1 + len(t.Name) + 1 + len(t.Arch) + 1 + 12
}

// PublishedName renders the layer-name template for a target: "{name}-{py}-{arch}" → data-py312-arm64.
func (l Layer) PublishedName(t target.Target) string {
	tmpl := l.LayerName
	if tmpl == "" {
		tmpl = DefaultLayerName
	}
	return strings.NewReplacer(
		"{name}", l.Name,
		"{py}", "py3"+fmt.Sprint(t.Minor),
		"{runtime}", t.Name,
		"{arch}", t.Arch,
	).Replace(tmpl)
}

// Layer returns the layer named name, or nil.
func (c *Config) Layer(name string) *Layer {
	for i := range c.Layers {
		if c.Layers[i].Name == name {
			return &c.Layers[i]
		}
	}
	return nil
}

// FunctionLayers maps each function to the layers that list it, in config order.
func (c *Config) FunctionLayers() map[string][]string {
	m := map[string][]string{}
	for _, l := range c.Layers {
		for _, f := range l.Functions {
			m[f] = append(m[f], l.Name)
		}
	}
	return m
}

// Error is one problem with the config file or an input, at its position when it has one.
type Error struct {
	File         string // the config file; "" for an input
	Line, Column int    // 1-based; 0 when the problem is the whole file
	Input        string // the action input at fault, when the problem is one
	Message      string
}

func (e *Error) Error() string {
	switch {
	case e.Input != "":
		return fmt.Sprintf("input %s: %s", e.Input, e.Message)
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
	case e.File != "":
		return e.File + ": " + e.Message
	}
	return e.Message
}

// Errors are all the problems found, in file order; Load and Parse return them as one error.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].File != es[j].File {
			return es[i].File < es[j].File
		}
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
	return es
}

func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}

// Policy is the report's policy for this config: budgets by layer, the functions the layers list
// (with their reserves), fail-on and the warn ratio.
func (c *Config) Policy() report.Policy {
	p := report.Policy{FailOn: c.Report.FailOn, WarnRatio: c.Report.WarnRatio, DenyLicenses: c.Report.DenyLicenses}
	for _, l := range c.Layers {
		if l.Budget != (Budget{}) {
			if p.Budgets == nil {
				p.Budgets = map[string]report.Budget{}
			}
			p.Budgets[l.Name] = report.Budget{ZippedBytes: l.Budget.ZippedBytes, UnzippedBytes: l.Budget.UnzippedBytes}
		}
	}
	fl := c.FunctionLayers()
	names := make([]string, 0, len(fl))
	for f := range fl {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		p.Functions = append(p.Functions, report.Function{Name: f, Layers: fl[f], ReserveBytes: c.Functions[f].ReserveBytes})
	}
	return p
}
