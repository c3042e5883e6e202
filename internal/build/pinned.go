package build

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/lambda-layers/lambda-layers/internal/requirements"
	"github.com/lambda-layers/lambda-layers/internal/resolve"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel"
)

// resolved is what a layer build installs, and whether it came from a lock (every requirement pinned
// and hashed, so nothing was resolved and the wheels' metadata still has to be checked).
type resolved struct {
	*resolve.Result
	pinned bool
}

// resolveFor picks the wheels of a layer for a target. A file whose every requirement is pinned and
// hashed (a lock) takes the fast path: no resolution, no metadata, one project page per package.
// Anything else is resolved, and then held to pip's hash-checking rule if one --hash turned it on.
func (b *layerBuild) resolveFor(ctx context.Context, t target.Target) (resolved, error) {
	if b.lock != nil {
		return b.fromLock(ctx, t) // inputs.go
	}
	if err := checkPython(b.set, t); err != nil { // inputs.go
		return resolved{}, err
	}
	reqs := toResolve(b.set.Requirements)
	cons := toResolve(b.set.Constraints)
	opts := resolve.Options{Target: t, Pre: b.plan.Pre || b.set.Options.Pre, Constraints: cons}
	src := resolverSource{b.client, b.fetcher}
	trigger := hashTrigger(b.set)
	if trigger != "" && allPinnedAndHashed(reqs, t) {
		res, err := resolve.Pinned(ctx, src, reqs, opts)
		if err != nil {
			return resolved{}, resolveErr(t, err)
		}
		return resolved{res, true}, nil
	}
	res, err := resolve.Resolve(ctx, src, reqs, opts)
	if err != nil {
		return resolved{}, resolveErr(t, err)
	}
	if trigger != "" {
		if err := hashModeCheck(trigger, reqs, cons, res, t, b.files); err != nil {
			return resolved{}, err
		}
	}
	return resolved{res, false}, nil
}

// resolveErr keeps the resolver's explanations as they are (they name the target) and says what was
// being done for anything else.
func resolveErr(t target.Target, err error) error {
	var nv *resolve.NoVersionError
	var ce *resolve.ConflictError
	if errors.As(err, &nv) || errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("resolving for %s: %w", t, err)
}

// hashTrigger says why hash-checking mode is on, as pip decides it: --require-hashes, or one --hash on
// any requirement or constraint, whatever its marker. "" means off.
func hashTrigger(set *requirements.Set) string {
	if set.Options.RequireHashes {
		return "--require-hashes is set"
	}
	for _, rs := range [][]requirements.Requirement{set.Requirements, set.Constraints} {
		for _, r := range rs {
			if len(r.Hashes) > 0 {
				return fmt.Sprintf("%s:%d has --hash", r.File, r.Line)
			}
		}
	}
	return ""
}

// allPinnedAndHashed reports whether every requirement that applies to t is pinned and hashed.
func allPinnedAndHashed(reqs []resolve.Requirement, t target.Target) bool {
	env := t.Env()
	some := false
	for _, q := range reqs {
		if ok, err := q.Marker.EvaluateExtras(env, nil); err != nil || !ok {
			continue
		}
		if !resolve.IsPinnedAndHashed(q) {
			return false
		}
		some = true
	}
	return some
}

// hashModeCheck applies pip's rule after a resolution: in hash-checking mode every requirement that
// applies is pinned with ==, and every package, dependencies too, is hashed. Each line of the error says
// what to write, with the version and hash just resolved.
func hashModeCheck(trigger string, reqs, cons []resolve.Requirement, res *resolve.Result, t target.Target, files []string) error {
	env := t.Env()
	pinnedByConstraint := map[string]bool{}
	for _, c := range cons {
		if _, ok := c.Specifier.Pin(); ok {
			pinnedByConstraint[c.Key()] = true
		}
	}
	byName := map[string]*resolve.Package{}
	for _, p := range res.Packages {
		byName[p.Name] = p
	}
	e := &HashModeError{Trigger: trigger}
	told := map[string]bool{} // packages whose line already says what to write
	for _, q := range reqs {
		if ok, err := q.Marker.EvaluateExtras(env, nil); err != nil || !ok {
			continue
		}
		if _, ok := q.Specifier.Pin(); ok || q.URL != "" || pinnedByConstraint[q.Key()] {
			continue
		}
		line := fmt.Sprintf("%s: %s is not pinned with ==", q.Origin, q.String())
		if p := byName[q.Key()]; p != nil {
			line += "; write " + pinLine(p)
			told[p.Name] = len(p.Hashes) == 0
		}
		e.Missing = append(e.Missing, line)
	}
	for _, p := range res.Packages {
		if len(p.Hashes) > 0 || told[p.Name] {
			continue
		}
		by := strings.Join(p.RequiredBy, ", ")
		e.Missing = append(e.Missing, fmt.Sprintf("%s %s (required by %s) has no --hash; add %s", p.Name, p.Version, by, pinLine(p)))
	}
	if len(e.Missing) == 0 {
		return nil
	}
	e.Missing = append(e.Missing, fmt.Sprintf("hint: `lambda-layers lock -r %s --runtime %s --arch %s -o FILE` writes every pin and hash of this resolution",
		strings.Join(files, " -r "), t.Name, t.Arch))
	return e
}

// pinLine is the requirement line that pins a package with its wheel's hash.
func pinLine(p *resolve.Package) string {
	s := "`" + p.Name + "==" + p.Version.String()
	if sha := p.File.Hashes["sha256"]; sha != "" {
		s += " --hash=sha256:" + sha
	}
	return s + "`"
}

// verifyPinned reads the metadata of a lock's wheels, now in the cache, and checks that the lock holds
// for the target: every dependency pinned at an allowed version, every Requires-Python met. METADATA
// comes from the cache when an earlier run read it, else from the wheel (and is then cached).
func (b *layerBuild) verifyPinned(ctx context.Context, res *resolve.Result, paths []string, t target.Target) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, p := range res.Packages {
		g.Go(func() error {
			sha := strings.TrimSuffix(filepath.Base(paths[i]), ".whl")
			data, ok := b.cache.Metadata(sha)
			if !ok {
				f, a, err := openWheel(paths[i], p.File.Filename, false)
				if err != nil {
					return err
				}
				data, err = a.Metadata()
				f.Close()
				if err != nil {
					return fmt.Errorf("%s %s: %w", p.Name, p.Version, err)
				}
				if err := b.cache.PutMetadata(sha, data); err != nil {
					return err
				}
			}
			md, err := wheel.ParseMetadata(data)
			if err != nil {
				return fmt.Errorf("%s %s (%s): %w", p.Name, p.Version, p.File.Filename, err)
			}
			p.Metadata = &md
			return ctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return resolve.Verify(res, t)
}
