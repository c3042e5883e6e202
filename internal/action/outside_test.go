package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambda-layers/lambda-layers/internal/exitcode"
)

// TestActionReadsOnlyTheRepository: a pull request cannot make the action read a file outside the
// workspace — a requirements.txt committed as a symlink to one, an -r line naming one, a
// lambda-layers.yml symlinked out — because the parse error would quote it (say /proc/self/environ,
// with the token) in the comment, the job summary and report.json.
func TestActionReadsOnlyTheRepository(t *testing.T) {
	t.Parallel()
	const secret = "ghp_0123456789abcdefSECRET"
	outside := filepath.Join(t.TempDir(), "environ")
	if err := os.WriteFile(outside, []byte("TOKEN="+secret+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx := actionIndex(t)
	for _, tc := range []struct {
		name  string
		setup func(ws *workspace)
		env   map[string]string
	}{
		{"requirements symlink", func(ws *workspace) {
			os.MkdirAll(filepath.Join(ws.dir, "layers", "api"), 0o755)
			os.Symlink(outside, filepath.Join(ws.dir, "layers", "api", "requirements.txt"))
		}, map[string]string{"INPUT_REQUIREMENTS": "layers/*/requirements.txt", "INPUT_RUNTIMES": "python3.12"}},
		{"-r by absolute path", func(ws *workspace) {
			ws.write("requirements.txt", "-r "+outside+"\n")
		}, map[string]string{"INPUT_REQUIREMENTS": "requirements.txt", "INPUT_RUNTIMES": "python3.12"}},
		{"-r up and out", func(ws *workspace) {
			rel, _ := filepath.Rel(ws.dir, outside)
			ws.write("requirements.txt", "-r "+filepath.ToSlash(rel)+"\n")
		}, map[string]string{"INPUT_REQUIREMENTS": "requirements.txt", "INPUT_RUNTIMES": "python3.12"}},
		{"config symlink", func(ws *workspace) {
			os.Symlink(outside, filepath.Join(ws.dir, "lambda-layers.yml"))
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := newWorkspace(t)
			tc.setup(ws)
			env := map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "../../testdata/action/events/push.json",
				"GITHUB_REF": "refs/heads/feature", "INPUT_MODE": "build", "INPUT_INDEX-URL": idx.URL}
			for k, v := range tc.env {
				env[k] = v
			}
			r := runAction(t, ws, env)
			if r.code == exitcode.OK {
				t.Errorf("exit 0 reading a file outside the repository:\n%s", r)
			}
			var written []string
			filepath.WalkDir(ws.dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && d.Type().IsRegular() {
					if b, _ := os.ReadFile(p); strings.Contains(string(b), secret) {
						written = append(written, p)
					}
				}
				return nil
			})
			if strings.Contains(r.stdout+r.stderr+r.summary, secret) || len(written) > 0 {
				t.Errorf("the outside file's content leaked (files %v):\n%s", written, r)
			}
		})
	}
}
