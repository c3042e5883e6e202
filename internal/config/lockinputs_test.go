package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestCodeArtifactExtrasGroups(t *testing.T) {
	c, err := Parse("lambda-layers.yml", []byte(`index:
  codeartifact: {domain: acme, repository: pypi-store, owner: "123456789012", region: eu-west-1}
runtimes: [python3.12]
layers:
  - name: app
    requirements: app/pyproject.toml
    extras: [fast]
    groups: [dev, lint]
`))
	if err != nil {
		t.Fatal(err)
	}
	if ca := c.CodeArtifact; ca == nil || ca.Domain != "acme" || ca.Repository != "pypi-store" || ca.Owner != "123456789012" || ca.Region != "eu-west-1" {
		t.Errorf("codeartifact %+v", c.CodeArtifact)
	}
	if l := c.Layers[0]; strings.Join(l.Extras, ",") != "fast" || strings.Join(l.Groups, ",") != "dev,lint" {
		t.Errorf("extras %v groups %v", l.Extras, l.Groups)
	}
	_, err = Parse("lambda-layers.yml", []byte(`index:
  codeartifact: {domain: acme, owner: "12"}
layers: [{name: a, requirements: a.txt, runtimes: [python3.12]}]
`))
	if err == nil || !strings.Contains(err.Error(), "lambda-layers.yml:2") || !strings.Contains(err.Error(), "domain and a repository") || !strings.Contains(err.Error(), "12-digit") {
		t.Errorf("error %v", err)
	}
}

// The requirements input's glob may name lock files and pyproject.toml: one layer per file, named
// after its folder.
func TestGlobLockFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"services/orders/uv.lock":         {Data: []byte("version = 1\n")},
		"services/billing/uv.lock":        {Data: []byte("version = 1\n")},
		"services/billing/pyproject.toml": {Data: []byte("[project]\n")},
	}
	c, err := Load(fsys, Inputs{Requirements: []string{"services/*/uv.lock"}, Runtimes: []string{"python3.12"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Layers {
		got = append(got, l.Name+"="+strings.Join(l.Requirements, ","))
	}
	if strings.Join(got, " ") != "billing=services/billing/uv.lock orders=services/orders/uv.lock" {
		t.Errorf("layers %v", got)
	}
}

// extras and groups on a layer with no pyproject.toml or lock file would be ignored: an error at the key.
func TestExtrasNeedAPyprojectOrLock(t *testing.T) {
	_, err := Parse("lambda-layers.yml", []byte(`runtimes: [python3.12]
layers:
  - name: app
    requirements: [app/requirements.txt]
    groups: [dev]
`))
	if err == nil || !strings.Contains(err.Error(), "lambda-layers.yml:5") || !strings.Contains(err.Error(), `extras and groups apply to a pyproject.toml or lock file, and layer "app"'s requirements list none`) {
		t.Errorf("error %v", err)
	}
	if _, err := Parse("lambda-layers.yml", []byte(`runtimes: [python3.12]
layers:
  - name: app
    requirements: [app/requirements.txt, app/pyproject.toml]
    extras: [fast]
`)); err != nil {
		t.Errorf("with a pyproject.toml: %v", err)
	}
}
