package report

import (
	"strings"
	"testing"
)

func TestCheckVerdict(t *testing.T) {
	t.Parallel()
	data := func(mbs float64) Layer { return mkLayer("data", "python3.12", "x86_64", pkg("numpy", "2.1.0", mbs)) }
	budget50 := map[string]Budget{"data": {UnzippedBytes: 50 * mb}}
	failed := Layer{Name: "ml", Runtime: "python3.12", Architecture: "x86_64",
		Error: &Failure{Message: "layers/ml/requirements.txt:3: no wheel of torch 2.9.0 for python3.12 x86_64\nmore detail", File: "layers/ml/requirements.txt", Line: 3}}
	warned := data(12)
	warned.Warnings = []string{"python3.10 is deprecated\nsince 2026-10-31"}
	for _, tc := range []struct {
		name       string
		layers     []Layer
		policy     Policy
		conclusion string
		title      string
	}{
		{"within limits", []Layer{data(12.3)}, Policy{}, ConclusionSuccess, "data: within limits, 12.3 MB unzipped"},
		{"no layers", nil, Policy{}, ConclusionSuccess, "no layers built"},
		{"several within limits", []Layer{data(12), mkLayer("web", "python3.12", "x86_64", pkg("flask", "3.1", 3))}, Policy{},
			ConclusionSuccess, "all 2 layers within limits; the largest, data, 12.0 MB unzipped"},
		{"over budget fails", []Layer{data(55)}, Policy{Budgets: budget50}, ConclusionFailure, "data: over budget, 55.0 of 50 MB unzipped"},
		{"over budget under fail-on quota", []Layer{data(55)}, Policy{Budgets: budget50, FailOn: FailOnQuota}, ConclusionNeutral, "data: over budget, 55.0 of 50 MB unzipped"},
		{"over budget under fail-on never", []Layer{data(55)}, Policy{Budgets: budget50, FailOn: FailOnNever}, ConclusionNeutral, "data: over budget, 55.0 of 50 MB unzipped"},
		{"over Lambda's limit under fail-on quota", []Layer{data(260)}, Policy{FailOn: FailOnQuota}, ConclusionFailure, "data: over Lambda's limit, 260.0 of 250 MB unzipped"},
		{"near a limit", []Layer{data(210)}, Policy{}, ConclusionNeutral, "data: at 84% of Lambda's limit, 210.0 of 250 MB unzipped"},
		{"near a limit under fail-on warn", []Layer{data(210)}, Policy{FailOn: FailOnWarn}, ConclusionFailure, "data: at 84% of Lambda's limit, 210.0 of 250 MB unzipped"},
		{"failed build under fail-on never", []Layer{data(12), failed}, Policy{FailOn: FailOnNever}, ConclusionFailure,
			"ml: build failed: layers/ml/requirements.txt:3: no wheel of torch 2.9.0 for python3.12 x86_64"},
		{"the failure comes first", []Layer{data(55), failed}, Policy{Budgets: budget50}, ConclusionFailure,
			"ml: build failed: layers/ml/requirements.txt:3: no wheel of torch 2.9.0 for python3.12 x86_64 (+1 more)"},
		{"a failing limit before a passing one", []Layer{data(55), mkLayer("big", "python3.12", "x86_64", pkg("torch", "2.9", 240))},
			Policy{Budgets: budget50, FailOn: FailOnQuota}, ConclusionNeutral, "data: over budget, 55.0 of 50 MB unzipped (+1 more)"},
		{"several targets name theirs", []Layer{data(55), mkLayer("data", "python3.12", "arm64", pkg("numpy", "2.1.0", 56))},
			Policy{Budgets: budget50}, ConclusionFailure, "data (python3.12 x86_64): over budget, 55.0 of 50 MB unzipped (+1 more)"},
		{"warnings only", []Layer{warned}, Policy{}, ConclusionNeutral, "data: python3.10 is deprecated"},
		{"function over 5 layers", []Layer{data(1)}, Policy{Functions: []Function{{Name: "api", Layers: []string{"data", "a", "b", "c", "d", "e"}}}},
			ConclusionFailure, "function api: over Lambda's limit, 6 of 5 layers"},
		{"function over 250 MB", []Layer{data(200)}, Policy{FailOn: FailOnQuota, WarnRatio: 0.9, Functions: []Function{{Name: "api", Layers: []string{"data"}, ReserveBytes: 60 * mb}}},
			ConclusionFailure, "function api: over Lambda's limit, 260.0 of 250 MB unzipped with its layers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &Report{Layers: tc.layers}
			Evaluate(rep, tc.policy)
			v := CheckVerdict(rep, tc.policy)
			if v.Conclusion != tc.conclusion || v.Title != tc.title {
				t.Errorf("got %s %q\nwant %s %q", v.Conclusion, v.Title, tc.conclusion, tc.title)
			}
			if code := exitOf(rep, tc.policy); (code != 0) != (v.Conclusion == ConclusionFailure) {
				t.Errorf("conclusion %s disagrees with exit code %d", v.Conclusion, code)
			}
		})
	}
}

// exitOf is the exit code the CLI and the action give a report: 1 failed build, 3 fails the policy.
func exitOf(r *Report, p Policy) int {
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
	rep := &Report{Layers: []Layer{{Name: "ml", Runtime: "python3.12", Architecture: "x86_64",
		Error: &Failure{Message: "\n\n  " + strings.Repeat("é no wheel ", 60) + "\nsecond line"}}}}
	v := CheckVerdict(rep, Policy{})
	if len(v.Title) > maxTitle || strings.Contains(v.Title, "\n") || !strings.HasSuffix(v.Title, "…") || !strings.HasPrefix(v.Title, "ml: build failed: é no wheel") {
		t.Errorf("title %q (%d bytes)", v.Title, len(v.Title))
	}
	if v := CheckVerdict(nil, Policy{}); v.Conclusion != ConclusionSuccess {
		t.Errorf("nil report: %+v", v)
	}
}
