package publish

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/awsarn"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// DefaultNameTemplate names a layer after the report's layer, its Python version and its architecture:
// data-py312-arm64.
const DefaultNameTemplate = "{name}-{py}-{arch}"

// Options says what to publish where. The zero value of each field is its default.
type Options struct {
	// Regions get the same zips; at least one is required.
	Regions []string
	// S3Bucket stages zips over 50 MB (Lambda takes ZipFile up to 50 MB only). The bucket must be in the
	// layer's region: with several regions, put {region} in the name (my-layers-{region}). "" means
	// none, and a zip over 50 MB is refused.
	S3Bucket string
	// KeepVersions keeps the newest N versions of each published layer and deletes the older ones that
	// no listed function uses; 0 (the default) deletes nothing.
	KeepVersions int
	// DryRun reads what it must and writes nothing; the plan goes to Out.
	DryRun bool
	// NameTemplate names the Lambda layer: {name} (the report's layer), {py} (py312), {arch} (x86_64,
	// arm64), {runtime} (python3.12 — its dot is not allowed in a layer name, so only for templates
	// shared with other tools). Default DefaultNameTemplate.
	NameTemplate string
	// NameTemplates overrides NameTemplate for the report layers it names (a config's layer-name).
	NameTemplates map[string]string
	// Functions maps a layer (the report's name, or the Lambda layer name for one target) to the
	// functions to roll it out to: a function name (every region where it exists) or its ARN (that region).
	Functions map[string][]string
	// Permissions grant lambda:GetLayerVersion on each version published or kept.
	Permissions []Permission
	// Commit goes into each version's description.
	Commit string
	// License is each version's LicenseInfo (≤ 512 characters); "" means the sorted SPDX expression of
	// the packages' declared licences (report.Package.License), cut to 512 characters.
	License string
	// Out receives the plan (dry run) and progress; nil discards them.
	Out io.Writer

	// test seams
	partSize    int64         // multipart part size; 0 means 16 MiB
	waitTimeout time.Duration // FunctionUpdatedV2 waiter bound; 0 means 5 minutes
}

// Permission grants lambda:GetLayerVersion to one principal: set exactly one field.
type Permission struct {
	Account      string `json:"account,omitempty"`
	Organization string `json:"organization,omitempty"`
	Public       bool   `json:"public,omitempty"`
}

// StatementID is the policy statement id, derived from the principal so that granting twice is a no-op.
func (p Permission) StatementID() string {
	switch {
	case p.Public:
		return "lambda-layers-public"
	case p.Organization != "":
		return "lambda-layers-org-" + p.Organization
	}
	return "lambda-layers-account-" + p.Account
}

func (p Permission) String() string {
	switch {
	case p.Public:
		return "public"
	case p.Organization != "":
		return "organization " + p.Organization
	}
	return "account " + p.Account
}

var (
	regionRe   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	orgRe      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	layerRe    = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	funcNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	funcARNRe  = regexp.MustCompile(`^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):([0-9]{12}):function:([a-zA-Z0-9_-]{1,64})$`)
	bucketRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	placeRe    = regexp.MustCompile(`\{[^}]*\}`)
)

// Validate checks the options alone (the report is checked by Publish). Its errors are usage errors.
func (o *Options) Validate() error {
	if len(o.Regions) == 0 {
		return optErr("no region: pass --region (or set AWS_REGION)")
	}
	for _, r := range o.Regions {
		if !regionRe.MatchString(r) {
			return optErr("region %q is not an AWS region name like us-east-1", r)
		}
	}
	if o.KeepVersions < 0 {
		return optErr("keep %d: the number of versions to keep cannot be negative", o.KeepVersions)
	}
	for _, layer := range append([]string{""}, sortedKeys(o.NameTemplates)...) {
		if _, err := o.layerName(template{name: "layer", py: "py312", arch: "x86_64", runtime: "python3.12", layer: layer}); err != nil {
			return err
		}
	}
	if o.S3Bucket != "" {
		if placeRe.ReplaceAllString(o.S3Bucket, "") != strings.ReplaceAll(o.S3Bucket, "{region}", "") {
			return optErr("S3 bucket %q: the only placeholder is {region}", o.S3Bucket)
		}
		for _, r := range o.Regions {
			if b := o.bucket(r); !bucketRe.MatchString(b) {
				return optErr("S3 bucket %q is not a valid bucket name", b)
			}
		}
	}
	if n := len(o.License); n > 512 {
		return optErr("license is %d characters; Lambda takes at most 512", n)
	}
	for _, p := range o.Permissions {
		set := 0
		if p.Account != "" {
			set++
			if !accountRe.MatchString(p.Account) {
				return optErr("share with account %q: an AWS account id is 12 digits", p.Account)
			}
		}
		if p.Organization != "" {
			set++
			if !orgRe.MatchString(p.Organization) {
				return optErr("share with organization %q: an organization id looks like o-a1b2c3d4e5", p.Organization)
			}
		}
		if p.Public {
			set++
		}
		if set != 1 {
			return optErr("a permission names exactly one of: an account, an organization, public")
		}
	}
	for layer, fns := range o.Functions {
		if layer == "" {
			return optErr("a roll-out names no layer: use LAYER=FUNCTION")
		}
		for _, f := range fns {
			if !funcNameRe.MatchString(f) && !funcARNRe.MatchString(f) {
				return optErr("function %q (layer %s): give a function name or its unqualified ARN (layers are set on $LATEST, not on a version or alias)", f, layer)
			}
		}
	}
	return nil
}

// template holds the values a name template can use, and the report layer it is for.
type template struct{ name, py, arch, runtime, layer string }

func templateFor(l report.Layer) template {
	if len(l.Runtimes) > 1 { // one zip for several runtimes: {py} is py3, {runtime} python3
		return template{name: l.Name, py: "py3", arch: l.Architecture, runtime: "python3", layer: l.Name}
	}
	return template{name: l.Name, py: pyTag(l.Runtime), arch: l.Architecture, runtime: l.Runtime, layer: l.Name}
}

// layerName renders the layer's name template and checks the result is a Lambda layer name.
func (o *Options) layerName(t template) (string, error) {
	tpl := o.NameTemplates[t.layer]
	if tpl == "" {
		tpl = o.NameTemplate
	}
	if tpl == "" {
		tpl = DefaultNameTemplate
	}
	var bad []string
	name := placeRe.ReplaceAllStringFunc(tpl, func(p string) string {
		switch p {
		case "{name}":
			return t.name
		case "{py}":
			return t.py
		case "{arch}":
			return t.arch
		case "{runtime}":
			return t.runtime
		}
		bad = append(bad, p)
		return p
	})
	if len(bad) > 0 {
		return "", optErr("name template %q: unknown placeholder %s (use {name}, {py}, {arch})", tpl, strings.Join(bad, ", "))
	}
	if !layerRe.MatchString(name) {
		return "", optErr("layer name %q (from template %q) may only hold letters, digits, - and _", name, tpl)
	}
	return name, nil
}

// checkNameLength applies Lambda's 140-character bound to the layer's ARN form in each region.
func (o *Options) checkNameLength(name string) error {
	for _, r := range o.Regions {
		arn := awsarn.Layer(r, "000000000000", name)
		if len(arn) > awsarn.MaxLayerARN {
			return fmt.Errorf("layer name %q is too long: its ARN in %s has %d characters, Lambda allows 140", name, r, len(arn))
		}
	}
	return nil
}

// bucket is the staging bucket for a region.
func (o *Options) bucket(region string) string {
	return strings.ReplaceAll(o.S3Bucket, "{region}", region)
}

func (o *Options) permissions() []Permission {
	var out []Permission
	for _, p := range o.Permissions {
		if !slices.ContainsFunc(out, func(q Permission) bool { return q.StatementID() == p.StatementID() }) {
			out = append(out, p)
		}
	}
	return out
}

func (o *Options) regions() []string {
	var out []string
	for _, r := range o.Regions {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// splitVersionARN splits a layer version ARN into the layer's ARN and the version.
func splitVersionARN(arn string) (layer string, version string) {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 || !strings.Contains(arn, ":layer:") || strings.Count(arn, ":") < 7 {
		return arn, ""
	}
	return arn[:i], arn[i+1:]
}
