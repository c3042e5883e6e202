package build

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// BenchmarkTargets builds one layer cold for one target and for four (2 runtimes × 2 architectures)
// from an in-process index with 20 ms per request: 12 pure-Python packages all targets share and 4
// compiled ones with a wheel per target, ~1 MiB each, and the four again one target at a time (Jobs 1).
// It reports the times and the ratio of four to one. Run: go test -run '^$' -bench Targets -benchtime 3x ./internal/build/
func BenchmarkTargets(b *testing.B) {
	var specs []wheeltest.Spec
	var root []string
	file := func(name string) []wheeltest.File {
		return []wheeltest.File{{Name: name + "/__init__.py", Data: []byte("x = 1\n")}, {Name: name + "/_data.bin", Data: noise(1 << 20)}}
	}
	for i := range 12 {
		n := fmt.Sprintf("pure%02d", i)
		specs = append(specs, wheeltest.Spec{Name: n, Version: "1.0", Files: file(n)})
		root = append(root, n)
	}
	for i := range 4 {
		n := fmt.Sprintf("native%d", i)
		root = append(root, n)
		for _, py := range []string{"cp312", "cp313"} {
			for _, plat := range []string{"manylinux_2_17_x86_64", "manylinux_2_17_aarch64"} {
				specs = append(specs, wheeltest.Spec{Name: n, Version: "1.0", Tag: py + "-" + py + "-" + plat, Files: file(n)})
			}
		}
	}
	srv := indextest.New(b, specs, indextest.Latency(20*time.Millisecond))
	req := writeRequirementsTB(b, root...)
	ts, err := target.ParseList([]string{"python3.12", "python3.13"}, []string{"x86_64", "arm64"})
	if err != nil {
		b.Fatal(err)
	}
	var one, four, serial time.Duration
	run := func(set []target.Target, jobs int) time.Duration {
		p := speedPlan(srv.URL, req, b.TempDir(), b.TempDir(), set)
		p.Jobs = jobs
		start := time.Now()
		rep := Build(context.Background(), Env{}, p)
		d := time.Since(start)
		for _, l := range rep.Layers {
			if l.Error != nil {
				b.Fatal(l.Error.Message)
			}
		}
		return d
	}
	for range b.N {
		one += run(ts[:1], 0)
		four += run(ts, 0)
		serial += run(ts, 1) // one target at a time, as before
	}
	n := float64(b.N)
	b.ReportMetric(one.Seconds()/n, "one-target-s")
	b.ReportMetric(four.Seconds()/n, "four-targets-s")
	b.ReportMetric(serial.Seconds()/n, "four-one-at-a-time-s")
	b.ReportMetric(four.Seconds()/one.Seconds(), "x-four/one")
}
