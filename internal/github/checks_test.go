package github

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
)

var headSHA = strings.Repeat("c", 40)

func newChecks(t *testing.T, srv *githubtest.Server) Checks {
	t.Helper()
	c, err := NewClient("tok", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Checks{Client: c, Owner: "acme", Repo: "orders-service"}
}

func manyAnnotations(n int) []Annotation {
	var as []Annotation
	for i := range n {
		as = append(as, Annotation{Level: "error", File: "layers/data/requirements.txt", Line: i + 1, Title: "data (python3.12 x86_64): build failed",
			Message: fmt.Sprintf("no wheel of pkg%d", i)})
	}
	return as
}

func TestCheckRunAnnotationsIn50s(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	srv.Token = "tok"
	res, err := newChecks(t, srv).Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "failure",
		Title: "data: build failed", Summary: "### report", DetailsURL: "https://github.com/acme/orders-service/actions/runs/7",
		ExternalID: "7", Annotations: manyAnnotations(120)})
	if err != nil || res.Posted != PostedCheckRun || res.Action != "created" || res.Annotations != 120 || res.AnnotationRequests != 3 || res.Warning != "" {
		t.Fatalf("%+v, %v", res, err)
	}
	reqs := srv.CheckRunRequests()
	if len(reqs) != 3 || reqs[0].Method != "POST" || reqs[0].Annotations != 50 || reqs[1].Method != "PATCH" || reqs[1].Annotations != 50 ||
		reqs[2].Method != "PATCH" || reqs[2].Annotations != 20 {
		t.Errorf("requests = %+v", reqs)
	}
	runs := srv.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("check runs = %+v", runs)
	}
	cr := runs[0]
	if cr.Name != DefaultCheckName || cr.HeadSHA != headSHA || cr.Status != "completed" || cr.Conclusion != "failure" ||
		cr.Title != "data: build failed" || cr.Summary != "### report" || cr.ExternalID != "7" || len(cr.Annotations) != 120 {
		t.Errorf("check run = %+v", cr)
	}
	if a := cr.Annotations[119]; a.Path != "layers/data/requirements.txt" || a.StartLine != 120 || a.EndLine != 120 || a.Level != "failure" ||
		a.Message != "no wheel of pkg119" || a.Title != "data (python3.12 x86_64): build failed" {
		t.Errorf("last annotation = %+v", a)
	}
}

func TestCheckRunAnnotationShapes(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	as := []Annotation{
		{Level: "warning", File: "./lambda-layers.yml", Title: "data", Message: "near a limit"}, // whole file: line 1
		{Level: "notice", Title: "lambda-layers", Message: "no file: only in the summary"},
		{Level: "error", File: "requirements.txt", Line: 3, Title: strings.Repeat("t", 300), Message: ""},
		{Level: "warning", File: "./lambda-layers.yml", Title: "data", Message: "near a limit"}, // a duplicate
	}
	res, err := newChecks(t, srv).Post(context.Background(), CheckRun{Name: "layers", HeadSHA: headSHA, Conclusion: "neutral", Title: "\n data: near\nsecond", Annotations: as})
	if err != nil || res.Annotations != 2 || res.Skipped != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	cr := srv.CheckRuns()[0]
	if cr.Name != "layers" || cr.Title != "data: near" {
		t.Errorf("name %q, title %q", cr.Name, cr.Title)
	}
	a, b := cr.Annotations[0], cr.Annotations[1]
	if a.Path != "lambda-layers.yml" || a.StartLine != 1 || a.Level != "warning" || b.Level != "failure" || len(b.Title) != 255 || len(b.Message) != 300 {
		t.Errorf("annotations = %+v", cr.Annotations)
	}
}

func TestCheckRunSummaryCutToTheLimit(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	summary := strings.Repeat("| `numpy` | 2.1.0 | 35.2 MB | ✅ ok |\n", 4000) // ~150,000 characters
	res, err := newChecks(t, srv).Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "success", Title: "ok", Summary: summary})
	if err != nil || res.Posted != PostedCheckRun {
		t.Fatalf("%+v, %v", res, err)
	}
	got := srv.CheckRuns()[0].Summary
	if n := utf8.RuneCountInString(got); n > MaxCheckSummaryChars || n < MaxCheckSummaryChars-200 {
		t.Errorf("summary has %d characters", n)
	}
	if !strings.HasSuffix(got, "report.json have everything.\n") || !strings.HasPrefix(got, summary[:1000]) {
		t.Errorf("summary ends %q", got[len(got)-200:])
	}
}

func TestCheckRunUpdatedWithinOneRun(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	c := newChecks(t, srv)
	ctx := context.Background()
	run := CheckRun{HeadSHA: headSHA, Conclusion: "neutral", Title: "first", Summary: "s1", ExternalID: "run-9", Annotations: manyAnnotations(60)}
	if _, err := c.Post(ctx, run); err != nil {
		t.Fatal(err)
	}
	run.Conclusion, run.Title, run.Annotations = "failure", "second", manyAnnotations(70)
	res, err := c.Post(ctx, run)
	if err != nil || res.Action != "updated" || res.Annotations != 10 || res.AnnotationRequests != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	runs := srv.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].Title != "second" || len(runs[0].Annotations) != 70 {
		t.Errorf("check runs = %d, %+v", len(runs), runs[0].Title)
	}
	// Another workflow run (another external id) gets its own check run.
	run.ExternalID = "run-10"
	if res, err := c.Post(ctx, run); err != nil || res.Action != "created" || len(srv.CheckRuns()) != 2 {
		t.Errorf("another run: %+v, %v, %d check runs", res, err, len(srv.CheckRuns()))
	}
}

func TestStatusFallback(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	srv.Deny(githubtest.PermChecks)
	title := "data: over budget, 55.0 of 50 MB unzipped (+3 more) " + strings.Repeat("é", 150)
	res, err := newChecks(t, srv).Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "failure", Title: title,
		DetailsURL: "https://github.com/acme/orders-service/actions/runs/7", Annotations: manyAnnotations(3)})
	if err != nil || res.Posted != PostedStatus || !res.Forbidden || !strings.Contains(res.Warning, "`checks: write`") {
		t.Fatalf("%+v, %v", res, err)
	}
	sts := srv.Statuses()
	if len(sts) != 1 || len(srv.CheckRuns()) != 0 {
		t.Fatalf("statuses %+v, check runs %+v", sts, srv.CheckRuns())
	}
	st := sts[0]
	if st.SHA != headSHA || st.State != "failure" || st.Context != DefaultCheckName || st.TargetURL != "https://github.com/acme/orders-service/actions/runs/7" ||
		utf8.RuneCountInString(st.Description) != MaxStatusDescription || !strings.HasPrefix(st.Description, "data: over budget, 55.0 of 50 MB unzipped") {
		t.Errorf("status = %+v", st)
	}
	// neutral is not a failure: the status is a success.
	srv.Deny(githubtest.PermChecks)
	if _, err := newChecks(t, srv).Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "neutral", Title: "near"}); err != nil || srv.Statuses()[1].State != "success" {
		t.Errorf("neutral: %v, %+v", err, srv.Statuses())
	}
}

func TestReadOnlyTokenWarns(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	srv.SetForbidden(true)
	res, err := newChecks(t, srv).Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "failure", Title: "x"})
	if err != nil || res.Posted != "" || !res.Forbidden || !strings.Contains(res.Warning, "`checks: write`") || !strings.Contains(res.Warning, "`statuses: write`") {
		t.Fatalf("%+v, %v", res, err)
	}
	if len(srv.Statuses())+len(srv.CheckRuns()) != 0 {
		t.Error("something was posted")
	}
}

func TestCheckRunRefusalsWarn(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	// 422: a commit GitHub does not know.
	res, err := newChecks(t, srv).Post(context.Background(), CheckRun{HeadSHA: "not-a-sha", Conclusion: "success", Title: "x"})
	if err != nil || res.Posted != "" || !strings.Contains(res.Warning, "422") {
		t.Errorf("422: %+v, %v", res, err)
	}
	// 404: a token that cannot see the repository.
	c, err := NewClient("tok", srv.URL+"/elsewhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Checks{Client: c, Owner: "acme", Repo: "orders-service"}.Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "success", Title: "x"})
	if err != nil || res.Posted != "" || !strings.Contains(res.Warning, "404") || !strings.Contains(res.Warning, "`checks: write`") {
		t.Errorf("404: %+v, %v", res, err)
	}
	// GitHub's own failure is an error for the caller to report (as a warning: it never fails the run).
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusBadGateway) }))
	defer down.Close()
	c, _ = NewClient("tok", down.URL, nil)
	if _, err := (Checks{Client: c, Owner: "acme", Repo: "r"}).Post(context.Background(), CheckRun{HeadSHA: headSHA, Conclusion: "success", Title: "x"}); err == nil ||
		!strings.Contains(err.Error(), "posting the lambda-layers check run on acme/r@ccccccc") {
		t.Errorf("502: %v", err)
	}
}
