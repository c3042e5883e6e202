package action

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/oci"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

// pushImages pushes the layers that have an oci repository as OCI images (in a dry run, lists what it
// would push) and returns them and their Markdown for the summary. Registry credentials: the Docker
// config's (docker/login-action), else the github-token input for ghcr.io.
func pushImages(ctx context.Context, r *actionRun, rep *report.Report) ([]oci.Pushed, string, error) {
	images := []oci.Pushed{}
	layers, err := oci.FromReport(r.absReport(rep))
	if err != nil {
		return images, "", err
	}
	byRepo := map[string][]oci.Layer{}
	narrowed := map[string]bool{}
	for _, l := range layers {
		if cl := r.cfg.Layer(l.Name); cl != nil && cl.OCI.Repository != "" {
			l.Partial = cl.Narrowed
			if cl.Narrowed && !narrowed[l.Name] {
				narrowed[l.Name] = true
				r.notef("layer %s: this run builds %s only, so only the architecture tags (%s-%s-%s) are pushed: %s-%s names every architecture and is pushed by a run that builds them all",
					l.Name, strings.Join(cl.Architectures, ", "), l.Name, l.Runtime, cl.Architectures[0], l.Name, l.Runtime)
			}
			byRepo[cl.OCI.Repository] = append(byRepo[cl.OCI.Repository], l)
		}
	}
	meta := r.imageMeta(ctx)
	o := oci.Options{GitHubToken: r.opts.token, GitHubActor: r.env.Getenv("GITHUB_ACTOR"), UserAgent: "lambda-layers/" + version.Version}
	if r.env.HTTPClient != nil {
		o.Transport = r.env.HTTPClient.Transport
	}
	for _, repo := range slices.Sorted(maps.Keys(byRepo)) {
		sets, err := oci.Build(byRepo[repo], meta)
		if err != nil {
			return images, "", err
		}
		var got []oci.Pushed
		if r.opts.dryRun {
			var warning string
			got, warning, err = oci.DryRun(ctx, repo, sets, o)
			if warning != "" {
				r.warnf("%s", warning)
			}
		} else {
			got, err = oci.Push(ctx, repo, sets, o)
		}
		images = append(images, got...)
		if err != nil {
			return images, oci.Markdown(images, r.opts.dryRun), err
		}
	}
	var b strings.Builder
	oci.Table(&b, images, r.opts.dryRun)
	fmt.Fprint(r.env.Stdout, github.SafeLines(b.String()))
	return images, oci.Markdown(images, r.opts.dryRun), nil
}

// imageMeta is what the images say of their origin: the repository's URL, the commit and its time
// (from git, so the same commit always gives the same images).
func (r *actionRun) imageMeta(ctx context.Context) oci.Meta {
	m := oci.Meta{Revision: r.headSHA()}
	if repo := r.env.Getenv("GITHUB_REPOSITORY"); repo != "" {
		server := r.env.Getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		m.Source = strings.TrimSuffix(server, "/") + "/" + repo
	}
	if m.Revision != "" {
		out, err := r.git.Run(ctx, "show", "-s", "--format=%cI", m.Revision)
		if t, perr := time.Parse(time.RFC3339, strings.TrimSpace(out)); err == nil && perr == nil {
			m.Created = t
		} else {
			r.notef("the commit time of %s is not in the clone: the images say no creation time", gitrev.Short(m.Revision))
		}
	}
	return m
}

// absReport is the report with its zips' paths absolute: the report shows them relative to the
// workspace, and the process's directory may be another.
func (r *actionRun) absReport(rep *report.Report) *report.Report {
	abs := *rep
	abs.Layers = append([]report.Layer(nil), rep.Layers...)
	for i, l := range abs.Layers {
		if l.Zip != "" && !filepath.IsAbs(l.Zip) {
			abs.Layers[i].Zip = filepath.Join(r.root, filepath.FromSlash(l.Zip))
		}
	}
	return &abs
}
