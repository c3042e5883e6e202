package run

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
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

func build(ctx context.Context, env Env, args []string) int {
	var o buildOptions
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Var(&o.reqFiles, "r", "requirements file (repeatable)")
	fs.Var(&o.reqFiles, "requirement", "requirements file (repeatable)")
	fs.Var(&o.runtimes, "runtime", "Lambda runtime(s), comma-separated: python3.9 … python3.14")
	fs.Var(&o.archs, "arch", "architecture(s), comma-separated: x86_64, arm64 (default x86_64)")
	fs.StringVar(&o.name, "name", "", "layer name (default: the first requirements file's folder name)")
	fs.StringVar(&o.indexURL, "index-url", "", "package index (default: the requirements file's -i, else $PIP_INDEX_URL, else PyPI)")
	fs.StringVar(&o.indexURL, "i", "", "short for --index-url")
	fs.Var(&o.extraIndex, "extra-index-url", "extra package index (repeatable)")
	fs.BoolVar(&o.pre, "pre", false, "allow pre-releases")
	fs.StringVar(&o.out, "out", "dist", "output directory for zips and report.json")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "wheel cache (default: lambda-layers in the user cache dir)")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	if fs.NArg() > 0 {
		return usageErr(env, "unexpected argument %q", fs.Arg(0))
	}
	if len(o.reqFiles) == 0 {
		return usageErr(env, "no requirements file: pass -r FILE")
	}
	if len(o.runtimes) == 0 {
		return usageErr(env, "no runtime: pass --runtime python3.12 (valid: python3.9 … python3.14)")
	}
	if len(o.archs) == 0 {
		o.archs = listFlag{"x86_64"}
	}
	targets, err := target.ParseList(o.runtimes, o.archs)
	if err != nil {
		return usageErr(env, "%v", err)
	}
	if o.name == "" {
		o.name = defaultName(o.reqFiles[0])
	}
	if o.cacheDir == "" {
		o.cacheDir = fetch.DefaultDir(env.UserCacheDir)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers: creating output directory: %v\n", err)
		return ExitFailed
	}
	b := &builder{env: env, opts: o}
	rep := b.run(ctx, targets)
	reportPath := filepath.Join(o.out, "report.json")
	if err := rep.WriteFile(reportPath); err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers: %v\n", err)
		return ExitFailed
	}
	rep.Table(env.Stdout)
	fmt.Fprintf(env.Stdout, "\nreport: %s\n", reportPath)
	switch {
	case rep.Failed():
		return ExitFailed
	case rep.Exceeded():
		return ExitQuota
	}
	return ExitOK
}

func usageErr(env Env, format string, args ...any) int {
	fmt.Fprintf(env.Stderr, "lambda-layers build: "+format+"\n", args...)
	return ExitUsage
}

// defaultName is the requirements file's folder name, as a valid Lambda layer name.
func defaultName(reqFile string) string {
	abs, err := filepath.Abs(reqFile)
	if err != nil {
		abs = reqFile
	}
	name := filepath.Base(filepath.Dir(abs))
	var b strings.Builder
	for _, r := range name {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "layer"
	}
	return b.String()
}

type builder struct {
	env     Env
	opts    buildOptions
	set     *requirements.Set
	client  *index.Client
	fetcher *fetch.Fetcher
}

// run builds every target; a failure of one target is recorded in its layer and the others go on.
func (b *builder) run(ctx context.Context, targets []target.Target) *report.Report {
	rep := &report.Report{}
	setupErr := b.setup()
	for _, t := range targets {
		var l report.Layer
		if setupErr != nil {
			l = b.failed(t, setupErr)
		} else {
			l = b.buildTarget(ctx, t)
		}
		if t.IsDeprecated(b.env.Now()) {
			w := fmt.Sprintf("%s was deprecated by AWS on %s; plan a move to a newer runtime", t.Name, t.Deprecated.Format("2006-01-02"))
			l.Warnings = append(l.Warnings, w)
			fmt.Fprintln(b.env.Stderr, "warning:", w)
		}
		rep.Layers = append(rep.Layers, l)
	}
	return rep
}

func (b *builder) setup() error {
	set, err := requirements.Parse(b.opts.reqFiles, requirements.ParseOptions{Getenv: b.env.Getenv})
	if err != nil {
		return err
	}
	b.set = set
	urls := b.indexURLs()
	opts := []index.Option{index.WithUserAgent("lambda-layers/" + Version), index.WithGetenv(b.env.Getenv)}
	if b.env.HTTPClient != nil {
		opts = append(opts, index.WithHTTPClient(b.env.HTTPClient))
	}
	if b.client, err = index.New(urls, opts...); err != nil {
		return err
	}
	cache, err := fetch.OpenCache(b.opts.cacheDir)
	if err != nil {
		return err
	}
	b.fetcher = &fetch.Fetcher{Cache: cache, Source: b.client, Check: b.verify}
	if b.env.StderrIsTerminal {
		b.fetcher.OnProgress = func(done, total int, name string) {
			fmt.Fprintf(b.env.Stderr, "\r\033[Kfetched %d/%d %s", done, total, name)
			if done == total {
				fmt.Fprint(b.env.Stderr, "\r\033[K")
			}
		}
	}
	return nil
}

// indexURLs: the flag, else the requirements file's -i, else PIP_INDEX_URL, else PyPI; extras from all.
func (b *builder) indexURLs() []string {
	env := index.URLsFromEnv(b.env.Getenv)
	primary := env[0]
	if b.set.Options.IndexURL != "" {
		primary = b.set.Options.IndexURL
	}
	if b.opts.indexURL != "" {
		primary = b.opts.indexURL
	}
	urls := []string{primary}
	urls = append(urls, b.opts.extraIndex...)
	urls = append(urls, b.set.Options.ExtraIndexURLs...)
	urls = append(urls, env[1:]...)
	return dedupe(urls)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (b *builder) base(t target.Target) report.Layer {
	l := report.Layer{Name: b.opts.name, Runtime: t.Name, Architecture: t.Arch, Packages: []report.Package{}, Quotas: []report.Quota{}}
	if b.set != nil {
		l.Requirements = b.set.Files
	} else {
		l.Requirements = b.opts.reqFiles
	}
	return l
}

func (b *builder) failed(t target.Target, err error) report.Layer {
	l := b.base(t)
	l.Error = failureOf(err)
	return l
}

// resolverSource joins the index (projects) and the fetcher (metadata through the cache).
type resolverSource struct {
	*index.Client
	f *fetch.Fetcher
}

func (s resolverSource) Metadata(ctx context.Context, f index.File) ([]byte, error) {
	return s.f.Metadata(ctx, f)
}

func (b *builder) buildTarget(ctx context.Context, t target.Target) report.Layer {
	l := b.base(t)
	reqs := toResolve(b.set.Requirements)
	res, err := resolve.Resolve(ctx, resolverSource{b.client, b.fetcher}, reqs, resolve.Options{
		Target: t, Pre: b.opts.pre || b.set.Options.Pre, Constraints: toResolve(b.set.Constraints),
	})
	if err != nil {
		return b.failed(t, fmt.Errorf("resolving for %s: %w", t, err))
	}
	l.Warnings = append(l.Warnings, res.Warnings...)
	if err := checkHashMode(reqs, res, b.set.Options.RequireHashes); err != nil {
		return b.failed(t, err)
	}
	fr := make([]fetch.Request, len(res.Packages))
	for i, p := range res.Packages {
		fr[i] = fetch.Request{Package: p.Name + " " + p.Version.String(), File: p.File, Hashes: p.Hashes, Origin: p.HashOrigin}
	}
	paths, err := b.fetcher.Fetch(ctx, fr)
	if err != nil {
		return b.failed(t, err)
	}
	if err := b.writeLayer(t, &l, res.Packages, paths); err != nil {
		return b.failed(t, err)
	}
	return l
}

// verify inflates every entry of a wheel the cache has not seen verified, and remembers the verdict
// by the wheel's sha256. The fetcher calls it as each wheel arrives.
func (b *builder) verify(ctx context.Context, r fetch.Request, path, sha string) error {
	if b.fetcher.Cache.Verified(sha) {
		return nil
	}
	m, a, err := openWheel(path, r.File.Filename, true)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Package, err)
	}
	defer m.Close()
	if err := a.Verify(ctx); err != nil {
		return fmt.Errorf("%s: %w", r.Package, err)
	}
	return b.fetcher.Cache.MarkVerified(sha)
}

// openWheel opens a cached wheel. Mapped into memory, its many small entries cost no system call
// each (verification reads them all); read ahead through a small window, memory stays flat however big
// the layer (writing copies each entry's compressed bytes once).
func openWheel(path, filename string, mapped bool) (io.Closer, *wheel.Archive, error) {
	var r interface {
		io.ReaderAt
		io.Closer
	}
	var size int64
	if mapped {
		m, err := fetch.OpenMapped(path)
		if err != nil {
			return nil, nil, fmt.Errorf("opening %s: %w", filename, err)
		}
		r, size = m, m.Size()
	} else {
		f, err := fetch.OpenReadAhead(path)
		if err != nil {
			return nil, nil, fmt.Errorf("opening %s: %w", filename, err)
		}
		r, size = f, f.Size()
	}
	a, err := wheel.Open(r, size, filename, wheel.Limits{})
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return r, a, nil
}

func (b *builder) writeLayer(t target.Target, l *report.Layer, pkgs []*resolve.Package, paths []string) error {
	inputs := make([]layer.Input, len(pkgs))
	for i, p := range pkgs {
		f, a, err := openWheel(paths[i], p.File.Filename, false)
		if err != nil {
			return err
		}
		defer f.Close()
		a.TrustVerified() // the fetcher's Check verified it, now or in an earlier build
		inputs[i] = layer.Input{Name: p.Name, Version: p.Version.String(), Wheel: p.File.Filename, Archive: a}
	}
	zipPath := filepath.Join(b.opts.out, b.opts.name+"-"+t.Key()+".zip")
	tmp, err := os.CreateTemp(b.opts.out, ".layer-*")
	if err != nil {
		return fmt.Errorf("writing layer: %w", err)
	}
	defer os.Remove(tmp.Name())
	// The zip's sha256 is computed on another goroutine, overlapping the copy.
	h := sha256.New()
	pr, pw := io.Pipe()
	hashed := make(chan struct{})
	go func() {
		buf := make([]byte, 256<<10)
		io.CopyBuffer(h, pr, buf) // hash.Hash never fails; the pipe ends when pw closes
		close(hashed)
	}()
	res, err := layer.Write(io.MultiWriter(pw, tmp), inputs, layer.Options{Prefix: t.SitePackages()})
	pw.Close()
	<-hashed
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing layer %s: %w", zipPath, err)
	}
	if err := os.Rename(tmp.Name(), zipPath); err != nil {
		return fmt.Errorf("writing layer %s: %w", zipPath, err)
	}
	sum := h.Sum(nil)
	l.Zip = zipPath
	l.SHA256 = hex.EncodeToString(sum)
	l.CodeSHA256 = base64.StdEncoding.EncodeToString(sum)
	l.ZippedBytes, l.UnzippedBytes, l.Files = res.ZippedBytes, res.UnzippedBytes, res.Files
	l.Quotas = report.Quotas(res.ZippedBytes, res.UnzippedBytes, 0)
	byName := map[string]*resolve.Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	for _, ps := range res.Packages {
		rp := report.Package{Name: ps.Name, Version: ps.Version, Wheel: ps.Wheel, ZippedBytes: ps.ZippedBytes, UnzippedBytes: ps.UnzippedBytes, Files: ps.Files}
		if p := byName[ps.Name]; p != nil {
			rp.RequiredBy = p.RequiredBy
		}
		l.Packages = append(l.Packages, rp)
	}
	for _, d := range res.Dropped {
		l.Dropped = append(l.Dropped, report.Dropped{Package: d.Package, Path: d.Path, Reason: d.Reason, Bytes: d.Size})
	}
	for _, c := range res.Conflicts {
		l.Conflicts = append(l.Conflicts, report.Conflict{Path: c.Path, Packages: c.Packages, Identical: c.Identical})
		l.Warnings = append(l.Warnings, fmt.Sprintf("%s is written by %s; kept the copy from %s", c.Path, strings.Join(c.Packages, " and "), c.Packages[0]))
	}
	return nil
}

func toResolve(rs []requirements.Requirement) []resolve.Requirement {
	out := make([]resolve.Requirement, len(rs))
	for i, r := range rs {
		out[i] = resolve.Requirement{Requirement: r.Requirement, Origin: r.File + ":" + strconv.Itoa(r.Line), Hashes: r.Hashes}
	}
	return out
}

// HashModeError lists what hash-checking mode is missing.
type HashModeError struct {
	Trigger string   // why the mode is on: "requirements.txt:3 has --hash"
	Missing []string // one line per package
}

func (e *HashModeError) Error() string {
	return fmt.Sprintf("hash-checking mode is on (%s), so every package, dependencies too, must be pinned with == and hashed:\n  %s",
		e.Trigger, strings.Join(e.Missing, "\n  "))
}

// checkHashMode applies pip's rule: one --hash anywhere (or --require-hashes) means every package must be
// pinned and hashed.
func checkHashMode(reqs []resolve.Requirement, res *resolve.Result, required bool) error {
	trigger := ""
	if required {
		trigger = "--require-hashes is set"
	}
	for _, r := range reqs {
		if trigger != "" {
			break
		}
		if len(r.Hashes) > 0 {
			trigger = r.Origin + " has --hash"
			break
		}
	}
	if trigger == "" {
		return nil
	}
	e := &HashModeError{Trigger: trigger}
	for _, r := range reqs {
		if _, ok := r.Specifier.Pin(); !ok {
			e.Missing = append(e.Missing, fmt.Sprintf("%s: %s is not pinned with ==", r.Origin, r.String()))
		}
	}
	for _, p := range res.Packages {
		if len(p.Hashes) == 0 {
			line := p.Name + "==" + p.Version.String()
			if sha := p.File.Hashes["sha256"]; sha != "" {
				line += " --hash=sha256:" + sha
			}
			e.Missing = append(e.Missing, fmt.Sprintf("%s %s (required by %s) has no --hash; add `%s`", p.Name, p.Version, strings.Join(p.RequiredBy, ", "), line))
		}
	}
	if len(e.Missing) == 0 {
		return nil
	}
	return e
}

// failureOf turns an error into report data, with the file:line and package at fault when known.
func failureOf(err error) *report.Failure {
	f := &report.Failure{Message: err.Error()}
	var reqErr *requirements.Error
	var noVer *resolve.NoVersionError
	var conflict *resolve.ConflictError
	var proj *resolve.ProjectError
	var hm *HashModeError
	var hashErr *fetch.HashMismatchError
	switch {
	case errors.As(err, &reqErr):
		f.File, f.Line = reqErr.File, reqErr.Line
	case errors.As(err, &noVer):
		f.Package = noVer.Package
		f.File, f.Line = splitOrigin(noVer.Root)
	case errors.As(err, &conflict):
		f.Package = conflict.Package
		f.File, f.Line = splitOrigin(conflict.Root)
	case errors.As(err, &proj):
		f.Package = proj.Package
		f.File, f.Line = splitOrigin(proj.Root)
	case errors.As(err, &hm):
		f.File, f.Line = splitOrigin(strings.TrimSuffix(hm.Trigger, " has --hash"))
	case errors.As(err, &hashErr):
		f.Package = hashErr.Package
		f.File, f.Line = splitOrigin(hashErr.Origin)
	}
	return f
}

// splitOrigin parses "file:line".
func splitOrigin(o string) (string, int) {
	i := strings.LastIndexByte(o, ':')
	if i <= 0 {
		return "", 0
	}
	n, err := strconv.Atoi(o[i+1:])
	if err != nil {
		return "", 0
	}
	return o[:i], n
}
