package build

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/fetch"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
	"github.com/lambda-layers/lambda-layers/internal/wheel/wheeltest"
)

// TestFailedCheckNotRemembered: the cache remembers the verdict of a wheel whose entries checked out, and
// never of one that failed: a second build from the same cache checks the bad wheel again and fails again.
func TestFailedCheckNotRemembered(t *testing.T) {
	t.Parallel()
	spec := wheeltest.Spec{Name: "corrupt", Version: "1.0", Store: true,
		Files: []wheeltest.File{{Name: "corrupt/data.txt", Data: []byte("payload: CORRUPTME")}}}
	data := wheeltest.Build(spec)
	i := bytes.Index(data, []byte("CORRUPTME"))
	if i < 0 {
		t.Fatal("stored payload not found")
	}
	data[i] ^= 0x20 // same size, different CRC
	srv := indextest.New(t, []wheeltest.Spec{{Name: "fine", Version: "1.0"}}, indextest.ExtraFile("corrupt", spec.Filename(), data, ""))
	req := writeRequirements(t, "fine", "corrupt")
	cache := t.TempDir()
	for run := range 2 {
		rep := Build(context.Background(), Env{}, speedPlan(srv.URL, req, t.TempDir(), cache, fourTargets(t)[:1]))
		if l := rep.Layers[0]; l.Error == nil || !strings.Contains(l.Error.Message, "CRC") {
			t.Fatalf("build %d: %+v, want the CRC failure", run+1, l.Error)
		}
	}
	c, err := fetch.OpenCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	fine := (&wheeltest.Spec{Name: "fine", Version: "1.0"}).Filename()
	if sha := srv.SHA256(spec.Filename()); !c.HasWheel(sha) || c.Verified(sha) {
		t.Errorf("the corrupt wheel: cached %v, verified %v; want cached, not verified", c.HasWheel(sha), c.Verified(sha))
	}
	if sha := srv.SHA256(fine); !c.HasWheel(sha) || !c.Verified(sha) {
		t.Errorf("the sound wheel: cached %v, verified %v; want both", c.HasWheel(sha), c.Verified(sha))
	}
}
