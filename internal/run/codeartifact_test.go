package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/codeartifact/codeartifacttest"
	"github.com/lambda-layers/lambda-layers/internal/exitcode"
	"github.com/lambda-layers/lambda-layers/internal/index/indextest"
)

// --codeartifact fetches a token with the AWS SDK and builds from the repository; the token appears
// in no output, report or lock.
func TestCodeArtifactTokenNeverShown(t *testing.T) {
	t.Parallel()
	idx := indextest.New(t, lockWheels())
	ca := codeartifacttest.New(t, idx.URL)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_CODEARTIFACT": ca.URL,
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "app", "requirements.in")
	writeFile(t, in, lockInput)
	lockOut := filepath.Join(dir, "app", "requirements.txt")
	lock := runMain(t, env, "lock", "-r", in, "--runtime", "python3.12", "--codeartifact", "acme/pypi-store", "-o", lockOut, "--cache-dir", filepath.Join(dir, "cache"))
	if lock.code != exitcode.OK {
		t.Fatalf("lock: %s", lock.stderr)
	}
	r := runMain(t, env, "build", "-r", in, "--runtime", "python3.12", "--codeartifact", "acme/pypi-store", "--out", filepath.Join(dir, "dist"), "--cache-dir", filepath.Join(dir, "cache"))
	mustOK(t, r)
	if len(ca.Tokens()) == 0 || ca.Denied() != 0 {
		t.Fatalf("tokens %d, denied %d", len(ca.Tokens()), ca.Denied())
	}
	reportJSON, _ := os.ReadFile(filepath.Join(dir, "dist", "report.json"))
	lockText, _ := os.ReadFile(lockOut)
	for _, tok := range ca.Tokens() {
		for what, s := range map[string]string{"stdout": r.stdout + lock.stdout, "stderr": r.stderr + lock.stderr, "report.json": string(reportJSON), "lock": string(lockText)} {
			if strings.Contains(s, tok) || strings.Contains(s, "secret-token") {
				t.Errorf("the token appears in %s", what)
			}
		}
	}
	if !strings.Contains(string(lockText), ca.URL+"/pypi/pypi-store/simple/") {
		t.Errorf("the lock does not name the repository's index:\n%s", lockText)
	}
	bad := runMain(t, env, "build", "-r", in, "--runtime", "python3.12", "--codeartifact", "nope/pypi-store", "--out", filepath.Join(dir, "dist2"))
	if bad.code == exitcode.OK || !strings.Contains(bad.stderr, "nope") {
		t.Errorf("unknown domain: code %d, %s", bad.code, bad.stderr)
	}
}

// A --codeartifact that is not DOMAIN/REPOSITORY, a --name Lambda refuses, and --extra or --group
// without a pyproject.toml or lock file, are usage errors of every command that takes them, before any AWS call or build.
func TestCodeArtifactFlagUsage(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	for _, cmd := range []string{"build", "lock", "report"} {
		for _, v := range []string{"acme", "acme/", "acme/pypi/extra"} {
			r := runMain(t, nil, cmd, "-r", filepath.Join(demoDir, "requirements.txt"), "--runtime", "python3.12", "--codeartifact", v, "--cache-dir", filepath.Join(out, "cache"))
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, "write --codeartifact DOMAIN/REPOSITORY") {
				t.Errorf("%s --codeartifact %s: exit %d, stderr:\n%s", cmd, v, r.code, r.stderr)
			}
		}
		// A name Lambda refuses was taken, and refused only by publish.
		if cmd != "lock" {
			r := runMain(t, nil, cmd, "-r", filepath.Join(demoDir, "requirements.txt"), "--runtime", "python3.12", "--name", "my layer", "--cache-dir", filepath.Join(out, "cache"))
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, `--name "my layer": a layer name may only hold letters, digits, - and _`) || !strings.Contains(r.stderr, "pass --name my-layer") {
				t.Errorf("%s --name 'my layer': exit %d, stderr:\n%s", cmd, r.code, r.stderr)
			}
		}
		// --extra and --group with only requirements files were ignored.
		for _, flag := range []string{"--extra", "--group"} {
			r := runMain(t, nil, cmd, "-r", filepath.Join(demoDir, "requirements.txt"), "--runtime", "python3.12", flag, "dev", "--cache-dir", filepath.Join(out, "cache"))
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, flag+" applies to a pyproject.toml or lock file, and -r gives none") {
				t.Errorf("%s %s with a requirements file: exit %d, stderr:\n%s", cmd, flag, r.code, r.stderr)
			}
		}
	}
}
