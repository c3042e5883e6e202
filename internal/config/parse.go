package config

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"gopkg.in/yaml.v3"

	"github.com/lambda-layers/lambda-layers/internal/editdist"
	"github.com/lambda-layers/lambda-layers/internal/license"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/pyproject"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// The keys each mapping knows. A key that starts with "x-" is the user's own and is ignored
// anywhere, so files can carry notes and tools can add data; any other unknown key is an error, so a
// typo never silently does nothing. New keys only ever join these lists (the schema's version stays
// 1), so a file valid today stays valid.
var (
	topKeys        = []string{"version", "index-url", "index", "runtimes", "architectures", "layers", "aws", "report", "functions", "oci", "exclude-packages"}
	layerKeys      = []string{"name", "requirements", "runtimes", "architectures", "layer-name", "budget", "functions", "extras", "groups", "oci", "exclude-packages", "exclude", "layout"}
	indexKeys      = []string{"codeartifact"}
	codeartKeys    = []string{"domain", "repository", "owner", "region"}
	ociKeys        = []string{"repository"}
	budgetKeys     = []string{"zipped", "unzipped"}
	awsKeys        = []string{"regions", "s3-bucket", "keep-versions", "permissions", "license"}
	permissionKeys = []string{"principal", "organization-id"}
	reportKeys     = []string{"fail-on", "warn-ratio", "deny-licenses"}
	functionKeys   = []string{"reserve"}
)

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	functionRE = regexp.MustCompile(`^([A-Za-z0-9_-]{1,64}|arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64})$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	bucketRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	accountRE  = regexp.MustCompile(`^[0-9]{12}$`)
	orgRE      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	yamlLineRE = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
	placeRE    = regexp.MustCompile(`\{[^}]*\}`)
)

// Parse reads a config file's content. name is the file's path as shown in errors. Every problem
// found is returned together as Errors; the Config is then nil.
func Parse(name string, data []byte) (*Config, error) {
	d := &decoder{file: name}
	c := d.parse(data)
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

type decoder struct {
	file string
	errs Errors
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	e := &Error{File: d.file, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) parse(data []byte) *Config {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := &Error{File: d.file, Message: err.Error()}
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Column = 1
			e.Message = "invalid YAML: " + m[2]
		}
		d.errs = append(d.errs, e)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorf(nil, "the file is empty: it needs at least a layers: list")
		return nil
	}
	root := resolve(doc.Content[0])
	c := &Config{File: d.file, Version: 1}
	var layers *yaml.Node
	d.mapping(root, "the config file", topKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if n, ok := d.int(v, key); ok && n != 1 {
				d.errorf(v, "version: %d is not supported: this lambda-layers reads version 1", n)
			}
		case "index-url":
			c.IndexURL, _ = d.str(v, key)
		case "runtimes":
			c.Runtimes = d.runtimes(v, key)
		case "architectures":
			c.Architectures = d.archs(v, key)
		case "layers":
			layers = v
		case "aws":
			c.AWS = d.aws(v)
		case "report":
			c.Report = d.report(v)
		case "functions":
			c.Functions = d.functions(v)
		case "index":
			c.CodeArtifact = d.index(v)
		case "oci":
			c.OCI = d.oci(v)
		case "exclude-packages":
			c.ExcludePackages = d.packageNames(v, key)
		}
	})
	if root.Kind != yaml.MappingNode {
		return nil
	}
	if layers == nil {
		d.errorf(root, "no layers: add a layers: list, e.g. layers: [{name: data, requirements: [requirements.txt], runtimes: [python3.12]}]")
		return c
	}
	d.layers(c, layers)
	return c
}

// resolve follows aliases, so anchors and *references work as in any YAML file.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// mapping walks a mapping's keys, reporting unknown and repeated ones.
func (d *decoder) mapping(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping of keys to values", what)
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := k.Value
		if strings.HasPrefix(key, "x-") {
			continue
		}
		if line, dup := seen[key]; dup {
			d.errorf(k, "%s is set twice (first at line %d)", key, line)
			continue
		}
		seen[key] = k.Line
		if !slices.Contains(known, key) {
			msg := fmt.Sprintf("unknown key %q in %s", key, what)
			if s := suggest(key, known); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", s)
			} else {
				msg += ": known keys are " + strings.Join(known, ", ") + " (and x-… for your own)"
			}
			d.errorf(k, "%s", msg)
			continue
		}
		if isNull(v) {
			continue // `key:` with no value is the same as leaving the key out
		}
		fn(key, k, v)
	}
}

func (d *decoder) str(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, "%s must be a string", key)
		return "", false
	}
	return n.Value, true
}

// strList takes a list of strings, or one string for a list of one.
func (d *decoder) strList(n *yaml.Node, key string) []string {
	if n.Kind == yaml.ScalarNode {
		if s, ok := d.str(n, key); ok {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings", key)
		return nil
	}
	var out []string
	for _, e := range n.Content {
		if s, ok := d.str(resolve(e), key+" entry"); ok {
			out = append(out, s)
		}
	}
	if len(out) == 0 && len(n.Content) == 0 {
		d.errorf(n, "%s is an empty list", key)
	}
	return out
}

func (d *decoder) int(n *yaml.Node, key string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, "%s must be a whole number", key)
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		d.errorf(n, "%s: %q is not a whole number", key, n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) runtimes(n *yaml.Node, key string) []string {
	vals := d.strList(n, key)
	for i, v := range vals {
		if _, err := target.Parse(v, "x86_64"); err != nil {
			d.errorf(item(n, i), "%s: %v", key, err)
		}
	}
	return vals
}

func (d *decoder) archs(n *yaml.Node, key string) []string {
	vals := d.strList(n, key)
	for i, v := range vals {
		t, err := target.Parse("python3.12", v)
		if err != nil {
			d.errorf(item(n, i), "%s: %v", key, err)
			continue
		}
		vals[i] = t.Arch // amd64 → x86_64, aarch64 → arm64
	}
	return vals
}

// item is the i-th entry's node of a list (or the scalar itself), for positions.
func item(n *yaml.Node, i int) *yaml.Node {
	if n.Kind == yaml.SequenceNode && i < len(n.Content) {
		return n.Content[i]
	}
	return n
}

// Size parses "40MB", "1.5 GiB", "512KB" or a number of bytes (report.ParseSize). MB is MiB, as in
// Lambda's limits.
func Size(s string) (int64, error) { return report.ParseSize(s) }

func (d *decoder) size(n *yaml.Node, key string) int64 {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int") {
		d.errorf(n, "%s must be a size such as 40MB", key)
		return 0
	}
	v, err := Size(n.Value)
	if err != nil {
		d.errorf(n, "%s: %v", key, err)
		return 0
	}
	if v <= 0 {
		d.errorf(n, "%s must be more than 0", key)
	}
	return v
}

func (d *decoder) layers(c *Config, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "layers must be a list of layers, each a mapping with name and requirements")
		return
	}
	if len(n.Content) == 0 {
		d.errorf(n, "layers is empty: add at least one layer")
	}
	defined := map[string]int{}
	for _, e := range n.Content {
		e = resolve(e)
		l := Layer{Line: e.Line}
		var nameNode, reqNode, extrasNode *yaml.Node
		d.mapping(e, "a layer", layerKeys, func(key string, k, v *yaml.Node) {
			switch key {
			case "name":
				nameNode = v
				l.Name, _ = d.str(v, key)
			case "requirements":
				reqNode = v
				l.Requirements = d.paths(v, key)
			case "runtimes":
				l.Runtimes = d.runtimes(v, key)
			case "architectures":
				l.Architectures = d.archs(v, key)
			case "layer-name":
				if s, ok := d.str(v, key); ok {
					l.LayerName = s
					d.template(v, s)
				}
			case "budget":
				d.mapping(v, "budget", budgetKeys, func(key string, k, v *yaml.Node) {
					switch key {
					case "zipped":
						l.Budget.ZippedBytes = d.size(v, "budget.zipped")
					case "unzipped":
						l.Budget.UnzippedBytes = d.size(v, "budget.unzipped")
					}
				})
			case "extras":
				l.Extras = d.strList(v, key)
				extrasNode = v
			case "groups":
				l.Groups = d.strList(v, key)
				extrasNode = v
			case "exclude-packages":
				l.ExcludePackages = d.packageNames(v, key)
			case "exclude":
				l.Exclude = d.globs(v, key)
			case "layout":
				if s, ok := d.str(v, key); ok {
					if s != LayoutPerRuntime && s != LayoutShared {
						d.errorf(v, "layout %q is not %s (the default: one zip per runtime) or %s (one zip under python/ for every runtime, when every wheel is pure Python)", s, LayoutPerRuntime, LayoutShared)
					}
					l.Layout = s
				}
			case "functions":
				l.Functions = d.strList(v, key)
				for i, f := range l.Functions {
					if !functionRE.MatchString(f) {
						d.errorf(item(v, i), "functions: %q is not a Lambda function name or unqualified ARN", f)
					}
				}
			case "oci":
				l.OCI = d.oci(v)
			}
		})
		if e.Kind != yaml.MappingNode {
			continue
		}
		switch {
		case nameNode == nil:
			d.errorf(e, "a layer needs a name")
		case !nameRE.MatchString(l.Name):
			d.errorf(nameNode, "name %q: use letters, digits, - and _ only (Lambda's rule for layer names)", l.Name)
		case defined[l.Name] > 0:
			d.errorf(nameNode, "layer %q is already defined at line %d", l.Name, defined[l.Name])
		default:
			defined[l.Name] = nameNode.Line
		}
		if reqNode == nil {
			d.errorf(e, "layer %q needs requirements: a list of requirements files", l.Name)
		} else if extrasNode != nil && !slices.ContainsFunc(l.Requirements, func(f string) bool { return pyproject.IsPyproject(f) || lockfile.Detect(f) != "" }) {
			d.errorf(extrasNode, "extras and groups apply to a pyproject.toml or lock file, and layer %q's requirements list none (in a requirements file, write pkg[extra])", l.Name)
		}
		if len(l.Runtimes) == 0 {
			l.Runtimes = c.Runtimes
		}
		l.ExcludePackages = append(slices.Clone(c.ExcludePackages), l.ExcludePackages...)
		if l.Layout == "" {
			l.Layout = LayoutPerRuntime
		}
		if len(l.Architectures) == 0 {
			l.Architectures = c.Architectures
		}
		if len(l.Runtimes) == 0 {
			d.errorf(e, "layer %q has no runtimes: set runtimes: [python3.12] on the layer or at the top of the file", l.Name)
		}
		if len(l.Architectures) == 0 {
			l.Architectures = []string{"x86_64"}
		}
		if l.OCI.Repository == "" {
			l.OCI = c.OCI
		}
		c.Layers = append(c.Layers, l)
	}
	d.checkNames(c, n)
}

// checkNames makes sure no two targets publish under the same layer name.
func (d *decoder) checkNames(c *Config, n *yaml.Node) {
	seen := map[string]string{}
	names := map[string]bool{}
	for i, l := range c.Layers {
		ts, err := l.Targets()
		if err != nil || names[l.Name] {
			continue // reported where the runtime, arch or repeated name is
		}
		names[l.Name] = true
		for _, t := range ts {
			if tag := OCITagLength(l.Name, t); l.OCI.Repository != "" && tag > MaxOCITag {
				d.errorf(item(n, i), "layer %q: its image tags would have %d characters (%s-%s-%s-<12 hex>), a registry allows %d: shorten the layer's name to %d characters or fewer",
					l.Name, tag, l.Name, t.Name, t.Arch, MaxOCITag, len(l.Name)-(tag-MaxOCITag))
				break
			}
			pn := l.PublishedName(t)
			where := l.Name + " " + t.String()
			if len(pn) > MaxLayerName {
				d.errorf(item(n, i), "layer %q: published name %q is longer than Lambda's 140 characters", l.Name, pn)
			} else {
				for _, r := range c.AWS.Regions {
					if room := LayerNameRoom(r); len(pn) > room {
						d.errorf(item(n, i), "layer %q: published name %q has %d characters; its ARN in %s allows %d (Lambda's 140 for the whole ARN): shorten the layer's name or layer-name",
							l.Name, pn, len(pn), r, room)
						break
					}
				}
			}
			if other, dup := seen[pn]; dup {
				d.errorf(item(n, i), "layer %q: %s and %s would both publish as %q: put {py} and {arch} in layer-name", l.Name, other, where, pn)
				continue
			}
			seen[pn] = where
		}
	}
}

func (d *decoder) template(n *yaml.Node, s string) {
	for _, p := range placeRE.FindAllString(s, -1) {
		switch p {
		case "{name}", "{py}", "{arch}":
		case "{runtime}":
			d.errorf(n, "layer-name: {runtime} puts a dot (python3.12) in the name, which Lambda does not allow: use {py} (py312)")
			return
		default:
			d.errorf(n, "layer-name: unknown placeholder %s: use {name}, {py} and {arch}", p)
			return
		}
	}
	if lit := placeRE.ReplaceAllString(s, ""); lit != "" && !nameRE.MatchString(lit) {
		d.errorf(n, "layer-name %q: use letters, digits, - and _ besides the placeholders (Lambda's rule for layer names)", s)
	}
	if !strings.Contains(s, "{name}") {
		d.errorf(n, "layer-name %q must contain {name}", s)
	}
}

// paths takes repository-relative file paths, cleaned to slash form.
func (d *decoder) paths(n *yaml.Node, key string) []string {
	vals := d.strList(n, key)
	for i, v := range vals {
		p, err := cleanPath(v)
		if err != nil {
			d.errorf(item(n, i), "%s: %v", key, err)
			continue
		}
		vals[i] = p
	}
	return vals
}

// cleanPath makes a repository-relative path canonical, refusing ones that leave the repository.
func cleanPath(p string) (string, error) {
	p = strings.TrimSpace(strings.ReplaceAll(p, "\\", "/"))
	if p == "" {
		return "", fmt.Errorf("an empty path")
	}
	if strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%q is absolute: give a path relative to the repository root", p)
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%q is outside the repository", p)
	}
	return c, nil
}

func (d *decoder) aws(n *yaml.Node) AWS {
	a := AWS{Configured: true}
	d.mapping(n, "aws", awsKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "regions":
			a.Regions = d.strList(v, key)
			for i, r := range a.Regions {
				if !regionRE.MatchString(r) {
					d.errorf(item(v, i), "regions: %q is not an AWS region such as us-east-1", r)
				}
			}
		case "s3-bucket":
			if s, ok := d.str(v, key); ok && s != "" && !bucketRE.MatchString(strings.ReplaceAll(s, "{region}", "us-east-1")) {
				d.errorf(v, "s3-bucket: %q is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens; {region} stands for the region)", s)
			} else {
				a.S3Bucket = s
			}
		case "keep-versions":
			if n, ok := d.int(v, key); ok {
				if n < 0 {
					d.errorf(v, "keep-versions must be 0 (keep all) or more")
				}
				a.KeepVersions = n
			}
		case "license":
			if s, ok := d.str(v, key); ok {
				if len(s) > 512 {
					d.errorf(v, "license is %d characters: Lambda allows 512", len(s))
				}
				a.License = s
			}
		case "permissions":
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, "permissions must be a list of {principal, organization-id}")
				return
			}
			for _, e := range v.Content {
				a.Permissions = append(a.Permissions, d.permission(resolve(e)))
			}
		}
	})
	return a
}

// oci reads {repository: REGISTRY/NAME}.
func (d *decoder) oci(n *yaml.Node) OCI {
	var o OCI
	var repo *yaml.Node
	d.mapping(n, "oci", ociKeys, func(key string, k, v *yaml.Node) {
		repo = v
		if s, ok := d.str(v, "oci.repository"); ok {
			if err := CheckRepository(s); err != nil {
				d.errorf(v, "oci.repository: %v", err)
				return
			}
			o.Repository = s
		}
	})
	if n.Kind == yaml.MappingNode && repo == nil {
		d.errorf(n, "oci needs a repository: REGISTRY/NAME, e.g. oci: {repository: ghcr.io/acme/layers}")
	}
	return o
}

// repositoryRE is an image repository with its registry host first: host[:port]/path, the path in the
// OCI distribution spec's grammar (lower case; tags and digests are added by the tool).
var repositoryRE = regexp.MustCompile(`^(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:]+\])(:[0-9]+)?(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)+$`)

// CheckRepository checks an image repository, REGISTRY/NAME: the registry must be named (no implicit
// Docker Hub), and no tag or digest given.
func CheckRepository(s string) error {
	switch {
	case strings.Contains(s, "@") || strings.Contains(s[strings.Index(s, "/")+1:], ":"):
		return fmt.Errorf("%q has a tag or digest: give the repository alone (the tags are the layer's name and runtime)", s)
	case !strings.Contains(s, "/"):
		return fmt.Errorf("%q names no registry: write REGISTRY/NAME, e.g. ghcr.io/acme/layers", s)
	case !repositoryRE.MatchString(s):
		host, _, _ := strings.Cut(s, "/")
		if !strings.ContainsAny(host, ".:") && host != "localhost" {
			return fmt.Errorf("%q names no registry: write REGISTRY/NAME, e.g. ghcr.io/acme/layers (docker.io/… for Docker Hub)", s)
		}
		if _, path, _ := strings.Cut(s, "/"); path != strings.ToLower(path) {
			return fmt.Errorf("%q: image names are lower case: write %s/%s", s, host, strings.ToLower(path))
		}
		return fmt.Errorf("%q is not an image repository: REGISTRY/NAME, the name in lower case letters, digits and . _ - separated by /", s)
	}
	return nil
}

func (d *decoder) permission(n *yaml.Node) Permission {
	var p Permission
	var principal, org *yaml.Node
	d.mapping(n, "a permission", permissionKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "principal":
			principal = v
			if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
				p.Principal = v.Value // an account ID written without quotes
			} else {
				p.Principal, _ = d.str(v, key)
			}
		case "organization-id":
			org = v
			p.OrganizationID, _ = d.str(v, key)
		}
	})
	if n.Kind != yaml.MappingNode {
		return p
	}
	switch {
	case principal == nil:
		d.errorf(n, "a permission needs a principal: an account ID, or \"*\" with organization-id")
	case p.Principal != "*" && !accountRE.MatchString(p.Principal):
		d.errorf(principal, "principal %q: give a 12-digit account ID or \"*\"", p.Principal)
	}
	if org != nil {
		if !orgRE.MatchString(p.OrganizationID) {
			d.errorf(org, "organization-id %q is not an AWS Organizations ID such as o-a1b2c3d4e5", p.OrganizationID)
		} else if p.Principal != "*" {
			d.errorf(org, "organization-id needs principal \"*\"")
		}
	}
	return p
}

// index reads `index: {codeartifact: {domain, repository, owner?, region?}}`.
func (d *decoder) index(n *yaml.Node) *CodeArtifact {
	var ca *CodeArtifact
	d.mapping(n, "index", indexKeys, func(key string, k, v *yaml.Node) {
		ca = &CodeArtifact{}
		d.mapping(v, "codeartifact", codeartKeys, func(key string, k, v *yaml.Node) {
			s, _ := d.str(v, key)
			switch key {
			case "domain":
				ca.Domain = s
			case "repository":
				ca.Repository = s
			case "owner":
				ca.Owner = s
				if !accountRE.MatchString(s) {
					d.errorf(v, "owner: %q is not a 12-digit AWS account ID", s)
				}
			case "region":
				ca.Region = s
				if !regionRE.MatchString(s) {
					d.errorf(v, "region: %q is not an AWS region", s)
				}
			}
		})
		if ca.Domain == "" || ca.Repository == "" {
			d.errorf(k, "codeartifact needs a domain and a repository")
		}
	})
	return ca
}

func (d *decoder) report(n *yaml.Node) Report {
	var r Report
	d.mapping(n, "report", reportKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "fail-on":
			if s, ok := d.str(v, key); ok {
				f, err := failOn(s)
				if err != nil {
					d.errorf(v, "fail-on: %v", err)
				}
				r.FailOn = f
			}
		case "warn-ratio":
			if v.Kind != yaml.ScalarNode || (v.Tag != "!!float" && v.Tag != "!!int") {
				d.errorf(v, "warn-ratio must be a number between 0 and 1, such as 0.8")
				return
			}
			f, err := strconv.ParseFloat(v.Value, 64)
			if err != nil || f <= 0 || f > 1 {
				d.errorf(v, "warn-ratio must be more than 0 and at most 1, such as 0.8")
				return
			}
			r.WarnRatio = f
		case "deny-licenses":
			r.DenyLicenses = d.strList(v, key)
			for i, id := range r.DenyLicenses {
				if !license.ValidID(id) {
					d.errorf(item(v, i), "deny-licenses: %q is not an SPDX licence id (such as GPL-3.0-only or AGPL-3.0-or-later; see spdx.org/licenses)", id)
				}
			}
		}
	})
	return r
}

var packageNameRE = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)

// packageNames takes exclude-packages: project names, or the preset runtime-provided.
func (d *decoder) packageNames(n *yaml.Node, key string) []string {
	vals := d.strList(n, key)
	for i, v := range vals {
		if v != "runtime-provided" && !packageNameRE.MatchString(v) {
			d.errorf(item(n, i), "%s: %q is not a package name (letters, digits, ., - and _, no version) or runtime-provided (boto3, botocore and what only they need)", key, v)
		}
	}
	return vals
}

// globs takes exclude patterns: relative doublestar globs that cannot remove what importlib.metadata
// needs (the build checks the real files again).
func (d *decoder) globs(n *yaml.Node, key string) []ExcludeGlob {
	vals := d.strList(n, key)
	out := make([]ExcludeGlob, 0, len(vals))
	for i, v := range vals {
		at := item(n, i)
		out = append(out, ExcludeGlob{Pattern: v, Line: at.Line})
		switch {
		case !doublestar.ValidatePattern(v) || strings.HasPrefix(v, "/"):
			d.errorf(at, "%s: %q is not a valid glob: paths are relative to site-packages, / between directories, ** for any depth (e.g. \"**/tests/**\")", key, v)
		default:
			for _, f := range []string{"METADATA", "RECORD", "WHEEL", "entry_points.txt", "top_level.txt"} {
				if ok, _ := doublestar.Match(v, "pkg-1.0.dist-info/"+f); ok {
					d.errorf(at, "%s: %q would remove .dist-info/%s, which importlib.metadata needs: narrow it (e.g. \"**/tests/**\" instead of \"**\")", key, v, f)
					break
				}
			}
		}
	}
	return out
}

// failOn checks a fail-on value and returns its canonical form (report.ParseFailOn).
func failOn(s string) (string, error) {
	if !slices.Contains(FailOnValues, strings.ToLower(s)) {
		return "", fmt.Errorf("%q is not one of exceeded (the default: a Lambda limit or a budget), quota (Lambda's limits only), warn, error or never", s)
	}
	return report.ParseFailOn(s)
}

func (d *decoder) functions(n *yaml.Node) map[string]Function {
	m := map[string]Function{}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "functions must be a mapping of function names to settings, e.g. functions: {orders-api: {reserve: 20MB}}")
		return m
	}
	// Any key is a function name here, so the pairs are walked directly rather than as known keys.
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if strings.HasPrefix(k.Value, "x-") {
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.errorf(k, "function %s is set twice (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		if !functionRE.MatchString(k.Value) {
			d.errorf(k, "functions: %q is not a Lambda function name or unqualified ARN", k.Value)
		}
		var f Function
		if !isNull(v) {
			d.mapping(v, "function "+k.Value, functionKeys, func(key string, _, v *yaml.Node) {
				f.ReserveBytes = d.size(v, "reserve")
			})
		}
		m[k.Value] = f
	}
	return m
}

// suggest returns the known key closest to key, when it is close enough to be a typo.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dd := editdist.Levenshtein(key, k); dd < bestD {
			best, bestD = k, dd
		}
	}
	return best
}
