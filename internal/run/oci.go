package run

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/oci"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

// ociSets turns the report's layers into images. commit is the revision they record; its time comes
// from git in the working directory when it knows the commit (else the images say no time).
func (a *app) ociSets(rep *report.Report, commit string) ([]*oci.Set, error) {
	layers, err := oci.FromReport(rep)
	if err != nil {
		return nil, err
	}
	m := oci.Meta{Revision: commit}
	if repo := a.env.Getenv("GITHUB_REPOSITORY"); repo != "" {
		server := a.env.Getenv("GITHUB_SERVER_URL")
		if server == "" {
			server = "https://github.com"
		}
		m.Source = strings.TrimSuffix(server, "/") + "/" + repo
	}
	if commit != "" {
		if out, err := exec.CommandContext(a.ctx, "git", "show", "-s", "--format=%cI", commit).Output(); err == nil {
			if t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(out))); err == nil {
				m.Created = t
			}
		}
	}
	return oci.Build(layers, m)
}

// writeOCILayout writes the built layers as an OCI image layout in dir (build --oci-layout).
func (a *app) writeOCILayout(cmd *cobra.Command, rep *report.Report, dir string) int {
	sets, err := a.ociSets(rep, a.env.Getenv("GITHUB_SHA"))
	if err == nil {
		err = oci.WriteLayout(dir, sets)
	}
	if err != nil {
		return a.failf(cmd, "check that the folder is writable and that the zips the report names are there", "writing the OCI layout to %s: %v", dir, err)
	}
	return exitcode.OK
}

// pushImages pushes the report's layers as images to repo (publish --oci), or lists them (--dry-run).
// Credentials: the Docker config's, else GITHUB_TOKEN for ghcr.io.
func (a *app) pushImages(cmd *cobra.Command, rep *report.Report, repo, commit string, dryRun bool) int {
	sets, err := a.ociSets(rep, commit)
	if err != nil {
		fix := "build first: the images are made from the zips the report names (looked for beside it too)"
		if strings.Contains(err.Error(), "not a valid image tag") {
			fix = "build again with a shorter --name (or layer name in lambda-layers.yml)"
		}
		return a.failf(cmd, fix, "%v", err)
	}
	var images []oci.Pushed
	o := oci.Options{GitHubToken: a.env.Getenv("GITHUB_TOKEN"), GitHubActor: a.env.Getenv("GITHUB_ACTOR"), UserAgent: "lambda-layers/" + version.Version}
	if a.env.HTTPClient != nil {
		o.Transport = a.env.HTTPClient.Transport
	}
	if dryRun {
		var warning string
		images, warning, err = oci.DryRun(a.ctx, repo, sets, o)
		if warning != "" {
			fmt.Fprintln(a.env.Stderr, "warning:", warning)
		}
	} else {
		images, err = oci.Push(a.ctx, repo, sets, o)
	}
	if len(images) > 0 && !a.quiet {
		fmt.Fprintln(a.env.Stdout)
		oci.Table(a.env.Stdout, images, dryRun)
	}
	if err != nil {
		fix := "fix the cause and run publish again: images already in the registry are not pushed again"
		if errors.As(err, new(*oci.AuthError)) {
			fix = "log in with push access (docker login), or set GITHUB_TOKEN for ghcr.io"
		}
		return a.failf(cmd, fix, "pushing images: %v", err)
	}
	return exitcode.OK
}
