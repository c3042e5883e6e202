package report_test

import (
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/report"
	"github.com/lambda-layers/lambda-layers/internal/report/reporttest"
)

func TestCheckVerdict(t *testing.T) {
	t.Parallel()
	data := func(mbs float64) report.Layer {
		return reporttest.MkLayer("data", "python3.12", "x86_64", reporttest.Pkg("numpy", "2.1.0", mbs))
	}
	budget50 := map[string]report.Budget{"data": {UnzippedBytes: 50 * reporttest.MB}}
	failed := report.Layer{Name: "ml", Runtime: "python3.12", Architecture: "x86_64",
		Error: &report.Failure{Message: "layers/ml/requirements.txt:3: no wheel of torch 2.9.0 for python3.12 x86_64\nmore detail", File: "layers/ml/requirements.txt", Line: 3}}
	warned := data(12)
	warned.Warnings = []string{"python3.10 is deprecated\nsince 2026-10-31"}
	for _, tc := range []struct {
		name       string
		layers     []report.Layer
		policy     report.Policy
		conclusion string
		title      string
	}{
		{"within limits", []report.Layer{data(12.3)}, report.Policy{}, report.ConclusionSuccess, "data: within limits, 12.3 MB unzipped"},
		{"no layers", nil, report.Policy{}, report.ConclusionSuccess, "no layers built"},
		{"several within limits", []report.Layer{data(12), reporttest.MkLayer("web", "python3.12", "x86_64", reporttest.Pkg("flask", "3.1", 3))}, report.Policy{},
			report.ConclusionSuccess, "all 2 layers within limits; the largest, data, 12.0 MB unzipped"},
		{"over budget fails", []report.Layer{data(55)}, report.Policy{Budgets: budget50}, report.ConclusionFailure, "data: over budget, 55.0 of 50 MB unzipped"},
		{"over budget under fail-on quota", []report.Layer{data(55)}, report.Policy{Budgets: budget50, FailOn: report.FailOnQuota}, report.ConclusionNeutral, "data: over budget, 55.0 of 50 MB unzipped"},
		{"over budget under fail-on never", []report.Layer{data(55)}, report.Policy{Budgets: budget50, FailOn: report.FailOnNever}, report.ConclusionNeutral, "data: over budget, 55.0 of 50 MB unzipped"},
		{"over Lambda's limit under fail-on quota", []report.Layer{data(260)}, report.Policy{FailOn: report.FailOnQuota}, report.ConclusionFailure, "data: over Lambda's limit, 260.0 of 250 MB unzipped"},
		{"near a limit", []report.Layer{data(210)}, report.Policy{}, report.ConclusionNeutral, "data: at 84% of Lambda's limit, 210.0 of 250 MB unzipped"},
		{"near a limit under fail-on warn", []report.Layer{data(210)}, report.Policy{FailOn: report.FailOnWarn}, report.ConclusionFailure, "data: at 84% of Lambda's limit, 210.0 of 250 MB unzipped"},
		{"failed build under fail-on never", []report.Layer{data(12), failed}, report.Policy{FailOn: report.FailOnNever}, report.ConclusionFailure,
			"ml: build failed: layers/ml/requirements.txt:3: no wheel of torch 2.9.0 for python3.12 x86_64"},
		{"the failure comes first", []report.Layer{data(55), failed}, report.Policy{Budgets: budget50}, report.ConclusionFailure,
			"ml: build failed: layers/ml/requirements.txt:3: no wheel of torch 2.9.0 for python3.12 x86_64 (+1 more)"},
		{"a failing limit before a passing one", []report.Layer{data(55), reporttest.MkLayer("big", "python3.12", "x86_64", reporttest.Pkg("torch", "2.9", 240))},
			report.Policy{Budgets: budget50, FailOn: report.FailOnQuota}, report.ConclusionNeutral, "data: over budget, 55.0 of 50 MB unzipped (+1 more)"},
		{"several targets name theirs", []report.Layer{data(55), reporttest.MkLayer("data", "python3.12", "arm64", reporttest.Pkg("numpy", "2.1.0", 56))},
			report.Policy{Budgets: budget50}, report.ConclusionFailure, "data (python3.12 x86_64): over budget, 55.0 of 50 MB unzipped (+1 more)"},
		{"warnings only", []report.Layer{warned}, report.Policy{}, report.ConclusionNeutral, "data: python3.10 is deprecated"},
		{"function over 5 layers", []report.Layer{data(1)}, report.Policy{Functions: []report.Function{{Name: "api", Layers: []string{"data", "a", "b", "c", "d", "e"}}}},
			report.ConclusionFailure, "function api: over Lambda's limit, 6 of 5 layers"},
		{"function over 250 MB", []report.Layer{data(200)}, report.Policy{FailOn: report.FailOnQuota, WarnRatio: 0.9, Functions: []report.Function{{Name: "api", Layers: []string{"data"}, ReserveBytes: 60 * reporttest.MB}}},
			report.ConclusionFailure, "function api: over Lambda's limit, 260.0 of 250 MB unzipped with its layers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &report.Report{Layers: tc.layers}
			report.Evaluate(rep, tc.policy)
			v := report.CheckVerdict(rep, tc.policy)
			if v.Conclusion != tc.conclusion || v.Title != tc.title {
				t.Errorf("got %s %q\nwant %s %q", v.Conclusion, v.Title, tc.conclusion, tc.title)
			}
			if code := exitOf(rep, tc.policy); (code != 0) != (v.Conclusion == report.ConclusionFailure) {
				t.Errorf("conclusion %s disagrees with exit code %d", v.Conclusion, code)
			}
		})
	}
}

// exitOf is the exit code the CLI and the action give a report: 1 failed build, 3 fails the policy.
func exitOf(r *report.Report, p report.Policy) int {
	switch {
	case r.Failed():
		return 1
	case p.Fails(r):
		return 3
	}
	return 0
}

func TestCheckVerdictTitleIsOneShortLine(t *testing.T) {
	t.Parallel()
	rep := &report.Report{Layers: []report.Layer{{Name: "ml", Runtime: "python3.12", Architecture: "x86_64",
		Error: &report.Failure{Message: "\n\n  " + strings.Repeat("é no wheel ", 60) + "\nsecond line"}}}}
	v := report.CheckVerdict(rep, report.Policy{})
	if len(v.Title) > 200 || strings.Contains(v.Title, "\n") || !strings.HasSuffix(v.Title, "…") || !strings.HasPrefix(v.Title, "ml: build failed: é no wheel") {
		t.Errorf("title %q (%d bytes)", v.Title, len(v.Title))
	}
	if v := report.CheckVerdict(nil, report.Policy{}); v.Conclusion != report.ConclusionSuccess {
		t.Errorf("nil report: %+v", v)
	}
}
