package run

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/publish"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

const publishUsage = `Usage:
  lambda-layers publish --report dist/report.json [--region R …] [--s3-bucket B] [--keep N]
                        [--function LAYER=FUNCTION …] [--share-account ID …] [--share-org o-…] [--public]
                        [--name-template T] [--commit SHA] [--license L] [--dry-run]

Publishes every layer of the report as a Lambda layer version in each region (unchanged zips are
skipped), then shares, rolls out and prunes as asked. Credentials and region come from the AWS SDK's
default chain (AWS_* variables, profiles); AWS_ENDPOINT_URL points it at LocalStack or moto.

Exit codes: 0 published (or nothing to do), 1 refused or failed, 2 usage error.
`

type publishFlags struct {
	report, bucket, template, commit, license, org string
	regions, functions, accounts                   listFlag
	keep                                           int
	public, dryRun                                 bool
}

func publishCmd(ctx context.Context, env build.Env, args []string) int {
	var f publishFlags
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, publishUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.report, "report", filepath.Join("dist", "report.json"), "the build's report.json")
	fs.Var(&f.regions, "region", "AWS region (repeatable or comma-separated; default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)")
	fs.StringVar(&f.bucket, "s3-bucket", "", "S3 bucket to stage zips over 50 MB, in the layer's region ({region} is replaced)")
	fs.IntVar(&f.keep, "keep", 0, "keep the newest N versions of each layer, delete older unused ones (0: delete nothing)")
	fs.Var(&f.functions, "function", "roll out LAYER to FUNCTION (name or ARN) as LAYER=FUNCTION (repeatable)")
	fs.Var(&f.accounts, "share-account", "grant this AWS account use of the layers (repeatable)")
	fs.StringVar(&f.org, "share-org", "", "grant this AWS organization (o-…) use of the layers")
	fs.BoolVar(&f.public, "public", false, "grant every AWS account use of the layers")
	fs.StringVar(&f.template, "name-template", publish.DefaultNameTemplate, "Lambda layer name: {name}, {py}, {arch}")
	fs.StringVar(&f.commit, "commit", "", "commit recorded in each version's description (default: $GITHUB_SHA)")
	fs.StringVar(&f.license, "license", "", "LicenseInfo of each version")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the calls that would be made; write nothing")
	if err := fs.Parse(args); err != nil {
		return exitcode.Usage
	}
	if fs.NArg() > 0 {
		return publishUsageErr(env, "unexpected argument %q", fs.Arg(0))
	}
	o := publish.Options{
		Regions: publishSplit(f.regions), S3Bucket: f.bucket, KeepVersions: f.keep, DryRun: f.dryRun,
		NameTemplate: f.template, Commit: f.commit, License: f.license, Out: env.Stdout,
	}
	if o.Commit == "" {
		o.Commit = env.Getenv("GITHUB_SHA")
	}
	for _, a := range publishSplit(f.accounts) {
		o.Permissions = append(o.Permissions, publish.Permission{Account: a})
	}
	if f.org != "" {
		o.Permissions = append(o.Permissions, publish.Permission{Organization: f.org})
	}
	if f.public {
		o.Permissions = append(o.Permissions, publish.Permission{Public: true})
	}
	for _, fn := range f.functions {
		layer, name, ok := strings.Cut(fn, "=")
		if !ok || layer == "" || name == "" {
			return publishUsageErr(env, "--function %q: write LAYER=FUNCTION", fn)
		}
		if o.Functions == nil {
			o.Functions = map[string][]string{}
		}
		o.Functions[layer] = append(o.Functions[layer], name)
	}

	rep, err := readPublishReport(f.report)
	if err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers publish: %v\n", err)
		return exitcode.Failed
	}
	clients, err := publish.NewAWSClients(ctx, publish.ClientConfig{Getenv: env.Getenv, HTTPClient: env.HTTPClient})
	if err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers publish: %v\n", err)
		return exitcode.Failed
	}
	if len(o.Regions) == 0 && clients.Region() != "" {
		o.Regions = []string{clients.Region()}
	}
	if err := o.Validate(); err != nil {
		return publishUsageErr(env, "%v", err)
	}

	res, err := publish.Publish(ctx, clients, rep, o)
	if res != nil {
		fmt.Fprintln(env.Stdout)
		res.Table(env.Stdout)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers publish: %v\n", err)
		if errors.As(err, new(*publish.OptionsError)) {
			return exitcode.Usage
		}
		return exitcode.Failed
	}
	return exitcode.OK
}

func publishUsageErr(env build.Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "lambda-layers publish: "+format+"\n", args...)
	return exitcode.Usage
}

// publishSplit flattens repeated and comma-separated values.
func publishSplit(l listFlag) []string {
	var out []string
	for _, v := range l {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// readPublishReport reads report.json. A zip that is not where the report says (the build ran
// elsewhere, or the report travelled with its zips as an artifact) is looked for beside the report.
func readPublishReport(path string) (*report.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w (build first, or pass --report)", err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	for i, l := range rep.Layers {
		if l.Zip == "" {
			continue
		}
		if _, err := os.Stat(l.Zip); err == nil {
			continue
		}
		beside := filepath.Join(filepath.Dir(path), filepath.Base(l.Zip))
		if _, err := os.Stat(beside); err == nil {
			rep.Layers[i].Zip = beside
		}
	}
	return &rep, nil
}
