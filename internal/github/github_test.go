package github

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambda-layers/lambda-layers/internal/github/githubtest"
)

const events = "../../testdata/action/events"

func readEvent(t *testing.T, name, file string) *Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(events, file))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseEvent(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvents(t *testing.T) {
	pr := readEvent(t, "pull_request", "pull_request.json")
	if !pr.IsPullRequest() || pr.PRNumber() != 42 || pr.Fork() ||
		pr.HeadSHA("merge") != strings.Repeat("b", 40) || pr.BaseSHA() != strings.Repeat("a", 40) {
		t.Errorf("pull_request: %+v", pr)
	}
	fork := readEvent(t, "pull_request", "pull_request_fork.json")
	if !fork.Fork() || fork.PRNumber() != 43 {
		t.Errorf("fork: fork=%v number=%d", fork.Fork(), fork.PRNumber())
	}
	push := readEvent(t, "push", "push.json")
	if !push.PushToDefaultBranch() || push.BaseSHA() != strings.Repeat("a", 40) || push.HeadSHA("x") != strings.Repeat("b", 40) || push.IsPullRequest() {
		t.Errorf("push: %+v", push)
	}
	push.Ref = "refs/heads/feature"
	if push.PushToDefaultBranch() {
		t.Error("a push to a feature branch is not to the default branch")
	}
	push.Before = ZeroSHA
	if push.BaseSHA() != "" {
		t.Error("a new branch has no base")
	}
	wr := readEvent(t, "workflow_run", "workflow_run.json")
	if wr.WorkflowRun == nil || wr.WorkflowRun.HeadSHA != strings.Repeat("b", 40) || wr.WorkflowRun.Event != "pull_request" || wr.PRNumber() != 0 {
		t.Errorf("workflow_run: %+v", wr.WorkflowRun)
	}
	wd := readEvent(t, "workflow_dispatch", "workflow_dispatch.json")
	if wd.HeadSHA("sha") != "sha" || wd.BaseSHA() != "" {
		t.Errorf("workflow_dispatch: %+v", wd)
	}
	if e, err := ParseEvent("workflow_dispatch", nil); err != nil || e.Name != "workflow_dispatch" {
		t.Errorf("an empty payload: %v, %v", e, err)
	}
	if _, err := ParseEvent("push", []byte("{")); err == nil {
		t.Error("a broken payload: no error")
	}
}

func newSticky(t *testing.T, srv *githubtest.Server, number int) Sticky {
	t.Helper()
	c, err := NewClient("tok", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Sticky{Client: c, Owner: "acme", Repo: "orders-service", Number: number}
}

func TestStickyComment(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	srv.Token = "tok"
	srv.MaxPageSize = 7
	for i := 0; i < 20; i++ {
		srv.AddComment(42, "reviewer", "looks good")
	}
	srv.AddComment(42, "someone", "quoting: "+Marker) // not ours: the marker is not at the start
	s := newSticky(t, srv, 42)
	ctx := context.Background()

	res, err := s.Upsert(ctx, "first report")
	if err != nil || res.Action != "created" {
		t.Fatalf("first: %+v, %v", res, err)
	}
	for i := 0; i < 10; i++ {
		srv.AddComment(42, "reviewer", "more talk") // ours ends up on an earlier page than the last
	}
	res2, err := s.Upsert(ctx, "second report")
	if err != nil || res2.Action != "updated" || res2.ID != res.ID {
		t.Fatalf("second: %+v, %v", res2, err)
	}
	patches := srv.Requests("PATCH ")
	res3, err := s.Upsert(ctx, "second report")
	if err != nil || res3.Action != "unchanged" || srv.Requests("PATCH ") != patches {
		t.Fatalf("unchanged: %+v, %v (%d patches)", res3, err, srv.Requests("PATCH "))
	}
	var ours []githubtest.Comment
	for _, c := range srv.Comments(42) {
		if strings.HasPrefix(c.Body, Marker) {
			ours = append(ours, c)
		}
	}
	if len(ours) != 1 || ours[0].Body != Marker+"\nsecond report" {
		t.Errorf("ours = %+v", ours)
	}
	if srv.Requests("GET /repos/acme/orders-service/issues/42/comments") < 5 {
		t.Errorf("listing did not walk the pages: %d requests", srv.Requests("GET "))
	}
}

func TestStickyRemovesConcurrentDuplicate(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	s := newSticky(t, srv, 7)
	// Another run creates its comment right after ours: ours is the oldest and stays.
	srv.AfterCreate(func(s *githubtest.Server, c *githubtest.Comment) {
		if c.Body == Marker+"\nmine" {
			s.AddComment(7, githubtest.Bot, Marker+"\ntheirs")
		}
	})
	res, err := s.Upsert(context.Background(), "mine")
	if err != nil || res.Action != "created" || res.Removed != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if cs := srv.Comments(7); len(cs) != 1 || cs[0].Body != Marker+"\nmine" {
		t.Errorf("comments = %+v", cs)
	}

	// A run whose comment lost the race (the other run's is older) keeps the older one, deletes its own
	// and writes its body there.
	srv2 := githubtest.New(t)
	s2 := newSticky(t, srv2, 8)
	srv2.AfterCreate(func(s *githubtest.Server, c *githubtest.Comment) {
		if c.Body == Marker+"\nreport" {
			s.AddCommentAt(8, githubtest.Bot, Marker+"\nolder run", c.CreatedAt.Add(-time.Second))
		}
	})
	srv2.AddComment(8, "human", "unrelated")
	res, err = s2.Upsert(context.Background(), "report")
	if err != nil {
		t.Fatal(err)
	}
	cs := srv2.Comments(8)
	if len(cs) != 2 || cs[1].Body != Marker+"\nreport" || res.Action != "updated" || res.Removed != 1 || res.ID != cs[1].ID {
		t.Errorf("res=%+v comments=%+v", res, cs)
	}
}

func TestStickyForbidden(t *testing.T) {
	t.Parallel()
	srv := githubtest.New(t)
	srv.SetForbidden(true)
	_, err := newSticky(t, srv, 1).Upsert(context.Background(), "x")
	if !IsForbidden(err) {
		t.Errorf("err = %v, want a 403", err)
	}
	if IsForbidden(os.ErrNotExist) {
		t.Error("IsForbidden(other)")
	}
}

func TestBody(t *testing.T) {
	big := strings.Repeat("| row | 1 |\n", 10000)
	b := Body(Marker, big)
	if len(b) > MaxCommentChars || !strings.HasPrefix(b, Marker+"\n") || !strings.Contains(b, "cut to fit") {
		t.Errorf("len %d, prefix %q", len(b), b[:40])
	}
	if got := Body(Marker, Marker+"\nx"); got != Marker+"\nx" {
		t.Errorf("Body kept marker = %q", got)
	}
}

func TestPullRequestHead(t *testing.T) {
	srv := githubtest.New(t)
	srv.SetPull(5, "abc")
	c, _ := NewClient("", srv.URL, nil)
	if sha, err := PullRequestHead(context.Background(), c, "o", "r", 5); err != nil || sha != "abc" {
		t.Errorf("%q, %v", sha, err)
	}
	if _, err := PullRequestHead(context.Background(), c, "o", "r", 6); err == nil {
		t.Error("a missing PR: no error")
	}
}

func TestActionsGuards(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"INPUT_GITHUB-TOKEN": "  tok  ", "INPUT_MODE": "plan"}
	var out bytes.Buffer
	a := NewActions(func(k string) string { return env[k] }, &out)
	if a.Input("github-token") != "tok" || InputEnv("github-token") != "INPUT_GITHUB-TOKEN" {
		t.Errorf("input = %q", a.Input("github-token"))
	}
	if err := a.SetOutput("x", "1"); err == nil {
		t.Error("no GITHUB_OUTPUT: want an error, not a panic")
	}
	if err := a.AddSummary("x"); err == nil {
		t.Error("no GITHUB_STEP_SUMMARY: want an error")
	}
	env["GITHUB_OUTPUT"] = filepath.Join(dir, "missing", "out")
	if err := a.SetOutput("x", "1"); err == nil {
		t.Error("an unwritable GITHUB_OUTPUT: want an error, not a panic")
	}
	env["GITHUB_OUTPUT"] = filepath.Join(dir, "out")
	env["GITHUB_STEP_SUMMARY"] = filepath.Join(dir, "summary")
	if err := a.SetOutput("matrix", `{"include":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOutput("evil", "a\n"+fileDelimiter+"\nother<<x"); err == nil {
		t.Error("a value with the delimiter line: want an error")
	}
	if err := a.SetOutput("body", "line 1\nline 2"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	if !strings.Contains(string(got), "body<<"+fileDelimiter+"\nline 1\nline 2\n"+fileDelimiter) {
		t.Errorf("output file:\n%s", got)
	}
	big := strings.Repeat("0123456789abcdef\n", 40000) // 680 KB
	a.AddSummary(big)
	a.AddSummary(big)
	a.AddSummary("after the cut")
	sum, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if len(sum) > MaxSummaryBytes || !strings.Contains(string(sum), "cut to fit") || strings.Contains(string(sum), "after the cut") {
		t.Errorf("summary is %d bytes", len(sum))
	}
}

func TestAnnotate(t *testing.T) {
	var out bytes.Buffer
	a := NewActions(func(string) string { return "" }, &out)
	var as []Annotation
	for i := 1; i <= 12; i++ {
		as = append(as, Annotation{Level: "error", File: "layers/data/requirements.txt", Line: i, Title: "data: no wheel", Message: "no wheel for\nnumpy, 100%"})
	}
	as = append(as, as[0]) // a repeat is written once
	as = append(as, Annotation{Level: "warning", Message: "deprecated"})
	rest := a.Annotate(as)
	if len(rest) != 2 || rest[0].Line != 11 {
		t.Errorf("rest = %+v", rest)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	if want := "::error file=layers/data/requirements.txt,line=1,title=data%3A no wheel::no wheel for%0Anumpy, 100%25"; lines[0] != want {
		t.Errorf("got  %s\nwant %s", lines[0], want)
	}
	if lines[10] != "::warning::deprecated" {
		t.Errorf("warning = %s", lines[10])
	}
}

func TestSafeLines(t *testing.T) {
	in := "ok\n  ::add-mask::x\n::stop-commands::y\na::b"
	want := "ok\n  : :add-mask::x\n: :stop-commands::y\na::b"
	if got := SafeLines(in); got != want {
		t.Errorf("SafeLines = %q", got)
	}
}

func TestGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	home := t.TempDir()
	repo := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	g := Git{Dir: repo, Env: env}
	ctx := context.Background()
	must := func(args ...string) string {
		out, err := g.Run(ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	must("init", "-q")
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte("1"), 0o644)
	must("add", ".")
	must("commit", "-qm", "one")
	base := must("rev-parse", "HEAD")
	os.MkdirAll(filepath.Join(repo, "d"), 0o755)
	os.WriteFile(filepath.Join(repo, "d", "b c.txt"), []byte("2"), 0o644)
	os.WriteFile(filepath.Join(repo, "a.txt"), []byte("3"), 0o644)
	must("add", ".")
	must("commit", "-qm", "two")
	files, err := g.Changed(ctx, base, "HEAD")
	if err != nil || strings.Join(files, ",") != "a.txt,d/b c.txt" {
		t.Errorf("changed = %q, %v", files, err)
	}
	if b, err := g.Show(ctx, base, "a.txt"); err != nil || string(b) != "1" {
		t.Errorf("show = %q, %v", b, err)
	}
	if !g.HasCommit(ctx, base) || g.HasCommit(ctx, strings.Repeat("f", 40)) {
		t.Error("HasCommit")
	}
	for i := 0; i < 2; i++ {
		if err := g.TrustDirectory(ctx, "/github/workspace"); err != nil {
			t.Fatal(err)
		}
	}
	if got := must("config", "--global", "--get-all", "safe.directory"); got != "/github/workspace" {
		t.Errorf("safe.directory = %q, want it once", got)
	}
}
