package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The house's floors (shared/STYLE.md): two doors (run for the command line, action for GitHub) onto
// one engine (build); outlets (github, publish, oci) below the action; spec leaves that import nothing
// of ours but each other. Each rule names a package and what it must never depend on, directly or
// through another package.
var forbidden = map[string][]string{
	// The engine knows nothing of flags, GitHub, publishing or the doors.
	"build": {"run", "action", "github", "publish", "oci", "config"},
	// The action never parses the command line.
	"action": {"run"},
	// Lower floors never import higher ones.
	"report":       {"run", "action", "build", "github", "publish", "oci", "config", "resolve", "index", "fetch"},
	"github":       {"run", "action", "build", "publish", "oci", "config"},
	"publish":      {"run", "action", "build", "github", "oci", "config"},
	"oci":          {"run", "action", "build", "github", "publish", "config"},
	"config":       {"run", "action", "build", "github", "publish", "oci"},
	"resolve":      {"run", "action", "build", "report", "github", "publish", "fetch", "layer"},
	"index":        {"run", "action", "build", "report", "github", "publish", "resolve", "fetch"},
	"fetch":        {"run", "action", "build", "report", "github", "publish", "resolve"},
	"layer":        {"run", "action", "build", "report", "github", "publish", "resolve", "index", "fetch"},
	"requirements": {"run", "action", "build", "report", "github", "publish", "resolve", "index", "fetch"},
	"exitcode":     {"run", "action", "build", "github", "publish"},
	// Lock files and pyproject.toml are read like requirements files: no index, no resolver.
	"lockfile":  {"run", "action", "build", "report", "github", "publish", "resolve", "index", "fetch", "config"},
	"pyproject": {"run", "action", "build", "report", "github", "publish", "resolve", "index", "fetch", "config"},
	"tomlpos":   {"*"},
	// CodeArtifact is a token source for the index's HTTP client, nothing more.
	"codeartifact": {"run", "action", "build", "report", "github", "publish", "resolve", "index", "fetch", "config", "requirements"},
	"version":      {"*"},
	// The slimming and bill-of-materials pieces read what the engine hands them; they fetch nothing.
	"sbom":    {"run", "action", "build", "github", "publish", "oci", "config", "resolve", "index", "fetch"},
	"license": {"run", "action", "build", "report", "github", "publish", "oci", "config", "resolve", "index", "fetch"},
	"prune":   {"run", "action", "build", "report", "github", "publish", "oci", "config", "fetch"},
	// Writing files the next workflow step can read is a leaf helper.
	"outfile": {"*"},
	// Markdown escaping is a leaf: it knows nothing of reports.
	"mdtext": {"*"},
	// Order-keeping set operations on slices are a leaf.
	"ordered": {"*"},
	// The edit distance behind "did you mean" hints is a leaf.
	"editdist": {"*"},
	// Spelling a layer's ARN is a leaf the config and the publisher share.
	"awsarn": {"*"},
	// The pip oracle's corpus builder is for tests only; production code never imports it.
	"oracletest": {"*"},
}

// Spec leaves import nothing of ours but each other.
var leaves = map[string][]string{
	"pep440": {},
	"pep508": {"pep440"},
	"target": {},
	"wheel":  {"pep440", "pep508"},
}

const modulePrefix = "github.com/lambda-layers/lambda-layers/internal/"

// ourDeps lists, for every package of ours, every package of ours it depends on (transitively).
func ourDeps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		name, ok := strings.CutPrefix(fields[0], modulePrefix)
		if !ok {
			continue
		}
		var ours []string
		for _, d := range fields[1:] {
			if p, ok := strings.CutPrefix(d, modulePrefix); ok && !strings.Contains(p, "/") {
				ours = append(ours, p)
			}
		}
		deps[name] = ours
	}
	return deps
}

func TestDepcheck(t *testing.T) {
	deps := ourDeps(t)
	for pkg, bad := range forbidden {
		have, ok := deps[pkg]
		if !ok {
			if pkg != "oci" {
				t.Errorf("package %s is gone: update the floors in depcheck_test.go", pkg)
			}
			continue
		}
		for _, d := range have {
			if slices.Contains(bad, d) || slices.Contains(bad, "*") {
				t.Errorf("internal/%s depends on internal/%s, which it must not", pkg, d)
			}
		}
	}
	for pkg, allowed := range leaves {
		for _, d := range deps[pkg] {
			if !slices.Contains(allowed, d) {
				t.Errorf("spec leaf internal/%s depends on internal/%s: leaves import only each other (%v)", pkg, d, allowed)
			}
		}
	}
	for pkg, have := range deps {
		if slices.Contains(have, "run") {
			t.Errorf("internal/%s imports internal/run: only main may", pkg)
		}
		if slices.Contains(have, "oracletest") {
			t.Errorf("internal/%s imports internal/oracletest, which is for tests only", pkg)
		}
	}
}

// maxPackageLines keeps packages small enough to see whole: past it, a package holds more than one
// job and should be split (issue 9).
const maxPackageLines = 3000

func TestPackageSize(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{.Dir}}|{{join .GoFiles " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		n := 0
		for _, f := range strings.Fields(parts[2]) {
			b, err := os.ReadFile(filepath.Join(parts[1], f))
			if err != nil {
				t.Fatal(err)
			}
			n += strings.Count(string(b), "\n")
		}
		if n > maxPackageLines {
			t.Errorf("%s has %d lines of non-test Go, over %d: split it by job", parts[0], n, maxPackageLines)
		}
	}
}
