package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

var lockDoc = &doc{
	synopsis: `lambda-layers lock -r FILE [-r FILE…] --runtime python3.12[,python3.13] [--arch x86_64[,arm64]]
                   [--format pip|pylock] [--extra NAME] [--group NAME]
                   [-o FILE | -o DIR/ | -o 'NAME-{target}.txt'] [--index-url URL]
                   [--extra-index-url URL] [--pre] [--cache-dir DIR] [--refresh | --offline]`,
	long: `Resolves the requirements for each Lambda target and writes a requirements file with every package
pinned and hashed, with "# via" comments naming what pulled it in; build then installs exactly those
wheels without resolving. With one target the lock goes to -o FILE (default: standard output); with
several, -o DIR/ writes DIR/<input>-<runtime>-<arch>.txt, and {target} in -o is replaced by
<runtime>-<arch>. --format pylock writes PEP 751 pylock.toml files instead (-o DIR/ gives
DIR/pylock.py312-x86_64.toml): each package with the target's wheels (URL, size, sha256), which
build installs without resolving and without reading an index page.`,
	examples: []example{
		{"Pin and hash for one target, printed on standard output",
			"lambda-layers lock -r requirements.txt --runtime python3.12"},
		{"One lock per architecture: locks/requirements-python3.12-x86_64.txt and …-arm64.txt",
			"lambda-layers lock -r requirements.txt --runtime python3.12 --arch x86_64,arm64 -o locks/"},
		{"A PEP 751 lock of a pyproject.toml: locks/pylock.py312-arm64.toml",
			"lambda-layers lock -r pyproject.toml --runtime python3.12 --arch arm64 --format pylock -o locks/"},
		{"Build from a lock: no resolution, exactly the wheels it lists",
			"lambda-layers build -r locks/requirements-python3.12-x86_64.txt --runtime python3.12 --name deps"},
	},
	footer: `Exit codes: 0 every lock written, 1 a target could not be resolved (the error names the chain of
requirements from your file:line and what to try), 2 usage error.`,
}

// targetPlaceholder in -o is replaced by the target's key ("python3.12-x86_64").
const targetPlaceholder = "{target}"

func (a *app) lockCommand() *cobra.Command {
	var o buildOptions
	var output, format string
	c := &cobra.Command{
		Use:   "lock",
		Short: "Write pinned, hashed requirements per Lambda target",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.code = a.lock(cmd, &o, output, format)
			return nil
		},
	}
	a.document(c, lockDoc)
	o.addResolveFlags(c)
	withGroup(c, groupOutput, func(fs *pflag.FlagSet) {
		fs.StringVarP(&output, "output-file", "o", "", "write the lock to `FILE`, to DIR/ (one file per target) or to a name holding {target} (default: standard output)")
		fs.StringVar(&format, "format", build.FormatPip, "`FORMAT` of the lock: pip (a requirements file) or pylock (PEP 751 pylock.toml)")
	})
	c.RegisterFlagCompletionFunc("format", completeOne(build.FormatPip, build.FormatPylock))
	o.addCacheFlags(c)
	return c
}

func (a *app) lock(cmd *cobra.Command, o *buildOptions, output, format string) int {
	if len(o.reqFiles) == 0 {
		return a.usageFail(cmd, "pass -r requirements.in (repeat -r for more files)", "no requirements file")
	}
	targets, err := o.targets()
	if err != nil {
		return a.usageFail(cmd, targetFix, "%v", err)
	}
	if code := a.checkInputFlags(cmd, o); code >= 0 {
		return code
	}
	for _, f := range o.reqFiles {
		if lockfile.Detect(f) != "" {
			return a.usageFail(cmd, fmt.Sprintf("build it as it is: lambda-layers build -r %s --runtime …; lock reads requirements files and pyproject.toml", f),
				"%s is a lock file already", f)
		}
	}
	if format != build.FormatPip && format != build.FormatPylock {
		return a.usageFail(cmd, "pass --format pip or --format pylock", "--format %q is not a lock format", format)
	}
	outputs, err := lockOutputs(output, o.reqFiles[0], targets, format)
	if err != nil {
		fix := fmt.Sprintf("pass -o locks/ or -o 'requirements-%s.txt'", targetPlaceholder)
		if format == build.FormatPylock {
			fix = fmt.Sprintf("pass -o locks/ or -o 'pylock.%s.toml'", targetPlaceholder)
		}
		return a.usageFail(cmd, fix, "%v", err)
	}
	if code := a.checkInputFiles(cmd, o); code >= 0 {
		return code
	}
	env := a.engineEnv()
	set, err := build.ReadRequirements(build.LayerPlan{Requirements: o.reqFiles, Extras: o.extras, Groups: o.groups}, env.Getenv, nil)
	if err != nil {
		fix := "fix that line: requirements files are in pip's format"
		if errors.Is(err, fs.ErrNotExist) {
			fix = "check the path; relative paths are from the folder you run in (an -r or -c inside a file: from that file's folder)"
		}
		return a.failf(cmd, fix, "%v", err)
	}
	plan := build.Plan{IndexURL: o.indexURL, ExtraIndexURLs: o.extraIndex, Pre: o.pre, CacheDir: o.cacheDir,
		Refresh: o.refresh, Offline: o.offline}
	if err := o.codeArtifactFlag(a.ctx, &env, &plan); err != nil {
		return a.codeArtifactFail(cmd, o.codeartifact, err)
	}
	l, err := build.NewLocker(env, plan, set)
	if err != nil {
		return a.failf(cmd, "check that the cache folder is writable, or pass --cache-dir DIR", "%v", err)
	}
	l.Format = format
	code := exitcode.OK
	for i, t := range targets {
		start := a.env.Now()
		res, err := l.Resolve(a.ctx, t)
		if err != nil {
			// The resolver's explanations end with their own hints; other failures get one here.
			msg := err.Error()
			if !strings.Contains(msg, t.String()) {
				msg = t.String() + ": " + msg
			}
			fmt.Fprintf(a.env.Stderr, "%s: %s%s\n", cmd.CommandPath(), msg, build.Hint(err))
			code = exitcode.Failed
			continue
		}
		a.verbosef("%s: resolved %d packages [%s]", t, len(res.Packages), a.env.Now().Sub(start).Round(time.Millisecond))
		if !a.quiet { // what build would warn of the same resolution
			for _, w := range append(slices.Clone(res.Warnings), build.YankedWarnings(res.Packages)...) {
				fmt.Fprintf(a.env.Stderr, "warning: %s: %s\n", t, w)
			}
		}
		if a.verbose {
			for _, p := range res.Packages {
				why := "required"
				if len(p.RequiredBy) > 0 {
					why = "required by " + strings.Join(p.RequiredBy, ", ")
				}
				from := p.File.Index
				if from == "" {
					from = p.File.URL
				}
				n, plural := max(len(p.Files), 1), "s"
				if n == 1 {
					plural = ""
				}
				a.verbosef("%s:   %s %s from %s (%s): %d wheel%s the target loads, best %s", t, p.Name, p.Version, index.Redact(from), why, n, plural, p.File.Filename)
			}
		}
		start = a.env.Now()
		if err := l.WriteFile(a.ctx, outputs[i], res, t, lockCommand(a.commandArgs(cmd))); err != nil {
			a.failf(cmd, "check that the folder is writable, or pass another -o", "%s: %v", t, err)
			code = exitcode.Failed
			continue
		}
		a.verbosef("%s: hashed and wrote %s [%s]", t, outputs[i], a.env.Now().Sub(start).Round(time.Millisecond))
		if outputs[i] != "-" && !a.quiet {
			fmt.Fprintf(a.env.Stdout, "%s: %d packages → %s\n", t, len(res.Packages), outputs[i])
		}
	}
	return code
}

// lockOutputs maps each target to where its lock goes ("-" is standard output). A PEP 751 lock's
// name must be pylock.toml or pylock.NAME.toml with no dot in NAME, so its {target} is "py312-x86_64".
func lockOutputs(output, firstInput string, targets []target.Target, format string) ([]string, error) {
	out := make([]string, len(targets))
	isDir := strings.HasSuffix(output, "/") || strings.HasSuffix(output, string(filepath.Separator))
	if !isDir && output != "" && !strings.Contains(output, targetPlaceholder) {
		if st, err := os.Stat(output); err == nil && st.IsDir() {
			isDir = true
		}
	}
	switch {
	case isDir && format == build.FormatPylock:
		output = filepath.Join(output, "pylock."+targetPlaceholder+".toml")
	case isDir:
		stem := strings.TrimSuffix(filepath.Base(firstInput), filepath.Ext(firstInput))
		output = filepath.Join(output, stem+"-"+targetPlaceholder+".txt")
	case len(targets) > 1 && output == "":
		return nil, fmt.Errorf("%d targets need %d lock files, and standard output holds one", len(targets), len(targets))
	case len(targets) > 1 && !strings.Contains(output, targetPlaceholder):
		return nil, fmt.Errorf("%d targets need %d lock files, and -o %s names one", len(targets), len(targets), output)
	case output == "":
		output = "-"
	}
	for i, t := range targets {
		key := t.Key()
		if format == build.FormatPylock {
			key = "py3" + strings.TrimPrefix(t.Name, "python3.") + "-" + t.Arch
		}
		out[i] = strings.ReplaceAll(output, targetPlaceholder, key)
		// build tells its inputs apart by name: a lock under another name would be misread.
		switch got := lockfile.Detect(out[i]); {
		case out[i] == "-":
		case format == build.FormatPylock && got != lockfile.Pylock:
			return nil, fmt.Errorf("-o %s: build reads a PEP 751 lock by its name, pylock.toml or pylock.NAME.toml (NAME without dots)", out[i])
		case format == build.FormatPip && got != "":
			return nil, fmt.Errorf("-o %s: build would read a file of that name as a %s, not a requirements file", out[i], got)
		}
	}
	return out, nil
}

// lockCommand is the command line to write in the header, credentials redacted.
func lockCommand(args []string) string {
	parts := []string{"lambda-layers", "lock"}
	for _, a := range args {
		a = index.Redact(a)
		if strings.ContainsAny(a, " \t'\"{}$*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
