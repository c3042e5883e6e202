package build

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/layer"
	"github.com/lambda-layers/lambda-layers/internal/lockfile"
	"github.com/lambda-layers/lambda-layers/internal/ordered"
	"github.com/lambda-layers/lambda-layers/internal/outfile"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/version"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// Plan is what to build: the build command makes one from flags; the action and `report --base` make
// theirs from the config file and from another revision.
type Plan struct {
	Layers []LayerPlan
	// IndexURL overrides the requirements files' -i, PIP_INDEX_URL and PyPI, in that order of precedence.
	IndexURL       string
	ExtraIndexURLs []string
	Pre            bool
	// Out is the directory for the zips (created if missing).
	Out string
	// CacheDir is the wheel cache; "" means lambda-layers in the user cache dir.
	CacheDir string
	// Refresh revalidates every cached index page and metadata file, fresh or not (pip's and uv's
	// --refresh). Wheels are kept by content and need no revalidation.
	Refresh bool
	// Offline sends no request: pages, metadata and wheels come from the cache alone, and a layer that
	// needs anything else fails naming it.
	Offline bool
	// Jobs bounds the layer targets built at once; 0 means the number of CPUs, at least 2.
	Jobs int
	// ReadFile reads requirements files; nil means requirements.ReadFile (os.ReadFile with a size cap). `report --base` reads through git show.
	ReadFile func(string) ([]byte, error)
}

// LayerPlan is one layer: its requirements and the targets to build it for.
type LayerPlan struct {
	Name string
	// Requirements are requirements files, pyproject.toml files, or one lock file (uv.lock,
	// poetry.lock, Pipfile.lock, pylock.toml, pylock.NAME.toml), told apart by name.
	Requirements []string
	Targets      []target.Target
	// Extras and Groups choose a pyproject's or a lock's optional dependencies and dependency groups
	// beyond the main ones.
	Extras, Groups []string
	// ExcludePackages are left out with what only they need (prune.Apply; "runtime-provided" is the
	// preset). Exclude are globs over site-packages paths of files to leave out (layer.Rule).
	ExcludePackages []string
	Exclude         []layer.Rule
	// Shared asks for one zip under python/ for the targets of one architecture when there are two or
	// more runtimes, every wheel is pure Python and the resolutions agree; otherwise (with a note
	// saying why) each target gets its own zip.
	Shared bool
}

// Build builds every layer for every target. A failure is recorded in that layer's report entry (with
// the file:line at fault when known) and the others go on; Build itself never fails. The targets are
// built concurrently (Plan.Jobs), sharing the index clients, downloads and verification; the report
// lists them in plan order whatever order they finish in.
func Build(ctx context.Context, env Env, p Plan) *report.Report {
	env.Defaults()
	shareWriters(&env)
	rep := &report.Report{Layers: []report.Layer{}}
	b := &builder{env: env, plan: p, clients: map[string]*index.Client{}, fetchers: map[*index.Client]*fetch.Fetcher{}}
	setupErr := b.setup(ctx)
	if b.verifier != nil {
		defer func() {
			b.verifier.close()
			// After the checks: the metadata of a checked wheel went to the disk with its verdict.
			if err := b.cache.Flush(); err != nil {
				fmt.Fprintln(b.env.Stderr, "warning:", err)
			}
		}()
	}
	var jobs []job
	for _, lp := range p.Layers {
		in, err := readInputs(lp, env.Getenv, p.ReadFile)
		set := in.set
		if err == nil {
			err = setupErr
		}
		var client *index.Client
		if err == nil {
			client, err = b.client(set)
		}
		lb := &layerBuild{builder: b, name: lp.Name, files: lp.Requirements, set: set, client: client, lock: in.lock, extras: lp.Extras, groups: lp.Groups,
			excludePkgs: lp.ExcludePackages, exclude: lp.Exclude}
		if client != nil {
			lb.fetcher = b.fetchers[client]
			b.recall(ctx, client, set)
		}
		var shared map[int]*sharedPlan
		var notes map[int][]string
		if lp.Shared && err == nil {
			shared, notes = lb.planShared(ctx, lp.Targets) // slim.go
		}
		for i, t := range lp.Targets {
			sp, ok := shared[i]
			switch {
			case ok && sp == nil:
				continue // served by the shared zip of an earlier target
			case ok:
				jobs = append(jobs, job{lb: lb, t: t, shared: sp})
			default:
				jobs = append(jobs, job{lb: lb, t: t, err: err, notes: notes[i]})
			}
		}
	}
	var stops []func()
	for _, f := range b.fetchers {
		// The wheels the resolutions look at first are downloaded and checked while they go on.
		stops = append(stops, f.Speculate(ctx))
	}
	layers := b.runJobs(ctx, jobs)
	for _, stop := range stops {
		stop() // what is still running was not needed
	}
	for i, j := range jobs {
		l := layers[i]
		l.Warnings = append(l.Warnings, j.notes...)
		runtimes := []target.Target{j.t}
		if j.shared != nil {
			runtimes = j.shared.targets
		}
		for _, t := range runtimes {
			if t.IsDeprecated(env.Now()) {
				w := fmt.Sprintf("%s was deprecated by AWS on %s; plan a move to a newer runtime", t.Name, t.Deprecated.Format("2006-01-02"))
				l.Warnings = append(l.Warnings, w)
			}
		}
		if w := emptyWarning(l); w != "" { // empty.go
			l.Warnings = append(l.Warnings, w)
		}
		rep.Layers = append(rep.Layers, l)
	}
	rep.Cache = b.finish()
	return rep
}

type builder struct {
	env      Env
	plan     Plan
	cache    *fetch.Cache
	verifier *verifier
	progress func(done, total int, name string)
	clients  map[string]*index.Client // by their index URLs, shared by the layers that use the same
	fetchers map[*index.Client]*fetch.Fetcher
	recalls  []recalled // cache.go: the pages revalidated ahead of the resolutions
}

func (b *builder) setup(ctx context.Context) error {
	if err := outfile.MkdirAll(b.plan.Out); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	dir := b.plan.CacheDir
	if dir == "" {
		dir = fetch.DefaultDir(b.env.UserCacheDir)
	}
	cache, err := fetch.OpenCache(dir)
	if err != nil {
		return err
	}
	b.cache = cache
	b.verifier = newVerifier(ctx, cache)
	if b.env.StderrIsTerminal {
		b.progress = func(done, total int, name string) {
			fmt.Fprintf(b.env.Stderr, "\r\033[Kfetched %d/%d %s", done, total, name)
			if done == total {
				fmt.Fprint(b.env.Stderr, "\r\033[K")
			}
		}
	}
	return nil
}

// client returns the index client for a requirements set's index URLs.
func (b *builder) client(set *requirements.Set) (*index.Client, error) {
	urls := b.indexURLs(set)
	key := strings.Join(urls, "\n")
	if c := b.clients[key]; c != nil {
		return c, nil
	}
	opts := []index.Option{index.WithUserAgent("lambda-layers/" + version.Version), index.WithGetenv(b.env.Getenv),
		index.WithCacheMode(b.cacheMode())}
	if b.cache != nil {
		opts = append(opts, index.WithHTTPCache(b.cache.HTTPDir()))
	}
	if b.env.HTTPClient != nil {
		opts = append(opts, index.WithHTTPClient(b.env.HTTPClient))
	}
	c, err := index.New(urls, opts...)
	if err != nil {
		return nil, err
	}
	b.clients[key] = c
	if b.fetchers != nil {
		b.fetchers[c] = &fetch.Fetcher{Cache: b.cache, Source: c, Check: b.verifier.start, OnProgress: b.progress, Concurrency: downloads}
	}
	return c, nil
}

// indexURLs: the plan's, else the requirements file's -i, else PIP_INDEX_URL, else PyPI; extras from all.
func (b *builder) indexURLs(set *requirements.Set) []string {
	env := index.URLsFromEnv(b.env.Getenv)
	primary := env[0]
	if set.Options.IndexURL != "" {
		primary = set.Options.IndexURL
	}
	if b.plan.IndexURL != "" {
		primary = b.plan.IndexURL
	}
	urls := []string{primary}
	urls = append(urls, b.plan.ExtraIndexURLs...)
	urls = append(urls, set.Options.ExtraIndexURLs...)
	urls = append(urls, env[1:]...)
	return ordered.Unique(urls)
}

// layerBuild is one layer's requirements on its way to each target.
type layerBuild struct {
	*builder
	name    string
	files   []string
	set     *requirements.Set
	client  *index.Client
	fetcher *fetch.Fetcher
	// lock is the layer's lock file, when it has one: installed as locked, not resolved.
	lock           lockfile.Lock
	extras, groups []string

	excludePkgs []string
	exclude     []layer.Rule
}

func (b *layerBuild) base(t target.Target) report.Layer {
	l := report.Layer{Name: b.name, Runtime: t.Name, Architecture: t.Arch, Packages: []report.Package{}, Quotas: []report.Quota{}}
	if b.set != nil {
		l.Requirements = b.set.Files
	} else {
		l.Requirements = b.files
	}
	return l
}

func (b *layerBuild) failed(t target.Target, err error) report.Layer {
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

func (b *layerBuild) build(ctx context.Context, t target.Target) report.Layer {
	l := b.base(t)
	log := b.verbose(b.name + " " + t.String())
	res, err := b.resolveFor(ctx, t) // pinned.go: a lock's fast path, or a resolution
	if err != nil {
		return b.failed(t, err)
	}
	if b.lock != nil {
		log.phase("took %d packages of %s whose markers hold for the target, no resolution", len(res.Packages), strings.Join(b.set.Files, ", "))
	} else if res.pinned {
		log.phase("took the %d pins of the lock, no resolution", len(res.Packages))
	} else {
		log.phase("resolved %d packages against %s", len(res.Packages), redactAll(b.indexURLs(b.set)))
	}
	if !res.pinned { // a lock's edges are known only once its wheels' metadata is read: see finish
		if res, err = b.prune(res, t, &l); err != nil {
			return b.failed(t, err)
		}
	}
	if err := b.install(ctx, []target.Target{t}, &l, res, output{prefix: t.SitePackages(), runtime: t.Name}, log); err != nil {
		return b.failed(t, err)
	}
	return l
}

// output is where and how a zip is written: the path prefix inside it and the runtime part of its
// file name (python3.12, or python3 for a shared zip).
type output struct {
	prefix, runtime string
	runtimes        []string // every runtime a shared zip serves
}

// install fetches the resolution's wheels, checks a lock against every target, and writes the zip and
// its SBOM.
func (b *layerBuild) install(ctx context.Context, ts []target.Target, l *report.Layer, res resolved, out output, log *verboseLog) error {
	l.Warnings = append(l.Warnings, res.Warnings...)
	l.Warnings = append(l.Warnings, YankedWarnings(res.Packages)...)
	fr := make([]fetch.Request, len(res.Packages))
	cached := 0
	for i, p := range res.Packages {
		fr[i] = fetch.Request{Package: p.Name + " " + p.Version.String(), File: p.File, Hashes: p.Hashes, Origin: p.HashOrigin}
		if sha := p.File.Hashes["sha256"]; sha != "" && b.cache.HasWheel(sha) && !b.fetcher.DownloadedHere(sha) {
			cached++
			log.printf("  %s %s: %s, cached (%s)", p.Name, p.Version, p.File.Filename, why(p))
		} else {
			log.printf("  %s %s: %s from %s (%s)", p.Name, p.Version, p.File.Filename, index.Redact(p.File.URL), why(p))
		}
	}
	paths, err := b.fetcher.Fetch(ctx, fr)
	if err != nil {
		if b.lock != nil {
			lockHashOrigin(err, fr) // inputs.go
		}
		return err
	}
	log.phase("fetched %d wheels, %d of them from the cache in %s", len(fr), cached, b.cache.Dir())
	if res.pinned {
		for _, t := range ts {
			if err := b.verifyPinned(ctx, res.Result, paths, t); err != nil {
				return err
			}
		}
		if len(b.excludePkgs) > 0 {
			kept, err := b.prune(res, ts[0], l)
			if err != nil {
				return err
			}
			keep := map[string]bool{}
			for _, p := range kept.Packages {
				keep[p.Name] = true
			}
			var keptPaths []string
			var keptReqs []fetch.Request
			for i, p := range res.Packages {
				if keep[p.Name] {
					keptPaths, keptReqs = append(keptPaths, paths[i]), append(keptReqs, fr[i])
				}
			}
			res, paths, fr = kept, keptPaths, keptReqs
		}
		log.phase("checked the wheels' metadata against the lock")
	}
	if err := b.writeLayer(ctx, ts[0], l, res, paths, fr, out); err != nil {
		return err
	}
	log.phase("verified the wheels and wrote %s (%s zipped, %s unzipped)", l.Zip, report.Bytes(l.ZippedBytes), report.Bytes(l.UnzippedBytes))
	return nil
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

// writeLayer writes the zip while the verifier may still be checking its wheels, and renames it into
// place only once every check has passed.
func (b *layerBuild) writeLayer(ctx context.Context, t target.Target, l *report.Layer, res resolved, paths []string, reqs []fetch.Request, out output) error {
	pkgs := res.Packages
	inputs := make([]layer.Input, len(pkgs))
	for i, p := range pkgs {
		f, a, err := openWheel(paths[i], p.File.Filename, false)
		if err != nil {
			return err
		}
		defer f.Close()
		a.TrustVerified() // checked by the verifier before the zip is renamed into place
		// What the wheel's WHEEL file says to tell the user, e.g. a newer minor Wheel-Version.
		l.Warnings = append(l.Warnings, a.Warnings()...)
		inputs[i] = layer.Input{Name: p.Name, Version: p.Version.String(), Wheel: p.File.Filename, Archive: a}
	}
	zipPath := filepath.Join(b.plan.Out, b.name+"-"+out.runtime+"-"+t.Arch+".zip")
	tmp, err := outfile.CreateTemp(b.plan.Out, ".layer-*") // 0644: the next workflow step reads it
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
	lres, err := layer.Write(io.MultiWriter(pw, tmp), inputs, layer.Options{Prefix: out.prefix, Exclude: b.exclude})
	pw.Close()
	<-hashed
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing layer %s: %w", zipPath, err)
	}
	if err := b.verifier.wait(ctx, paths, reqs); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), zipPath); err != nil {
		return fmt.Errorf("writing layer %s: %w", zipPath, err)
	}
	sum := h.Sum(nil)
	l.Zip = zipPath
	l.SHA256 = hex.EncodeToString(sum)
	l.CodeSHA256 = base64.StdEncoding.EncodeToString(sum)
	l.ZippedBytes, l.UnzippedBytes, l.Files = lres.ZippedBytes, lres.UnzippedBytes, lres.Files
	licenses, err := readLicenses(inputs)
	if err != nil {
		return err
	}
	byName := map[string]*resolve.Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	for _, ps := range lres.Packages {
		rp := report.Package{Name: ps.Name, Version: ps.Version, Wheel: ps.Wheel, ZippedBytes: ps.ZippedBytes, UnzippedBytes: ps.UnzippedBytes, Files: ps.Files}
		if p := byName[ps.Name]; p != nil {
			rp.RequiredBy = p.RequiredBy
		}
		if li := licenses[ps.Name]; li.Known() {
			rp.License = li.SPDX()
		}
		l.Packages = append(l.Packages, rp)
	}
	l.CheckQuotas(0) // names the biggest packages when a limit is exceeded
	for _, d := range lres.Dropped {
		l.Dropped = append(l.Dropped, report.Dropped{Package: d.Package, Path: d.Path, Reason: d.Reason, Bytes: d.Size})
	}
	for _, e := range lres.Excluded {
		r := report.ExcludeRule{Pattern: e.Pattern, Origin: e.Origin, Files: e.Files, UnzippedBytes: e.UnzippedBytes, ZippedBytes: e.ZippedBytes}
		for _, p := range e.Packages {
			r.Packages = append(r.Packages, report.ExcludedFiles{Name: p.Name, Files: p.Files, UnzippedBytes: p.UnzippedBytes, ZippedBytes: p.ZippedBytes})
		}
		l.Excluded = append(l.Excluded, r)
	}
	l.Warnings = append(l.Warnings, lres.Warnings...)
	sbomPath, err := b.writeSBOM(t, l, res, paths, licenses, out)
	if err != nil {
		return err
	}
	l.SBOM = sbomPath
	for _, c := range lres.Conflicts {
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

// failureOf turns an error into report data, with the file:line and package at fault when known.
func failureOf(err error) *report.Failure {
	f := &report.Failure{Message: err.Error()}
	var reqErr *requirements.Error
	var noVer *resolve.NoVersionError
	var conflict *resolve.ConflictError
	var proj *resolve.ProjectError
	var hm *HashModeError
	var hashErr *fetch.HashMismatchError
	var incomplete *resolve.IncompleteError
	var lockErr *lockfile.Error
	switch {
	case errors.As(err, &lockErr):
		f.File, f.Line, f.Package = lockErr.File, lockErr.Line, lockErr.Package
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
	case errors.As(err, &incomplete):
		f.File, f.Line = splitOrigin(incomplete.Root)
	case errors.As(err, &hashErr):
		f.Package = hashErr.Package
		f.File, f.Line = splitOrigin(hashErr.Origin)
	}
	f.Message += hintFor(err, f.Message) // hints.go
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

// downloads bounds the wheels downloaded at once. Across a network each download waits a round trip
// before its first byte, so the bound is set by latency, not by cores (checking the wheels has its own
// bound): 32 keeps a cold build's speculative downloads from queueing behind one another, as uv's 50
// concurrent downloads do.
const downloads = 32

// YankedWarnings says of each package whose chosen file the index yanked (only an exact pin or a lock
// takes one) that it is yanked, why, and what chose it: PEP 592 asks installers to, and pip and uv do.
func YankedWarnings(pkgs []*resolve.Package) []string {
	var out []string
	for _, p := range pkgs {
		if !p.File.Yanked {
			continue
		}
		why := ""
		if p.File.YankedReason != "" {
			why = " (" + p.File.YankedReason + ")"
		}
		by := "it is pinned"
		if len(p.RequiredBy) > 0 {
			by = strings.Join(p.RequiredBy, ", ") + " pins it"
		}
		out = append(out, fmt.Sprintf("%s %s is yanked%s; installed because %s: pin another version unless you need this one", p.Name, p.Version, why, by))
	}
	return out
}
