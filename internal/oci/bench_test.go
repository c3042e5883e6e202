package oci

import (
	"archive/zip"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// BenchmarkPushBigLayer pushes one big layer (LAMBDA_LAYERS_BENCH_ZIP, e.g. the benchmark corpus's
// layer, or else a synthesized zip of ~160 MiB unzipped) from a child process to an in-process registry
// and reports the child's peak RSS: building the image (a full pass over the zip) and pushing it (a
// second pass) must stay under 100 MB, whatever the layer's size. The registry, which keeps uploads in
// memory, runs in this process and is not counted.
// Run: go test -run '^$' -bench PushBigLayer -benchtime 1x ./internal/oci/
func BenchmarkPushBigLayer(b *testing.B) {
	zipPath := os.Getenv("LAMBDA_LAYERS_BENCH_ZIP")
	if zipPath == "" {
		zipPath = filepath.Join(b.TempDir(), "big.zip")
		unzipped := synthZip(b, zipPath, 160<<20)
		b.Logf("synthesized %s: %d bytes unzipped", zipPath, unzipped)
	}
	st, err := os.Stat(zipPath)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	var peak int64
	b.ResetTimer()
	for i := range b.N {
		repo := fmt.Sprintf("%s/bench/layers%d", strings.TrimPrefix(srv.URL, "http://"), i)
		cmd := exec.Command(os.Args[0], "-test.run", "^TestPushChild$", "-test.v")
		cmd.Env = append(os.Environ(), "OCI_PUSH_CHILD_ZIP="+zipPath, "OCI_PUSH_CHILD_REPO="+repo)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		// The child reads its own VmHWM: rusage's maxrss of a child also counts the parent's memory at
		// fork time, which here holds the registry's uploads.
		m := hwmRe.FindSubmatch(out)
		if m == nil {
			b.Fatalf("child printed no VmHWM:\n%s", out)
		}
		kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
		peak = max(peak, kb<<10)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(st.Size())/(1<<20), "zip-MiB")
	if peak > 100<<20 {
		b.Errorf("peak RSS %d MiB, over 100", peak>>20)
	}
}

var hwmRe = regexp.MustCompile(`VmHWM:\s+(\d+) kB`)

// TestPushChild is BenchmarkPushBigLayer's child: it builds and pushes one zip, and nothing else.
func TestPushChild(t *testing.T) {
	zipPath, repo := os.Getenv("OCI_PUSH_CHILD_ZIP"), os.Getenv("OCI_PUSH_CHILD_REPO")
	if zipPath == "" {
		t.Skip("run by BenchmarkPushBigLayer")
	}
	sets, err := Build([]Layer{{Name: "big", Runtime: "python3.12", Arch: "x86_64", Zip: zipPath}}, meta)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Push(t.Context(), repo, sets, anon)
	if err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pushed %+v", got)
	fmt.Println(hwmRe.FindString(string(status)))
}

// synthZip writes a layer-like zip of about unzipped bytes: many files, most of them compressible text,
// some incompressible (as shared libraries are), all deflated. It returns the bytes written unzipped.
func synthZip(t testing.TB, path string, unzipped int64) int64 {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	r := rand.New(rand.NewSource(1))
	words := strings.Fields("def class import return self lambda yield async await for in if else elif try except finally with as pass raise None True False")
	var total int64
	for i := 0; total < unzipped; i++ {
		name := fmt.Sprintf("python/lib/python3.12/site-packages/pkg%03d/mod%04d.py", i%300, i)
		size := 8<<10 + r.Intn(64<<10)
		data := make([]byte, 0, size)
		if i%10 == 0 {
			name = strings.TrimSuffix(name, ".py") + ".so"
			data = data[:size]
			r.Read(data)
		} else {
			for len(data) < size {
				data = append(data, words[r.Intn(len(words))]...)
				data = append(data, " \n"[r.Intn(2)])
			}
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		total += int64(len(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return total
}
