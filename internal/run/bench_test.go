package run

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkVsPip builds the corpus's big unpinned set (~60 wheels, ~160 MB unpacked) for python3.11
// x86_64 three ways in each iteration — `pip install --target … && zip -r` (the baseline users run
// today), our binary with a cold cache, and our binary with a warm cache — and reports the ratios and
// our peak RSS. Run: go test -run '^$' -bench VsPip -benchtime 3x ./internal/run/
func BenchmarkVsPip(b *testing.B) {
	py := needOracle(b)
	zipBin, err := exec.LookPath("zip")
	if err != nil {
		b.Skip("zip not found: the baseline is pip install && zip -r")
	}
	indexURL, _ := corpus(b, py)
	dir := b.TempDir()
	req := writeReqs(b, dir, diffRequirements)
	bin := filepath.Join(dir, "lambda-layers")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var pipTotal, coldTotal, warmTotal time.Duration
	var peakRSS int64
	b.ResetTimer()
	for i := range b.N {
		it := filepath.Join(dir, strconv.Itoa(i))
		// Baseline: pip into the layer layout, then zip it. Each timed step starts after a sync, so
		// neither pays for the other's dirty pages.
		syscall.Sync()
		start := time.Now()
		root := filepath.Join(it, "pip")
		pipInstall(b, py, indexURL, req, filepath.Join(root, "python", "lib", "python3.11", "site-packages"))
		cmd := exec.Command(zipBin, "-q", "-r", "-X", filepath.Join(it, "pip.zip"), "python")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("zip: %v\n%s", err, out)
		}
		pipTotal += time.Since(start)

		cache := filepath.Join(it, "cache")
		for _, warm := range []bool{false, true} {
			out := filepath.Join(it, "cold")
			if warm {
				out = filepath.Join(it, "warm")
			}
			syscall.Sync()
			d, rss := runBinary(b, bin, "build", "-r", req, "--runtime", "python3.11", "--arch", "x86_64",
				"--index-url", indexURL, "--out", out, "--cache-dir", cache)
			if warm {
				warmTotal += d
			} else {
				coldTotal += d
			}
			peakRSS = max(peakRSS, rss)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(pipTotal.Seconds()/n, "pip+zip-s")
	b.ReportMetric(coldTotal.Seconds()/n, "cold-s")
	b.ReportMetric(warmTotal.Seconds()/n, "warm-s")
	b.ReportMetric(pipTotal.Seconds()/coldTotal.Seconds(), "x-faster-cold")
	b.ReportMetric(pipTotal.Seconds()/warmTotal.Seconds(), "x-faster-warm")
	b.ReportMetric(float64(peakRSS)/(1<<20), "peak-RSS-MB")
	b.Logf("pip+zip %.2fs, ours cold %.3fs (%.1fx), warm %.3fs (%.1fx), peak RSS %.0f MB",
		pipTotal.Seconds()/n, coldTotal.Seconds()/n, pipTotal.Seconds()/coldTotal.Seconds(),
		warmTotal.Seconds()/n, pipTotal.Seconds()/warmTotal.Seconds(), float64(peakRSS)/(1<<20))
}

// runBinary runs the built binary and returns its wall time and peak RSS in bytes.
func runBinary(b *testing.B, bin string, args ...string) (time.Duration, int64) {
	d, _, rss := runBinaryCPU(b, bin, args...)
	return d, rss
}

// runBinaryCPU is runBinary that also returns the CPU time (user and system) the binary used: on a
// shared machine wall times drift with the load, CPU time much less.
func runBinaryCPU(b *testing.B, bin string, args ...string) (wall, cpu time.Duration, rss int64) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v\n%s", bin, err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), rss
}
