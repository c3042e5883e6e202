//go:build unix

package build

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// BenchmarkColdCache builds one layer of 60 wheels (an app and 59 dependencies, ~200 KiB each, with PEP
// 658 metadata files) cold into an empty cache from an in-process index, then warm from the same cache.
// It reports both wall times, the cold build's CPU time (user and system, the in-process index's
// included) and what it left in the cache: its files and folders, the file system work a cold build
// pays for on top of the download. Run: go test -run '^$' -bench ColdCache -benchtime 5x ./internal/build/
func BenchmarkColdCache(b *testing.B) {
	const n = 60
	specs := make([]wheeltest.Spec, 0, n)
	var deps []string
	for i := 1; i < n; i++ {
		name := fmt.Sprintf("dep%02d", i)
		deps = append(deps, name)
		specs = append(specs, wheeltest.Spec{Name: name, Version: "1.0", Files: []wheeltest.File{
			{Name: name + "/__init__.py", Data: []byte("x = 1\n")}, {Name: name + "/_data.bin", Data: noise(200 << 10)}}})
	}
	specs = append(specs, wheeltest.Spec{Name: "app", Version: "1.0", Requires: deps})
	srv := indextest.New(b, specs, indextest.CacheControl("max-age=600"))
	req := writeRequirementsTB(b, "app")
	ts, err := target.ParseList([]string{"python3.12"}, []string{"x86_64"})
	if err != nil {
		b.Fatal(err)
	}
	// build returns the wall, user CPU and system CPU times of one build.
	build := func(cache string) (wall, user, sys time.Duration) {
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		start := time.Now()
		rep := Build(context.Background(), Env{}, speedPlan(srv.URL, req, b.TempDir(), cache, ts))
		wall = time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		for _, l := range rep.Layers {
			if l.Error != nil {
				b.Fatal(l.Error.Message)
			}
		}
		return wall, time.Duration(r1.Utime.Nano() - r0.Utime.Nano()), time.Duration(r1.Stime.Nano() - r0.Stime.Nano())
	}
	var cold, coldUser, coldSys, warm time.Duration
	var files, dirs int
	b.ResetTimer()
	for range b.N {
		cache := b.TempDir()
		w, u, s := build(cache)
		cold, coldUser, coldSys = cold+w, coldUser+u, coldSys+s
		b.StopTimer()
		files, dirs = 0, 0
		filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil || p == cache:
			case d.IsDir():
				dirs++
			default:
				files++
			}
			return nil
		})
		b.StartTimer()
		w, _, _ = build(cache)
		warm += w
	}
	k := float64(b.N)
	b.ReportMetric(cold.Seconds()/k, "cold-s")
	b.ReportMetric(coldUser.Seconds()/k, "cold-user-s")
	b.ReportMetric(coldSys.Seconds()/k, "cold-sys-s")
	b.ReportMetric(warm.Seconds()/k, "warm-s")
	b.ReportMetric(float64(files), "cache-files")
	b.ReportMetric(float64(dirs), "cache-dirs")
}
