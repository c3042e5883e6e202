package oci

import (
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
)

// A shared-layout layer (one python/ zip for several runtimes) becomes an image per runtime, so that
// NAME-pythonX.Y exists for each of them, not only for the first.
func TestFromReportSharedLayout(t *testing.T) {
	rep := &report.Report{Layers: []report.Layer{
		{Name: "pure", Runtime: "python3.11", Architecture: "x86_64", Zip: "pure.zip", Layout: "shared", Runtimes: []string{"python3.11", "python3.12"}},
		{Name: "api", Runtime: "python3.12", Architecture: "arm64", Zip: "api.zip"},
	}}
	ls, err := FromReport(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range ls {
		got = append(got, l.Name+" "+l.Runtime+" "+l.Arch+" "+l.Zip)
	}
	want := []string{"pure python3.11 x86_64 pure.zip", "pure python3.12 x86_64 pure.zip", "api python3.12 arm64 api.zip"}
	if len(got) != len(want) {
		t.Fatalf("layers %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("layer %d: %q, want %q", i, got[i], want[i])
		}
	}
}
