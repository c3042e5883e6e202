package run

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

const lockUsage = `usage: lambda-layers lock -r FILE [-r FILE…] --runtime python3.12[,python3.13] [--arch x86_64[,arm64]]
                        [-o FILE | -o DIR/ | -o 'NAME-{target}.txt'] [--index-url URL]
                        [--extra-index-url URL] [--pre] [--cache-dir DIR]

Resolves the requirements for each Lambda target and writes a requirements file with every package
pinned and hashed, which build then installs without resolving. With one target, -o FILE (default: standard
output); with several, -o DIR/ writes DIR/<input>-<runtime>-<arch>.txt, and a -o value holding {target}
has it replaced by <runtime>-<arch>.
`

// targetPlaceholder in -o is replaced by the target's key ("python3.12-x86_64").
const targetPlaceholder = "{target}"

func lockCmd(ctx context.Context, env build.Env, args []string) int {
	var o buildOptions
	var output string
	fs := flag.NewFlagSet("lock", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, lockUsage) }
	o.addResolveFlags(fs)
	fs.StringVar(&output, "o", "", "output file, directory (ending in /) or pattern with {target}")
	fs.StringVar(&output, "output-file", "", "same as -o")
	if err := fs.Parse(args); err != nil {
		return exitcode.Usage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "lambda-layers lock: "+format+"\n", a...)
		return exitcode.Usage
	}
	switch {
	case fs.NArg() > 0:
		return fail("unexpected argument %q", fs.Arg(0))
	case len(o.reqFiles) == 0:
		return fail("no requirements file: pass -r FILE")
	}
	targets, err := o.targets()
	if err != nil {
		return fail("%v", err)
	}
	outputs, err := lockOutputs(output, o.reqFiles[0], targets)
	if err != nil {
		return fail("%v", err)
	}

	set, err := requirements.Parse(o.reqFiles, requirements.ParseOptions{Getenv: env.Getenv})
	if err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers lock: %v\n", err)
		return exitcode.Failed
	}
	plan := build.Plan{IndexURL: o.indexURL, ExtraIndexURLs: o.extraIndex, Pre: o.pre, CacheDir: o.cacheDir}
	l, err := build.NewLocker(env, plan, set)
	if err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers lock: %v\n", err)
		return exitcode.Failed
	}
	code := exitcode.OK
	for i, t := range targets {
		res, err := l.Resolve(ctx, t)
		if err == nil {
			err = l.WriteFile(ctx, outputs[i], res, t, lockCommand(args))
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "lambda-layers lock: %s: %v\n", t, err)
			code = exitcode.Failed
			continue
		}
		if outputs[i] != "-" {
			fmt.Fprintf(env.Stdout, "%s: %d packages → %s\n", t, len(res.Packages), outputs[i])
		}
	}
	return code
}

// lockOutputs maps each target to where its lock goes ("-" is standard output).
func lockOutputs(output, firstInput string, targets []target.Target) ([]string, error) {
	out := make([]string, len(targets))
	isDir := strings.HasSuffix(output, "/") || strings.HasSuffix(output, string(filepath.Separator))
	if !isDir && output != "" && !strings.Contains(output, targetPlaceholder) {
		if st, err := os.Stat(output); err == nil && st.IsDir() {
			isDir = true
		}
	}
	switch {
	case isDir:
		stem := strings.TrimSuffix(filepath.Base(firstInput), filepath.Ext(firstInput))
		output = filepath.Join(output, stem+"-"+targetPlaceholder+".txt")
	case len(targets) > 1 && !strings.Contains(output, targetPlaceholder):
		return nil, fmt.Errorf("%d targets need %d lock files: pass -o DIR/ or -o 'requirements-%s.txt'", len(targets), len(targets), targetPlaceholder)
	case output == "":
		output = "-"
	}
	for i, t := range targets {
		out[i] = strings.ReplaceAll(output, targetPlaceholder, t.Key())
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
