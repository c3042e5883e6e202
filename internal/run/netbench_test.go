package run

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/report"
)

// BenchmarkNetwork builds the corpus's big unpinned set for python3.11 x86_64 from an in-process HTTP
// index that adds a fixed latency to every request (0 and 20 ms; pages say Cache-Control: max-age=600
// as PyPI's do), in one run per latency:
//
//   - pip+zip: `pip install --target … --no-cache-dir && zip -r`, what users run today;
//   - cold: our binary with an empty cache;
//   - warm: again, same cache (pages fresh: no request);
//   - revalidate: again with --refresh (every page revalidated, 304s, in one wave);
//   - floor: the same wheels' entries copied raw into one zip, in process, no checks, no network.
//
// It reports each time, the ratios, the CPU time of the cold build (user and system: on a 2-core
// machine it bounds how far below it the wall time can go) and our peak RSS. Timings on a shared machine are noisy: compare the
// ratios of one run. Run: go test -run '^$' -bench Network -benchtime 1x ./internal/run/
// LAMBDA_LAYERS_BENCH_CORPUS=DIR reuses a corpus repack-wheels.py already wrote.
func BenchmarkNetwork(b *testing.B) {
	py := needOracle(b)
	zipBin, err := exec.LookPath("zip")
	if err != nil {
		b.Skip("zip not found: the baseline is pip install && zip -r")
	}
	root := os.Getenv("LAMBDA_LAYERS_BENCH_CORPUS")
	if root == "" {
		u, _ := corpus(b, py)
		root = filepath.Dir(strings.TrimSuffix(strings.TrimPrefix(u, "file://"), "/"))
	}
	dir := b.TempDir()
	req := writeReqs(b, dir, diffRequirements)
	bin := filepath.Join(dir, "lambda-layers")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%dms", latency.Milliseconds()), func(b *testing.B) {
			srv := indextest.NewStatic(b, root, indextest.Latency(latency), indextest.CacheControl("max-age=600"))
			var pipT, coldT, warmT, revalT, floorT, coldCPU time.Duration
			var peak int64
			var coldReqs, warmReqs, revalReqs int
			for i := range b.N {
				it := filepath.Join(dir, fmt.Sprintf("%d-%d", latency.Milliseconds(), i))
				syscall.Sync()
				start := time.Now()
				pipRoot := filepath.Join(it, "pip")
				pipInstall(b, py, srv.URL, req, filepath.Join(pipRoot, "python", "lib", "python3.11", "site-packages"))
				cmd := exec.Command(zipBin, "-q", "-r", "-X", filepath.Join(it, "pip.zip"), "python")
				cmd.Dir = pipRoot
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("zip: %v\n%s", err, out)
				}
				pipT += time.Since(start)

				cache := filepath.Join(it, "cache")
				ours := func(name string, extra ...string) (time.Duration, time.Duration, int) {
					srv.ResetLog()
					syscall.Sync()
					args := append([]string{"build", "-r", req, "--runtime", "python3.11", "--arch", "x86_64",
						"--index-url", srv.URL, "--out", filepath.Join(it, name), "--cache-dir", cache}, extra...)
					d, cpu, rss := runBinaryCPU(b, bin, args...)
					peak = max(peak, rss)
					return d, cpu, len(srv.Log())
				}
				d, cpu, n := ours("cold")
				coldT, coldCPU, coldReqs = coldT+d, coldCPU+cpu, n
				d, _, n = ours("warm")
				warmT, warmReqs = warmT+d, n
				d, _, n = ours("revalidate", "--refresh")
				revalT, revalReqs = revalT+d, n

				syscall.Sync()
				floorT += rawCopyFloor(b, filepath.Join(it, "cold", "report.json"), filepath.Join(root, "files"), filepath.Join(it, "floor.zip"))
			}
			b.StopTimer()
			n := float64(b.N)
			s := func(d time.Duration) float64 { return d.Seconds() / n }
			b.ReportMetric(s(pipT), "pip+zip-s")
			b.ReportMetric(s(coldT), "cold-s")
			b.ReportMetric(s(warmT), "warm-s")
			b.ReportMetric(s(revalT), "revalidate-s")
			b.ReportMetric(s(floorT), "floor-s")
			b.ReportMetric(s(coldCPU), "cold-cpu-s")
			b.ReportMetric(pipT.Seconds()/coldT.Seconds(), "x-pip/cold")
			b.ReportMetric(coldT.Seconds()/floorT.Seconds(), "x-cold/floor")
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			b.Logf("latency %v: pip+zip %.2fs | cold %.3fs (%.3fs CPU, %d requests, %.1fx faster than pip, %.2fx the floor) | warm %.3fs (%d requests) | revalidate %.3fs (%d requests) | floor %.3fs | peak RSS %.0f MB",
				latency, s(pipT), s(coldT), s(coldCPU), coldReqs, pipT.Seconds()/coldT.Seconds(), coldT.Seconds()/floorT.Seconds(),
				s(warmT), warmReqs, s(revalT), revalReqs, s(floorT), float64(peak)/(1<<20))
		})
	}
}

// rawCopyFloor copies every entry of the wheels a build's report lists into one zip as compressed bytes,
// with no check at all: the physical floor of building the layer from local wheels.
func rawCopyFloor(b *testing.B, reportPath, files, out string) time.Duration {
	b.Helper()
	data, err := os.ReadFile(reportPath)
	if err != nil {
		b.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	w := zip.NewWriter(f)
	for _, p := range rep.Layers[0].Packages {
		zr, err := zip.OpenReader(filepath.Join(files, p.Wheel))
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range zr.File {
			h := e.FileHeader
			h.Name = "python/lib/python3.11/site-packages/" + h.Name
			dst, err := w.CreateRaw(&h)
			if err != nil {
				b.Fatal(err)
			}
			src, err := e.OpenRaw()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(dst, src); err != nil {
				b.Fatal(err)
			}
		}
		zr.Close()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
