package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/gitrev"
	"github.com/lambda-layers/lambda-layers/internal/outfile"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/markdown"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

var reportDoc = &doc{
	synopsis: `lambda-layers report -r FILE [-r FILE…] --runtime … [--arch …] [--base REF] [--budget-zipped 40MB]
                     [--budget-unzipped 120MB] [--warn 80] [--fail-on exceeded|warn|never]
                     [--markdown FILE] [--summary FILE] [--json FILE] [--refresh | --offline]
lambda-layers report --from dist/report.json [--base-from base/report.json] […]`,
	long: `Builds the layers as build does (or reads a report.json), checks them against Lambda's limits and
your budgets, compares them with the requirements as they are at a git revision (read with git, no
checkout; the wheel cache is shared), and writes the terminal table, report.json, a Markdown pull
request comment and a job summary. A FILE of - is standard output (the table then goes to standard
error).`,
	examples: []example{
		{"Build and hold the layer to a 40 MB zipped budget: exit 3 when it is over",
			"lambda-layers report -r requirements.txt --runtime python3.12 --budget-zipped 40MB"},
		{"Compare with the main branch and write the pull request comment",
			"lambda-layers report -r requirements.txt --runtime python3.12 --base main --markdown comment.md"},
		{"Render a report.json built elsewhere as the comment, on standard output",
			"lambda-layers report --from dist/report.json --markdown -"},
	},
	footer: `Exit codes: 0 ok, 1 a build failed, 2 usage error, 3 the policy fails (--fail-on: a limit or budget
exceeded, or near it with warn).`,
}

type reportOptions struct {
	buildOptions
	base, repo, from, baseFrom   string
	budgetZipped, budgetUnzipped string
	warn, failOn                 string
	markdown, summary, jsonOut   string
	top                          int
	set                          func(name string) bool // whether the option was given
}

func (a *app) reportCommand() *cobra.Command {
	o := &reportOptions{}
	c := &cobra.Command{
		Use:   "report",
		Short: "Check limits and budgets, compare with a base revision, write the PR comment",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.set = cmd.Flags().Changed
			a.code = a.report(cmd, o)
			return nil
		},
	}
	a.document(c, reportDoc)
	o.addResolveFlags(c)
	o.addLayerFlags(c, "write the zips (and report.json, unless --json) into `DIR`")
	withGroup(c, groupReport, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.base, "base", "", "compare with the git revision `REF`: its requirements files are read with git, no checkout")
		fs.StringVar(&o.repo, "repo", "", "the git working tree `DIR` for --base (default: the one holding the first requirements file)")
		fs.StringVar(&o.from, "from", "", "render the report.json `FILE` instead of building")
		fs.StringVar(&o.baseFrom, "base-from", "", "compare with the base's report.json `FILE` instead of building the base")
		fs.StringVar(&o.budgetZipped, "budget-zipped", "", "budget per layer, zipped: a `SIZE` such as 40MB (MB = MiB)")
		fs.StringVar(&o.budgetUnzipped, "budget-unzipped", "", "budget per layer, unzipped: a `SIZE` such as 120MB")
		fs.StringVar(&o.warn, "warn", "80", "warn at `PERCENT` of a limit or budget")
		fs.StringVar(&o.failOn, "fail-on", "exceeded", "exit 3 when a limit or budget is exceeded, when one is near it (warn), or never")
	})
	withGroup(c, groupOutput, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.markdown, "markdown", "", "write the pull request comment to `FILE`")
		fs.StringVar(&o.summary, "summary", "", "write the job summary to `FILE` (appended to when it is $GITHUB_STEP_SUMMARY)")
		fs.StringVar(&o.jsonOut, "json", "", "write report.json to `FILE` (default: DIR/report.json when building)")
		fs.IntVar(&o.top, "top", markdown.DefaultTopN, "packages per layer in the comment's tables")
	})
	setMetavar(c.Flags(), "fail-on", "exceeded|warn|never")
	o.addCacheFlags(c)
	c.RegisterFlagCompletionFunc("fail-on", completeOne("exceeded", "warn", "never"))
	c.RegisterFlagCompletionFunc("from", completeFiles("json"))
	c.RegisterFlagCompletionFunc("base-from", completeFiles("json"))
	c.RegisterFlagCompletionFunc("repo", completeDirs)
	return c
}

func (a *app) report(cmd *cobra.Command, o *reportOptions) int {
	if code := a.checkReportFlags(cmd, o); code >= 0 {
		return code
	}
	start := a.env.Now()
	var (
		cur, base *report.Report
		baseErr   error
		info      build.BaseInfo
	)
	if o.from != "" {
		var err error
		if cur, err = readReport(o.from); err != nil {
			return a.failf(cmd, reportFix(err), "%v", err)
		}
	} else {
		targets, err := o.targets()
		if err != nil {
			return a.usageFail(cmd, targetFix, "%v", err)
		}
		if code := a.checkInputFlags(cmd, &o.buildOptions); code >= 0 {
			return code
		}
		if code := a.checkSlimFlags(cmd, &o.buildOptions); code >= 0 {
			return code
		}
		if code := a.checkInputFiles(cmd, &o.buildOptions); code >= 0 {
			return code
		}
		env, plan := a.engineEnv(), o.plan(targets)
		if o.base != "" {
			// A base the user named that is not there (a typo, no repository) is a mistake in the
			// command line: said before anything is built, and never only as a line --quiet hides. A
			// shallow clone is different: the revision exists upstream, and the report still goes out,
			// saying what to fetch (TestReportShallowClone).
			var missing *gitrev.MissingRevisionError
			if err := build.CheckBase(a.ctx, plan, o.base, o.repo); err != nil && !(errors.As(err, &missing) && missing.Shallow) {
				return a.usageFail(cmd, baseFix(err, o.repo), "--base %s: %v", o.base, baseWhat(err))
			}
		}
		if err := o.codeArtifactFlag(a.ctx, &env, &plan); err != nil {
			return a.codeArtifactFail(cmd, o.codeartifact, err)
		}
		cur, base, info, baseErr = build.BuildHeadAndBase(a.ctx, env, plan, o.base, o.repo)
		a.warnings(cur)
		if baseErr != nil && !a.quiet {
			fmt.Fprintf(a.env.Stderr, "warning: no comparison with the base: %v\n", baseErr)
		}
	}
	if o.baseFrom != "" {
		var err error
		if base, err = readReport(o.baseFrom); err != nil {
			return a.failf(cmd, reportFix(err), "%v", err)
		}
	}
	policy, err := o.policy(cur.Policy)
	if err != nil {
		return a.usageFail(cmd, "", "%v", err)
	}
	report.Evaluate(cur, policy)
	ref := o.base // with --base-from, the base report's revision (when it has one) names the base
	if d := build.DiffWithBase(cur, base, ref, baseErr); d != nil || o.base != "" || o.baseFrom != "" {
		cur.Diff = d
	}

	opts := markdown.Options{Version: version.Version, TopN: o.top, BaseRef: ref, HeadSHA: info.Head, RepoDir: info.Root}
	if cur.Diff != nil {
		opts.BaseSHA = cur.Diff.BaseSHA
	}
	if opts.HeadSHA == "" {
		opts.HeadSHA = a.env.Getenv("GITHUB_SHA")
	}
	if srv, repo := a.env.Getenv("GITHUB_SERVER_URL"), a.env.Getenv("GITHUB_REPOSITORY"); srv != "" && repo != "" {
		opts.RepoURL = strings.TrimSuffix(srv, "/") + "/" + repo
	}
	if o.from == "" {
		opts.Duration = a.env.Now().Sub(start)
	}

	jsonOut := o.jsonOut
	if jsonOut == "" && o.from == "" {
		jsonOut = filepath.Join(o.out, "report.json")
	}
	toStderr := o.markdown == "-" || o.summary == "-" || o.jsonOut == "-"
	table := a.tableOut(toStderr)
	var written []string
	write := func(path, what string, content func() ([]byte, error)) bool {
		if path == "" {
			return true
		}
		b, err := content()
		if err == nil {
			err = writeOutput(a.env, path, b)
		}
		if err != nil {
			a.failf(cmd, "check that the folder is writable, or pass another path", "writing the %s to %s: %v", what, path, err)
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
	ok = write(o.markdown, "comment", func() ([]byte, error) { return []byte(markdown.Comment(cur, cur.Diff, opts)), nil }) && ok
	ok = write(o.summary, "summary", func() ([]byte, error) { return []byte(markdown.Summary(cur, cur.Diff, opts)), nil }) && ok

	a.writeTable(cmd, toStderr, cur, cur.Diff)
	if len(written) > 0 && !a.quiet {
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

// baseWhat says what is wrong with a --base that cannot be read, without the advice baseFix gives.
func baseWhat(err error) string {
	var missing *gitrev.MissingRevisionError
	var unsafe *gitrev.UnsafeDirectoryError
	switch {
	case errors.As(err, &missing):
		return "no such revision in this repository"
	case errors.As(err, &unsafe):
		return fmt.Sprintf("git refuses %s, which another user owns", unsafe.Dir)
	}
	return err.Error()
}

// baseFix says what to do about a --base that cannot be read: name a revision that exists or fetch
// it, or run where the repository is.
func baseFix(err error, repo string) string {
	var missing *gitrev.MissingRevisionError
	var unsafe *gitrev.UnsafeDirectoryError
	switch {
	case errors.As(err, &missing):
		return fmt.Sprintf("pass a branch, tag or commit this repository has (git branch -a lists the branches), or fetch it first: `%s`", missing.Fetch)
	case errors.As(err, &unsafe):
		return fmt.Sprintf("run `git config --global --add safe.directory %s` first", unsafe.Dir)
	case repo != "":
		return "pass --repo the git working tree that holds the requirements files"
	}
	return "run in the git working tree that holds the requirements files, or pass --repo DIR"
}

// checkReportFlags refuses combinations of options that do not go together; -1 when all is well.
func (a *app) checkReportFlags(cmd *cobra.Command, o *reportOptions) int {
	switch {
	case o.from != "" && len(o.reqFiles) > 0:
		return a.usageFail(cmd, "pass one, not both: --from renders a report that exists, -r builds one", "--from %s and -r %s given together", o.from, o.reqFiles[0])
	case o.from == "" && len(o.reqFiles) == 0:
		return a.usageFail(cmd, "pass -r requirements.txt to build, or --from dist/report.json to render a report", "no requirements file")
	case o.from != "" && o.base != "":
		return a.usageFail(cmd, "with --from, compare with --base-from base/report.json", "--base %s builds the base revision, which needs -r", o.base)
	case o.base != "" && o.baseFrom != "":
		return a.usageFail(cmd, "pass one, not both: --base builds the base revision, --base-from reads its report", "--base %s and --base-from %s given together", o.base, o.baseFrom)
	case o.top < 1:
		return a.usageFail(cmd, "pass --top 1 or more", "--top %d", o.top)
	}
	var toStdout []string
	for _, f := range []struct{ name, path string }{{"--json", o.jsonOut}, {"--markdown", o.markdown}, {"--summary", o.summary}} {
		if f.path == "-" {
			toStdout = append(toStdout, f.name+" -")
		}
	}
	if len(toStdout) > 1 {
		all := "all"
		if len(toStdout) == 2 {
			all = "both"
		}
		return a.usageFail(cmd, "send one of them to standard output and the others to files", "%s %s write to standard output", strings.Join(toStdout, " and "), all)
	}
	if _, err := o.policy(nil); err != nil {
		return a.usageFail(cmd, "", "%v", err)
	}
	return -1
}

// policy is stored (a report's own, when re-rendering one) with the flags given on top.
func (o *reportOptions) policy(stored *report.Policy) (report.Policy, error) {
	var p report.Policy
	if stored != nil {
		p = *stored
	}
	if o.set("fail-on") || p.FailOn == "" {
		v, err := report.ParseFailOn(o.failOn)
		if err != nil {
			return p, err
		}
		p.FailOn = v
	}
	if o.set("warn") {
		v, err := report.ParsePercent(o.warn)
		if err != nil {
			return p, fmt.Errorf("--warn: %w", err)
		}
		p.WarnRatio = v
	}
	if o.set("budget-zipped") || o.set("budget-unzipped") {
		var b report.Budget
		for _, f := range []struct {
			flag, v string
			into    *int64
		}{{"budget-zipped", o.budgetZipped, &b.ZippedBytes}, {"budget-unzipped", o.budgetUnzipped, &b.UnzippedBytes}} {
			if !o.set(f.flag) {
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
		if o.set("budget-zipped") {
			old.ZippedBytes = b.ZippedBytes
		}
		if o.set("budget-unzipped") {
			old.UnzippedBytes = b.UnzippedBytes
		}
		budgets[key] = old
		p.Budgets = budgets
	}
	return p, p.Validate()
}

// reportFix says what to do about a report.json that could not be read.
func reportFix(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "build first (lambda-layers build or report writes DIR/report.json), or pass the path of one"
	}
	return "pass a report.json written by lambda-layers build or report"
}

func readReport(path string) (*report.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
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
		if err := outfile.MkdirAll(dir); err != nil {
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
	return outfile.WriteFile(path, b)
}
