package run

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/config"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/prune"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

var buildDoc = &doc{
	synopsis: `lambda-layers build -r FILE [-r FILE…] --runtime python3.12[,python3.13] [--arch x86_64[,arm64]]
                    [--name NAME] [--index-url URL] [--extra-index-url URL] [--pre]
                    [--extra NAME] [--group NAME] [--codeartifact DOMAIN/REPOSITORY]
                    [--exclude-package NAME] [--exclude GLOB] [--layout per-runtime|shared]
                    [--out DIR] [--json FILE] [--oci-layout DIR]
                    [--cache-dir DIR] [--refresh | --offline]`,
	long: `Resolves the requirements for each Lambda runtime and architecture (not for this machine), picks
only wheels Lambda can load, and writes DIR/NAME-RUNTIME-ARCH.zip per target, its CycloneDX SBOM
DIR/NAME-RUNTIME-ARCH.cdx.json and DIR/report.json.
A requirements file in which every line is pinned and hashed (what lock writes) is installed as it
is, without resolving.`,
	examples: []example{
		{"Both architectures: dist/FOLDER-python3.12-x86_64.zip, …-arm64.zip and dist/report.json",
			"lambda-layers build -r requirements.txt --runtime python3.12 --arch x86_64,arm64"},
		{"Name the layer: build/deps-python3.12-x86_64.zip and build/report.json",
			"lambda-layers build -r requirements.txt --runtime python3.12 --name deps --out build"},
		{"Print report.json on standard output and nothing else (errors still go to standard error)",
			"lambda-layers build -r requirements.txt --runtime python3.12 --json - --quiet"},
	},
	footer: `Exit codes: 0 built within quotas, 1 a build failed (report.json says what and where), 2 usage
error, 3 built but a blocking quota (250 MB unzipped) is exceeded; the files are still written.`,
}

type buildOptions struct {
	reqFiles, runtimes, archs, extraIndex []string
	extras, groups                        []string
	name, indexURL, out, cacheDir         string
	codeartifact                          string
	pre, refresh, offline                 bool
	// slimming (docs/slim.md), as lambda-layers.yml's exclude-packages, exclude and layout
	excludePkgs, exclude []string
	layout               string
}

func (a *app) buildCommand() *cobra.Command {
	var o buildOptions
	var jsonOut, ociLayout string
	c := &cobra.Command{
		Use:   "build",
		Short: "Build a layer zip per Lambda target from requirements files",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.code = a.build(cmd, &o, jsonOut, ociLayout)
			return nil
		},
	}
	a.document(c, buildDoc)
	o.addResolveFlags(c)
	o.addLayerFlags(c, "write the zips and report.json into `DIR`")
	withGroup(c, groupOutput, func(fs *pflag.FlagSet) {
		fs.StringVar(&jsonOut, "json", "", "write report.json to `FILE` instead of DIR/report.json; - is standard output (the table then goes to standard error)")
		fs.StringVar(&ociLayout, "oci-layout", "", "also write the layers as OCI images (one per architecture, an index for both) to an OCI image layout in `DIR`")
	})
	c.RegisterFlagCompletionFunc("oci-layout", completeDirs)
	o.addCacheFlags(c)
	return c
}

func (a *app) build(cmd *cobra.Command, o *buildOptions, jsonOut, ociLayout string) int {
	if len(o.reqFiles) == 0 {
		return a.usageFail(cmd, "pass -r requirements.txt (repeat -r for more files)", "no requirements file")
	}
	targets, err := o.targets()
	if err != nil {
		return a.usageFail(cmd, targetFix, "%v", err)
	}
	if code := a.checkInputFlags(cmd, o); code >= 0 {
		return code
	}
	if code := a.checkNameFlag(cmd, o.name, targets); code >= 0 {
		return code
	}
	if code := a.checkSlimFlags(cmd, o); code >= 0 {
		return code
	}
	if code := a.checkInputFiles(cmd, o); code >= 0 {
		return code
	}
	env, plan := a.engineEnv(), o.plan(targets)
	if err := o.codeArtifactFlag(a.ctx, &env, &plan); err != nil {
		return a.codeArtifactFail(cmd, o.codeartifact, err)
	}
	rep := build.Build(a.ctx, env, plan)
	a.warnings(rep)
	if jsonOut == "" {
		jsonOut = filepath.Join(o.out, "report.json")
	}
	toStderr := jsonOut == "-"
	table := a.tableOut(toStderr)
	if toStderr {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			_, err = a.env.Stdout.Write(append(b, '\n'))
		}
		if err != nil {
			return a.failf(cmd, "", "writing report.json to standard output: %v", err)
		}
	} else if err := rep.WriteFile(jsonOut); err != nil {
		return a.failf(cmd, "check that the folder is writable, or pass --out DIR / --json FILE", "%v", err)
	}
	a.writeTable(cmd, toStderr, rep, nil)
	if jsonOut != "-" && !a.quiet {
		fmt.Fprintf(table, "\nreport: %s\n", jsonOut)
	}
	code := exitcode.Of(rep)
	if ociLayout != "" && code != exitcode.Failed { // a quota breach still writes its files
		if c := a.writeOCILayout(cmd, rep, ociLayout); c != exitcode.OK {
			return c
		}
		if !a.quiet {
			fmt.Fprintf(table, "oci layout: %s\n", ociLayout)
		}
	} else if ociLayout != "" && !a.quiet {
		fmt.Fprintf(a.env.Stderr, "oci layout: %s not written: a layer failed to build, and the layout holds every layer or none\n", ociLayout)
	}
	return code
}

// writeTable writes the terminal table to standard output or error (colour when that is a terminal
// and NO_COLOR is unset); in quiet mode only the failures, to standard error.
func (a *app) writeTable(cmd *cobra.Command, toStderr bool, rep *report.Report, d *report.Diff) {
	if a.quiet {
		for _, l := range rep.Layers {
			if l.Error != nil {
				fmt.Fprintf(a.env.Stderr, "%s: %s (%s %s) failed: %s\n", cmd.CommandPath(), l.Name, l.Runtime, l.Architecture, l.Error.Message)
			}
		}
		for _, b := range rep.Breaches() { // exit 3 says no more than that
			fmt.Fprintf(a.env.Stderr, "%s: %s\n", cmd.CommandPath(), b)
		}
		return
	}
	rep.WriteTableWith(a.tableOut(toStderr), d, report.TableOptions{Color: a.color(toStderr)})
}

const targetFix = "pass --runtime python3.12 (or several: --runtime python3.12,python3.13) and --arch x86_64,arm64"

// addResolveFlags registers the options of every command that resolves: requirements files, targets,
// --pre and the indexes.
func (o *buildOptions) addResolveFlags(c *cobra.Command) {
	withGroup(c, groupBuild, func(fs *pflag.FlagSet) {
		fs.StringArrayVarP(&o.reqFiles, "requirement", "r", nil, "a requirements `FILE` in pip's format, a pyproject.toml, or a lock file: uv.lock, poetry.lock, Pipfile.lock, pylock.toml (repeatable)")
		fs.StringArrayVar(&o.runtimes, "runtime", nil, "Lambda runtimes, comma-separated: "+strings.Join(runtimeNames(), ", ")+" (required)")
		fs.StringArrayVar(&o.archs, "arch", []string{"x86_64"}, "architectures, comma-separated: x86_64, arm64")
		fs.BoolVar(&o.pre, "pre", false, "allow pre-releases (otherwise only when a package has nothing else)")
		fs.StringArrayVar(&o.extras, "extra", nil, "an extra (optional dependencies) of a pyproject.toml or lock file to install (repeatable)")
		fs.StringArrayVar(&o.groups, "group", nil, "a dependency group of a pyproject.toml or lock file to install besides the main one (repeatable; dev is Pipfile.lock's develop)")
	})
	setMetavar(c.Flags(), "extra", "NAME")
	setMetavar(c.Flags(), "group", "NAME")
	setMetavar(c.Flags(), "runtime", "RUNTIME[,…]")
	setMetavar(c.Flags(), "arch", "ARCH[,…]")
	withGroup(c, groupIndex, func(fs *pflag.FlagSet) {
		fs.StringVarP(&o.indexURL, "index-url", "i", "", "package index `URL` or folder (default: the requirements file's -i, else $PIP_INDEX_URL, else PyPI)")
		fs.StringArrayVar(&o.extraIndex, "extra-index-url", nil, "another index to search, after the first (repeatable; also $PIP_EXTRA_INDEX_URL)")
		fs.StringVar(&o.codeartifact, "codeartifact", "", "use the AWS CodeArtifact repository `REPO`, written DOMAIN/REPOSITORY, as the index (endpoint and token from the AWS SDK; the token is never printed)")
	})
	setMetavar(c.Flags(), "extra-index-url", "URL")
	c.RegisterFlagCompletionFunc("runtime", completeList(runtimeNames))
	c.RegisterFlagCompletionFunc("arch", completeList(architectures))
	c.RegisterFlagCompletionFunc("requirement", completeFiles("txt", "in", "toml", "lock"))
}

// addLayerFlags registers --name and --out, for the commands that write layer zips.
func (o *buildOptions) addLayerFlags(c *cobra.Command, outHelp string) {
	withGroup(c, groupBuild, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.name, "name", "", "the layer's `NAME` (default: the first requirements file's folder name)")
		fs.StringArrayVar(&o.excludePkgs, "exclude-package", nil, "leave out the package `NAME` and what only it needs; runtime-provided stands for boto3, botocore and theirs (repeatable)")
		fs.StringArrayVar(&o.exclude, "exclude", nil, "leave out the files matching `GLOB` inside site-packages, e.g. '**/tests/**' (repeatable; .dist-info metadata always stays)")
		fs.StringVar(&o.layout, "layout", "per-runtime", "the zips' `LAYOUT`: per-runtime, or shared (one python/ zip for all runtimes, when every wheel is pure Python)")
	})
	c.RegisterFlagCompletionFunc("layout", cobra.FixedCompletions([]string{"per-runtime", "shared"}, cobra.ShellCompDirectiveNoFileComp))
	withGroup(c, groupOutput, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.out, "out", "dist", outHelp)
	})
	c.RegisterFlagCompletionFunc("out", completeDirs)
}

func (o *buildOptions) addCacheFlags(c *cobra.Command) {
	withGroup(c, groupCache, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.cacheDir, "cache-dir", "", "the cache `DIR` of wheels and index pages, shared by every build (default: lambda-layers in the user cache folder)")
		fs.BoolVar(&o.refresh, "refresh", false, "revalidate every cached index page, fresh or not")
		fs.BoolVar(&o.offline, "offline", false, "send no request: build from the cache alone, naming what it lacks")
	})
	c.RegisterFlagCompletionFunc("cache-dir", completeDirs)
	c.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if o.refresh && o.offline {
			return usage(cmd, "pass one of them: revalidating needs the network", "--refresh and --offline given together")
		}
		return nil
	}
}

// targets expands --runtime and --arch; the error is a usage problem.
func (o *buildOptions) targets() ([]target.Target, error) {
	if len(o.runtimes) == 0 {
		return nil, errors.New("no runtime")
	}
	return target.ParseList(o.runtimes, o.archs)
}

// plan is the one-layer build.Plan the flags describe; the name defaults to the first file's folder.
func (o *buildOptions) plan(targets []target.Target) build.Plan {
	if o.name == "" {
		o.name = defaultName(o.reqFiles[0])
	}
	return build.Plan{
		Layers: []build.LayerPlan{{Name: o.name, Requirements: o.reqFiles, Targets: targets, Extras: o.extras, Groups: o.groups,
			ExcludePackages: o.excludePkgs, Exclude: o.excludeRules(), Shared: o.layout == config.LayoutShared}},
		IndexURL: o.indexURL, ExtraIndexURLs: o.extraIndex, Pre: o.pre, Out: o.out, CacheDir: o.cacheDir,
		Refresh: o.refresh, Offline: o.offline,
	}
}

// checkNameFlag refuses a --name that Lambda would refuse once published: letters, digits, - and _, and
// short enough that its default published name (NAME-py312-x86_64) fits an ARN even in the shortest
// region, so that the build is not thrown away at publish time.
func (a *app) checkNameFlag(cmd *cobra.Command, name string, targets []target.Target) int {
	if name == "" {
		return -1
	}
	if config.LayerName(name) != name {
		return a.usageFail(cmd, fmt.Sprintf("pass --name %s", config.LayerName(name)), "--name %q: a layer name may only hold letters, digits, - and _ (Lambda's rule)", name)
	}
	room := config.LayerNameRoom(config.ShortestRegion)
	for _, t := range targets {
		pn := config.Layer{Name: name}.PublishedName(t)
		if len(pn) > room {
			maxName := room - (len(pn) - len(name))
			return a.usageFail(cmd, fmt.Sprintf("pass a --name of at most %d characters", maxName),
				"--name is %d characters: published as %s (%d characters) it cannot fit a Lambda layer ARN (140 characters) in any region", len(name), pn, len(pn))
		}
	}
	return -1
}

// checkSlimFlags checks --exclude-package, --exclude and --layout before anything is built.
func (a *app) checkSlimFlags(cmd *cobra.Command, o *buildOptions) int {
	if o.layout != config.LayoutPerRuntime && o.layout != config.LayoutShared {
		return a.usageFail(cmd, "pass --layout per-runtime (the default) or --layout shared", "--layout %q is not a layout", o.layout)
	}
	if _, err := prune.Expand(o.excludePkgs); err != nil {
		return a.usageFail(cmd, "pass a package name, e.g. --exclude-package boto3, or --exclude-package runtime-provided", "--exclude-package %s", strings.TrimPrefix(err.Error(), "exclude-packages: "))
	}
	if err := layer.CheckRules(o.excludeRules()); err != nil {
		return a.usageFail(cmd, "quote the glob so the shell leaves it alone, e.g. --exclude '**/tests/**'", "%v", err)
	}
	return -1
}

// excludeRules are the --exclude globs as layer rules, named by their flag in messages.
func (o *buildOptions) excludeRules() []layer.Rule {
	var rules []layer.Rule
	for _, g := range o.exclude {
		rules = append(rules, layer.Rule{Pattern: g, Origin: "--exclude"})
	}
	return rules
}

// defaultName is the requirements file's folder name, as a valid Lambda layer name.
func defaultName(reqFile string) string {
	abs, err := filepath.Abs(reqFile)
	if err != nil {
		abs = reqFile
	}
	return config.LayerName(filepath.Base(filepath.Dir(abs)))
}
