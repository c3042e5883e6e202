package run

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

type buildOptions struct {
	reqFiles, runtimes, archs, extraIndex listFlag
	name, indexURL, out, cacheDir         string
	pre                                   bool
}

func buildCmd(ctx context.Context, env build.Env, args []string) int {
	var o buildOptions
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o.addResolveFlags(fs)
	o.addLayerFlags(fs, "output directory for zips and report.json")
	if err := fs.Parse(args); err != nil {
		return exitcode.Usage
	}
	if fs.NArg() > 0 {
		return usageErr(env, "unexpected argument %q", fs.Arg(0))
	}
	if len(o.reqFiles) == 0 {
		return usageErr(env, "no requirements file: pass -r FILE")
	}
	targets, err := o.targets()
	if err != nil {
		return usageErr(env, "%v", err)
	}
	rep := build.Build(ctx, env, o.plan(targets))
	reportPath := filepath.Join(o.out, "report.json")
	if err := rep.WriteFile(reportPath); err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers: %v\n", err)
		return exitcode.Failed
	}
	rep.Table(env.Stdout)
	fmt.Fprintf(env.Stdout, "\nreport: %s\n", reportPath)
	return exitcode.Of(rep)
}

// addResolveFlags registers the flags of every command that resolves: requirements files, targets,
// indexes, --pre and the cache.
func (o *buildOptions) addResolveFlags(fs *flag.FlagSet) {
	fs.Var(&o.reqFiles, "r", "requirements file (repeatable)")
	fs.Var(&o.reqFiles, "requirement", "requirements file (repeatable)")
	fs.Var(&o.runtimes, "runtime", "Lambda runtime(s), comma-separated: python3.9 … python3.14")
	fs.Var(&o.archs, "arch", "architecture(s), comma-separated: x86_64, arm64 (default x86_64)")
	fs.StringVar(&o.indexURL, "index-url", "", "package index (default: the requirements file's -i, else $PIP_INDEX_URL, else PyPI)")
	fs.StringVar(&o.indexURL, "i", "", "short for --index-url")
	fs.Var(&o.extraIndex, "extra-index-url", "extra package index (repeatable)")
	fs.BoolVar(&o.pre, "pre", false, "allow pre-releases")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "wheel cache (default: lambda-layers in the user cache dir)")
}

// addLayerFlags registers --name and --out, for the commands that write layer zips.
func (o *buildOptions) addLayerFlags(fs *flag.FlagSet, outHelp string) {
	fs.StringVar(&o.name, "name", "", "layer name (default: the first requirements file's folder name)")
	fs.StringVar(&o.out, "out", "dist", outHelp)
}

// targets expands --runtime and --arch (default x86_64); the error is a usage problem.
func (o *buildOptions) targets() ([]target.Target, error) {
	if len(o.runtimes) == 0 {
		return nil, errors.New("no runtime: pass --runtime python3.12 (valid: python3.9 … python3.14)")
	}
	if len(o.archs) == 0 {
		o.archs = listFlag{"x86_64"}
	}
	return target.ParseList(o.runtimes, o.archs)
}

// plan is the one-layer build.Plan the flags describe; the name defaults to the first file's folder.
func (o *buildOptions) plan(targets []target.Target) build.Plan {
	if o.name == "" {
		o.name = defaultName(o.reqFiles[0])
	}
	return build.Plan{
		Layers:   []build.LayerPlan{{Name: o.name, Requirements: o.reqFiles, Targets: targets}},
		IndexURL: o.indexURL, ExtraIndexURLs: o.extraIndex, Pre: o.pre, Out: o.out, CacheDir: o.cacheDir,
	}
}

func usageErr(env build.Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "lambda-layers build: "+format+"\n", args...)
	return exitcode.Usage
}

// defaultName is the requirements file's folder name, as a valid Lambda layer name.
func defaultName(reqFile string) string {
	abs, err := filepath.Abs(reqFile)
	if err != nil {
		abs = reqFile
	}
	return config.LayerName(filepath.Base(filepath.Dir(abs)))
}
