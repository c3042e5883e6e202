package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/github"
	"github.com/lambda-layers/lambda-layers/internal/mdtext"
	"github.com/lambda-layers/lambda-layers/internal/version"
)

// Main runs the binary as the GitHub container action (GITHUB_ACTIONS=true and no arguments):
// inputs come from INPUT_* variables, the event from GITHUB_EVENT_PATH, and results go to step
// outputs, the job summary, annotations and the pull request's sticky comment. Whatever fails, the
// summary says what and where before the step ends.
func Main(ctx context.Context, env build.Env) int {
	env.Defaults()
	r := &actionRun{env: env, gha: github.NewActions(env.Getenv, env.Stdout), start: env.Now()}
	code := r.run(ctx)
	r.checkFailedRun(ctx, code)
	r.finish()
	r.handOver() // cache.go
	return code
}

// actionRun is one run of the action.
type actionRun struct {
	env   build.Env
	gha   *github.Actions
	start time.Time
	opts  actionOptions
	root  string // the workspace: the repository's root
	git   github.Git
	event *github.Event
	cfg   *config.Config
	mode  string // resolved: never auto

	summary     strings.Builder
	annotations []github.Annotation
	outputs     map[string]string
	// failure is the first thing that ended the run early (a config problem, a failure of the tool),
	// in one line; checked is set once the status check was dealt with.
	failure string
	checked bool
}

func (r *actionRun) run(ctx context.Context) int {
	r.outputs = map[string]string{}
	opts, errs := readInputs(inputGetter(r.gha))
	r.opts = opts
	if err := r.setup(ctx); err != nil {
		return r.fatal(exitcode.Usage, "setting up", err)
	}
	if len(errs) > 0 {
		return r.configErrors(errs)
	}
	r.mode = r.resolveMode()
	fmt.Fprintf(r.env.Stderr, "lambda-layers %s: mode %s (event %s)\n", version.Version, r.mode, r.event.Name)
	if r.mode == modeComment {
		return r.commentMode(ctx)
	}
	// The config and the files it globs are read through an os.Root: a symlink committed in the
	// repository cannot lead outside it (to /proc/self/environ, say, whose content an error would quote).
	root, err := os.OpenRoot(r.root)
	if err != nil {
		return r.fatal(exitcode.Usage, "opening the workspace", err)
	}
	defer root.Close()
	cfg, err := config.Load(root.FS(), config.Inputs{
		Config: opts.configPath, Requirements: opts.requirements, Runtimes: opts.runtimes, Architectures: opts.archs,
		Layers: opts.layers, IndexURL: opts.indexURL, FailOn: opts.failOn, AWSRegion: opts.awsRegion, RepoName: r.repoName(),
	})
	var cerrs config.Errors
	if errors.As(err, &cerrs) {
		return r.configErrors(cerrs)
	}
	if err != nil {
		return r.fatal(exitcode.Usage, "reading the config", err)
	}
	r.cfg = cfg
	for _, n := range cfg.Notes {
		r.notef("%s", n)
	}
	switch r.mode {
	case modePlan:
		return r.planMode(ctx)
	case modeBuild:
		return r.buildMode(ctx, false)
	case modeReport:
		return r.buildMode(ctx, true)
	case modePublish:
		return r.publishMode(ctx)
	}
	return r.fatal(exitcode.Usage, "choosing the mode", fmt.Errorf("mode %q", r.mode))
}

// setup finds the workspace, makes git trust it and reads the event.
func (r *actionRun) setup(ctx context.Context) error {
	r.root = r.env.Getenv("GITHUB_WORKSPACE")
	if r.root == "" {
		r.root = "."
	}
	abs, err := filepath.Abs(r.root)
	if err != nil {
		return err
	}
	r.root = abs
	r.git = github.Git{Dir: r.root, Env: gitEnv(r.env)}
	// In the container the workspace belongs to the runner's user, and git refuses to read a
	// repository someone else owns. With no HOME we could not say whose global config we would change.
	if r.env.Getenv("HOME") != "" {
		if err := r.git.TrustDirectory(ctx, r.root); err != nil {
			fmt.Fprintf(r.env.Stderr, "warning: %v\n", err)
		}
	}
	r.event = &github.Event{Name: r.env.Getenv("GITHUB_EVENT_NAME")}
	if p := r.env.Getenv("GITHUB_EVENT_PATH"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading the event payload: %w", err)
		}
		if r.event, err = github.ParseEvent(r.event.Name, data); err != nil {
			return err
		}
	}
	return nil
}

// gitEnv is the environment git runs with: the process's, with HOME as env says (so tests that
// run Main in process keep git's global config in their own temporary HOME).
func gitEnv(env build.Env) []string {
	home := env.Getenv("HOME")
	if home == "" || home == os.Getenv("HOME") {
		return nil
	}
	out := []string{"HOME=" + home}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			out = append(out, kv)
		}
	}
	return out
}

// resolveMode turns auto into what the event calls for.
func (r *actionRun) resolveMode() string {
	if r.opts.mode != modeAuto {
		return r.opts.mode
	}
	switch {
	case r.event.IsPullRequest():
		return modeReport
	case r.event.PushToDefaultBranch():
		return modePublish
	case r.event.Name == "workflow_run":
		return modeComment
	}
	return modeBuild
}

func (r *actionRun) repoName() string {
	full := r.env.Getenv("GITHUB_REPOSITORY")
	if full == "" {
		full = r.event.Repository.FullName
	}
	if _, name, err := github.SplitRepo(full); err == nil {
		return name
	}
	return filepath.Base(r.root)
}

// headSHA is the commit being built: for a pull request its head, not GITHUB_SHA's merge commit.
func (r *actionRun) headSHA() string {
	return r.event.HeadSHA(r.env.Getenv("GITHUB_SHA"))
}

// outDir is the output directory, absolute.
func (r *actionRun) outDir() string {
	if filepath.IsAbs(r.opts.out) {
		return r.opts.out
	}
	return filepath.Join(r.root, filepath.FromSlash(r.opts.out))
}

// rel shows path relative to the workspace when it is inside it (outputs are read on the host, where
// the container's /github/workspace has another name).
func (r *actionRun) rel(path string) string {
	if path == "" || !filepath.IsAbs(path) {
		return filepath.ToSlash(path)
	}
	if p, err := filepath.Rel(r.root, path); err == nil && !strings.HasPrefix(p, "..") {
		return filepath.ToSlash(p)
	}
	return path
}

// configErrors reports problems with the inputs or the config file: annotated at their line, listed
// in the summary, exit 2.
func (r *actionRun) configErrors(errs config.Errors) int {
	fmt.Fprintf(&r.summary, "### lambda-layers: the configuration has %s\n\n", mdtext.Plural(len(errs), "problem", "problems"))
	if r.failure == "" && len(errs) > 0 {
		r.failure = fmt.Sprintf("the configuration has %s: %s", mdtext.Plural(len(errs), "problem", "problems"), errs[0].Error())
	}
	for _, e := range errs {
		fmt.Fprintf(r.env.Stderr, "error: %s\n", github.SafeLines(e.Error()))
		a := github.Annotation{Level: "error", Title: "lambda-layers config", Message: e.Message, File: e.File, Line: e.Line}
		if e.Input != "" {
			a.Title, a.Message = "lambda-layers input "+e.Input, e.Error()
		}
		r.annotations = append(r.annotations, a)
		fmt.Fprintf(&r.summary, "- %s\n", mdEscape(e.Error()))
	}
	return exitcode.Usage
}

// fatal ends the run on a failure of the tool itself (not a finding), saying so everywhere.
func (r *actionRun) fatal(code int, doing string, err error) int {
	msg := fmt.Sprintf("%s: %v", doing, err)
	if r.failure == "" {
		r.failure = msg
	}
	fmt.Fprintf(r.env.Stderr, "lambda-layers: %s\n", github.SafeLines(msg))
	r.annotations = append(r.annotations, github.Annotation{Level: "error", Title: "lambda-layers", Message: msg})
	fmt.Fprintf(&r.summary, "### lambda-layers failed\n\n%s\n", mdtext.Fenced("text", msg))
	return code
}

func (r *actionRun) notef(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(r.env.Stderr, "note: %s\n", github.SafeLines(msg))
	r.annotations = append(r.annotations, github.Annotation{Level: "notice", Title: "lambda-layers", Message: msg})
}

func (r *actionRun) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(r.env.Stderr, "warning: %s\n", github.SafeLines(msg))
	r.annotations = append(r.annotations, github.Annotation{Level: "warning", Title: "lambda-layers", Message: msg})
}

// setJSON sets an output to v as compact JSON (one line: nothing in it can end the value early).
func (r *actionRun) setJSON(name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		r.warnf("encoding output %s: %v", name, err)
		return
	}
	r.outputs[name] = string(b)
}

// finish writes what every run leaves behind, whatever happened: annotations (the rest listed in
// the summary), the summary and the outputs.
func (r *actionRun) finish() {
	rest := r.gha.Annotate(r.annotations)
	if len(rest) > 0 {
		fmt.Fprintf(&r.summary, "\n<details><summary>%s not shown as annotations (GitHub shows %d of each kind per step)</summary>\n\n",
			mdtext.Plural(len(rest), "more finding", "more findings"), github.PerStepLimit)
		for _, a := range rest {
			pos := a.Position()
			if pos != "" {
				pos = "`" + pos + "`: "
			}
			fmt.Fprintf(&r.summary, "- **%s** %s%s\n", a.Level, pos, mdEscape(a.Message))
		}
		fmt.Fprintf(&r.summary, "\n</details>\n")
	}
	if r.summary.Len() > 0 {
		if err := r.gha.AddSummary(r.summary.String()); err != nil {
			fmt.Fprintf(r.env.Stderr, "warning: %v\n", err)
		}
	}
	for _, name := range actionOutputs {
		v, ok := r.outputs[name]
		if !ok {
			continue
		}
		if err := r.gha.SetOutput(name, v); err != nil {
			fmt.Fprintf(r.env.Stderr, "warning: %v\n", err)
			if errors.Is(err, github.ErrNoCommandFile) {
				break // once is enough: the others would say the same
			}
		}
	}
}

// mdEscape keeps text from becoming Markdown or HTML in the summary.
func mdEscape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|", "`", "'", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]").Replace(s)
}
