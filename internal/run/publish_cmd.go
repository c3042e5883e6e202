package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/publish"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

var publishDoc = &doc{
	synopsis: `lambda-layers publish --report dist/report.json [--region R …] [--s3-bucket B] [--keep N]
                      [--function LAYER=FN …] [--share-account ID …] [--share-org o-…] [--public]
                      [--name-template T] [--commit SHA] [--license L] [--dry-run]
                      [--oci REGISTRY/NAME]`,
	long: `Publishes every layer of the report as a Lambda layer version in each region (a zip whose
CodeSha256 equals the newest version's is skipped; zips over 50 MB go through S3), then shares,
rolls out to the named functions (keeping their other layers) and prunes old versions that no listed
function uses. Limits are checked before any call. Credentials and region come from the AWS SDK's
default chain (AWS_* variables, profiles); AWS_ENDPOINT_URL points it at LocalStack or moto.

With --oci, it pushes every layer as an OCI image for container-image functions (tags NAME-pythonX.Y
and NAME-pythonX.Y-HASH); with --oci and no --region, only images, and no AWS call. Registry
credentials come from the Docker config (docker login), or GITHUB_TOKEN for ghcr.io.`,
	examples: []example{
		{"Say what would be published to us-east-1, and publish nothing",
			"lambda-layers publish --report dist/report.json --region us-east-1 --dry-run"},
		{"Publish to two regions and let account 123456789012 use the layers",
			"lambda-layers publish --region us-east-1,eu-west-1 --share-account 123456789012"},
		{"Publish, and roll the new version of layer deps out to my-function, keeping its other layers",
			"lambda-layers publish --region us-east-1 --function deps=my-function"},
		{"Push the layers as images only (COPY --from=ghcr.io/acme/layers:NAME-python3.12 /opt /opt)",
			"lambda-layers publish --oci ghcr.io/acme/layers"},
	},
	footer: `Exit codes: 0 published (or nothing to do), 1 refused or failed, 2 usage error.`,
}

type publishFlags struct {
	report, bucket, template, commit, license, org string
	oci                                            string
	regions, functions, accounts                   []string
	keep                                           int
	public, dryRun                                 bool
}

func (a *app) publishCommand() *cobra.Command {
	var f publishFlags
	c := &cobra.Command{
		Use:   "publish",
		Short: "Publish the built layers as Lambda layer versions, share them and roll them out",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.code = a.publish(cmd, &f)
			return nil
		},
	}
	a.document(c, publishDoc)
	withGroup(c, groupPublish, func(fs *pflag.FlagSet) {
		fs.StringVar(&f.report, "report", filepath.Join("dist", "report.json"), "the build's report.json `FILE` (its zips are looked for beside it too)")
		fs.StringArrayVar(&f.regions, "region", nil, "publish to AWS `REGION`, repeatable or comma-separated (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)")
		fs.StringVar(&f.bucket, "s3-bucket", "", "stage zips over 50 MB in the S3 `BUCKET`, one in each layer's region ({region} is replaced)")
		fs.StringVar(&f.template, "name-template", publish.DefaultNameTemplate, "the Lambda layer name, a `TEMPLATE` of {name}, {py}, {arch}")
		fs.StringVar(&f.commit, "commit", "", "the commit `SHA` recorded in each version's description (default: $GITHUB_SHA)")
		fs.StringVar(&f.license, "license", "", "the `LICENSE` recorded as each version's LicenseInfo")
		fs.BoolVar(&f.dryRun, "dry-run", false, "print the calls that would be made; write nothing")
		fs.StringVar(&f.oci, "oci", "", "also push the layers as OCI images to `REGISTRY/NAME` (without --region: only images, no AWS call)")
	})
	withGroup(c, "Sharing and roll-out", func(fs *pflag.FlagSet) {
		fs.StringArrayVar(&f.accounts, "share-account", nil, "grant the AWS account `ID` use of the layers (repeatable)")
		fs.StringVar(&f.org, "share-org", "", "grant the AWS organization `ORG` (o-…) use of the layers")
		fs.BoolVar(&f.public, "public", false, "grant every AWS account use of the layers")
		fs.StringArrayVar(&f.functions, "function", nil, "roll a layer out to a function (name or ARN), written `LAYER=FUNCTION` (repeatable)")
		fs.IntVar(&f.keep, "keep", 0, "keep the newest `N` versions of each layer and delete older unused ones (0: delete nothing)")
	})
	c.RegisterFlagCompletionFunc("report", completeFiles("json"))
	return c
}

func (a *app) publish(cmd *cobra.Command, f *publishFlags) int {
	env := a.env
	o := publish.Options{
		Regions: publishSplit(f.regions), S3Bucket: f.bucket, KeepVersions: f.keep, DryRun: f.dryRun,
		NameTemplate: f.template, Commit: f.commit, License: f.license, Out: env.Stdout,
	}
	if o.Commit == "" {
		o.Commit = env.Getenv("GITHUB_SHA")
	}
	for _, acct := range publishSplit(f.accounts) {
		o.Permissions = append(o.Permissions, publish.Permission{Account: acct})
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
			return a.usageFail(cmd, "write --function LAYER=FUNCTION, e.g. --function deps=my-function", "--function %s: no layer or no function", fn)
		}
		if o.Functions == nil {
			o.Functions = map[string][]string{}
		}
		o.Functions[layer] = append(o.Functions[layer], name)
	}

	if f.oci != "" {
		if err := config.CheckRepository(f.oci); err != nil {
			return a.usageFail(cmd, "pass --oci REGISTRY/NAME, e.g. --oci ghcr.io/acme/layers", "--oci: %v", err)
		}
	}
	rep, err := readPublishReport(f.report)
	if err != nil {
		return a.failf(cmd, "build first (lambda-layers build … writes dist/report.json), or pass --report FILE", "%v", err)
	}
	if f.oci != "" && len(o.Regions) == 0 {
		return a.pushImages(cmd, rep, f.oci, o.Commit, f.dryRun)
	}
	if code := a.publishAWS(cmd, rep, o); code != exitcode.OK || f.oci == "" {
		return code
	}
	return a.pushImages(cmd, rep, f.oci, o.Commit, f.dryRun)
}

// publishAWS publishes the report's layers to Lambda.
func (a *app) publishAWS(cmd *cobra.Command, rep *report.Report, o publish.Options) int {
	env := a.env
	clients, err := publish.NewAWSClients(a.ctx, publish.ClientConfig{Getenv: env.Getenv, HTTPClient: env.HTTPClient})
	if err != nil {
		return a.failf(cmd, "set AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)", "loading the AWS configuration: %v", err)
	}
	if len(o.Regions) == 0 && clients.Region() != "" {
		o.Regions = []string{clients.Region()}
	}
	if err := o.Validate(); err != nil {
		fix := ""
		if len(o.Regions) == 0 {
			fix = "to push only images, with no AWS call, pass --oci REGISTRY/NAME without --region"
		}
		return a.usageFail(cmd, fix, "%v", err)
	}
	if a.quiet {
		o.Out = io.Discard
	}

	res, err := publish.Publish(a.ctx, clients, rep, o)
	if res != nil && !a.quiet {
		fmt.Fprintln(env.Stdout)
		res.Table(env.Stdout)
	}
	if err != nil {
		if errors.As(err, new(*publish.OptionsError)) {
			return a.usageFail(cmd, "", "%v", err)
		}
		if errors.As(err, new(*publish.NoCredentialsError)) {
			return a.failf(cmd, publish.NoCredentialsHint, "%v", err)
		}
		return a.failf(cmd, "fix the cause and run publish again: a zip already published unchanged is skipped", "%v", err)
	}
	return exitcode.OK
}

// publishSplit flattens repeated and comma-separated values.
func publishSplit(l []string) []string {
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
		return nil, fmt.Errorf("reading the report: %w", err)
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
