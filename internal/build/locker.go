package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index"
	"github.com/lambda-layers/lambda-layers/internal/outfile"
	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
)

// Locker is the engine behind `lock`: it resolves one requirements set for several targets, sharing the index client and cache.
type Locker struct {
	b       *layerBuild
	fetcher *fetch.Fetcher
	// Format is what WriteFile writes: FormatPip (the default) or FormatPylock.
	Format string
}

// The lock formats WriteFile writes.
const (
	FormatPip    = "pip"    // a requirements file, every package pinned and hashed
	FormatPylock = "pylock" // PEP 751 pylock.toml
)

func NewLocker(env Env, plan Plan, set *requirements.Set) (*Locker, error) {
	env.Defaults()
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
	return &Locker{b: &layerBuild{builder: b, set: set, client: client, fetcher: f, files: set.Files}, fetcher: f}, nil
}

func (l *Locker) Resolve(ctx context.Context, t target.Target) (*resolve.Result, error) {
	if err := checkPython(l.b.set, t); err != nil { // inputs.go
		return nil, err
	}
	defer func() {
		// Requests a failed resolution gave up on end before it returns; the metadata it read is kept for
		// the build that follows.
		l.b.client.Wait()
		for _, err := range []error{l.b.cache.Flush(), l.b.client.Flush()} {
			if err != nil {
				fmt.Fprintln(l.b.env.Stderr, "warning:", err)
			}
		}
	}()
	res, err := resolve.Resolve(ctx, resolverSource{l.b.client, l.fetcher}, toResolve(l.b.set.Requirements), resolve.Options{
		Target: t, Pre: l.b.plan.Pre || l.b.set.Options.Pre, Constraints: toResolve(l.b.set.Constraints),
	})
	if err != nil {
		return nil, resolveErr(t, err)
	}
	return res, nil
}

// WriteFile writes one lock, through a temporary file so a failure leaves the old one in place.
func (l *Locker) WriteFile(ctx context.Context, path string, res *resolve.Result, t target.Target, command string) error {
	if err := l.fillHashes(ctx, res); err != nil {
		return err
	}
	base := "."
	if path != "-" {
		base = filepath.Dir(path)
	}
	var buf bytes.Buffer
	if l.Format == FormatPylock {
		if err := l.writePylock(&buf, res, t, command); err != nil {
			return err
		}
	} else {
		writeLock(&buf, res, lockHeader{Target: t, Command: command, IndexURLs: l.indexLines(), RelativeTo: base})
	}
	if path == "-" {
		_, err := l.b.env.Stdout.Write(buf.Bytes())
		return err
	}
	return outfile.WriteFile(path, buf.Bytes())
}

// fillHashes makes sure every file a lock lists has a sha256: indexes that give none get the file
// downloaded (into the cache, where the build will find it).
func (l *Locker) fillHashes(ctx context.Context, res *resolve.Result) error {
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
func (l *Locker) indexLines() []string {
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
