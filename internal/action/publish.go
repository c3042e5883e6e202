package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/publish"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// publishOptions turns the config (and the dry-run input) into the publish package's options.
func (r *actionRun) publishOptions() publish.Options {
	c := r.cfg
	o := publish.Options{
		Regions: c.AWS.Regions, S3Bucket: c.AWS.S3Bucket, KeepVersions: c.AWS.KeepVersions, DryRun: r.opts.dryRun,
		NameTemplate: config.DefaultLayerName, Commit: r.headSHA(), License: c.AWS.License, Out: r.env.Stderr,
	}
	for _, l := range c.Layers {
		if l.LayerName != "" {
			if o.NameTemplates == nil {
				o.NameTemplates = map[string]string{}
			}
			o.NameTemplates[l.Name] = l.LayerName
		}
		if len(l.Functions) > 0 {
			if o.Functions == nil {
				o.Functions = map[string][]string{}
			}
			o.Functions[l.Name] = append(o.Functions[l.Name], l.Functions...)
		}
	}
	for _, p := range c.AWS.Permissions {
		switch {
		case p.Principal == "*" && p.OrganizationID != "":
			o.Permissions = append(o.Permissions, publish.Permission{Organization: p.OrganizationID})
		case p.Principal == "*":
			o.Permissions = append(o.Permissions, publish.Permission{Public: true})
		default:
			o.Permissions = append(o.Permissions, publish.Permission{Account: p.Principal})
		}
	}
	return o
}

// publishLayers publishes the built layers and returns the published layer version ARNs and the
// result's Markdown for the summary. AWS credentials come from the job's environment
// (aws-actions/configure-aws-credentials exports them; the container gets the job's env).
func publishLayers(ctx context.Context, r *actionRun, rep *report.Report) (arns []string, md string, err error) {
	o := r.publishOptions()
	clients, err := publish.NewAWSClients(ctx, publish.ClientConfig{Getenv: r.env.Getenv, HTTPClient: r.env.HTTPClient})
	if err != nil {
		return []string{}, "", err
	}
	if len(o.Regions) == 0 && clients.Region() != "" {
		o.Regions = []string{clients.Region()}
	}
	if err := o.Validate(); err != nil {
		return []string{}, "", fmt.Errorf("%w (set aws.regions in the config, the aws-region input, or AWS_REGION)", err)
	}
	res, err := publish.Publish(ctx, clients, r.absReport(rep), o)
	if errors.As(err, new(*publish.NoCredentialsError)) {
		err = fmt.Errorf("%w: add aws-actions/configure-aws-credentials before this step (with id-token: write for OIDC), or pass AWS_* variables in its env", err)
	}
	arns = []string{}
	if res != nil {
		for _, l := range res.Published() {
			arns = append(arns, l.ARN)
		}
		md = res.Markdown()
		fmt.Fprint(r.env.Stdout, github.SafeLines(resultTable(res)))
	}
	return arns, md, err
}

func resultTable(res *publish.Result) string {
	var b strings.Builder
	res.Table(&b)
	return b.String()
}
