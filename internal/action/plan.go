package action

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/mdtext"
	"github.com/lambda-layers/lambda-layers/internal/ordered"
	"github.com/lambda-layers/lambda-layers/internal/pyproject"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// maxLegs is GitHub's limit on the jobs one matrix makes.
const maxLegs = 256

// leg is one job of the matrix: one layer on one target.
type leg struct {
	Layer   string `json:"layer"`
	Runtime string `json:"runtime"`
	Arch    string `json:"arch"`
}

type matrix struct {
	value map[string][]leg // {"include": [...]}
	total int              // legs before the cut
}

// matrixOf makes the matrix of the layers kept (nil keeps all), at most maxLegs legs.
func matrixOf(layers []config.Layer, keep map[string]bool) matrix {
	m := matrix{value: map[string][]leg{"include": {}}}
	for _, l := range layers {
		if keep != nil && !keep[l.Name] {
			continue
		}
		ts, err := l.Targets()
		if err != nil {
			continue
		}
		for _, t := range ts {
			m.total++
			if len(m.value["include"]) < maxLegs {
				m.value["include"] = append(m.value["include"], leg{Layer: l.Name, Runtime: t.Name, Arch: t.Arch})
			}
		}
	}
	return m
}

func parseTarget(runtime, arch string) (target.Target, error) { return target.Parse(runtime, arch) }

// planMode says which layers changed between the base and the head, as a matrix with one leg per
// layer and target, so that each builds on its own runner.
func (r *actionRun) planMode(ctx context.Context) int {
	baseSHA := r.baseSHA(ctx)
	reasons := r.changedLayers(ctx, baseSHA)
	keep := map[string]bool{}
	var names []string
	for _, l := range r.cfg.Layers {
		if reasons[l.Name] != "" {
			keep[l.Name] = true
			names = append(names, l.Name)
		}
	}
	m := matrixOf(r.cfg.Layers, keep)
	r.setJSON("matrix", m.value)
	r.setJSON("changed", nonNil(names))
	r.setJSON("layers", r.plannedLayers())
	r.setJSON("published", []string{})

	against := "no base to compare with: every layer counts as changed"
	if baseSHA != "" {
		against = "compared with " + gitrev.Short(baseSHA)
	}
	fmt.Fprintf(&r.summary, "## Lambda layers: plan\n\n%d of %s changed (%s): %s.\n\n",
		len(names), mdtext.Plural(len(r.cfg.Layers), "layer", "layers"), against, mdtext.Plural(m.total, "matrix leg", "matrix legs"))
	r.summary.WriteString("| layer | targets | changed |\n|---|---|---|\n")
	for _, l := range r.cfg.Layers {
		why := reasons[l.Name]
		if why == "" {
			why = "no"
		}
		fmt.Fprintf(&r.summary, "| %s | %s × %s | %s |\n", mdEscape(l.Name), strings.Join(l.Runtimes, ", "), strings.Join(l.Architectures, ", "), mdEscape(why))
	}
	fmt.Fprintf(r.env.Stderr, "%d of %d layers changed; %d matrix legs\n", len(names), len(r.cfg.Layers), m.total)
	if m.total > maxLegs {
		r.warnf("the plan has %d matrix legs; a GitHub matrix takes at most %d, so the matrix output holds the first %d: split the layers into several plans (the layer input) or build several targets per leg", m.total, maxLegs, maxLegs)
		fmt.Fprintf(&r.summary, "\n> [!WARNING]\n> The matrix was cut to its first %d of %d legs (GitHub's limit).\n", maxLegs, m.total)
	}
	return exitcode.OK
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// plannedLayers is the layers output of plan mode: every layer and target, without sizes.
func (r *actionRun) plannedLayers() []layerOutput {
	out := []layerOutput{}
	for _, l := range r.cfg.Layers {
		ts, _ := l.Targets()
		for _, t := range ts {
			out = append(out, layerOutput{Name: l.Name, Runtime: t.Name, Architecture: t.Arch, LayerName: l.PublishedName(t)})
		}
	}
	return out
}

// changedNames are the layers changed since baseSHA, or all when there is no base.
func (r *actionRun) changedNames(ctx context.Context, baseSHA string) []string {
	reasons := r.changedLayers(ctx, baseSHA)
	names := []string{}
	for _, l := range r.cfg.Layers {
		if reasons[l.Name] != "" {
			names = append(names, l.Name)
		}
	}
	return names
}

// changedLayers says, for each layer that changed between baseSHA and HEAD, why: one of its
// requirements files or the files they include changed, or its part of the config file did. With no
// base, or when git cannot tell, every layer has changed.
func (r *actionRun) changedLayers(ctx context.Context, baseSHA string) map[string]string {
	reasons := map[string]string{}
	all := func(why string) map[string]string {
		for _, l := range r.cfg.Layers {
			reasons[l.Name] = why
		}
		return reasons
	}
	if baseSHA == "" {
		return all("no base to compare with")
	}
	files, err := r.git.Changed(ctx, baseSHA, "HEAD")
	if err != nil {
		r.warnf("listing the files changed since %s: %v", gitrev.Short(baseSHA), err)
		return all("git could not tell")
	}
	changed := map[string]bool{}
	for _, f := range files {
		changed[f] = true
	}
	if r.cfg.File != "" && changed[r.cfg.File] {
		r.configChanges(ctx, baseSHA, reasons)
	}
	for _, l := range r.cfg.Layers {
		if reasons[l.Name] != "" {
			continue
		}
		var abs []string
		for _, f := range l.Requirements {
			abs = append(abs, filepath.Join(r.root, filepath.FromSlash(f)))
		}
		read := l.Requirements
		var set *requirements.Set
		var err error
		if !slices.ContainsFunc(l.Requirements, takenByName) { // a lock or a pyproject.toml includes no other file
			set, err = requirements.Parse(abs, requirements.ParseOptions{Getenv: r.env.Getenv})
		}
		if set != nil && len(set.Files) > 0 {
			read = nil
			for _, f := range set.Files {
				read = append(read, r.rel(f))
			}
		}
		for _, f := range read {
			if changed[f] {
				reasons[l.Name] = f + " changed"
				break
			}
		}
		if reasons[l.Name] == "" && err != nil && slices.ContainsFunc(l.Requirements, func(f string) bool { return changed[f] }) {
			reasons[l.Name] = "its requirements do not parse"
		}
	}
	return reasons
}

// configChanges compares each layer's definition with the base's config file.
func (r *actionRun) configChanges(ctx context.Context, baseSHA string, reasons map[string]string) {
	data, err := r.git.Show(ctx, baseSHA, r.cfg.File)
	if err != nil {
		for _, l := range r.cfg.Layers {
			reasons[l.Name] = r.cfg.File + " is new"
		}
		return
	}
	old, err := config.Parse(r.cfg.File, data)
	if err != nil || old.IndexURL != r.cfg.IndexURL || !reflect.DeepEqual(old.CodeArtifact, r.cfg.CodeArtifact) || !reflect.DeepEqual(old.AWS, r.cfg.AWS) ||
		!reflect.DeepEqual(old.Functions, r.cfg.Functions) || old.Report.WarnRatio != r.cfg.Report.WarnRatio {
		for _, l := range r.cfg.Layers {
			reasons[l.Name] = r.cfg.File + " changed for every layer"
		}
		return
	}
	for _, l := range r.cfg.Layers {
		o := old.Layer(l.Name)
		if o == nil {
			reasons[l.Name] = "new in " + r.cfg.File
			continue
		}
		a, b := *o, l
		a.Line, b.Line = 0, 0
		// The inputs may have narrowed the head's targets: compare those targets only.
		a.Runtimes = ordered.Intersect(a.Runtimes, b.Runtimes)
		a.Architectures = ordered.Intersect(a.Architectures, b.Architectures)
		if !reflect.DeepEqual(a, b) {
			reasons[l.Name] = "its entry in " + r.cfg.File + " changed"
		}
	}
}

// takenByName reports whether a layer's input is a lock file or a pyproject.toml, which the engine
// reads by name rather than as a requirements file.
func takenByName(f string) bool { return lockfile.Detect(f) != "" || pyproject.IsPyproject(f) }
