package build

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/target"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// fourTargets are 2 runtimes × 2 architectures.
func fourTargets(t *testing.T) []target.Target {
	t.Helper()
	ts, err := target.ParseList([]string{"python3.12", "python3.13"}, []string{"x86_64", "arm64"})
	if err != nil || len(ts) != 4 {
		t.Fatalf("targets %v, %v", ts, err)
	}
	return ts
}

// speedWheels: a pure-Python tree shared by every target, and a compiled package with one wheel per
// interpreter and architecture, so the four targets share some wheels and not others.
func speedWheels() []wheeltest.Spec {
	blob := func(name string) []wheeltest.File {
		return []wheeltest.File{{Name: name + "/__init__.py", Data: []byte("x = 1\n")}, {Name: name + "/_data.bin", Data: noise(200 << 10)}}
	}
	out := []wheeltest.Spec{
		{Name: "app", Version: "1.0", Requires: []string{"pure>=1", "native"}, Files: blob("app")},
		{Name: "pure", Version: "1.2", Requires: []string{"leaf"}, Files: blob("pure")},
		{Name: "leaf", Version: "0.5", Files: blob("leaf")},
	}
	for _, py := range []string{"cp312", "cp313"} {
		for _, plat := range []string{"manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_17_aarch64.manylinux2014_aarch64"} {
			out = append(out, wheeltest.Spec{Name: "native", Version: "3.0", Tag: py + "-" + py + "-" + plat, Files: blob("native")})
		}
	}
	return out
}

func writeRequirements(t *testing.T, lines ...string) string { return writeRequirementsTB(t, lines...) }

func writeRequirementsTB(t testing.TB, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "speed", "requirements.txt")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func speedPlan(indexURL, req, out, cache string, ts []target.Target) Plan {
	return Plan{Layers: []LayerPlan{{Name: "speed", Requirements: []string{req}, Targets: ts}}, IndexURL: indexURL, Out: out, CacheDir: cache}
}

func mustBuild(t *testing.T, p Plan) *report.Report {
	t.Helper()
	rep := Build(context.Background(), Env{}, p)
	for _, l := range rep.Layers {
		if l.Error != nil {
			t.Fatalf("%s %s: %s", l.Runtime, l.Architecture, l.Error.Message)
		}
	}
	return rep
}

// TestTargetsInParallelMatchOneByOne: four targets built together give the same zips, byte for byte,
// and the same report entries in plan order as four builds of one target each; a wheel several targets
// need is downloaded once.
func TestTargetsInParallelMatchOneByOne(t *testing.T) {
	t.Parallel()
	srv := indextest.New(t, speedWheels())
	req := writeRequirements(t, "app")
	ts := fourTargets(t)

	together := speedPlan(srv.URL, req, t.TempDir(), t.TempDir(), ts)
	together.Jobs = 4
	all := mustBuild(t, together)
	for _, name := range []string{"app-1.0-py3-none-any.whl", "pure-1.2-py3-none-any.whl", "leaf-0.5-py3-none-any.whl"} {
		if n := srv.Count("/files/"+name, func(r indextest.Request) bool { return r.Path == "/files/"+name }); n != 1 {
			t.Errorf("%s downloaded %d times for four targets, want once", name, n)
		}
	}
	if all.Cache == nil || all.Cache.Warm || all.Cache.WheelsDownloaded != 7 {
		t.Errorf("cache use %+v, want cold with 7 wheels downloaded", all.Cache)
	}

	for i, tg := range ts {
		out := t.TempDir()
		one := mustBuild(t, speedPlan(srv.URL, req, out, t.TempDir(), []target.Target{tg}))
		got, want := all.Layers[i], one.Layers[0]
		if got.Runtime != tg.Name || got.Architecture != tg.Arch {
			t.Fatalf("layer %d is %s %s, want %s (plan order)", i, got.Runtime, got.Architecture, tg)
		}
		a, err := os.ReadFile(got.Zip)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(want.Zip)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the zip built alongside three others differs from the one built alone", tg)
		}
		got.Zip, want.Zip = "", ""
		got.SBOM, want.SBOM = "", "" // both name their own output folder
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: report entries differ:\n%+v\n%+v", tg, got, want)
		}
	}
}

// TestBuildHTTPCache: through the engine, a second build with fresh pages sends no request; with
// stale pages only conditional ones, answered 304; offline builds from the cache and, with what is
// missing, fails naming it; no-store pages are asked for again in full.
func TestBuildHTTPCache(t *testing.T) {
	t.Parallel()
	req := writeRequirements(t, "app")
	ts := fourTargets(t)[:2]
	isConditional := func(r indextest.Request) bool { return r.Conditional }
	is304 := func(r indextest.Request) bool { return r.Status == 304 }

	t.Run("fresh", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, speedWheels(), indextest.CacheControl("max-age=600"))
		cache := t.TempDir()
		cold := mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		srv.ResetLog()
		warm := mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		if n := srv.Count("/", nil); n != 0 {
			t.Errorf("warm build with fresh pages sent %d requests: %+v", n, srv.Log())
		}
		if c := warm.Cache; c == nil || !c.Warm || c.Requests != 0 || c.DownloadedBytes != 0 || c.WheelsFromCache != 5 {
			t.Errorf("warm cache use %+v", c)
		}
		if c := cold.Cache; c.Warm || c.WheelsDownloaded != 5 || c.DownloadedBytes == 0 {
			t.Errorf("cold cache use %+v", c)
		}
		t.Logf("cold: %s", report.CacheLine(cold.Cache))
		t.Logf("warm: %s", report.CacheLine(warm.Cache))
	})
	t.Run("stale", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, speedWheels(), indextest.CacheControl("max-age=0"))
		cache := t.TempDir()
		mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		srv.ResetLog()
		warm := mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		n, cond, nm := srv.Count("/", nil), srv.Count("/", isConditional), srv.Count("/", is304)
		if n == 0 || cond != n || nm != n || srv.Count("/files/", nil) != 0 {
			t.Errorf("warm build with stale pages: %d requests, %d conditional, %d answered 304: %+v", n, cond, nm, srv.Log())
		}
		if c := warm.Cache; !c.Warm || c.Revalidated != int64(n) || c.DownloadedBytes != 0 {
			t.Errorf("cache use %+v", c)
		}
	})
	t.Run("no-store", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, speedWheels(), indextest.CacheControl("no-store"))
		cache := t.TempDir()
		mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		srv.ResetLog()
		mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		if n, cond := srv.Count("/simple/", nil), srv.Count("/simple/", isConditional); n != 4 || cond != 0 {
			t.Errorf("no-store pages: %d requests, %d conditional; want the 4 pages asked for in full", n, cond)
		}
	})
	t.Run("offline", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, speedWheels(), indextest.CacheControl("max-age=0"))
		cache := t.TempDir()
		mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts[:1]))
		srv.ResetLog()
		p := speedPlan(srv.URL, req, t.TempDir(), cache, ts[:1])
		p.Offline = true
		rep := mustBuild(t, p)
		if n := srv.Count("/", nil); n != 0 || !rep.Cache.Offline || !rep.Cache.Warm {
			t.Errorf("offline build sent %d requests; cache use %+v", n, rep.Cache)
		}
		// The second target needs another native wheel, which the cache lacks.
		p = speedPlan(srv.URL, req, t.TempDir(), cache, ts[1:2])
		p.Offline = true
		rep = Build(context.Background(), Env{}, p)
		l := rep.Layers[0]
		if l.Error == nil || !strings.Contains(l.Error.Message, "offline mode") || !strings.Contains(l.Error.Message, "native 3.0") ||
			!strings.Contains(l.Error.Message, "not in the cache") {
			t.Errorf("offline build of a missing wheel: %+v", l.Error)
		}
		if n := srv.Count("/", nil); n != 0 {
			t.Errorf("offline build sent %d requests", n)
		}
		if _, err := os.Stat(filepath.Join(p.Out, "speed-"+ts[1].Key()+".zip")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed offline build left a zip: %v", err)
		}
	})
	t.Run("refresh", func(t *testing.T) {
		t.Parallel()
		srv := indextest.New(t, speedWheels(), indextest.CacheControl("max-age=600"))
		cache := t.TempDir()
		mustBuild(t, speedPlan(srv.URL, req, t.TempDir(), cache, ts))
		srv.ResetLog()
		p := speedPlan(srv.URL, req, t.TempDir(), cache, ts)
		p.Refresh = true
		mustBuild(t, p)
		if n, nm := srv.Count("/", nil), srv.Count("/", is304); n == 0 || nm != n {
			t.Errorf("refresh: %d requests, %d answered 304", n, nm)
		}
	})
}
