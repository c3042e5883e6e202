package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/codeartifact"
	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/oci"
	"github.com/lambda-layers/lambda-layers/internal/outfile"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
)

// buildPlan turns the config into the build engine's plan, with paths made absolute under the
// workspace (the process's working directory need not be the workspace).
func (r *actionRun) buildPlan() (build.Plan, error) {
	p := build.Plan{IndexURL: r.cfg.IndexURL, Out: r.outDir(), CacheDir: r.cacheDir(), Refresh: r.opts.refresh,
		ReadFile: r.readInWorkspace}
	if u := p.IndexURL; u != "" && !strings.Contains(u, "://") && !filepath.IsAbs(u) {
		p.IndexURL = filepath.Join(r.root, filepath.FromSlash(u)) // a local index in the repository
	}
	for _, l := range r.cfg.Layers {
		ts, err := l.Targets()
		if err != nil {
			return p, fmt.Errorf("layer %s: %w", l.Name, err)
		}
		lp := build.LayerPlan{Name: l.Name, Targets: ts, Extras: l.Extras, Groups: l.Groups,
			ExcludePackages: l.ExcludePackages, Shared: l.Layout == config.LayoutShared}
		for _, g := range l.Exclude {
			lp.Exclude = append(lp.Exclude, layer.Rule{Pattern: g.Pattern, Origin: r.cfg.Origin(g.Line)})
		}
		for _, f := range l.Requirements {
			lp.Requirements = append(lp.Requirements, filepath.Join(r.root, filepath.FromSlash(f)))
		}
		p.Layers = append(p.Layers, lp)
	}
	return p, nil
}

// readInWorkspace reads a requirements, pyproject or lock file (or one they include) for the build, only
// from inside the workspace, symlinks included: a pull request could commit requirements.txt as a symlink
// to /proc/self/environ, or write `-r /proc/self/environ`, and the parse error would quote the action's
// environment, its token with it, in the comment and report.json.
func (r *actionRun) readInWorkspace(path string) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(r.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is outside the repository: the action reads only the repository's files", path)
	}
	root, err := os.OpenRoot(r.root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w (the action reads only the repository's files, and follows no symlink out of it)", rel, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, requirements.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > requirements.MaxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB, more than any requirements or lock file", rel, requirements.MaxFileBytes>>20)
	}
	return data, nil
}

// buildMode builds every layer; withReport also builds the base, compares and comments on the
// pull request.
func (r *actionRun) buildMode(ctx context.Context, withReport bool) int {
	cur, d, baseSHA, code := r.build(ctx, withReport)
	if cur == nil {
		return code
	}
	if withReport {
		r.reportOn(ctx, cur, d, baseSHA, r.cfg.Policy())
	} else {
		r.summarize(cur, nil, "")
	}
	return code
}

// build builds the plan (and, withBase, the base revision to compare with), evaluates the policy,
// writes report.json and sets the outputs that come from it. The exit code follows the policy.
func (r *actionRun) build(ctx context.Context, withBase bool) (cur *report.Report, d *report.Diff, baseSHA string, code int) {
	plan, err := r.buildPlan()
	if err != nil {
		return nil, nil, "", r.fatal(exitcode.Usage, "planning the build", err)
	}
	env := r.env
	if ca := r.cfg.CodeArtifact; ca != nil && r.cfg.IndexURL == "" {
		x, err := codeartifact.Open(ctx, codeartifact.Repository{Domain: ca.Domain, Repository: ca.Repository, Owner: ca.Owner, Region: ca.Region},
			codeartifact.Options{Getenv: env.Getenv, Now: env.Now})
		if err == nil {
			plan.IndexURL, err = x.URL(ctx)
		}
		if err != nil {
			return nil, nil, "", r.fatal(exitcode.Failed, "using the CodeArtifact repository "+ca.Domain+"/"+ca.Repository, err)
		}
		env.HTTPClient = x.HTTPClient(env.HTTPClient)
	}
	var base *report.Report
	unavailable := ""
	if withBase {
		if baseSHA = r.baseSHA(ctx); baseSHA == "" {
			unavailable = "no base revision to compare with"
		}
	}
	if baseSHA != "" {
		cur, base, err = buildWithBase(ctx, env, plan, baseSHA, r.root)
		if err != nil {
			r.warnf("building the base %s to compare with: %v", gitrev.Short(baseSHA), err)
			unavailable = fmt.Sprintf("the base %s could not be read: %v", gitrev.Short(baseSHA), err)
			base = nil
		}
	}
	if cur == nil {
		cur = build.Build(ctx, env, plan)
	}
	r.shareCache(cur)
	policy := r.cfg.Policy()
	for _, rep := range []*report.Report{cur, base} {
		if rep != nil {
			r.relativize(rep)
			report.Evaluate(rep, policy)
		}
	}
	if withBase {
		if d = report.Compare(cur, base); d == nil {
			d = &report.Diff{Unavailable: unavailable, Layers: []report.LayerDiff{}}
		}
		d.BaseSHA = baseSHA
		if ref := r.opts.baseRef; ref != "" && ref != baseSHA {
			d.BaseRef = ref
		} else if pr := r.event.PullRequest; pr != nil {
			d.BaseRef = pr.Base.Ref
		}
		cur.Diff = d
	}
	out := r.outDir()
	if err := outfile.MkdirAll(out); err != nil {
		return nil, nil, "", r.fatal(exitcode.Failed, "writing the report", err)
	}
	if err := cur.WriteFile(filepath.Join(out, "report.json")); err != nil {
		return nil, nil, "", r.fatal(exitcode.Failed, "writing the report", err)
	}
	if base != nil {
		if err := base.WriteFile(filepath.Join(out, "base-report.json")); err != nil {
			r.warnf("writing the base report: %v", err)
		}
	}
	var table bytes.Buffer
	cur.WriteTable(&table, d)
	fmt.Fprint(r.env.Stdout, github.SafeLines(table.String()))

	r.outputs["report-json"] = r.rel(filepath.Join(out, "report.json"))
	r.setJSON("layers", r.layersOutput(cur))
	r.setJSON("matrix", matrixOf(r.cfg.Layers, nil).value)
	r.setJSON("changed", r.changedNames(ctx, baseSHA))
	r.setJSON("published", []string{})
	r.setJSON("images", []oci.Pushed{})
	r.annotateReport(cur)
	return cur, d, baseSHA, exitcode.OfPolicy(cur, policy)
}

// baseSHA is the revision to compare with: the base-ref input, else the pull request's base or the
// push's before. "" when there is none or the clone lacks it (a shallow checkout).
func (r *actionRun) baseSHA(ctx context.Context) string {
	ref := r.opts.baseRef
	if ref == "" {
		ref = r.event.BaseSHA()
	}
	if ref == "" {
		return ""
	}
	for _, cand := range []string{ref, "origin/" + ref} {
		if r.git.HasCommit(ctx, cand) {
			out, err := r.git.Run(ctx, "rev-parse", "--verify", "--quiet", cand+"^{commit}")
			if err == nil {
				return strings.TrimSpace(out)
			}
		}
	}
	r.notef("the base %s is not in the clone, so there is nothing to compare with: check out with fetch-depth: 0", gitrev.Short(ref))
	return ""
}

// relativize shows the report's paths relative to the workspace, as a reader of the repository
// knows them (and as annotations need them).
func (r *actionRun) relativize(rep *report.Report) {
	prefix := r.root + string(filepath.Separator)
	fix := func(s string) string { return strings.ReplaceAll(s, prefix, "") }
	for i := range rep.Layers {
		l := &rep.Layers[i]
		l.Zip = r.rel(l.Zip)
		if l.SBOM != "" {
			l.SBOM = r.rel(l.SBOM)
		}
		for j, f := range l.Requirements {
			l.Requirements[j] = r.rel(f)
		}
		for j, w := range l.Warnings {
			l.Warnings[j] = fix(w)
		}
		for j := range l.Packages {
			for k, by := range l.Packages[j].RequiredBy { // "/github/workspace/requirements.txt:3"
				l.Packages[j].RequiredBy[k] = fix(by)
			}
		}
		for j := range l.DeniedLicenses {
			l.DeniedLicenses[j].Requirement = fix(l.DeniedLicenses[j].Requirement)
		}
		if l.Error != nil {
			l.Error.File = r.rel(l.Error.File)
			l.Error.Message = fix(l.Error.Message)
		}
	}
}

// layerOutput is one entry of the layers output.
type layerOutput struct {
	Name          string `json:"name"`
	Runtime       string `json:"runtime"`
	Architecture  string `json:"architecture"`
	LayerName     string `json:"layer_name"`
	Zip           string `json:"zip,omitempty"`
	ZippedBytes   int64  `json:"zipped_bytes"`
	UnzippedBytes int64  `json:"unzipped_bytes"`
	CodeSHA256    string `json:"code_sha256,omitempty"`
	Error         string `json:"error,omitempty"`
}

func (r *actionRun) layersOutput(rep *report.Report) []layerOutput {
	out := []layerOutput{}
	for _, l := range rep.Layers {
		o := layerOutput{Name: l.Name, Runtime: l.Runtime, Architecture: l.Architecture, Zip: l.Zip,
			ZippedBytes: l.ZippedBytes, UnzippedBytes: l.UnzippedBytes, CodeSHA256: l.CodeSHA256}
		if cl := r.cfg.Layer(l.Name); cl != nil {
			if t, err := parseTarget(l.Runtime, l.Architecture); err == nil {
				o.LayerName = cl.PublishedName(t)
			}
		}
		if l.Error != nil {
			o.Error = firstLineOf(l.Error.Message)
		}
		out = append(out, o)
	}
	return out
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// positionRE finds "file:line: message" lines in a failure's message (requirements errors are
// joined, one a line).
var positionRE = regexp.MustCompile(`^(\S[^:\n]*):([0-9]+): (.+)$`)

// annotateReport turns failures, quotas over their limits and warnings into annotations on the
// requirements lines (or config lines) at fault.
func (r *actionRun) annotateReport(rep *report.Report) {
	for _, l := range rep.Layers {
		where := l.Name + " (" + l.Runtime + " " + l.Architecture + ")"
		file := ""
		if len(l.Requirements) > 0 {
			file = l.Requirements[0]
		}
		if l.Error != nil {
			found := false
			for _, line := range strings.Split(l.Error.Message, "\n") {
				m := positionRE.FindStringSubmatch(strings.TrimSpace(line))
				if m == nil || !slices.Contains(l.Requirements, m[1]) {
					continue
				}
				n, _ := strconv.Atoi(m[2])
				r.annotations = append(r.annotations, github.Annotation{Level: "error", File: m[1], Line: n, Title: where + ": build failed", Message: m[3]})
				found = true
			}
			if !found {
				a := github.Annotation{Level: "error", File: file, Title: where + ": build failed", Message: l.Error.Message}
				if l.Error.File != "" {
					a.File, a.Line = l.Error.File, l.Error.Line
				}
				r.annotations = append(r.annotations, a)
			}
			continue
		}
		qfile, qline := file, 0
		if cl := r.cfg.Layer(l.Name); cl != nil && r.cfg.File != "" {
			qfile, qline = r.cfg.File, cl.Line
		}
		for _, q := range l.Quotas {
			level := ""
			switch {
			case q.State == report.StateExceeded && q.Blocking:
				level = "error"
			case q.State == report.StateExceeded, q.State == report.StateWarn:
				level = "warning"
			default:
				continue
			}
			msg := fmt.Sprintf("%s: %s of %s", q.Name, report.Bytes(q.UsedBytes), report.Bytes(q.LimitBytes))
			if q.Unit != "" {
				msg = fmt.Sprintf("%s: %d of %d %s", q.Name, q.Used, q.Limit, q.Unit)
			}
			if q.Note != "" {
				msg += " — " + q.Note
			}
			r.annotations = append(r.annotations, github.Annotation{Level: level, File: qfile, Line: qline, Title: where, Message: msg})
		}
		for _, w := range l.Warnings {
			r.annotations = append(r.annotations, github.Annotation{Level: "warning", File: file, Title: where, Message: w})
		}
		for _, d := range l.DeniedLicenses {
			a := github.Annotation{Level: "error", File: file, Title: where + ": denied licence",
				Message: fmt.Sprintf("%s %s is licensed %s, which report.deny-licenses forbids (%s)", d.Package, d.Version, d.License, strings.Join(d.Denied, ", "))}
			if i := strings.LastIndexByte(d.Requirement, ':'); i > 0 {
				if n, err := strconv.Atoi(d.Requirement[i+1:]); err == nil {
					a.File, a.Line = r.rel(d.Requirement[:i]), n
				}
			}
			r.annotations = append(r.annotations, a)
		}
	}
	for _, f := range rep.Functions {
		for _, q := range f.Quotas {
			if q.State == report.StateExceeded {
				r.annotations = append(r.annotations, github.Annotation{Level: "error", File: r.cfg.File, Title: "function " + f.Name, Message: q.Note})
			}
		}
	}
}

// publishMode builds and publishes.
func (r *actionRun) publishMode(ctx context.Context) int {
	cur, _, _, code := r.build(ctx, false)
	if cur == nil {
		return code
	}
	if code != exitcode.OK {
		r.summarize(cur, nil, "")
		fmt.Fprintf(&r.summary, "\nNothing was published: the build did not pass.\n")
		return code
	}
	// Lambda first (when configured), then the registry: a failure stops before the next outlet.
	published, images := []string{}, []oci.Pushed{}
	var md, imd, doing string
	var err error
	if r.cfg.PublishesToAWS() {
		published, md, err = publishLayers(ctx, r, cur)
		doing = "publishing"
	}
	if err == nil && r.cfg.PushesImages() {
		images, imd, err = pushImages(ctx, r, cur)
		doing = "pushing images"
	}
	r.summarize(cur, nil, "")
	for _, s := range []string{md, imd} {
		if s != "" {
			fmt.Fprintf(&r.summary, "\n%s\n", s)
		}
	}
	r.setJSON("published", published)
	r.setJSON("images", images)
	if err != nil {
		return r.fatal(exitcode.Failed, doing, err)
	}
	return exitcode.OK
}

// writeJSONFile writes v as indented JSON.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return outfile.WriteFile(path, append(b, '\n'))
}
