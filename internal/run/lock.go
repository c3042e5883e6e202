package run

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
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

func lockCmd(ctx context.Context, env Env, args []string) int {
	var o buildOptions
	var output string
	fs := flag.NewFlagSet("lock", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, lockUsage) }
	o.addResolveFlags(fs)
	fs.StringVar(&output, "o", "", "output file, directory (ending in /) or pattern with {target}")
	fs.StringVar(&output, "output-file", "", "same as -o")
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "lambda-layers lock: "+format+"\n", a...)
		return ExitUsage
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
		return ExitFailed
	}
	plan := Plan{IndexURL: o.indexURL, ExtraIndexURLs: o.extraIndex, Pre: o.pre, CacheDir: o.cacheDir}
	l, err := newLocker(env, plan, set)
	if err != nil {
		fmt.Fprintf(env.Stderr, "lambda-layers lock: %v\n", err)
		return ExitFailed
	}
	code := ExitOK
	for i, t := range targets {
		res, err := l.resolve(ctx, t)
		if err == nil {
			err = l.writeFile(ctx, outputs[i], res, t, lockCommand(args))
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "lambda-layers lock: %s: %v\n", t, err)
			code = ExitFailed
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

// locker resolves one requirements set for several targets, sharing the index client and cache.
type locker struct {
	b       *layerBuild
	fetcher *fetch.Fetcher
}

func newLocker(env Env, plan Plan, set *requirements.Set) (*locker, error) {
	env.defaults()
	b := &builder{env: env, plan: plan, clients: map[string]*index.Client{}}
	dir := plan.CacheDir
	if dir == "" {
		dir = fetch.DefaultDir(env.UserCacheDir)
	}
	cache, err := fetch.OpenCache(dir)
	if err != nil {
		return nil, err
	}
	b.cache = cache
	client, err := b.client(set)
	if err != nil {
		return nil, err
	}
	f := &fetch.Fetcher{Cache: cache, Source: client}
	return &locker{b: &layerBuild{builder: b, set: set, client: client, fetcher: f, files: set.Files}, fetcher: f}, nil
}

func (l *locker) resolve(ctx context.Context, t target.Target) (*resolve.Result, error) {
	res, err := resolve.Resolve(ctx, resolverSource{l.b.client, l.fetcher}, toResolve(l.b.set.Requirements), resolve.Options{
		Target: t, Pre: l.b.plan.Pre || l.b.set.Options.Pre, Constraints: toResolve(l.b.set.Constraints),
	})
	if err != nil {
		return nil, resolveErr(t, err)
	}
	return res, nil
}

// writeFile writes one lock, through a temporary file so a failure leaves the old one in place.
func (l *locker) writeFile(ctx context.Context, path string, res *resolve.Result, t target.Target, command string) error {
	if err := l.fillHashes(ctx, res); err != nil {
		return err
	}
	base := "."
	if path != "-" {
		base = filepath.Dir(path)
	}
	var buf bytes.Buffer
	writeLock(&buf, res, lockHeader{Target: t, Command: command, IndexURLs: l.indexLines(), RelativeTo: base})
	if path == "-" {
		_, err := l.b.env.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lock-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// fillHashes makes sure every file a lock lists has a sha256: indexes that give none get the file
// downloaded (into the cache, where the build will find it).
func (l *locker) fillHashes(ctx context.Context, res *resolve.Result) error {
	var reqs []fetch.Request
	var files []*index.File
	for _, p := range res.Packages {
		for i := range p.Files {
			if p.Files[i].Hashes["sha256"] == "" {
				reqs = append(reqs, fetch.Request{Package: p.Name + " " + p.Version.String(), File: p.Files[i]})
				files = append(files, &p.Files[i])
			}
		}
	}
	if len(reqs) == 0 {
		return nil
	}
	paths, err := l.fetcher.Fetch(ctx, reqs)
	if err != nil {
		return err
	}
	for i, p := range paths {
		h := maps.Clone(files[i].Hashes)
		if h == nil {
			h = map[string]string{}
		}
		h["sha256"] = strings.TrimSuffix(filepath.Base(p), ".whl")
		files[i].Hashes = h // a copy: the index client shares its maps
	}
	return nil
}

// indexLines are the index options a lock repeats so that build finds the same files: the http(s)
// indexes the requirements or the flags set, unless they carry credentials (a lock is committed).
func (l *locker) indexLines() []string {
	urls := l.b.indexURLs(l.b.set)
	var out []string
	for i, u := range urls {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			continue // a local directory: requirements files take http(s) URLs only
		}
		if index.Redact(u) != u {
			out = append(out, "# an index URL with credentials is not written here; pass it to build again")
			continue
		}
		opt := "--extra-index-url "
		if i == 0 {
			if u == index.PyPI {
				continue
			}
			opt = "--index-url "
		}
		out = append(out, opt+u)
	}
	return out
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

// lockHeader is what a lock says about itself.
type lockHeader struct {
	Target     target.Target
	Command    string
	IndexURLs  []string
	RelativeTo string // origins are written relative to this directory ("" keeps them)
}

// writeLock writes a lock in pip-compile's shape: a header, then per package, sorted by name,
// "name==version \" and its sha256 hashes (sorted), then "# via" lines naming what required it.
func writeLock(w io.Writer, res *resolve.Result, h lockHeader) {
	t := h.Target
	fmt.Fprintf(w, "#\n# This file is written by lambda-layers for %s (%s, glibc %s):\n#\n", t, t.OS, t.Glibc())
	if h.Command != "" {
		fmt.Fprintf(w, "#    %s\n#\n", oneLine(h.Command))
	}
	fmt.Fprintf(w, "# Every package is pinned and hashed: `lambda-layers build -r` this file installs exactly these wheels.\n#\n")
	for _, line := range h.IndexURLs {
		fmt.Fprintln(w, line)
	}
	if len(h.IndexURLs) > 0 {
		fmt.Fprintln(w)
	}
	pkgs := slices.Clone(res.Packages)
	slices.SortFunc(pkgs, func(a, b *resolve.Package) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range pkgs {
		var hashes []string
		for _, f := range p.Files {
			if sha := f.Hashes["sha256"]; sha != "" && (len(p.Hashes) == 0 || slices.Contains(p.Hashes, "sha256:"+sha)) {
				hashes = append(hashes, "sha256:"+sha)
			}
		}
		slices.Sort(hashes)
		hashes = slices.Compact(hashes)
		if p.URL != "" {
			fmt.Fprintf(w, "%s @ %s", p.Name, p.URL)
		} else {
			fmt.Fprintf(w, "%s==%s", p.Name, p.Version)
		}
		for _, hash := range hashes {
			fmt.Fprintf(w, " \\\n    --hash=%s", hash)
		}
		fmt.Fprintln(w)
		var via []string
		for _, o := range p.ViaReq {
			via = append(via, viaOrigin(o, h.RelativeTo))
		}
		via = append(via, p.Via...)
		switch len(via) {
		case 0:
		case 1:
			fmt.Fprintf(w, "    # via %s\n", oneLine(via[0]))
		default:
			fmt.Fprintf(w, "    # via\n")
			for _, v := range via {
				fmt.Fprintf(w, "    #   %s\n", oneLine(v))
			}
		}
	}
}

// oneLine keeps a comment on its line: control characters and whatever Python's splitlines breaks
// at (pip reads requirements files with it) become "?".
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return '?'
		}
		return r
	}, s)
}

// viaOrigin renders "requirements.in:3" as pip-compile does: "-r requirements.in (line 3)".
func viaOrigin(origin, relativeTo string) string {
	file, line := splitOrigin(origin)
	if file == "" {
		return origin
	}
	if relativeTo != "" {
		if rel, err := filepath.Rel(relativeTo, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		} else if abs, err := filepath.Abs(file); err == nil {
			if rel, err := filepath.Rel(mustAbs(relativeTo), abs); err == nil {
				file = rel
			}
		}
	}
	return "-r " + filepath.ToSlash(file) + " (line " + strconv.Itoa(line) + ")"
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
