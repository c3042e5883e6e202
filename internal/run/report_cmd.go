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
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

const reportUsage = `Usage:
  lambda-layers report -r FILE [-r FILE…] --runtime python3.12[,…] [--arch x86_64[,arm64]] [--name NAME]
                       [--index-url URL] [--extra-index-url URL] [--pre] [--out DIR] [--cache-dir DIR]
                       [--base REF] [--repo DIR]
                       [--budget-zipped 40MB] [--budget-unzipped 120MB] [--warn 80] [--fail-on exceeded|warn|never]
                       [--markdown FILE] [--summary FILE] [--json FILE] [--top N]
  lambda-layers report --from dist/report.json [--base-from base/report.json] [same policy and output flags]

Builds the layers (or reads a report.json), checks them against Lambda's limits and your budgets, compares
them with the base revision's requirements (read with git, no checkout; the wheel cache is shared), and
writes the terminal table, report.json, a Markdown pull request comment and a job summary. A FILE of "-"
is standard output.

Exit codes: 0 ok, 1 a build failed, 2 usage error, 3 fails the policy (fail-on; a limit or budget exceeded).
`

type reportOptions struct {
	buildOptions
	base, repo, from, baseFrom   string
	budgetZipped, budgetUnzipped string
	warn, failOn                 string
	markdown, summary, jsonOut   string
	top                          int
	set                          map[string]bool // flags given on the command line
}

func reportCmd(ctx context.Context, env build.Env, args []string) int {
	o, code := parseReportFlags(env, args)
	if code >= 0 {
		return code
	}
	start := env.Now()
	var (
		cur, base *report.Report
		baseErr   error
		info      build.BaseInfo
	)
	if o.from != "" {
		var err error
		if cur, err = readReport(o.from); err != nil {
			fmt.Fprintf(env.Stderr, "lambda-layers report: %v\n", err)
			return exitcode.Failed
		}
	} else {
		plan, code := o.plan(env)
		if code >= 0 {
			return code
		}
		cur, base, info, baseErr = build.BuildHeadAndBase(ctx, env, plan, o.base, o.repo)
		if baseErr != nil {
			fmt.Fprintf(env.Stderr, "warning: no comparison with the base: %v\n", baseErr)
		}
	}
	if o.baseFrom != "" {
		var err error
		if base, err = readReport(o.baseFrom); err != nil {
			fmt.Fprintf(env.Stderr, "lambda-layers report: %v\n", err)
			return exitcode.Failed
		}
	}
	policy, err := o.policy(cur.Policy)
	if err != nil {
		return reportUsageErr(env, "%v", err)
	}
	report.Evaluate(cur, policy)
	ref := o.base // with --base-from, the base report's revision (when it has one) names the base
	if d := build.DiffWithBase(cur, base, ref, baseErr); d != nil || o.base != "" || o.baseFrom != "" {
		cur.Diff = d
	}

	opts := report.MarkdownOptions{Version: version.Version, TopN: o.top, BaseRef: ref, HeadSHA: info.Head, RepoDir: info.Root}
	if cur.Diff != nil {
		opts.BaseSHA = cur.Diff.BaseSHA
	}
	if opts.HeadSHA == "" {
		opts.HeadSHA = env.Getenv("GITHUB_SHA")
	}
	if srv, repo := env.Getenv("GITHUB_SERVER_URL"), env.Getenv("GITHUB_REPOSITORY"); srv != "" && repo != "" {
		opts.RepoURL = strings.TrimSuffix(srv, "/") + "/" + repo
	}
	if o.from == "" {
		opts.Duration = env.Now().Sub(start)
	}

	jsonOut := o.jsonOut
	if jsonOut == "" && o.from == "" {
		jsonOut = filepath.Join(o.out, "report.json")
	}
	table := env.Stdout
	if o.markdown == "-" || o.summary == "-" || o.jsonOut == "-" {
		table = env.Stderr
	}
	var written []string
	write := func(path, what string, content func() ([]byte, error)) bool {
		if path == "" {
			return true
		}
		b, err := content()
		if err == nil {
			err = writeOutput(env, path, b)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "lambda-layers report: writing the %s: %v\n", what, err)
			return false
		}
		if path != "-" {
			written = append(written, what+": "+path)
		}
		return true
	}
	ok := write(jsonOut, "report", func() ([]byte, error) {
		b, err := json.MarshalIndent(cur, "", "  ")
		return append(b, '\n'), err
	})
	ok = write(o.markdown, "comment", func() ([]byte, error) { return []byte(report.Markdown(cur, cur.Diff, opts)), nil }) && ok
	ok = write(o.summary, "summary", func() ([]byte, error) { return []byte(report.Summary(cur, cur.Diff, opts)), nil }) && ok

	cur.WriteTable(table, cur.Diff)
	if len(written) > 0 {
		fmt.Fprintf(table, "\n%s\n", strings.Join(written, "\n"))
	}
	switch {
	case !ok, cur.Failed():
		return exitcode.Failed
	case policy.Fails(cur):
		return exitcode.Quota
	}
	return exitcode.OK
}

func parseReportFlags(env build.Env, args []string) (*reportOptions, int) {
	o := &reportOptions{set: map[string]bool{}}
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, reportUsage) }
	o.addResolveFlags(fs)
	o.addLayerFlags(fs, "output directory for the zips (and report.json unless --json)")
	fs.StringVar(&o.base, "base", "", "git revision to compare with: its requirements files are read with git, no checkout")
	fs.StringVar(&o.repo, "repo", "", "git working tree for --base (default: the one holding the first requirements file)")
	fs.StringVar(&o.from, "from", "", "render this report.json instead of building")
	fs.StringVar(&o.baseFrom, "base-from", "", "compare with this report.json instead of building the base")
	fs.StringVar(&o.budgetZipped, "budget-zipped", "", "budget per layer, zipped (e.g. 40MB; MB = MiB)")
	fs.StringVar(&o.budgetUnzipped, "budget-unzipped", "", "budget per layer, unzipped (e.g. 120MB)")
	fs.StringVar(&o.warn, "warn", "", "warn at this share of a limit or budget (default 80)")
	fs.StringVar(&o.failOn, "fail-on", "", "exit 3 when: exceeded (default), warn, never")
	fs.StringVar(&o.markdown, "markdown", "", "write the pull request comment here")
	fs.StringVar(&o.summary, "summary", "", "write the job summary here (appended when it is $GITHUB_STEP_SUMMARY)")
	fs.StringVar(&o.jsonOut, "json", "", "write report.json here")
	fs.IntVar(&o.top, "top", report.DefaultTopN, "packages per layer in the comment's tables")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitcode.OK
		}
		return nil, exitcode.Usage
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return nil, reportUsageErr(env, "unexpected argument %q", fs.Arg(0))
	case o.from != "" && len(o.reqFiles) > 0:
		return nil, reportUsageErr(env, "pass either --from REPORT or -r FILE, not both")
	case o.from == "" && len(o.reqFiles) == 0:
		return nil, reportUsageErr(env, "no requirements file: pass -r FILE, or --from dist/report.json to render a report")
	case o.from != "" && o.base != "":
		return nil, reportUsageErr(env, "--base builds the base revision, which needs -r; with --from, compare with --base-from base/report.json")
	case o.base != "" && o.baseFrom != "":
		return nil, reportUsageErr(env, "pass either --base REF or --base-from FILE, not both")
	case o.top < 1:
		return nil, reportUsageErr(env, "--top must be at least 1")
	}
	if _, err := o.policy(nil); err != nil {
		return nil, reportUsageErr(env, "%v", err)
	}
	return o, -1
}

// policy is stored (a report's own, when re-rendering one) with the flags given on top.
func (o *reportOptions) policy(stored *report.Policy) (report.Policy, error) {
	var p report.Policy
	if stored != nil {
		p = *stored
	}
	if o.set["fail-on"] || p.FailOn == "" {
		v, err := report.ParseFailOn(o.failOn)
		if err != nil {
			return p, err
		}
		p.FailOn = v
	}
	if o.set["warn"] {
		v, err := report.ParsePercent(o.warn)
		if err != nil {
			return p, fmt.Errorf("--warn: %w", err)
		}
		p.WarnRatio = v
	}
	if o.set["budget-zipped"] || o.set["budget-unzipped"] {
		var b report.Budget
		for _, f := range []struct {
			flag, v string
			into    *int64
		}{{"budget-zipped", o.budgetZipped, &b.ZippedBytes}, {"budget-unzipped", o.budgetUnzipped, &b.UnzippedBytes}} {
			if !o.set[f.flag] {
				continue
			}
			n, err := report.ParseSize(f.v)
			if err != nil {
				return p, fmt.Errorf("--%s: %w", f.flag, err)
			}
			*f.into = n
		}
		budgets := map[string]report.Budget{}
		for k, v := range p.Budgets {
			budgets[k] = v
		}
		key := "*" // every layer of the run: the command line builds one, a report may hold several
		if o.name != "" {
			key = o.name
		}
		old := budgets[key]
		if o.set["budget-zipped"] {
			old.ZippedBytes = b.ZippedBytes
		}
		if o.set["budget-unzipped"] {
			old.UnzippedBytes = b.UnzippedBytes
		}
		budgets[key] = old
		p.Budgets = budgets
	}
	return p, p.Validate()
}

func (o *reportOptions) plan(env build.Env) (build.Plan, int) {
	targets, err := o.targets()
	if err != nil {
		return build.Plan{}, reportUsageErr(env, "%v", err)
	}
	return o.buildOptions.plan(targets), -1
}

func reportUsageErr(env build.Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "lambda-layers report: "+format+"\n", args...)
	return exitcode.Usage
}

func readReport(path string) (*report.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading report: %w", err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading report %s: %w", path, err)
	}
	if r.Layers == nil {
		return nil, fmt.Errorf("reading report %s: no \"layers\": is it a lambda-layers report.json?", path)
	}
	return &r, nil
}

// writeOutput writes b to path: "-" is standard output, and $GITHUB_STEP_SUMMARY is appended to, as
// GitHub expects of every writer of a step's summary.
func writeOutput(env build.Env, path string, b []byte) error {
	if path == "-" {
		_, err := env.Stdout.Write(b)
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if s := env.Getenv("GITHUB_STEP_SUMMARY"); s != "" && filepath.Clean(s) == filepath.Clean(path) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
