package run

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/build"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
)

// BenchmarkResolveVsLock measures, on the corpus's big unpinned set for python3.11 x86_64 with a warm
// cache, what resolution costs next to building from the lock it produces: `lock` (resolve and write
// the lock), `build` from the unpinned file (resolve, then build) and `build` from the lock (no
// resolution, no metadata). The goal: resolving costs at most twice a build from the lock.
// Run: go test -run '^$' -bench ResolveVsLock -benchtime 5x ./internal/run/
func BenchmarkResolveVsLock(b *testing.B) {
	py := needOracle(b)
	indexURL, _ := corpus(b, py)
	dir := b.TempDir()
	in := writeReqs(b, dir, diffRequirements)
	lockFile := filepath.Join(dir, "corpus", "requirements.lock")
	cache := filepath.Join(dir, "cache")
	run := func(args ...string) time.Duration {
		var out bytes.Buffer
		start := time.Now()
		code := Main(context.Background(), build.Env{Stdout: &out, Stderr: &out}, args)
		d := time.Since(start)
		if code != exitcode.OK {
			b.Fatalf("%v: exit %d\n%s", args, code, out.String())
		}
		return d
	}
	lockArgs := []string{"lock", "-r", in, "--runtime", "python3.11", "--index-url", indexURL, "-o", lockFile, "--cache-dir", cache}
	build := func(req string, i int) []string {
		return []string{"build", "-r", req, "--runtime", "python3.11", "--index-url", indexURL,
			"--out", filepath.Join(dir, "out", strconv.Itoa(i)), "--cache-dir", cache}
	}
	// Warm the cache: metadata, wheels and their verification.
	run(lockArgs...)
	run(build(in, -1)...)
	run(build(lockFile, -2)...)

	var lockT, unpinnedT, lockedT time.Duration
	b.ResetTimer()
	for i := range b.N {
		lockT += run(lockArgs...)
		unpinnedT += run(build(in, i)...)
		lockedT += run(build(lockFile, i)...)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(lockT.Seconds()/n, "lock-s")
	b.ReportMetric(unpinnedT.Seconds()/n, "build-unpinned-s")
	b.ReportMetric(lockedT.Seconds()/n, "build-from-lock-s")
	b.ReportMetric(lockT.Seconds()/lockedT.Seconds(), "lock/build-from-lock")
	b.ReportMetric(unpinnedT.Seconds()/lockedT.Seconds(), "build-unpinned/build-from-lock")
	b.Logf("lock %.3fs, build unpinned %.3fs, build from lock %.3fs: resolving costs %.2fx (lock) / %.2fx (build) a build from the lock",
		lockT.Seconds()/n, unpinnedT.Seconds()/n, lockedT.Seconds()/n, lockT.Seconds()/lockedT.Seconds(), unpinnedT.Seconds()/lockedT.Seconds())
	if r := unpinnedT.Seconds() / lockedT.Seconds(); r > 2 {
		b.Errorf("building the unpinned set costs %.2fx building from its lock, over the goal of 2x", r)
	}
}
